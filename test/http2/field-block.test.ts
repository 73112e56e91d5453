import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { HpackDecoder, HpackEncoder } from '../../src/hpack/index.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { FieldBlock, FieldBlockInput, FieldBlockState, transition } from '../../src/http2/field-block.js';
import {
  FrameFlag,
  FrameType,
  encodeContinuation,
  encodeData,
  encodeHeaders,
  encodeRstStream,
} from '../../src/http2/frame/index.js';
import { RawClient, concat } from './harness.js';

const S = FieldBlockState;
const I = FieldBlockInput;
const REQ = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'localhost'],
] as const;

function isConnError(code: number): (e: unknown) => boolean {
  return (e) => e instanceof H2Error && e.scope === 'connection' && e.wireCode === code;
}

test('transition: every state and input pair', () => {
  const opens: Array<[FieldBlockInput, FieldBlockState]> = [
    [I.RecvHeadersDeliver, S.Deliver],
    [I.RecvHeadersIgnore, S.Ignore],
    [I.RecvHeadersReject, S.Reject],
  ];
  for (const [input, next] of opens) assert.equal(transition(S.Idle, input), next);
  assert.throws(() => transition(S.Idle, I.RecvEndHeaders), isConnError(H2ErrorCode.PROTOCOL_ERROR));
  for (const state of [S.Deliver, S.Ignore, S.Reject]) {
    assert.equal(transition(state, I.RecvEndHeaders), S.Idle);
    for (const [input] of opens) {
      // RFC 9113 §6.10: a new HEADERS inside an unfinished block.
      assert.throws(() => transition(state, input), isConnError(H2ErrorCode.PROTOCOL_ERROR));
    }
  }
  assert.throws(() => transition(9 as FieldBlockState, I.RecvEndHeaders), /unexpected field-block state/);
});

test('FieldBlock: a block in one HEADERS frame, then one continued over CONTINUATION frames', () => {
  const enc = new HpackEncoder();
  const b = new FieldBlock(new HpackDecoder(), { maxContinuationFrames: 4, maxHeaderBlockSize: 1000 });
  const one = enc.encode([['a', '1']]);
  b.begin(I.RecvHeadersDeliver, 1, true, undefined, true, one.length);
  assert.equal(b.isOpen, true);
  assert.deepEqual(b.decode(one, 0, one.length, true).toArray(), [['a', '1']]);
  assert.equal(b.finish(), S.Deliver);
  assert.equal(b.isOpen, false);

  const two = enc.encode([
    ['b', '2'],
    ['c', '3'],
  ]);
  b.begin(I.RecvHeadersIgnore, 3, false, undefined, false, 2);
  assert.equal(b.streamId, 3);
  b.decode(two, 0, 2, false);
  b.continueWith(two.length - 2);
  const list = b.decode(two, 2, two.length, true);
  assert.deepEqual(list.toArray(), [
    ['b', '2'],
    ['c', '3'],
  ]);
  assert.equal(b.finish(), S.Ignore);
  assert.equal(b.streamId, 0);
});

test('FieldBlock: CONTINUATION count and block size are bounded; HPACK errors are COMPRESSION_ERROR', () => {
  const limits = { maxContinuationFrames: 2, maxHeaderBlockSize: 100 };
  const b = new FieldBlock(new HpackDecoder(), limits);
  b.begin(I.RecvHeadersDeliver, 1, false, undefined, false, 10);
  b.continueWith(10);
  b.continueWith(10);
  assert.throws(() => {
    b.continueWith(0);
  }, isConnError(H2ErrorCode.ENHANCE_YOUR_CALM));
  const c = new FieldBlock(new HpackDecoder(), limits);
  assert.throws(() => {
    c.begin(I.RecvHeadersDeliver, 1, false, undefined, false, 101);
  }, isConnError(H2ErrorCode.ENHANCE_YOUR_CALM));
  const d = new FieldBlock(new HpackDecoder(), limits);
  d.begin(I.RecvHeadersDeliver, 1, true, undefined, true, 1);
  // 0xbf: indexed field 63, beyond the static table and an empty dynamic table.
  assert.throws(
    () => d.decode(new Uint8Array([0xbf]), 0, 1, true),
    isConnError(H2ErrorCode.COMPRESSION_ERROR),
  );
});

test('connection: HEADERS on a stream we reset is decoded and ignored; HPACK stays in sync', () => {
  const enc = new HpackEncoder();
  const c = new RawClient();
  c.send(encodeHeaders(1, enc.encode(REQ), { endStream: false }));
  c.server.resetStream(1);
  c.output();
  c.events();
  // Trailers on stream 1 add an entry to the dynamic table; the next request on stream 3 refers to it.
  const trailers = enc.encode([['x-late', 'trailer']]);
  const first = encodeHeaders(1, trailers.subarray(0, 3), { endStream: true });
  first[4] = first[4]! & ~FrameFlag.END_HEADERS;
  const err = c.send(first, encodeContinuation(1, trailers.subarray(3), true));
  assert.equal(err, undefined);
  assert.deepEqual(c.output(), []);
  const next = enc.encode([...REQ, ['x-late', 'trailer']]);
  assert.equal(c.send(encodeHeaders(3, next, { endStream: true })), undefined);
  const req = c.events().find((e) => e.type === 'request');
  assert.ok(req?.type === 'request' && req.streamId === 3);
  assert.deepEqual(req.headers.toArray().at(-1), ['x-late', 'trailer']);
});

test('connection: HEADERS on a stream the peer reset is decoded, then answered with STREAM_CLOSED', () => {
  const enc = new HpackEncoder();
  const c = new RawClient();
  c.send(
    encodeHeaders(1, enc.encode(REQ), { endStream: false }),
    concat(encodeData(1, new Uint8Array(1), false)),
    encodeRstStream(1, H2ErrorCode.CANCEL),
  );
  c.output();
  c.events();
  assert.equal(c.send(encodeHeaders(1, enc.encode([['x-t', '1']]), { endStream: true })), undefined);
  const out = c.output();
  assert.ok(
    out.some(
      (f) => f.type === FrameType.RST_STREAM && f.streamId === 1 && f.errorCode === H2ErrorCode.STREAM_CLOSED,
    ),
  );
  // The block was decoded: the next request still decodes against the same dynamic table.
  assert.equal(c.send(encodeHeaders(3, enc.encode(REQ), { endStream: true })), undefined);
  assert.ok(c.events().some((e) => e.type === 'request' && e.streamId === 3));
});

test('connection: any other frame inside a field block is a connection PROTOCOL_ERROR', () => {
  const enc = new HpackEncoder();
  const c = new RawClient();
  const h = encodeHeaders(1, enc.encode(REQ), { endStream: true });
  h[4] = h[4]! & ~FrameFlag.END_HEADERS;
  assert.ok(isConnError(H2ErrorCode.PROTOCOL_ERROR)(c.send(h, encodeRstStream(1, H2ErrorCode.CANCEL))));
  assert.equal(c.server.isClosed, true);
});
