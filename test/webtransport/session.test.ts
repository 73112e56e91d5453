/** Both transports drive through the one WebTransportSession shape. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
} from '../../src/webtransport/http2-session.js';
import { Http3WebTransportSession, type WtHttp3Host } from '../../src/webtransport/http3-session.js';
import { decodeCloseSession, encodeCloseSession } from '../../src/webtransport/session.js';
import type { WebTransportSession } from '../../src/webtransport/session.js';

/** A binding-agnostic action: open both kinds of stream, send, send a datagram, close. */
function script(s: WebTransportSession): number[] {
  assert.equal(s.canOpenStream(true), true);
  const b = s.openBidiStream();
  s.sendStream(b, new TextEncoder().encode('hi'), true);
  const u = s.openUniStream();
  s.resetStream(u, 3);
  assert.equal(s.sendDatagram(new Uint8Array(s.limits.maxDatagramBytes + 1)), false);
  s.drain();
  assert.equal(s.isDraining, true);
  s.close(1, 'x');
  assert.equal(s.isClosed, true);
  const last = [];
  for (let e = s.nextEvent(); e !== null; e = s.nextEvent()) last.push(e.type);
  assert.deepEqual(last, ['closed']);
  return [b, u];
}

test('the HTTP/2 session runs the common script', () => {
  const peer = peerSettingsFromHttp2(new Map(http2WebTransportSettings()));
  const s = new Http2WebTransportSession({ role: 'client', peerSettings: peer });
  assert.deepEqual(script(s), [0, 2]);
  assert.ok(s.takeOutput().length > 0);
});

test('the HTTP/3 session runs the common script against a recording host', () => {
  const calls: string[] = [];
  let next = 0;
  const host: WtHttp3Host = {
    openWebTransportStream: (sid, bidi) => {
      calls.push(`open ${sid} ${bidi}`);
      const id = bidi ? 4 + next : 14 + next;
      next += 4;
      return id;
    },
    sendWebTransportData: (id, d, fin) => calls.push(`data ${id} ${d.length} ${fin === true}`),
    resetWebTransportStream: (id, code) => calls.push(`reset ${id} 0x${code.toString(16)}`),
    stopWebTransportStream: (id, code) => calls.push(`stop ${id} 0x${code.toString(16)}`),
    sendDatagram: (id, d) => calls.push(`datagram ${id} ${d.length}`),
    sendData: (id, d, end) => calls.push(`capsules ${id} ${d.length} ${end === true}`),
  };
  const s = new Http3WebTransportSession({ host, sessionId: 0, role: 'client' });
  assert.deepEqual(script(s), [4, 18]);
  assert.deepEqual(calls, [
    'open 0 true',
    'data 4 2 true',
    'open 0 false',
    // 3 maps to WT_APPLICATION_ERROR_FIRST + 3 (draft-ietf-webtrans-http3 §4.3).
    `reset 18 0x${(0x52e4a40fa8db + 3).toString(16)}`,
    // WT_DRAIN_SESSION (4-byte type, empty), then WT_CLOSE_SESSION (2-byte type, code and 'x') with FIN.
    'capsules 0 5 false',
    'capsules 0 8 true',
    // The bidi stream's receiving side is still open: stopped with WT_SESSION_GONE.
    'stop 4 0x170d7b68',
  ]);
});

test('WT_CLOSE_SESSION value: code and UTF-8 reason round trip, reason cut to 1024 bytes', () => {
  assert.deepEqual(decodeCloseSession(encodeCloseSession(0xfffffffe, 'bye ✓')), {
    code: 0xfffffffe,
    reason: 'bye ✓',
  });
  const long = encodeCloseSession(7, 'x'.repeat(2000));
  assert.equal(long.length, 4 + 1024);
  assert.equal(decodeCloseSession(long)?.reason.length, 1024);
  assert.equal(decodeCloseSession(new Uint8Array(3)), undefined);
});
