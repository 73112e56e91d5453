import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ProtocolConnection } from '../../src/common/connection.js';
import { UsageError } from '../../src/common/errors.js';
import { HpackEncoder } from '../../src/hpack/index.js';
import { Http2Connection } from '../../src/http2/connection.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import {
  FrameType,
  encodeData,
  encodeGoaway,
  encodeHeaders,
  encodeRstStream,
} from '../../src/http2/frame/index.js';
import type { Http2Event } from '../../src/http2/connection.js';
import { Pair, RawClient, concat, drain, frames } from './harness.js';

const GET = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/'],
] as const;
const POST = [[':method', 'POST'], ...GET.slice(1)] as const;

function bodyOf(events: Http2Event[], id: number): Uint8Array {
  return concat(events.flatMap((e) => (e.type === 'data' && e.streamId === id ? [e.data.slice()] : [])));
}

test('request and response round trip between two connections', () => {
  const p = new Pair();
  p.pump();
  const id = p.client.request(GET, { endStream: true });
  assert.equal(id, 1);
  p.pump();
  const req = p.serverEvents.find((e) => e.type === 'request');
  assert.ok(req?.type === 'request');
  assert.deepEqual(
    [req.method, req.path, req.scheme, req.authority, req.endStream],
    ['GET', '/', 'https', 'example.com', true],
  );
  p.server.respond(1, [
    [':status', '200'],
    ['content-type', 'text/plain'],
  ]);
  p.server.sendData(1, new TextEncoder().encode('hello'), true);
  p.pump();
  const res = p.clientEvents.find((e) => e.type === 'response');
  assert.ok(res?.type === 'response');
  assert.equal(res.status, 200);
  assert.equal(new TextDecoder().decode(bodyOf(p.clientEvents, 1)), 'hello');
  assert.equal(p.client.activeStreams, 0);
  assert.equal(p.server.activeStreams, 0);
});

test('settings exchange: both sides see SETTINGS and its ACK', () => {
  const p = new Pair({}, { enableConnectProtocol: true });
  p.pump();
  assert.ok(p.clientEvents.some((e) => e.type === 'settings' && e.settings.enableConnectProtocol));
  assert.ok(p.clientEvents.some((e) => e.type === 'settingsAck'));
  assert.ok(p.serverEvents.some((e) => e.type === 'settingsAck'));
  assert.equal(p.client.remoteSettings.maxConcurrentStreams, 100);
});

test('large bodies both ways with flow control and consumed()', () => {
  const p = new Pair();
  p.pump();
  const up = new Uint8Array(300000).map((_, i) => i & 0xff);
  const id = p.client.request(POST);
  p.client.sendData(id, up, true);
  for (let round = 0; round < 200; round++) {
    p.pump();
    for (const e of p.serverEvents.splice(0)) {
      if (e.type === 'data') {
        p.server.consumed(e.streamId, e.data.length);
        p.serverEvents.push(e);
      } else p.serverEvents.push(e);
    }
    if (p.server.activeStreams === 1 && p.serverEvents.some((e) => e.type === 'data' && e.endStream)) break;
  }
  // Re-run consumption until done (each consumed() may release more).
  let received = bodyOf(p.serverEvents, id);
  assert.equal(received.length, up.length);
  assert.deepEqual(received, up);
  const down = new Uint8Array(500000).map((_, i) => (i * 7) & 0xff);
  p.server.respond(id, [[':status', '200']]);
  p.server.sendData(id, down, true);
  for (let round = 0; round < 500 && p.client.activeStreams > 0; round++) {
    p.pump();
    for (const e of p.clientEvents)
      if (e.type === 'data' && !('seen' in e)) {
        p.client.consumed(e.streamId, e.data.length);
        Object.defineProperty(e, 'seen', { value: true });
      }
  }
  received = bodyOf(p.clientEvents, id);
  assert.equal(received.length, down.length);
  assert.deepEqual(received, down);
});

test('no consumed(): the sender stops at the window', () => {
  const p = new Pair({ limits: { maxReceiveWindowSize: 65535 } });
  p.pump();
  const id = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.respond(id, [[':status', '200']]);
  p.server.sendData(id, new Uint8Array(200000), true);
  p.pump();
  assert.equal(bodyOf(p.clientEvents, id).length, 65535);
  assert.equal(p.server.bufferedAmount(id), 200000 - 65535);
});

test('trailers both ways; 103 Early Hints before the response', () => {
  const p = new Pair();
  p.pump();
  const id = p.client.request(POST);
  p.client.sendData(id, new Uint8Array([1, 2, 3]));
  p.client.sendTrailers(id, [['x-checksum', 'abc']]);
  p.pump();
  const t = p.serverEvents.find((e) => e.type === 'trailers');
  assert.ok(t?.type === 'trailers');
  assert.deepEqual(t.headers.toArray(), [['x-checksum', 'abc']]);
  p.server.respond(id, [
    [':status', '103'],
    ['link', '</style.css>; rel=preload'],
  ]);
  p.server.respond(id, [[':status', '200']]);
  p.server.sendData(id, new Uint8Array([9]));
  p.server.sendTrailers(id, [['grpc-status', '0']]);
  p.pump();
  const kinds = p.clientEvents.filter((e) => 'streamId' in e && e.streamId === id).map((e) => e.type);
  assert.deepEqual(kinds, ['informational', 'response', 'data', 'trailers', 'end']);
  assert.equal(p.client.activeStreams, 0);
});

test('sending on a stream in the wrong state is a UsageError', () => {
  const p = new Pair();
  p.pump();
  const id = p.client.request(GET, { endStream: true });
  assert.throws(() => p.client.sendData(id, new Uint8Array(1)), UsageError);
  p.pump();
  p.server.respond(id, [[':status', '200']], true);
  assert.throws(() => {
    p.server.respond(id, [[':status', '200']]);
  }, UsageError);
  assert.throws(() => p.server.request(GET), UsageError);
  assert.throws(() => {
    p.client.request([...GET, ['connection', 'close']]);
  }, UsageError);
});

test('many concurrent streams; the peer limit is enforced on request()', () => {
  const p = new Pair({}, { limits: { maxConcurrentStreams: 10 } });
  p.pump();
  const ids: number[] = [];
  for (let i = 0; i < 10; i++) ids.push(p.client.request(GET, { endStream: true }));
  assert.equal(p.client.canOpenStream, false);
  assert.throws(
    () => p.client.request(GET),
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_H2_STREAM_LIMIT',
  );
  p.pump();
  for (const id of ids) {
    p.server.respond(id, [[':status', '200']]);
    p.server.sendData(id, new TextEncoder().encode(`r${id}`), true);
  }
  p.pump();
  for (const id of ids) assert.equal(new TextDecoder().decode(bodyOf(p.clientEvents, id)), `r${id}`);
  assert.equal(p.client.canOpenStream, true);
});

test('client reset: server sees streamReset, later frames ignored', () => {
  const p = new Pair();
  p.pump();
  const id = p.client.request(POST);
  p.pump();
  p.client.resetStream(id, H2ErrorCode.CANCEL);
  p.pump();
  assert.ok(
    p.serverEvents.some(
      (e) => e.type === 'streamReset' && e.initiator === 'remote' && e.errorCode === H2ErrorCode.CANCEL,
    ),
  );
  assert.equal(p.server.activeStreams, 0);
});

test('PING round trip', () => {
  const p = new Pair();
  p.pump();
  p.client.ping(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  p.pump();
  const ack = p.clientEvents.find((e) => e.type === 'pingAck');
  assert.ok(ack?.type === 'pingAck');
  assert.deepEqual([...ack.payload], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('graceful GOAWAY: 2^31-1 first, then the last stream id; in-flight streams finish', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.goAway();
  const out1 = concat(p.server.takeOutput());
  const first = frames(out1);
  const g1 = first.find((f) => f.type === FrameType.GOAWAY);
  assert.ok(g1?.type === FrameType.GOAWAY && g1.lastStreamId === 0x7fffffff);
  assert.equal(first.filter((f) => f.type === FrameType.PING).length, 1);
  // A request crossing the first GOAWAY is still accepted.
  const b = p.client.request(GET, { endStream: true });
  p.server.receive(concat(p.client.takeOutput()));
  for (let e = p.server.nextEvent(); e !== null; e = p.server.nextEvent()) p.serverEvents.push(e);
  assert.ok(p.serverEvents.some((e) => e.type === 'request' && e.streamId === b));
  // The client answers the shutdown PING; the server then sends the final GOAWAY with last id = b.
  p.client.receive(out1);
  p.pump();
  assert.equal(p.client.canOpenStream, false);
  assert.equal(p.server.isFinished, false);
  for (const id of [a, b]) p.server.respond(id, [[':status', '204']], true);
  p.pump();
  assert.equal(p.server.isFinished, true);
  const last = p.clientEvents.filter((e) => e.type === 'goaway').at(-1);
  assert.ok(last?.type === 'goaway' && last.lastStreamId === b);
  assert.equal(p.clientEvents.filter((e) => e.type === 'response').length, 2);
});

test('graceful GOAWAY: the second GOAWAY goes out on timeout without a PING ACK', () => {
  const p = new Pair({}, { nowMs: 0, limits: { gracefulShutdownTimeoutMs: 100 } });
  p.pump();
  p.server.goAway();
  p.server.takeOutput();
  assert.equal(p.server.nextDeadline(), 100);
  p.server.handleTimeout(100);
  const g = frames(concat(p.server.takeOutput())).filter((f) => f.type === FrameType.GOAWAY);
  assert.equal(g.length, 1);
  assert.ok(g[0]?.type === FrameType.GOAWAY && g[0].lastStreamId === 0);
});

test('GOAWAY received: our streams above last-stream-id are refused (retryable)', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request(GET, { endStream: true });
  const b = p.client.request(GET, { endStream: true });
  p.client.takeOutput();
  p.client.receive(encodeGoaway(a, H2ErrorCode.NO_ERROR));
  const events = drain(p.client);
  assert.ok(
    events.some(
      (e) => e.type === 'streamReset' && e.streamId === b && e.errorCode === H2ErrorCode.REFUSED_STREAM,
    ),
  );
  assert.ok(events.some((e) => e.type === 'goaway' && e.lastStreamId === a));
  assert.equal(p.client.activeStreams, 1);
  assert.throws(() => p.client.request(GET), UsageError);
});

test('connection error: GOAWAY is still returned by takeOutput and receive() is inert afterwards', () => {
  const p = new Pair();
  p.pump();
  const bad = new Uint8Array([0, 0, 8, 6, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // PING on stream 1
  assert.throws(() => {
    p.server.receive(bad);
  });
  assert.equal(p.server.isClosed, true);
  const out = frames(concat(p.server.takeOutput()));
  assert.ok(out.some((f) => f.type === FrameType.GOAWAY && f.errorCode === H2ErrorCode.PROTOCOL_ERROR));
  p.server.receive(bad);
  assert.equal(p.server.nextEvent(), null);
});

test('receive-window auto-tuning grows the windows of a fast, consuming stream', () => {
  const p = new Pair({ nowMs: 0 });
  p.pump();
  const id = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.respond(id, [[':status', '200']]);
  p.server.sendData(id, new Uint8Array(8 << 20), true);
  const start = p.client.streamWindowTarget;
  for (let i = 0; i < 2000 && p.client.activeStreams > 0; i++) {
    p.nowMs += 1;
    p.pump();
    for (const e of p.clientEvents.splice(0))
      if (e.type === 'data') p.client.consumed(e.streamId, e.data.length);
  }
  assert.equal(p.client.activeStreams, 0);
  assert.ok(p.client.streamWindowTarget > start * 4, `target ${p.client.streamWindowTarget}`);
});

test('RFC 9218 scheduler: urgency orders DATA; incremental streams interleave', () => {
  const p = new Pair();
  p.pump();
  const ids = [0, 1, 2].map(() => p.client.request(GET, { endStream: true }));
  p.pump();
  const [a, b, c] = ids as [number, number, number];
  for (const id of ids) p.server.respond(id, [[':status', '200']]);
  p.server.setPriority(a, 5, false);
  p.server.setPriority(b, 1, true);
  p.server.setPriority(c, 1, true);
  for (const id of ids) p.server.sendData(id, new Uint8Array(40000), true);
  const order = frames(concat(p.server.takeOutput()))
    .filter((f) => f.type === FrameType.DATA)
    .map((f) => f.streamId);
  // b and c (urgency 1, incremental) alternate first; a (urgency 5) comes last.
  assert.deepEqual(order.slice(0, 4), [b, c, b, c]);
  assert.equal(order.indexOf(a) > order.lastIndexOf(b), true);
});

test('priority header and PRIORITY_UPDATE set the urgency of a request', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request([...GET, ['priority', 'u=6']], { endStream: true });
  const b = p.client.request(GET, { endStream: true });
  p.pump();
  for (const id of [a, b]) {
    p.server.respond(id, [[':status', '200']]);
    p.server.sendData(id, new Uint8Array(20000), true);
  }
  const order = frames(concat(p.server.takeOutput()))
    .filter((f) => f.type === FrameType.DATA)
    .map((f) => f.streamId);
  assert.equal(order[0], b);
  assert.equal(order.at(-1), a);
});

// Type level: Http2Connection is the HTTP/2 core contract of src/common/connection.ts. Both lines fail to
// compile if a member goes missing or changes type (role, isClosed, nextEvent, takeOutput, the time model).
type IsContract = Http2Connection extends ProtocolConnection<Http2Event, Uint8Array[]> ? true : false;
const isContract: IsContract = true;

/** The driver loop of src/common/connection.ts, written against the contract only. */
function pumpContract(
  a: ProtocolConnection<Http2Event, Uint8Array[]>,
  b: ProtocolConnection<Http2Event, Uint8Array[]>,
  /** The contract leaves input protocol-specific: `side` 0 is `a`, 1 is `b`. */
  deliver: (side: 0 | 1, bytes: Uint8Array) => void,
): Http2Event[][] {
  const seen: Http2Event[][] = [[], []];
  for (let round = 0; round < 10; round++) {
    const ao = a.takeOutput();
    const bo = b.takeOutput();
    if (ao.length === 0 && bo.length === 0) break;
    if (ao.length > 0) deliver(1, concat(ao));
    if (bo.length > 0) deliver(0, concat(bo));
    for (let e = a.nextEvent(); e !== null; e = a.nextEvent()) seen[0]!.push(e);
    for (let e = b.nextEvent(); e !== null; e = b.nextEvent()) seen[1]!.push(e);
  }
  return seen;
}

test('Http2Connection satisfies ProtocolConnection: one driver loop runs both roles and the time model', () => {
  assert.equal(isContract, true);
  const client = new Http2Connection({ role: 'client', nowMs: 0, limits: { settingsTimeoutMs: 50 } });
  const server = new Http2Connection({ role: 'server', nowMs: 0 });
  const cores: ProtocolConnection<Http2Event, Uint8Array[]>[] = [client, server];
  assert.deepEqual(
    cores.map((c) => c.role),
    ['client', 'server'],
  );
  // The SETTINGS timeout is armed: a deadline, and handleTimeout before it does nothing.
  assert.equal(cores[0]!.nextDeadline(), 50);
  cores[0]!.handleTimeout(49);
  assert.equal(cores[0]!.isClosed, false);
  const id = client.request(GET, { endStream: true });
  const [, serverSeen] = pumpContract(client, server, (side, bytes) => {
    (side === 0 ? client : server).receive(bytes, 10);
  });
  assert.deepEqual(
    serverSeen!.filter((e) => e.type === 'request' || e.type === 'end').map((e) => e.type),
    ['request', 'end'],
  );
  // Acknowledged: no deadline left, and a late handleTimeout is harmless.
  assert.equal(cores[0]!.nextDeadline(), undefined);
  cores[0]!.handleTimeout(1000);
  assert.equal(cores[0]!.isClosed, false);
  server.resetStream(id);
  client.close();
  assert.equal(cores[0]!.isClosed, true);
  assert.equal(cores[0]!.nextDeadline(), undefined);
});

/** Stream-level events as `type streamId` lines, in order. */
function streamLog(events: Http2Event[]): string[] {
  return events.flatMap((e) => {
    if (!('streamId' in e)) return [];
    const flag = 'endStream' in e && e.endStream ? '+END_STREAM' : '';
    const who = e.type === 'streamReset' ? ` ${e.initiator}` : '';
    return [`${e.type}${flag} ${e.streamId}${who}`];
  });
}

function requestBlock(hpack: HpackEncoder, extra: ReadonlyArray<readonly [string, string]> = []): Uint8Array {
  return hpack.encode([...POST, ...extra]);
}

test('end follows the request of a HEADERS frame with END_STREAM', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  assert.equal(c.send(encodeHeaders(1, hpack.encode([...GET]), { endStream: true })), undefined);
  assert.deepEqual(streamLog(c.events()), ['request+END_STREAM 1', 'end 1']);
});

test('end follows a DATA frame with END_STREAM, and only that one', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  c.send(
    encodeHeaders(1, requestBlock(hpack)),
    ...encodeData(1, new Uint8Array([1, 2]), false),
    ...encodeData(1, new Uint8Array([3]), true),
  );
  assert.deepEqual(streamLog(c.events()), ['request 1', 'data 1', 'data+END_STREAM 1', 'end 1']);
});

test('end follows trailers (which always end the stream)', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  c.send(
    encodeHeaders(1, requestBlock(hpack)),
    ...encodeData(1, new Uint8Array([1, 2]), false),
    encodeHeaders(1, hpack.encode([['x-checksum', 'abc']]), { endStream: true }),
  );
  assert.deepEqual(streamLog(c.events()), ['request 1', 'data 1', 'trailers 1', 'end 1']);
});

test('end follows a response with END_STREAM, and DATA with END_STREAM, on a client', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request(GET, { endStream: true });
  const b = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.respond(a, [[':status', '204']], true);
  p.server.respond(b, [[':status', '200']]);
  p.server.sendData(b, new Uint8Array([7]), true);
  p.pump();
  assert.deepEqual(streamLog(p.clientEvents), [
    `response+END_STREAM ${a}`,
    `end ${a}`,
    `response ${b}`,
    `data+END_STREAM ${b}`,
    `end ${b}`,
  ]);
});

test('no end after a reset: content-length mismatch at END_STREAM, RST_STREAM from the peer', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  // RFC 9113 §8.1.1: 3 octets for content-length 5 is malformed: a stream error, not an end.
  c.send(
    encodeHeaders(1, requestBlock(hpack, [['content-length', '5']])),
    ...encodeData(1, new Uint8Array([1, 2, 3]), true),
  );
  // The same with trailers ending the stream short.
  c.send(
    encodeHeaders(3, requestBlock(hpack, [['content-length', '5']])),
    ...encodeData(3, new Uint8Array([1]), false),
    encodeHeaders(3, hpack.encode([['x-t', '1']]), { endStream: true }),
  );
  // The peer resets; DATA with END_STREAM after that is a stream error STREAM_CLOSED (RFC 9113 §5.1).
  c.send(
    encodeHeaders(5, requestBlock(hpack)),
    encodeRstStream(5, H2ErrorCode.CANCEL),
    ...encodeData(5, new Uint8Array([1]), true),
  );
  assert.deepEqual(streamLog(c.events()), [
    'request 1',
    'streamReset 1 local',
    'request 3',
    'data 3',
    'streamReset 3 local',
    'request 5',
    'streamReset 5 remote',
    'streamReset 5 local',
  ]);
});

test('acceptUpgrade: the h2c request (stream 1, half-closed remote) is followed by end', () => {
  const server = new Http2Connection({ role: 'server' });
  server.acceptUpgrade(new Uint8Array(0), {
    method: 'GET',
    scheme: 'http',
    authority: 'example.com',
    path: '/',
    fields: [],
  });
  assert.deepEqual(streamLog(drain(server)), ['request+END_STREAM 1', 'end 1']);
});

/** The connection receive window's books: announced + not yet announced + held by the application. */
function connWindow(conn: Http2Connection): { window: number; pending: number; target: number } {
  return (conn as unknown as { connRecv: { window: number; pending: number; target: number } }).connRecv;
}

test('a DATA frame cut across reads arrives in parts that view the received chunks; end after the last', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  c.send(encodeHeaders(1, requestBlock(hpack)));
  const body = new Uint8Array(16384).map((_, i) => (i * 13) & 0xff);
  const frame = concat(encodeData(1, body, true));
  const chunks: Uint8Array[] = [];
  const got: Http2Event[] = [];
  for (let pos = 0; pos < frame.length; pos += 1000) {
    const chunk = frame.slice(pos, pos + 1000);
    chunks.push(chunk);
    c.server.receive(chunk);
    got.push(...drain(c.server));
  }
  const data = got.filter((e) => e.type === 'data');
  assert.equal(data.length, chunks.length);
  // No copy: each part is a view into the chunk it came in.
  data.forEach((e, i) => {
    assert.equal(e.data.buffer, chunks[i]!.buffer);
  });
  assert.deepEqual(concat(data.map((e) => e.data)), body);
  assert.deepEqual(streamLog(got).slice(-2), ['data+END_STREAM 1', 'end 1']);
  assert.equal(data.filter((e) => e.endStream).length, 1);
  for (const e of data) c.server.consumed(1, e.data.length);
  const w = connWindow(c.server);
  assert.equal(w.window + w.pending, w.target);
});

test('a stream reset in the middle of a cut DATA frame: no more parts, the rest goes back to the connection', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  c.send(encodeHeaders(1, requestBlock(hpack)), encodeHeaders(3, requestBlock(hpack)));
  drain(c.server);
  const frame = concat(encodeData(1, new Uint8Array(10000).fill(1), false));
  c.server.receive(frame.subarray(0, 3000));
  const first = drain(c.server);
  assert.deepEqual(streamLog(first), ['data 1']);
  c.server.resetStream(1);
  c.server.receive(frame.subarray(3000, 6000));
  c.server.receive(concat([frame.subarray(6000), ...encodeData(3, new Uint8Array([5]), true)]));
  // Stream 3 still works after the rest of stream 1's frame was skipped.
  assert.deepEqual(streamLog(drain(c.server)), ['data+END_STREAM 3', 'end 3']);
  c.server.consumed(3, 1);
  const w = connWindow(c.server);
  assert.equal(w.window + w.pending, w.target);
});

test('content-length exceeded in the middle of a cut DATA frame: stream error, the rest is credited', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  c.send(encodeHeaders(1, requestBlock(hpack, [['content-length', '2000']])));
  drain(c.server);
  const frame = concat(encodeData(1, new Uint8Array(5000).fill(2), false));
  const got: Http2Event[] = [];
  for (let pos = 0; pos < frame.length; pos += 1500) {
    c.server.receive(frame.subarray(pos, pos + 1500));
    got.push(...drain(c.server));
  }
  // 1491 octets are within content-length 2000; the next part crosses it (RFC 9113 §8.1.1).
  assert.deepEqual(streamLog(got), ['data 1', 'streamReset 1 local']);
  const rst = c.output().find((f) => f.type === FrameType.RST_STREAM);
  assert.ok(rst?.type === FrameType.RST_STREAM && rst.errorCode === H2ErrorCode.PROTOCOL_ERROR);
  const w = connWindow(c.server);
  assert.equal(w.window + w.pending, w.target);
});

test('a cut DATA frame whose header ends a chunk is charged to flow control once', () => {
  const c = new RawClient();
  const hpack = new HpackEncoder();
  c.send(encodeHeaders(1, requestBlock(hpack)));
  drain(c.server);
  const w = connWindow(c.server);
  const before = w.window;
  // Exactly the stream's initial window (65535): charged twice, it would overflow the stream window.
  const frame = concat(encodeData(1, new Uint8Array(16384).fill(3), false));
  const frames4 = concat([frame, frame, frame, concat(encodeData(1, new Uint8Array(16383).fill(3), true))]);
  const got: Http2Event[] = [];
  // Cut right after each frame's header, then in the middle of its payload.
  for (let f = 0; f < 4; f++) {
    const at = f * 16393;
    c.server.receive(frames4.subarray(at, at + 9));
    c.server.receive(frames4.subarray(at + 9, at + 5000));
    c.server.receive(frames4.subarray(at + 5000, Math.min(frames4.length, at + 16393)));
    got.push(...drain(c.server));
  }
  assert.deepEqual(streamLog(got).slice(-2), ['data+END_STREAM 1', 'end 1']);
  assert.equal(got.filter((e) => e.type === 'streamReset').length, 0);
  assert.equal(concat(got.flatMap((e) => (e.type === 'data' ? [e.data] : []))).length, 65535);
  assert.ok(got.every((e) => e.type !== 'data' || e.data.length > 0));
  assert.equal(before - w.window, 65535);
});
