import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { encodeVarint } from '../../src/common/varint.js';
import { WtCapsuleType, WtHttp2Setting } from '../../src/webtransport/constants.js';
import type { WebTransportEvent } from '../../src/webtransport/events.js';
import {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
} from '../../src/webtransport/http2-session.js';
import type { WebTransportLimits } from '../../src/webtransport/limits.js';

function settingsOf(limits?: Partial<WebTransportLimits>): ReturnType<typeof peerSettingsFromHttp2> {
  return peerSettingsFromHttp2(new Map(http2WebTransportSettings(limits).map(([k, v]) => [k, v])));
}

function pair(
  cl?: Partial<WebTransportLimits>,
  sl?: Partial<WebTransportLimits>,
): { c: Http2WebTransportSession; s: Http2WebTransportSession } {
  const c = new Http2WebTransportSession({ role: 'client', limits: cl, peerSettings: settingsOf(sl) });
  const s = new Http2WebTransportSession({ role: 'server', limits: sl, peerSettings: settingsOf(cl) });
  return { c, s };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Moves a's output into b, optionally one byte at a time; returns b's events rendered as text lines. */
function flow(a: Http2WebTransportSession, b: Http2WebTransportSession, split = 0): string[] {
  const bytes = concat(a.takeOutput());
  if (split > 0) for (let i = 0; i < bytes.length; i += split) b.receive(bytes.slice(i, i + split));
  else b.receive(bytes);
  return events(b);
}

function events(x: Http2WebTransportSession): string[] {
  const out: string[] = [];
  let ev: WebTransportEvent | null;
  let text = '';
  let textId = -1;
  const flushText = (): void => {
    if (textId >= 0) out.push(`data ${textId} ${text}`);
    text = '';
    textId = -1;
  };
  while ((ev = x.nextEvent()) !== null) {
    if (ev.type === 'data') {
      if (textId !== ev.streamId) flushText();
      textId = ev.streamId;
      text += new TextDecoder().decode(ev.data);
      x.consumed(ev.streamId, ev.data.length);
      continue;
    }
    flushText();
    switch (ev.type) {
      case 'stream':
        out.push(`stream ${ev.streamId} ${ev.bidirectional ? 'bidi' : 'uni'}`);
        break;
      case 'end':
        out.push(`end ${ev.streamId}`);
        break;
      case 'streamReset':
      case 'stopSending':
        out.push(`${ev.type} ${ev.streamId} ${ev.errorCode}`);
        break;
      case 'datagram':
        out.push(`datagram ${new TextDecoder().decode(ev.data)}`);
        break;
      case 'draining':
      case 'writable':
        out.push(ev.type);
        break;
      case 'closed':
        out.push(`closed ${ev.code} ${JSON.stringify(ev.reason)} ${ev.initiator} ${ev.error?.code ?? '-'}`);
        break;
    }
  }
  flushText();
  return out;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('settings pairs carry the receive limits', () => {
  const pairs = http2WebTransportSettings({ maxSessionDataBytes: 1000, maxIncomingUniStreams: 3 });
  const m = new Map(pairs);
  assert.equal(m.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_DATA), 1000);
  assert.equal(m.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAMS_UNI), 3);
});

for (const split of [0, 1, 3]) {
  test(`streams both ways, fin, uni, datagrams (split ${split})`, () => {
    const { c, s } = pair();
    const b0 = c.openBidiStream();
    assert.equal(b0, 0);
    c.sendStream(b0, enc('hello'), true);
    const u = c.openUniStream();
    assert.equal(u, 2);
    c.sendStream(u, enc('uni'));
    c.sendDatagram(enc('dg1'));
    assert.deepEqual(flow(c, s, split), [
      'stream 0 bidi',
      'data 0 hello',
      'end 0',
      'stream 2 uni',
      'data 2 uni',
      'datagram dg1',
    ]);
    s.sendStream(b0, enc('world'), true);
    const sb = s.openBidiStream();
    assert.equal(sb, 1);
    s.sendStream(sb, enc('from server'));
    const su = s.openUniStream();
    assert.equal(su, 3);
    s.sendStream(su, new Uint8Array(0), true);
    s.sendDatagram(enc('dg2'));
    assert.deepEqual(flow(s, c, split), [
      'data 0 world',
      'end 0',
      'stream 1 bidi',
      'data 1 from server',
      'stream 3 uni',
      'end 3',
      'datagram dg2',
    ]);
  });
}

test('clientInitiatedBit 1 numbers client streams odd (fails-components)', () => {
  const c = new Http2WebTransportSession({
    role: 'client',
    clientInitiatedBit: 1,
    peerSettings: settingsOf(),
  });
  const s = new Http2WebTransportSession({
    role: 'server',
    clientInitiatedBit: 1,
    peerSettings: settingsOf(),
  });
  assert.equal(c.openBidiStream(), 1);
  assert.equal(s.openBidiStream(), 0);
  assert.equal(s.openUniStream(), 2);
  assert.deepEqual(flow(c, s), ['stream 1 bidi']);
  assert.deepEqual(flow(s, c), ['stream 0 bidi', 'stream 2 uni']);
});

test('stream and session flow control: blocks, then resumes on consumed credit', () => {
  const { c, s } = pair(undefined, { maxStreamDataBytes: 8, maxSessionDataBytes: 12 });
  const a = c.openBidiStream();
  const b = c.openBidiStream();
  c.sendStream(a, enc('0123456789'), true);
  c.sendStream(b, enc('abcdefgh'));
  assert.equal(c.sendWindow(a), 0);
  assert.equal(c.bufferedAmount, 6);
  // The server reads and consumes (events() calls consumed), which sends WT_MAX_STREAM_DATA / WT_MAX_DATA.
  assert.deepEqual(flow(c, s), ['stream 0 bidi', 'stream 4 bidi', 'data 0 01234567', 'data 4 abcd']);
  flow(s, c);
  assert.deepEqual(flow(c, s), ['data 0 89', 'end 0', 'data 4 efgh']);
  assert.equal(c.bufferedAmount, 0);
});

test('sending more than the credit is a flow-control error that closes the session', () => {
  const { s } = pair(undefined, { maxStreamDataBytes: 4 });
  // A rogue client ignoring our 4-byte stream credit.
  const id = encodeVarint(0);
  const payload = enc('12345');
  const head = concat([
    encodeVarint(WtCapsuleType.WT_STREAM),
    encodeVarint(id.length + payload.length),
    id,
    payload,
  ]);
  s.receive(head);
  const ev = events(s);
  assert.equal(ev.at(-1), 'closed 0 "" local ERR_WT_FLOW_CONTROL');
  assert.equal(s.isClosed, true);
  assert.throws(() => s.openBidiStream(), UsageError);
});

test('stream limit: opening beyond WT_MAX_STREAMS is refused locally and an error from the peer', () => {
  const { c, s } = pair(undefined, { maxIncomingBidiStreams: 2 });
  c.openBidiStream();
  c.openBidiStream();
  assert.equal(c.canOpenStream(true), false);
  assert.throws(
    () => c.openBidiStream(),
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_WT_STREAM_LIMIT',
  );
  flow(c, s);
  const rogue = concat([encodeVarint(WtCapsuleType.WT_STREAM), encodeVarint(1), encodeVarint(8)]);
  s.receive(rogue);
  assert.equal(events(s).at(-1), 'closed 0 "" local ERR_WT_STREAM_LIMIT');
});

test('closed streams return WT_MAX_STREAMS credit', () => {
  const { c, s } = pair(undefined, { maxIncomingUniStreams: 2 });
  for (let round = 0; round < 5; round++) {
    assert.equal(c.canOpenStream(false), true, `round ${round}`);
    const id = c.openUniStream();
    c.sendStream(id, enc('x'), true);
    flow(c, s);
    flow(s, c);
  }
});

test('reset and stop sending', () => {
  const { c, s } = pair();
  const id = c.openBidiStream();
  const other = c.openBidiStream();
  c.sendStream(id, enc('abc'));
  c.sendStream(other, enc('def'));
  flow(c, s);
  c.resetStream(id, 7);
  assert.deepEqual(flow(c, s), ['streamReset 0 7']);
  s.stopSending(other, 9);
  // STOP_SENDING is answered with WT_RESET_STREAM of the same code; the server drops bytes still in flight.
  assert.deepEqual(flow(s, c), ['stopSending 4 9']);
  assert.deepEqual(flow(c, s), ['streamReset 4 9']);
  assert.throws(() => c.sendStream(id, enc('late')), UsageError);
  assert.throws(() => c.sendStream(other, enc('late')), UsageError);
});

test('close with code and reason; the peer ends its side', () => {
  const { c, s } = pair();
  c.close(0x1234, 'bye now');
  assert.equal(c.isOutputFinished, true);
  assert.deepEqual(events(c), ['closed 4660 "bye now" local -']);
  assert.deepEqual(flow(c, s, 2), ['closed 4660 "bye now" remote -']);
  assert.equal(s.isOutputFinished, true);
  assert.deepEqual(s.takeOutput(), []);
});

test('drain, padding and unknown capsules', () => {
  const { c, s } = pair();
  c.drain();
  assert.throws(() => c.openUniStream(), UsageError);
  const unknown = concat([encodeVarint(0x3fff), encodeVarint(3), enc('xyz')]);
  const padding = concat([encodeVarint(WtCapsuleType.WT_PADDING), encodeVarint(2), enc('pp')]);
  s.receive(unknown);
  s.receive(padding);
  assert.deepEqual(flow(c, s, 1), ['draining']);
});

test('end of the CONNECT stream without a close capsule closes with code 0', () => {
  const { s } = pair();
  s.receive(encodeVarint(WtCapsuleType.WT_STREAM).subarray(0, 2));
  s.receiveEnd();
  assert.equal(events(s).at(-1), 'closed 0 "" local ERR_WT_PROTOCOL');
  const { c } = pair();
  c.receiveEnd();
  assert.deepEqual(events(c), ['closed 0 "" remote -']);
});

test('datagrams above the limit or beyond the queue are dropped', () => {
  const { c } = pair({ maxDatagramBytes: 4, maxQueuedDatagrams: 2 });
  assert.equal(c.sendDatagram(enc('12345')), false);
  assert.equal(c.sendDatagram(enc('1')), true);
  assert.equal(c.sendDatagram(enc('2')), true);
  assert.equal(c.sendDatagram(enc('3')), false);
  c.takeOutput();
  assert.equal(c.sendDatagram(enc('4')), true);
});

test('backpressure: sendStream returns false above maxBufferedBytes and writable follows', () => {
  const { c, s } = pair({ maxBufferedBytes: 4 }, { maxStreamDataBytes: 2 });
  const id = c.openBidiStream();
  assert.equal(c.sendStream(id, enc('abcdefgh')), false);
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    flow(c, s);
    seen.push(...flow(s, c));
  }
  assert.ok(seen.includes('writable'));
  assert.equal(c.bufferedAmount, 0);
});

test('stop sending: dropped bytes and consumed bytes return session credit once', () => {
  const c = new Http2WebTransportSession({
    role: 'client',
    peerSettings: settingsOf({ maxStreamDataBytes: 100, maxSessionDataBytes: 10 }),
  });
  const s = new Http2WebTransportSession({
    role: 'server',
    limits: { maxStreamDataBytes: 100, maxSessionDataBytes: 10 },
    peerSettings: settingsOf(),
  });
  const a = c.openBidiStream();
  c.sendStream(a, enc('0123456789'));
  s.receive(concat(c.takeOutput()));
  const got: number[] = [];
  for (let e = s.nextEvent(); e !== null; e = s.nextEvent()) if (e.type === 'data') got.push(e.data.length);
  assert.deepEqual(got, [10]);
  s.stopSending(a, 1);
  s.consumed(a, 10);
  s.consumed(a, 10); // over-reporting is clamped
  c.receive(concat(s.takeOutput()));
  // The session credit came back once (10 more bytes), the stream was reset in answer to STOP_SENDING.
  const b = c.openBidiStream();
  c.sendStream(b, enc('abcdefghijKLMN'));
  assert.equal(c.bufferedAmount, 4);
});
