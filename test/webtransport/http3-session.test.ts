/**
 * WebTransport over HTTP/3: two Http3Connections (with webTransportMaxSessions) wired back to back, their
 * WebTransport streams routed to Http3WebTransportSession. Covers the HTTP/3 hooks (settings, 0x41 / 0x54
 * routing, WebTransport stream sends, resets) and the session layer.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Http3Connection } from '../../src/http3/connection.js';
import type { Http3Output } from '../../src/http3/connection.js';
import { SettingsId } from '../../src/http3/frame/settings.js';
import { UniStreamType, WEBTRANSPORT_BIDI_SIGNAL } from '../../src/http3/streams.js';
import {
  WT_BIDI_SIGNAL,
  WT_UNI_STREAM_TYPE,
  WtHttp3ErrorCode,
  WtHttp3Setting,
  http3CodeToWebtransport,
  webtransportCodeToHttp3,
} from '../../src/webtransport/constants.js';
import type { WebTransportLimits } from '../../src/webtransport/limits.js';
import { Side, enc } from './h3-support.js';

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length)));
}

/** Delivers outputs both ways until quiet; `split` feeds stream bytes one at a time. */
function pump(a: Side, b: Side, split = false): void {
  for (let round = 0; round < 100; round++) {
    let moved = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let o: Http3Output | null = from.conn.takeOutput(); o !== null; o = from.conn.takeOutput()) {
        moved = true;
        if (o.type === 'stream') {
          const bytes = concat(o.chunks);
          if (split && bytes.length > 1) {
            for (let i = 0; i < bytes.length; i++) {
              to.conn.receiveStream(o.streamId, bytes.subarray(i, i + 1), o.fin && i === bytes.length - 1);
            }
          } else {
            to.conn.receiveStream(o.streamId, bytes, o.fin);
          }
        } else if (o.type === 'reset') to.conn.receiveStreamReset(o.streamId, o.errorCode);
        else if (o.type === 'stopSending') to.conn.receiveStopSending(o.streamId, o.errorCode);
        else if (o.type === 'datagram') to.conn.receiveDatagram(o.payload);
        else to.conn.receiveClose(o.errorCode, o.reason);
      }
      to.process();
    }
    if (!moved) return;
  }
}

function connect(split = false, limits?: Partial<WebTransportLimits>): { c: Side; s: Side } {
  const c = new Side('client');
  const s = new Side('server', limits);
  pump(c, s, split);
  c.conn.request([
    [':method', 'CONNECT'],
    [':protocol', 'webtransport'],
    [':scheme', 'https'],
    [':authority', 'localhost'],
    [':path', '/wt'],
  ]);
  pump(c, s, split);
  assert.ok(c.session !== undefined && s.session !== undefined);
  return { c, s };
}

test('codepoints agree between the HTTP/3 core and the WebTransport layer', () => {
  assert.equal(WEBTRANSPORT_BIDI_SIGNAL, WT_BIDI_SIGNAL);
  assert.equal(UniStreamType.WEBTRANSPORT_STREAM, WT_UNI_STREAM_TYPE);
  assert.equal(SettingsId.SETTINGS_ENABLE_WEBTRANSPORT, WtHttp3Setting.SETTINGS_ENABLE_WEBTRANSPORT);
  assert.equal(
    SettingsId.SETTINGS_WEBTRANSPORT_MAX_SESSIONS,
    WtHttp3Setting.SETTINGS_WEBTRANSPORT_MAX_SESSIONS,
  );
});

test('application error codes map to the HTTP/3 range and back, skipping reserved codepoints', () => {
  assert.equal(webtransportCodeToHttp3(0), WtHttp3ErrorCode.WT_APPLICATION_ERROR_FIRST);
  assert.equal(webtransportCodeToHttp3(0xffffffff), WtHttp3ErrorCode.WT_APPLICATION_ERROR_LAST);
  for (const n of [0, 1, 0x1d, 0x1e, 0x1f, 0x3c, 1000, 123456789, 0xffffffff]) {
    const h3 = webtransportCodeToHttp3(n);
    assert.notEqual((h3 - 0x21) % 0x1f, 0, `code ${n} maps to a reserved codepoint`);
    assert.equal(http3CodeToWebtransport(h3), n);
  }
  assert.equal(http3CodeToWebtransport(0x100), undefined);
});

test('both sides announce WebTransport in SETTINGS', () => {
  const evs: Array<ReadonlyArray<readonly [number | bigint, number | bigint]>> = [];
  for (const side of [new Side('client'), new Side('server')]) {
    const other = new Http3Connection({ role: side.conn.role === 'client' ? 'server' : 'client' });
    for (let o = side.conn.takeOutput(); o !== null; o = side.conn.takeOutput()) {
      if (o.type === 'stream') other.receiveStream(o.streamId, concat(o.chunks), o.fin);
    }
    for (let e = other.nextEvent(); e !== null; e = other.nextEvent())
      if (e.type === 'settings') evs.push(e.settings.unknown);
  }
  for (const unknown of evs) {
    const m = new Map(unknown.map(([k, v]) => [Number(k), Number(v)]));
    assert.equal(m.get(WtHttp3Setting.SETTINGS_ENABLE_WEBTRANSPORT), 1);
    assert.equal(m.get(WtHttp3Setting.SETTINGS_WEBTRANSPORT_MAX_SESSIONS), 4);
  }
});

for (const split of [false, true]) {
  test(`streams both ways, datagrams, close (bytes split: ${split})`, () => {
    const { c, s } = connect(split);
    const cs = c.session!;
    const ss = s.session!;
    const b = cs.openBidiStream();
    cs.sendStream(b, enc('hello'), true);
    const u = cs.openUniStream();
    cs.sendStream(u, enc('uni'), true);
    cs.sendDatagram(enc('dg'));
    pump(c, s, split);
    const sl = s.take();
    // Datagrams come through the HTTP event channel, streams through nextWebTransportEvent: order across
    // the two is not defined, order within each is.
    assert.deepEqual(
      sl.filter((x) => !x.startsWith('data ') && x !== 'datagram dg'),
      [`stream ${b} bidi`, `end ${b}`, `stream ${u} uni`, `end ${u}`],
    );
    assert.ok(sl.includes('datagram dg'));
    assert.equal(
      sl
        .filter((x) => x.startsWith(`data ${b} `))
        .map((x) => x.slice(`data ${b} `.length))
        .join(''),
      'hello',
    );
    ss.sendStream(b, enc('world'), true);
    const sb = ss.openBidiStream();
    assert.equal(sb & 3, 1, 'server-initiated bidirectional id');
    ss.sendStream(sb, enc('push'), true);
    const su = ss.openUniStream();
    ss.sendStream(su, enc('note'), true);
    pump(c, s, split);
    const cl = c.take().join('|');
    for (const want of [`end ${b}`, `stream ${sb} bidi`, `end ${sb}`, `stream ${su} uni`, `end ${su}`]) {
      assert.ok(cl.includes(want), `${want} in ${cl}`);
    }
    cs.sendStream(sb, enc('reply'), true);
    pump(c, s, split);
    assert.ok(s.take().includes(`end ${sb}`));
    cs.close(77, 'client bye');
    pump(c, s, split);
    assert.deepEqual(s.take(), ['closed 77 "client bye" remote']);
    assert.deepEqual(c.take(), ['closed 77 "client bye" local']);
  });
}

test('reset and stop sending carry application codes through the HTTP/3 mapping', () => {
  const { c, s } = connect();
  const cs = c.session!;
  const ss = s.session!;
  const b = cs.openBidiStream();
  cs.sendStream(b, enc('x'));
  pump(c, s);
  s.take();
  cs.resetStream(b, 1234);
  pump(c, s);
  assert.deepEqual(s.take(), [`streamReset ${b} 1234`]);
  ss.stopSending(b, 0);
  const b2 = cs.openBidiStream();
  cs.sendStream(b2, enc('y'));
  pump(c, s);
  s.take();
  ss.stopSending(b2, 99);
  pump(c, s);
  assert.deepEqual(c.take(), [`stopSending ${b2} 99`]);
});

test('hasStream: a session knows its streams, local and peer, until both directions are done', () => {
  const { c, s } = connect();
  const cs = c.session!;
  const ss = s.session!;
  const b = cs.openBidiStream();
  const u = cs.openUniStream();
  assert.equal(cs.hasStream(b), true);
  assert.equal(cs.hasStream(u), true);
  assert.equal(cs.hasStream(cs.sessionId), false, 'the CONNECT stream is not a WebTransport stream');
  cs.sendStream(b, enc('q'));
  cs.sendStream(u, enc('u'), true);
  pump(c, s);
  assert.equal(ss.hasStream(b), true);
  assert.equal(cs.hasStream(u), false, 'a local uni stream is done once its FIN is queued');
  assert.equal(ss.hasStream(u), false, 'a peer uni stream is done once its FIN arrived');
  const su = ss.openUniStream();
  assert.equal(ss.hasStream(su), true);
  assert.equal(cs.hasStream(su), false, 'not seen by the client yet');
  cs.sendStream(b, new Uint8Array(0), true);
  ss.sendStream(b, enc('a'), true);
  pump(c, s);
  assert.equal(cs.hasStream(b), false);
  assert.equal(ss.hasStream(b), false);
});

test('server close, drain, and streams reset with WT_SESSION_GONE', () => {
  const { c, s } = connect();
  const cs = c.session!;
  const ss = s.session!;
  const u = cs.openUniStream();
  cs.sendStream(u, enc('open'));
  ss.drain();
  pump(c, s);
  assert.deepEqual(c.take(), ['draining']);
  assert.throws(() => ss.openUniStream(), /draining/);
  ss.close(5, 'server bye');
  pump(c, s);
  assert.deepEqual(c.take(), ['closed 5 "server bye" remote']);
  assert.equal(cs.isClosed, true);
});

test('streams over the per-session limit are refused with H3_EXCESSIVE_LOAD', () => {
  const { c, s } = connect(false, { maxIncomingUniStreams: 1 });
  const cs = c.session!;
  const u1 = cs.openUniStream();
  cs.sendStream(u1, enc('a'));
  const u2 = cs.openUniStream();
  cs.sendStream(u2, enc('b'));
  pump(c, s);
  assert.deepEqual(
    s.take().filter((x) => x.startsWith('stream')),
    [`stream ${u1} uni`],
  );
  assert.deepEqual(c.take(), [`stopSending ${u2} 0`]);
});

test('a request stream still works beside WebTransport routing', () => {
  const { c, s } = connect();
  const id = c.conn.request(
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'localhost'],
      [':path', '/plain'],
    ],
    true,
  );
  pump(c, s);
  assert.equal(id % 4, 0);
  assert.deepEqual(c.take(), [`response ${id} 204`]);
});
