/**
 * h2spec-style conformance cases against a server Http2Connection driven by raw frames: each case checks
 * the exact answer (GOAWAY vs RST_STREAM and the RFC 9113 error code).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { HpackEncoder } from '../../src/hpack/index.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import {
  CONNECTION_PREFACE,
  FrameFlag,
  FrameType,
  encodeContinuation,
  encodeData,
  encodeGoaway,
  encodeHeaders,
  encodePing,
  encodePriority,
  encodePriorityUpdate,
  encodePushPromise,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  writeFrameHeader,
} from '../../src/http2/frame/index.js';
import type { Frame } from '../../src/http2/frame/index.js';
import { RawClient, concat, frames } from './harness.js';
import { Http2Connection } from '../../src/http2/connection.js';

let enc = new HpackEncoder();
type F = readonly [string, string];
const REQ: F[] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'localhost'],
];
const POST: F[] = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'localhost'],
];

function block(fields: readonly F[]): Uint8Array {
  return enc.encode(fields).slice();
}
function headers(id: number, fields: readonly F[], endStream = true, endHeaders = true): Uint8Array {
  const b = encodeHeaders(id, block(fields), { endStream });
  if (!endHeaders) b[4] = b[4]! & ~FrameFlag.END_HEADERS;
  return b;
}
function data(id: number, n: number, endStream = false): Uint8Array {
  return concat(encodeData(id, new Uint8Array(n), endStream));
}
function raw(type: number, flags: number, id: number, payload: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, id);
  out.set(payload, 9);
  return out;
}

function goaway(frames: Frame[]): number | undefined {
  for (const f of frames) if (f.type === FrameType.GOAWAY) return f.errorCode;
  return undefined;
}
function rst(frames: Frame[], id: number): number | undefined {
  for (const f of frames) if (f.type === FrameType.RST_STREAM && f.streamId === id) return f.errorCode;
  return undefined;
}

/** Expects a connection error with `code`: GOAWAY on the wire and an H2Error thrown. */
function expectGoaway(c: RawClient, err: unknown, code: number): void {
  assert.ok(err instanceof H2Error, `expected a connection error, got ${String(err)}`);
  assert.equal(err.scope, 'connection');
  assert.equal(err.wireCode, code, err.message);
  assert.equal(goaway(c.output()), code);
  assert.equal(c.server.isClosed, true);
}
/** Expects a stream error: RST_STREAM with `code` on `id`, no GOAWAY, nothing thrown. */
function expectRst(c: RawClient, err: unknown, id: number, code: number): void {
  assert.equal(err, undefined, `unexpected ${String(err)}`);
  const out = c.output();
  assert.equal(goaway(out), undefined);
  assert.equal(rst(out, id), code);
  const reset = c.events().find((e) => e.type === 'streamReset' && e.initiator === 'local');
  assert.ok(reset?.type === 'streamReset' && reset.streamId === id);
}

type Case = [name: string, run: (c: RawClient) => void];
const P = H2ErrorCode;

const cases: Case[] = [
  // RFC 9113 §3.4 preface
  [
    '3.4 invalid preface',
    () => {
      const s = new Http2Connection({ role: 'server' });
      s.takeOutput();
      assert.throws(() => {
        s.receive(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
      }, H2Error);
      assert.equal(goaway(frames(concat(s.takeOutput()))), P.PROTOCOL_ERROR);
    },
  ],
  [
    '3.4 first frame not SETTINGS',
    () => {
      const s = new Http2Connection({ role: 'server' });
      assert.throws(() => {
        s.receive(concat([CONNECTION_PREFACE, encodePing(new Uint8Array(8))]));
      }, H2Error);
      assert.equal(goaway(frames(concat(s.takeOutput()))), P.PROTOCOL_ERROR);
    },
  ],
  [
    '4.1 unknown frame type is ignored',
    (c) => {
      assert.equal(c.send(raw(0xee, 0, 1, [1, 2])), undefined);
    },
  ],
  [
    '4.1 unknown flags are ignored',
    (c) => {
      assert.equal(c.send(raw(FrameType.PING, 0xf0, 0, new Uint8Array(8))), undefined);
      assert.ok(c.output().some((f) => f.type === FrameType.PING && f.ack));
    },
  ],
  [
    '4.2 DATA above SETTINGS_MAX_FRAME_SIZE',
    (c) => {
      expectGoaway(c, c.send(headers(1, POST, false), data(1, 16385)), P.FRAME_SIZE_ERROR);
    },
  ],
  [
    '4.2 HEADERS above SETTINGS_MAX_FRAME_SIZE',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.HEADERS, 5, 1, new Uint8Array(16385))), P.FRAME_SIZE_ERROR);
    },
  ],
  [
    '4.3 invalid field block is COMPRESSION_ERROR',
    (c) => {
      expectGoaway(
        c,
        c.send(
          raw(FrameType.HEADERS, 5, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
        ),
        P.COMPRESSION_ERROR,
      );
    },
  ],
  [
    '4.3 PRIORITY inside a field block',
    (c) => {
      expectGoaway(
        c,
        c.send(
          headers(1, REQ, true, false),
          encodePriority(1, { exclusive: false, dependency: 0, weight: 1 }),
        ),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '4.3 HEADERS of another stream inside a field block',
    (c) => {
      expectGoaway(c, c.send(headers(1, REQ, true, false), headers(3, REQ)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1 idle: DATA',
    (c) => {
      expectGoaway(c, c.send(data(1, 1)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1 idle: RST_STREAM',
    (c) => {
      expectGoaway(c, c.send(encodeRstStream(1, P.CANCEL)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1 idle: WINDOW_UPDATE',
    (c) => {
      expectGoaway(c, c.send(encodeWindowUpdate(1, 100)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1 idle: CONTINUATION',
    (c) => {
      expectGoaway(c, c.send(encodeContinuation(1, block(REQ), true)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1 half-closed (remote): DATA',
    (c) => {
      expectRst(c, c.send(headers(1, REQ, true), data(1, 1)), 1, P.STREAM_CLOSED);
    },
  ],
  [
    '5.1 half-closed (remote): HEADERS',
    (c) => {
      expectRst(c, c.send(headers(1, REQ, true), headers(1, REQ, true)), 1, P.STREAM_CLOSED);
    },
  ],
  [
    '5.1 closed after RST_STREAM received: DATA is a stream error',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, POST, false), encodeRstStream(1, P.CANCEL), data(1, 1)),
        1,
        P.STREAM_CLOSED,
      );
    },
  ],
  [
    '5.1 closed after END_STREAM both ways: DATA is a connection error STREAM_CLOSED',
    (c) => {
      assert.equal(c.send(headers(1, REQ, true)), undefined);
      c.server.respond(1, [[':status', '204']], true);
      c.output();
      expectGoaway(c, c.send(data(1, 1)), P.STREAM_CLOSED);
    },
  ],
  [
    '5.1 closed after we reset: late frames are ignored',
    (c) => {
      assert.equal(c.send(headers(1, POST, false)), undefined);
      c.server.resetStream(1, P.CANCEL);
      c.output();
      assert.equal(
        c.send(data(1, 10), headers(1, [['x-trailer', '1']], true), encodeWindowUpdate(1, 5)),
        undefined,
      );
      assert.equal(goaway(c.output()), undefined);
    },
  ],
  [
    '5.1.1 even stream id from a client',
    (c) => {
      expectGoaway(c, c.send(headers(2, REQ)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1.1 stream id lower than a previous one',
    (c) => {
      expectGoaway(c, c.send(headers(5, REQ), headers(3, REQ)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.1.2 exceeding SETTINGS_MAX_CONCURRENT_STREAMS is REFUSED_STREAM',
    () => {
      const c = new RawClient({ limits: { maxConcurrentStreams: 2 } });
      expectRst(c, c.send(headers(1, REQ), headers(3, REQ), headers(5, REQ)), 5, P.REFUSED_STREAM);
    },
  ],
  [
    '5.3.1 HEADERS depending on itself',
    (c) => {
      const b = encodeHeaders(1, block(REQ), {
        endStream: true,
        priority: { exclusive: false, dependency: 1, weight: 16 },
      });
      expectRst(c, c.send(b), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '5.3.1 PRIORITY depending on itself (open stream)',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, POST, false), encodePriority(1, { exclusive: false, dependency: 1, weight: 1 })),
        1,
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '5.5 unknown extension frame inside a field block',
    (c) => {
      expectGoaway(c, c.send(headers(1, REQ, true, false), raw(0xee, 0, 1, [])), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.1 DATA on stream 0',
    (c) => {
      expectGoaway(c, c.send(data(0, 1)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.1 DATA with pad length too large',
    (c) => {
      expectGoaway(
        c,
        c.send(headers(1, POST, false), raw(FrameType.DATA, FrameFlag.PADDED, 1, [4, 0, 0])),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '6.2 HEADERS on stream 0',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.HEADERS, 5, 0, block(REQ))), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.2 HEADERS then DATA before END_HEADERS',
    (c) => {
      expectGoaway(c, c.send(headers(1, POST, false, false), data(1, 1)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.2 HEADERS with pad length too large',
    (c) => {
      expectGoaway(
        c,
        c.send(raw(FrameType.HEADERS, 5 | FrameFlag.PADDED, 1, [9, ...block(REQ).subarray(0, 2)])),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '6.3 PRIORITY on stream 0',
    (c) => {
      expectGoaway(
        c,
        c.send(encodePriority(0, { exclusive: false, dependency: 1, weight: 1 })),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '6.3 PRIORITY of 4 octets',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, POST, false), raw(FrameType.PRIORITY, 0, 1, [0, 0, 0, 3])),
        1,
        P.FRAME_SIZE_ERROR,
      );
    },
  ],
  [
    '6.3 PRIORITY on an idle stream is fine',
    (c) => {
      assert.equal(
        c.send(encodePriority(9, { exclusive: false, dependency: 0, weight: 1 }), headers(1, REQ)),
        undefined,
      );
    },
  ],
  [
    '6.4 RST_STREAM on stream 0',
    (c) => {
      expectGoaway(c, c.send(encodeRstStream(0, 0)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.4 RST_STREAM of 3 octets',
    (c) => {
      expectGoaway(
        c,
        c.send(headers(1, POST, false), raw(FrameType.RST_STREAM, 0, 1, [0, 0, 0])),
        P.FRAME_SIZE_ERROR,
      );
    },
  ],
  [
    '6.5 SETTINGS ACK with payload',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.SETTINGS, 1, 0, [0, 1, 0, 0, 0, 0])), P.FRAME_SIZE_ERROR);
    },
  ],
  [
    '6.5 SETTINGS on a stream',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.SETTINGS, 0, 1, [])), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.5 SETTINGS of 3 octets',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.SETTINGS, 0, 0, [0, 1, 0])), P.FRAME_SIZE_ERROR);
    },
  ],
  [
    '6.5.2 SETTINGS_ENABLE_PUSH 2',
    (c) => {
      expectGoaway(c, c.send(encodeSettings([[2, 2]])), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.5.2 SETTINGS_INITIAL_WINDOW_SIZE 2^31',
    (c) => {
      expectGoaway(c, c.send(encodeSettings([[4, 0x80000000]])), P.FLOW_CONTROL_ERROR);
    },
  ],
  [
    '6.5.2 SETTINGS_MAX_FRAME_SIZE 16383',
    (c) => {
      expectGoaway(c, c.send(encodeSettings([[5, 16383]])), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.5.2 SETTINGS_MAX_FRAME_SIZE 2^24',
    (c) => {
      expectGoaway(c, c.send(encodeSettings([[5, 16777216]])), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.5.2 unknown setting ignored; 6.5.3 ACK sent',
    (c) => {
      assert.equal(c.send(encodeSettings([[0xff, 1]])), undefined);
      assert.ok(c.output().some((f) => f.type === FrameType.SETTINGS && f.ack));
    },
  ],
  [
    '6.7 PING answered with the same payload; PING ACK not answered',
    (c) => {
      const p = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(c.send(encodePing(p), encodePing(p, true)), undefined);
      const out = c.output().filter((f) => f.type === FrameType.PING);
      assert.equal(out.length, 1);
      const f = out[0]!;
      assert.ok(f.ack);
      assert.deepEqual([...f.bytes.subarray(f.dataStart, f.dataStart + 8)], [...p]);
    },
  ],
  [
    '6.7 PING on a stream',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.PING, 0, 1, new Uint8Array(8))), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.7 PING of 6 octets',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.PING, 0, 0, new Uint8Array(6))), P.FRAME_SIZE_ERROR);
    },
  ],
  [
    '6.8 GOAWAY on a stream',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.GOAWAY, 0, 1, new Uint8Array(8))), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.9 WINDOW_UPDATE 0 on the connection',
    (c) => {
      expectGoaway(c, c.send(encodeWindowUpdate(0, 0)), P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.9 WINDOW_UPDATE 0 on a stream',
    (c) => {
      expectRst(c, c.send(headers(1, POST, false), encodeWindowUpdate(1, 0)), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '6.9 WINDOW_UPDATE of 3 octets',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.WINDOW_UPDATE, 0, 0, [0, 0, 1])), P.FRAME_SIZE_ERROR);
    },
  ],
  [
    '6.9.1 connection window above 2^31-1',
    (c) => {
      expectGoaway(c, c.send(encodeWindowUpdate(0, 0x7fffffff)), P.FLOW_CONTROL_ERROR);
    },
  ],
  [
    '6.9.1 stream window above 2^31-1',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, POST, false), encodeWindowUpdate(1, 0x7fffffff)),
        1,
        P.FLOW_CONTROL_ERROR,
      );
    },
  ],
  [
    '6.9.2 SETTINGS_INITIAL_WINDOW_SIZE overflowing an open stream window',
    (c) => {
      expectGoaway(
        c,
        c.send(
          headers(1, POST, false),
          encodeWindowUpdate(1, 0x7fffffff - 65535),
          encodeSettings([[4, 65536]]),
        ),
        P.FLOW_CONTROL_ERROR,
      );
    },
  ],
  [
    '6.9.1 DATA beyond the stream window',
    () => {
      const c = new RawClient({ limits: { initialWindowSize: 65535, connectionWindowSize: 1 << 20 } });
      const parts = [headers(1, POST, false)];
      for (let i = 0; i < 5; i++) parts.push(data(1, 16384));
      expectRst(c, c.send(...parts), 1, P.FLOW_CONTROL_ERROR);
    },
  ],
  [
    '6.9.1 DATA beyond the connection window',
    () => {
      const c = new RawClient({ limits: { connectionWindowSize: 65535 } });
      const parts: Uint8Array[] = [];
      for (let id = 1; id <= 9; id += 2) parts.push(headers(id, POST, false), data(id, 16384));
      expectGoaway(c, c.send(...parts), P.FLOW_CONTROL_ERROR);
    },
  ],
  [
    '6.10 CONTINUATION without HEADERS',
    (c) => {
      expectGoaway(
        c,
        c.send(headers(1, POST, false), encodeContinuation(1, new Uint8Array(0), true)),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '6.10 CONTINUATION on stream 0',
    (c) => {
      expectGoaway(
        c,
        c.send(headers(1, REQ, true, false), encodeContinuation(0, new Uint8Array(0), true)),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '6.10 CONTINUATION on another stream',
    (c) => {
      expectGoaway(
        c,
        c.send(headers(1, REQ, true, false), encodeContinuation(3, new Uint8Array(0), true)),
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '6.10 HEADERS + CONTINUATION assemble into one request',
    (c) => {
      const b = block(REQ);
      assert.equal(
        c.send(
          raw(FrameType.HEADERS, 1, 1, b.subarray(0, 3)),
          encodeContinuation(1, b.subarray(3, 5), false),
          encodeContinuation(1, b.subarray(5), true),
        ),
        undefined,
      );
      const r = c.events().find((e) => e.type === 'request');
      assert.ok(r?.type === 'request' && r.path === '/');
    },
  ],
  [
    '8.1 second HEADERS without END_STREAM',
    (c) => {
      expectRst(c, c.send(headers(1, POST, false), headers(1, [['x', '1']], false)), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.1 DATA after trailers',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, POST, false), headers(1, [['x', '1']], true), data(1, 1)),
        1,
        P.STREAM_CLOSED,
      );
    },
  ],
  [
    '8.1.1 content-length larger than DATA',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, [...POST, ['content-length', '5']], false), data(1, 3, true)),
        1,
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '8.1.1 DATA larger than content-length',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, [...POST, ['content-length', '2']], false), data(1, 3, true)),
        1,
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '8.2.1 uppercase field name',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ, ['X-Upper', '1']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.2.1 value with CR',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ, ['x', 'a\rb']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.2.2 connection-specific field',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ, ['connection', 'keep-alive']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.2.2 te other than trailers',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ, ['te', 'gzip']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.2.2 te: trailers is allowed',
    (c) => {
      assert.equal(c.send(headers(1, [...REQ, ['te', 'trailers']])), undefined);
    },
  ],
  [
    '8.3 unknown pseudo-header',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ.slice(0, 3), [':foo', 'x']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3 response pseudo-header in a request',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ.slice(0, 3), [':status', '200']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3 pseudo-header after a regular field',
    (c) => {
      expectRst(
        c,
        c.send(headers(1, [...REQ.slice(0, 3), ['x', '1'], [':authority', 'a']])),
        1,
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    '8.3 duplicate :path',
    (c) => {
      expectRst(c, c.send(headers(1, [...REQ, [':path', '/x']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3 pseudo-header in trailers',
    (c) => {
      expectRst(c, c.send(headers(1, POST, false), headers(1, [[':path', '/']], true)), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3.1 missing :method',
    (c) => {
      expectRst(c, c.send(headers(1, REQ.slice(1))), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3.1 missing :scheme',
    (c) => {
      expectRst(c, c.send(headers(1, [REQ[0]!, REQ[2]!])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3.1 missing :path',
    (c) => {
      expectRst(c, c.send(headers(1, REQ.slice(0, 2))), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.3.1 empty :path',
    (c) => {
      expectRst(c, c.send(headers(1, [REQ[0]!, REQ[1]!, [':path', '']])), 1, P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.4 PUSH_PROMISE from a client',
    (c) => {
      expectGoaway(c, c.send(headers(1, POST, false), encodePushPromise(1, 2, block(REQ))), P.PROTOCOL_ERROR);
    },
  ],
  [
    '8.5 CONNECT with :authority only is accepted',
    (c) => {
      assert.equal(
        c.send(
          headers(
            1,
            [
              [':method', 'CONNECT'],
              [':authority', 'example.com:443'],
            ],
            false,
          ),
        ),
        undefined,
      );
      const r = c.events().find((e) => e.type === 'request');
      assert.ok(r?.type === 'request' && r.method === 'CONNECT' && r.path === undefined);
    },
  ],
  [
    '8.5 CONNECT with :path',
    (c) => {
      expectRst(
        c,
        c.send(
          headers(
            1,
            [
              [':method', 'CONNECT'],
              [':authority', 'a:1'],
              [':path', '/'],
            ],
            false,
          ),
        ),
        1,
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    'RFC 8441 :protocol without the setting',
    (c) => {
      expectRst(
        c,
        c.send(
          headers(
            1,
            [
              [':method', 'CONNECT'],
              [':protocol', 'websocket'],
              [':scheme', 'https'],
              [':path', '/chat'],
              [':authority', 'a'],
            ],
            false,
          ),
        ),
        1,
        P.PROTOCOL_ERROR,
      );
    },
  ],
  [
    'RFC 8441 extended CONNECT accepted when enabled',
    () => {
      const c = new RawClient({ enableConnectProtocol: true });
      assert.equal(
        c.send(
          headers(
            1,
            [
              [':method', 'CONNECT'],
              [':protocol', 'websocket'],
              [':scheme', 'https'],
              [':path', '/chat'],
              [':authority', 'a'],
            ],
            false,
          ),
        ),
        undefined,
      );
      const r = c.events().find((e) => e.type === 'request');
      assert.ok(r?.type === 'request' && r.protocol === 'websocket');
    },
  ],
  [
    'RFC 9218 §7.1 PRIORITY_UPDATE on a stream',
    (c) => {
      expectGoaway(c, c.send(raw(FrameType.PRIORITY_UPDATE, 0, 1, [0, 0, 0, 1])), P.PROTOCOL_ERROR);
    },
  ],
  [
    'RFC 9218 §7.1 PRIORITY_UPDATE for an idle stream is kept',
    (c) => {
      assert.equal(c.send(encodePriorityUpdate(1, 'u=0'), headers(1, REQ)), undefined);
    },
  ],
  [
    '6.8 GOAWAY from the client: no error, streams finish',
    (c) => {
      assert.equal(c.send(headers(1, REQ), encodeGoaway(0, 0)), undefined);
      assert.ok(c.events().some((e) => e.type === 'goaway'));
      c.server.respond(1, [[':status', '200']], true);
      c.output();
      assert.equal(c.server.isFinished, true);
    },
  ],
];

for (const [name, run] of cases) {
  test(name, () => {
    enc = new HpackEncoder();
    run(new RawClient());
  });
}
