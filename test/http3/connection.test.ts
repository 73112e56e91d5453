// Assertion helpers take callbacks written as `() => c.receiveStream(...)`, which return void by design.
/* eslint-disable @typescript-eslint/no-confusing-void-expression */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProtocolConnection } from '../../src/common/connection.js';
import { H3Error, ProtocolError, UsageError } from '../../src/common/errors.js';
import { encodeVarint } from '../../src/common/varint.js';
import { Http3Connection } from '../../src/http3/connection.js';
import type { Http3ConnectionOptions, Http3Event, Http3Output } from '../../src/http3/connection.js';
import { H3ErrorCode } from '../../src/http3/errors.js';
import { encodeFrame } from '../../src/http3/frame/header.js';
import { encodeIdFrame } from '../../src/http3/frame/id-frames.js';
import { encodeSettings } from '../../src/http3/frame/settings.js';
import { FrameType } from '../../src/http3/frame/types.js';
import { QpackEncoder } from '../../src/qpack/encoder.js';
import { appEvents, concat, deliver, drain, events, logOf, pump } from './support.js';

const te = new TextEncoder();
const GET: Array<[string, string]> = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/index.html'],
];

function pair(
  clientOpts: Partial<Http3ConnectionOptions> = {},
  serverOpts: Partial<Http3ConnectionOptions> = {},
): { client: Http3Connection; server: Http3Connection } {
  const client = new Http3Connection({ role: 'client', ...clientOpts });
  const server = new Http3Connection({ role: 'server', ...serverOpts });
  pump(client, server);
  assert.equal(logOf(events(client)).join(), 'settings');
  assert.equal(logOf(events(server)).join(), 'settings');
  return { client, server };
}

/** A server that has received a valid control stream, ready for raw input. */
function rawServer(opts: Partial<Http3ConnectionOptions> = {}): Http3Connection {
  const server = new Http3Connection({ role: 'server', ...opts });
  drain(server);
  server.receiveStream(
    2,
    concat([Uint8Array.of(0), encodeFrame(FrameType.SETTINGS, encodeSettings({}))]),
    false,
  );
  events(server);
  return server;
}
function rawClient(opts: Partial<Http3ConnectionOptions> = {}): Http3Connection {
  const client = new Http3Connection({ role: 'client', ...opts });
  drain(client);
  client.receiveStream(
    3,
    concat([Uint8Array.of(0), encodeFrame(FrameType.SETTINGS, encodeSettings({}))]),
    false,
  );
  events(client);
  return client;
}

/** Literal-only field section (static encoder, capacity 0) as a HEADERS frame. */
function headersFrame(fields: Array<[string, string]>, streamId = 0): Uint8Array {
  const enc = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
  return encodeFrame(FrameType.HEADERS, enc.encodeFieldSection(streamId, fields));
}

function expectConnError(c: Http3Connection, fn: () => void, code: number): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof ProtocolError && e.wireCode === code,
    `expected 0x${code.toString(16)}`,
  );
  assert.ok(c.isClosed);
  const out = drain(c);
  const close = out.find((o) => o.type === 'close');
  assert.ok(close?.type === 'close' && close.errorCode === code, 'close output with the code');
}

function resets(out: Http3Output[]): string[] {
  return out
    .filter((o) => o.type === 'reset' || o.type === 'stopSending')
    .map(
      (o) =>
        `${o.type} ${'streamId' in o ? o.streamId : ''} 0x${'errorCode' in o ? o.errorCode.toString(16) : ''}`,
    );
}

test('GET with body, trailers and release of both streams', () => {
  const { client, server } = pair();
  const id = client.request(GET, true);
  assert.equal(id, 0);
  pump(client, server);
  assert.deepEqual(logOf(appEvents(server)), [`request 0 GET /index.html []`, 'end 0']);
  server.respond(0, [
    [':status', '200'],
    ['content-type', 'text/plain'],
  ]);
  server.sendData(0, te.encode('hello '));
  server.sendData(0, te.encode('world'));
  server.sendTrailers(0, [['x-checksum', 'abc']]);
  pump(client, server);
  assert.deepEqual(logOf(appEvents(client)), [
    'response 0 200 [["content-type","text/plain"]]',
    'data 0 hello ',
    'data 0 world',
    'trailers 0 [["x-checksum","abc"]]',
    'end 0',
  ]);
  assert.equal(client.activeStreams, 0);
  assert.equal(server.activeStreams, 0);
});

test('1xx responses precede the final response', () => {
  const { client, server } = pair();
  client.request(GET, true);
  pump(client, server);
  server.respond(0, [
    [':status', '103'],
    ['link', '</a.css>; rel=preload'],
  ]);
  server.respond(0, [[':status', '204']], true);
  pump(client, server);
  assert.deepEqual(logOf(appEvents(client)), [
    'response 0 103 [["link","</a.css>; rel=preload"]]',
    'response 0 204 []',
    'end 0',
  ]);
});

test('many concurrent requests with a dynamic QPACK table', () => {
  const { client, server } = pair();
  const ids: number[] = [];
  for (let i = 0; i < 20; i++) ids.push(client.request([...GET, ['x-trace', 'same-value-every-time']], true));
  pump(client, server);
  const reqs = appEvents(server).filter((e) => e.type === 'request');
  assert.equal(reqs.length, 20);
  for (const id of ids)
    server.respond(
      id,
      [
        [':status', '200'],
        ['x-srv', 'v'],
      ],
      true,
    );
  pump(client, server);
  assert.equal(appEvents(client).filter((e) => e.type === 'response').length, 20);
});

test('QPACK-blocked request waits for the encoder stream, in either order', () => {
  const { client, server } = pair();
  client.request([...GET, ['x-a', '1']], true);
  pump(client, server);
  appEvents(server);
  // The second use of the same line is inserted; the request stream refers to the new entry.
  client.request([...GET, ['x-a', '1']], true);
  client.request([...GET, ['x-a', '1']], false);
  const out = drain(client);
  const enc = out.filter((o) => o.type === 'stream' && o.streamId === 6);
  const rest = out.filter((o) => !(o.type === 'stream' && o.streamId === 6));
  assert.ok(enc.length > 0, 'encoder stream carries an insert');
  for (const o of rest) deliver(server, o);
  assert.deepEqual(logOf(appEvents(server)), [], 'blocked: nothing yet');
  // More body on the blocked stream is held, then replayed.
  client.sendData(8, te.encode('late'), true);
  for (const o of drain(client)) if (o.type === 'stream' && o.streamId === 8) deliver(server, o);
  for (const o of enc) deliver(server, o);
  assert.deepEqual(logOf(appEvents(server)), [
    'request 4 GET /index.html [["x-a","1"]]',
    'end 4',
    'request 8 GET /index.html [["x-a","1"]]',
    'data 8 late',
    'end 8',
  ]);
  // The decoder acknowledges the sections on its stream (id 11 on the server).
  const back = drain(server);
  assert.ok(back.some((o) => o.type === 'stream' && o.streamId === 11));
});

test('content-length is checked against DATA', () => {
  const { client, server } = pair();
  client.request([...[[':method', 'POST'] as [string, string]], ...GET.slice(1), ['content-length', '3']]);
  client.sendData(0, te.encode('toolong'), true);
  pump(client, server);
  const evs = logOf(appEvents(server));
  assert.equal(evs[0], 'request 0 POST /index.html [["content-length","3"]]');
  assert.equal(evs[1], 'streamReset 0 0x10e local');
  const c = logOf(appEvents(client));
  assert.ok(c.includes('streamReset 0 0x10e remote'), c.join());
});

test('short body against content-length is malformed at FIN', () => {
  const server = rawServer();
  server.receiveStream(
    0,
    concat([headersFrame([...GET, ['content-length', '10']]), encodeFrame(0, te.encode('abc'))]),
    true,
  );
  assert.deepEqual(logOf(appEvents(server)).slice(1), ['data 0 abc', 'streamReset 0 0x10e local']);
  assert.deepEqual(resets(drain(server)), ['reset 0 0x10e', 'stopSending 0 0x10e']);
});

test('malformed requests are reset with H3_MESSAGE_ERROR', () => {
  const bad: Array<Array<[string, string]>> = [
    [...GET, ['Upper', 'x']],
    [...GET, ['connection', 'close']],
    [...GET, ['transfer-encoding', 'chunked']],
    [...GET, ['te', 'gzip']],
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'a'],
    ],
    [
      [':method', 'GET'],
      ['x', 'y'],
      [':path', '/'],
      [':scheme', 'https'],
      [':authority', 'a'],
    ],
    [...GET, [':status', '200']],
    [...GET, [':method', 'GET']],
    [...GET, ['x', 'a\nb']],
    [...GET, ['x', ' lead']],
    [
      [':method', 'CONNECT'],
      [':authority', 'a:443'],
      [':path', '/'],
    ],
    [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', 'a'],
      [':path', '/'],
    ],
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/'],
    ],
  ];
  for (const fields of bad) {
    const server = rawServer();
    server.receiveStream(0, headersFrame(fields), true);
    assert.deepEqual(logOf(appEvents(server)), ['streamReset 0 0x10e local'], JSON.stringify(fields));
    assert.ok(!server.isClosed);
  }
});

test('request stream frame sequence rules', () => {
  let s = rawServer();
  expectConnError(
    s,
    () => s.receiveStream(0, encodeFrame(0, te.encode('x')), false),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  s = rawServer();
  expectConnError(
    s,
    () => s.receiveStream(0, concat([headersFrame(GET), encodeIdFrame(FrameType.CANCEL_PUSH, 1)]), false),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  s = rawServer();
  expectConnError(
    s,
    () =>
      s.receiveStream(
        0,
        concat([headersFrame(GET), headersFrame([['x', 'y']]), encodeFrame(0, Uint8Array.of(1))]),
        false,
      ),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  s = rawServer();
  expectConnError(
    s,
    () => s.receiveStream(0, concat([headersFrame(GET), encodeFrame(0x06, new Uint8Array(8))]), false),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  // Ends inside a frame.
  s = rawServer();
  const h = headersFrame(GET);
  expectConnError(s, () => s.receiveStream(0, h.subarray(0, h.length - 1), true), H3ErrorCode.H3_FRAME_ERROR);
  // PUSH_PROMISE from a client.
  s = rawServer();
  expectConnError(
    s,
    () =>
      s.receiveStream(
        0,
        concat([headersFrame(GET), encodeFrame(FrameType.PUSH_PROMISE, Uint8Array.of(0, 0, 0))]),
        false,
      ),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  // Unknown and reserved frames are ignored anywhere in the sequence.
  s = rawServer();
  s.receiveStream(
    0,
    concat([encodeFrame(0x21, Uint8Array.of(1)), headersFrame(GET), encodeFrame(0x5f, new Uint8Array(3))]),
    true,
  );
  assert.deepEqual(logOf(appEvents(s)), ['request 0 GET /index.html []', 'end 0']);
  // FIN before any HEADERS.
  s = rawServer();
  s.receiveStream(0, new Uint8Array(0), true);
  assert.deepEqual(logOf(appEvents(s)), ['streamReset 0 0x10d local']);
});

test('client side: push is refused, server bidi streams rejected', () => {
  const { client, server } = pair();
  client.request(GET, true);
  pump(client, server);
  let c = client;
  expectConnError(
    c,
    () =>
      c.receiveStream(
        0,
        concat([encodeFrame(FrameType.PUSH_PROMISE, concat([encodeVarint(0), Uint8Array.of(0, 0)]))]),
        false,
      ),
    H3ErrorCode.H3_ID_ERROR,
  );
  c = rawClient();
  expectConnError(c, () => c.receiveStream(7, Uint8Array.of(1, 0), false), H3ErrorCode.H3_ID_ERROR);
  c = rawClient();
  expectConnError(
    c,
    () => c.receiveStream(1, headersFrame(GET), false),
    H3ErrorCode.H3_STREAM_CREATION_ERROR,
  );
  c = rawClient();
  expectConnError(
    c,
    () => c.receiveStream(3, encodeIdFrame(FrameType.MAX_PUSH_ID, 4), false),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  c = rawClient();
  expectConnError(
    c,
    () => c.receiveStream(3, encodeIdFrame(FrameType.CANCEL_PUSH, 0), false),
    H3ErrorCode.H3_ID_ERROR,
  );
  // A server receiving a push stream from a client.
  const s = rawServer();
  expectConnError(s, () => s.receiveStream(6, Uint8Array.of(1), false), H3ErrorCode.H3_STREAM_CREATION_ERROR);
  // MAX_PUSH_ID to a server is accepted (and never used).
  const s2 = rawServer();
  s2.receiveStream(2, encodeIdFrame(FrameType.MAX_PUSH_ID, 10), false);
  assert.ok(!s2.isClosed);
});

test('control stream rules', () => {
  const settings = encodeFrame(FrameType.SETTINGS, encodeSettings({}));
  let s = new Http3Connection({ role: 'server' });
  expectConnError(
    s,
    () => s.receiveStream(2, concat([Uint8Array.of(0), encodeIdFrame(FrameType.GOAWAY, 0)]), false),
    H3ErrorCode.H3_MISSING_SETTINGS,
  );
  s = rawServer();
  expectConnError(s, () => s.receiveStream(2, settings, false), H3ErrorCode.H3_FRAME_UNEXPECTED);
  s = rawServer();
  expectConnError(
    s,
    () => s.receiveStream(6, concat([Uint8Array.of(0), settings]), false),
    H3ErrorCode.H3_STREAM_CREATION_ERROR,
  );
  s = rawServer();
  expectConnError(
    s,
    () => s.receiveStream(2, new Uint8Array(0), true),
    H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
  );
  s = rawServer();
  expectConnError(s, () => s.receiveStreamReset(2, 0x100), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM);
  s = rawServer();
  expectConnError(
    s,
    () => s.receiveStream(2, encodeFrame(0, Uint8Array.of(1)), false),
    H3ErrorCode.H3_FRAME_UNEXPECTED,
  );
  s = rawServer();
  expectConnError(s, () => s.receiveStream(2, headersFrame(GET), false), H3ErrorCode.H3_FRAME_UNEXPECTED);
  for (const t of [2, 6, 8, 9]) {
    s = rawServer();
    expectConnError(
      s,
      () => s.receiveStream(2, encodeFrame(t, Uint8Array.of(0)), false),
      H3ErrorCode.H3_FRAME_UNEXPECTED,
    );
  }
  s = new Http3Connection({ role: 'server' });
  expectConnError(
    s,
    () => s.receiveStream(2, concat([Uint8Array.of(0), encodeFrame(4, Uint8Array.of(2, 0))]), false),
    H3ErrorCode.H3_SETTINGS_ERROR,
  );
  // QPACK streams: duplicates and closing.
  s = rawServer();
  s.receiveStream(6, Uint8Array.of(2), false);
  expectConnError(
    s,
    () => s.receiveStream(10, Uint8Array.of(2), false),
    H3ErrorCode.H3_STREAM_CREATION_ERROR,
  );
  s = rawServer();
  s.receiveStream(6, Uint8Array.of(3), false);
  expectConnError(
    s,
    () => s.receiveStream(6, new Uint8Array(0), true),
    H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
  );
  // STOP_SENDING on our control stream.
  s = rawServer();
  expectConnError(s, () => s.receiveStopSending(3, 0x100), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM);
  // Settings in pieces (one byte at a time) work.
  s = new Http3Connection({ role: 'server' });
  const bytes = concat([
    Uint8Array.of(0),
    encodeFrame(FrameType.SETTINGS, encodeSettings({ maxFieldSectionSize: 1000 })),
  ]);
  for (const b of bytes) s.receiveStream(2, Uint8Array.of(b), false);
  assert.equal(s.peerSettings.maxFieldSectionSize, 1000);
});

test('unknown unidirectional stream types are stopped and ignored', () => {
  const s = rawServer();
  s.receiveStream(6, concat([encodeVarint(0x21 + 0x1f * 5), te.encode('ignored data')]), false);
  s.receiveStream(6, te.encode('more'), false);
  assert.deepEqual(resets(drain(s)), ['stopSending 6 0x103']);
  s.receiveStreamReset(6, 0x103);
  assert.ok(!s.isClosed);
});

test('limits: concurrent request streams, unidirectional streams, blocked bytes', () => {
  let s = rawServer({ limits: { maxConcurrentRequestStreams: 2 } });
  s.receiveStream(0, headersFrame(GET), false);
  s.receiveStream(4, headersFrame(GET), false);
  s.receiveStream(8, headersFrame(GET), false);
  assert.deepEqual(resets(drain(s)), ['reset 8 0x107', 'stopSending 8 0x107']);
  s = rawServer({ limits: { maxUnidirectionalStreams: 3 } });
  s.receiveStream(6, Uint8Array.of(0x21), false);
  s.receiveStream(10, Uint8Array.of(0x21), false);
  expectConnError(s, () => s.receiveStream(14, Uint8Array.of(0x21), false), H3ErrorCode.H3_EXCESSIVE_LOAD);
  // HEADERS larger than the field section limit is refused before buffering.
  s = rawServer({ limits: { maxFieldSectionSize: 100 } });
  expectConnError(
    s,
    () => s.receiveStream(0, concat([encodeVarint(1), encodeVarint(5000)]), false),
    H3ErrorCode.H3_EXCESSIVE_LOAD,
  );
});

test('blocked stream buffering is bounded', () => {
  const { client, server } = pair({}, { limits: { maxBufferedBytesPerStream: 64 } });
  client.request([...GET, ['x-a', '1']], true);
  pump(client, server);
  appEvents(server);
  client.request([...[[':method', 'POST'] as [string, string]], ...GET.slice(1), ['x-a', '1']]);
  client.sendData(4, new Uint8Array(200));
  const out = drain(client);
  for (const o of out) if (!(o.type === 'stream' && o.streamId === 6)) deliver(server, o);
  assert.deepEqual(logOf(appEvents(server)), ['streamReset 4 0x107 local']);
  assert.ok(!server.isClosed);
});

test('GOAWAY from the server: in-flight requests finish, later ones are rejected, then H3_NO_ERROR', () => {
  const { client, server } = pair();
  client.request(GET, true);
  pump(client, server);
  appEvents(server);
  server.goAway();
  client.request(GET, true); // stream 4 crosses the GOAWAY
  pump(client, server);
  assert.deepEqual(logOf(appEvents(client)), ['goaway 4', 'streamReset 4 0x10b local']);
  assert.throws(
    () => client.request(GET),
    (e: unknown) => (e as { code?: string }).code === 'ERR_H3_GOAWAY',
  );
  server.respond(0, [[':status', '200']], true);
  const out = drain(server);
  assert.deepEqual(out.at(-1), {
    type: 'close',
    errorCode: H3ErrorCode.H3_NO_ERROR,
    reason: 'graceful shutdown',
  });
  for (const o of out) deliver(client, o);
  assert.deepEqual(logOf(appEvents(client)), ['response 0 200 []', 'end 0', 'closed 0x100 remote']);
});

test('GOAWAY id rules on the client', () => {
  let c = rawClient();
  expectConnError(
    c,
    () => c.receiveStream(3, encodeIdFrame(FrameType.GOAWAY, 2), false),
    H3ErrorCode.H3_ID_ERROR,
  );
  c = rawClient();
  c.receiveStream(3, encodeIdFrame(FrameType.GOAWAY, 8), false);
  c.receiveStream(3, encodeIdFrame(FrameType.GOAWAY, 4), false);
  expectConnError(
    c,
    () => c.receiveStream(3, encodeIdFrame(FrameType.GOAWAY, 8), false),
    H3ErrorCode.H3_ID_ERROR,
  );
  c = rawClient();
  expectConnError(
    c,
    () => c.receiveStream(3, concat([encodeVarint(7), encodeVarint(3), Uint8Array.of(0x40, 1, 0)]), false),
    H3ErrorCode.H3_FRAME_ERROR,
  );
});

test('client GOAWAY closes once its requests are done', () => {
  const { client, server } = pair();
  client.request(GET, true);
  pump(client, server);
  client.goAway();
  server.respond(0, [[':status', '200']], true);
  pump(client, server);
  const c = logOf(appEvents(client));
  assert.deepEqual(c, ['response 0 200 []', 'end 0', 'closed 0x100 local']);
});

test('extended CONNECT and HTTP datagrams (RFC 9220, RFC 9297)', () => {
  const { client, server } = pair(
    { enableDatagrams: true },
    { enableDatagrams: true, enableConnectProtocol: true },
  );
  assert.equal(client.peerSettings.enableConnectProtocol, true);
  const id = client.request([
    [':method', 'CONNECT'],
    [':protocol', 'webtransport'],
    [':scheme', 'https'],
    [':authority', 'example.com'],
    [':path', '/wt'],
  ]);
  pump(client, server);
  const [req] = appEvents(server);
  assert.ok(req?.type === 'request' && req.protocol === 'webtransport');
  server.respond(id, [
    [':status', '200'],
    ['capsule-protocol', '?1'],
  ]);
  client.sendDatagram(id, te.encode('ping'));
  pump(client, server);
  assert.deepEqual(logOf(appEvents(server)), ['datagram 0 ping']);
  server.sendDatagram(id, te.encode('pong'));
  server.sendData(id, te.encode('tunnel'));
  pump(client, server);
  assert.deepEqual(logOf(appEvents(client)), [
    'response 0 200 [["capsule-protocol","?1"]]',
    'datagram 0 pong',
    'data 0 tunnel',
  ]);
  // Quarter stream id beyond 2^60-1.
  expectConnError(
    server,
    () => server.receiveDatagram(encodeVarint(1n << 60n)),
    H3ErrorCode.H3_DATAGRAM_ERROR,
  );
});

test('datagrams and :protocol need the settings', () => {
  const { client, server } = pair();
  assert.throws(() => client.sendDatagram(0, Uint8Array.of(1)), /SETTINGS_H3_DATAGRAM/);
  assert.throws(
    () =>
      client.request([
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
      ]),
    /SETTINGS_ENABLE_CONNECT_PROTOCOL/,
  );
  expectConnError(server, () => server.receiveDatagram(Uint8Array.of(0, 1)), H3ErrorCode.H3_DATAGRAM_ERROR);
});

test('application reset and STOP_SENDING', () => {
  const { client, server } = pair();
  client.request([[':method', 'POST'], ...GET.slice(1)]);
  pump(client, server);
  appEvents(server);
  client.resetStream(0);
  pump(client, server);
  assert.deepEqual(logOf(appEvents(server)), ['streamReset 0 0x10c remote', 'stopSending 0 0x10c']);
  assert.equal(server.activeStreams, 0);
  assert.ok(!(server.isClosed || client.isClosed));
});

test('connection errors are H3Error with stable codes', () => {
  const s = rawServer();
  try {
    s.receiveStream(2, encodeFrame(4, new Uint8Array(0)), false);
    assert.fail('expected throw');
  } catch (e) {
    assert.ok(e instanceof H3Error);
    assert.equal(e.code, 'ERR_H3_FRAME_UNEXPECTED');
    assert.equal(e.scope, 'connection');
  }
  // After a connection error, input is ignored and the close stays queued once.
  s.receiveStream(0, headersFrame(GET), false);
  assert.equal(drain(s).filter((o) => o.type === 'close').length, 1);
});

test('request streams may arrive out of order; skipping too many ids is a flood', () => {
  let s = rawServer();
  s.receiveStream(8, headersFrame(GET), true);
  s.receiveStream(0, headersFrame(GET), true);
  s.receiveStream(4, headersFrame(GET), true);
  assert.deepEqual(
    logOf(appEvents(s)).map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['request 8', 'end 8', 'request 0', 'end 0', 'request 4', 'end 4'],
  );
  // A finished stream's late bytes are ignored.
  s.receiveStream(0, headersFrame(GET), true);
  assert.deepEqual(appEvents(s), []);
  s = rawServer({ limits: { maxConcurrentRequestStreams: 10 } });
  expectConnError(
    s,
    () => s.receiveStream(4 * 1000, headersFrame(GET), false),
    H3ErrorCode.H3_EXCESSIVE_LOAD,
  );
});

test('HEADERS and a DATA frame header leave as one chunk; chunks handed out never change', () => {
  const { client, server } = pair({}, { limits: { maxConcurrentRequestStreams: 5000 } });
  const body = te.encode('hello');
  const taken: Array<{ chunk: Uint8Array; copy: Uint8Array }> = [];
  // Enough responses (with a large header value) to fill and replace the output arena several times.
  for (let round = 0; round < 20; round++) {
    const ids: number[] = [];
    for (let i = 0; i < 50; i++) ids.push(client.request(GET, true));
    pump(client, server);
    appEvents(server);
    for (const id of ids) {
      server.respond(id, [
        [':status', '200'],
        ['x-big', `${'v'.repeat(300)}${id}`], // unique: a literal each time
      ]);
      server.sendData(id, body, true);
    }
    for (let o = server.takeOutput(); o !== null; o = server.takeOutput()) {
      if (o.type !== 'stream') continue;
      for (const c of o.chunks) taken.push({ chunk: c, copy: c.slice() });
      if (o.streamId % 4 === 0) {
        // [HEADERS frame + DATA frame header, body by reference]
        assert.equal(o.chunks.length, 2);
        assert.equal(o.chunks[0]![0], FrameType.HEADERS);
        assert.equal(o.chunks[1], body);
        assert.ok(o.fin);
      }
      deliver(client, { ...o, chunks: [concat(o.chunks)] });
    }
    const responses = appEvents(client).filter((e) => e.type === 'response');
    assert.equal(responses.length, 50);
    pump(client, server);
  }
  for (const t of taken) assert.deepEqual(t.chunk, t.copy);
});

test('Http3Connection implements the core contract (ProtocolConnection)', () => {
  // Type level: this assignment fails to compile if the class stops satisfying the contract.
  const conn = new Http3Connection({ role: 'client' });
  const c: ProtocolConnection<Http3Event, Http3Output | null> = conn;
  assert.equal(c.role, 'client');
  // isClosed is a getter (a boolean property), not a method.
  assert.equal(
    typeof Object.getOwnPropertyDescriptor(Http3Connection.prototype, 'isClosed')?.get,
    'function',
  );
  assert.equal(c.isClosed, false);
  assert.equal(c.nextDeadline(), undefined);
  c.handleTimeout(1000);
  assert.notEqual(c.takeOutput(), null);
  conn.close(H3ErrorCode.H3_NO_ERROR, 'bye');
  assert.equal(c.isClosed, true);
  assert.deepEqual(c.nextEvent(), { type: 'closed', errorCode: 0x100, initiator: 'local', reason: 'bye' });
});

test('activeStreams counts tracked request streams', () => {
  const { client, server } = pair();
  assert.equal(client.activeStreams, 0);
  client.request(GET, true);
  client.request(GET, true);
  assert.equal(client.activeStreams, 2);
  pump(client, server);
  assert.equal(server.activeStreams, 2);
  server.respond(0, [[':status', '204']], true);
  pump(client, server);
  assert.equal(server.activeStreams, 1);
  assert.equal(client.activeStreams, 1);
});

test('stream and connection events carry errorCode (common vocabulary)', () => {
  const { client, server } = pair();
  client.request([[':method', 'POST'], ...GET.slice(1)]);
  pump(client, server);
  appEvents(server);
  client.resetStream(0, H3ErrorCode.H3_CONNECT_ERROR);
  const local = events(client);
  assert.deepEqual(local, [
    {
      type: 'streamReset',
      streamId: 0,
      errorCode: H3ErrorCode.H3_CONNECT_ERROR,
      initiator: 'local',
      reason: 'reset by application',
    },
  ]);
  pump(client, server);
  assert.deepEqual(appEvents(server), [
    {
      type: 'streamReset',
      streamId: 0,
      errorCode: H3ErrorCode.H3_CONNECT_ERROR,
      initiator: 'remote',
      reason: 'H3_CONNECT_ERROR',
    },
    { type: 'stopSending', streamId: 0, errorCode: H3ErrorCode.H3_CONNECT_ERROR },
  ]);
  server.close(H3ErrorCode.H3_INTERNAL_ERROR, 'going');
  assert.deepEqual(appEvents(server), [
    { type: 'closed', errorCode: H3ErrorCode.H3_INTERNAL_ERROR, initiator: 'local', reason: 'going' },
  ]);
  pump(client, server);
  assert.deepEqual(appEvents(client), [
    { type: 'closed', errorCode: H3ErrorCode.H3_INTERNAL_ERROR, initiator: 'remote', reason: 'going' },
  ]);
});

test('goaway from the server: lastStreamId is the last request below the GOAWAY id', () => {
  // Nothing processed: GOAWAY 0 means no request was, lastStreamId -1.
  let { client, server } = pair();
  server.goAway();
  pump(client, server);
  // No request left: the server closes at once (RFC 9114 §5.2).
  assert.deepEqual(appEvents(client), [
    { type: 'goaway', lastStreamId: -1, id: 0 },
    { type: 'closed', errorCode: H3ErrorCode.H3_NO_ERROR, initiator: 'remote', reason: 'graceful shutdown' },
  ]);
  // Requests 0 and 4 sent; only 0 reached the server before its GOAWAY (id 4): lastStreamId 0.
  ({ client, server } = pair());
  client.request(GET, true);
  client.request(GET, true);
  for (const o of drain(client)) if (!(o.type === 'stream' && o.streamId === 4)) deliver(server, o);
  appEvents(server);
  server.goAway();
  pump(client, server);
  const evs = appEvents(client);
  assert.deepEqual(evs[0], { type: 'goaway', lastStreamId: 0, id: 4 });
  // Requests above lastStreamId were not processed: the client core rejected them already.
  assert.deepEqual(logOf(evs.slice(1)), ['streamReset 4 0x10b local']);
});

test('goaway from the client: lastStreamId is the highest request the client opened', () => {
  let { client, server } = pair();
  client.goAway();
  pump(client, server);
  // No request left: the client closes at once.
  assert.deepEqual(appEvents(server), [
    { type: 'goaway', lastStreamId: -1, id: 0 },
    { type: 'closed', errorCode: H3ErrorCode.H3_NO_ERROR, initiator: 'remote', reason: 'graceful shutdown' },
  ]);
  ({ client, server } = pair());
  client.request(GET, true);
  client.request(GET, true);
  pump(client, server);
  appEvents(server);
  client.goAway();
  pump(client, server);
  // The id is a push id (0: this client never allows pushes); every request the client opened may still be
  // processed, up to stream 4.
  assert.deepEqual(appEvents(server), [{ type: 'goaway', lastStreamId: 4, id: 0 }]);
  server.respond(0, [[':status', '204']], true);
  server.respond(4, [[':status', '204']], true);
  pump(client, server);
  assert.deepEqual(logOf(appEvents(client)), [
    'response 0 204 []',
    'end 0',
    'response 4 204 []',
    'end 4',
    'closed 0x100 local', // the client said GOAWAY first, so it closes once its requests are done
  ]);
});

test('send side: every misuse is a UsageError from the one send machine', () => {
  const { client, server } = pair();
  client.request([[':method', 'POST'], ...GET.slice(1)]);
  pump(client, server);
  appEvents(server);
  const usage = (fn: () => void, code: string): void => {
    assert.throws(fn, (e: unknown) => e instanceof UsageError && e.code === code);
  };
  usage(() => server.sendData(0, te.encode('x')), 'ERR_H3_STATE'); // DATA before the final response
  usage(() => server.sendTrailers(0, [['x', '1']]), 'ERR_H3_STATE');
  usage(() => server.endStream(0), 'ERR_H3_STATE');
  server.respond(0, [[':status', '103']]);
  usage(() => server.respond(0, [[':status', '103']], true), 'ERR_H3_STATE'); // 1xx cannot end the stream
  server.respond(0, [[':status', '200']]);
  usage(() => server.respond(0, [[':status', '200']]), 'ERR_H3_STATE'); // a second final response
  server.sendData(0, te.encode('ok'));
  server.sendTrailers(0, [['x-done', '1']]);
  usage(() => server.sendData(0, te.encode('late')), 'ERR_H3_STREAM_CLOSED');
  usage(() => server.endStream(0), 'ERR_H3_STREAM_CLOSED');
  usage(() => server.respond(8, [[':status', '200']]), 'ERR_H3_STREAM_CLOSED'); // never opened
  pump(client, server);
  assert.deepEqual(logOf(appEvents(client)), [
    'response 0 103 []',
    'response 0 200 []',
    'data 0 ok',
    'trailers 0 [["x-done","1"]]',
    'end 0',
  ]);
  // Nothing went out for the refused calls: the client saw one well-formed message.
  assert.ok(!client.isClosed && !server.isClosed);
});
