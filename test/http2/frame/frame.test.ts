import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../../src/common/errors.js';
import { H2ErrorCode } from '../../../src/http2/errors.js';
import {
  FrameType,
  FrameFlag,
  decodeFrame,
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
} from '../../../src/http2/frame/index.js';
import type { Frame } from '../../../src/http2/frame/index.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function one(bytes: Uint8Array, max = 16384): Frame {
  const r = decodeFrame(bytes, 0, max);
  assert.ok(r !== null);
  assert.equal(r.next, bytes.length);
  return r.frame;
}

function raw(type: number, flags: number, streamId: number, payload: number[]): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, 9);
  return out;
}

function expectError(bytes: Uint8Array, code: number, scope: 'stream' | 'connection'): void {
  assert.throws(
    () => decodeFrame(bytes, 0),
    (e: unknown) => e instanceof H2Error && e.wireCode === code && e.scope === scope,
  );
}

test('DATA round trip, unpadded and padded', () => {
  const data = new Uint8Array([1, 2, 3]);
  const f = one(concat(encodeData(5, data, true)));
  if (f.type !== FrameType.DATA) return assert.fail();
  assert.equal(f.streamId, 5);
  assert.equal(f.endStream, true);
  assert.deepEqual([...f.bytes.subarray(f.dataStart, f.dataEnd)], [1, 2, 3]);
  assert.equal(f.flowLength, 3);
  const p = one(concat(encodeData(7, data, false, 4)));
  if (p.type !== FrameType.DATA) return assert.fail();
  assert.equal(p.endStream, false);
  assert.equal(p.flowLength, 8);
  assert.deepEqual([...p.bytes.subarray(p.dataStart, p.dataEnd)], [1, 2, 3]);
});

test('DATA payload passes by reference in the encoder (writev-ready)', () => {
  const data = new Uint8Array(100);
  const chunks = encodeData(1, data, false);
  assert.equal(chunks[1], data);
  assert.equal(chunks[0]!.length, 9);
});

test('DATA errors: stream 0, pad too long, padded empty', () => {
  expectError(raw(FrameType.DATA, 0, 0, [1]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.DATA, FrameFlag.PADDED, 1, [3, 0, 0]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.DATA, FrameFlag.PADDED, 1, []), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
  // Pad length equal to remaining payload is fine (no data).
  const f = one(raw(FrameType.DATA, FrameFlag.PADDED, 1, [2, 0, 0]));
  if (f.type !== FrameType.DATA) return assert.fail();
  assert.equal(f.dataEnd - f.dataStart, 0);
});

test('HEADERS round trip with padding, priority and CONTINUATION split', () => {
  const block = new Uint8Array(40).map((_, i) => i);
  const bytes = encodeHeaders(3, block, {
    endStream: true,
    padLength: 2,
    priority: { exclusive: true, dependency: 1, weight: 15 },
    maxFrameSize: 30,
  });
  const first = decodeFrame(bytes, 0, 30);
  assert.ok(first !== null);
  const h = first.frame;
  if (h.type !== FrameType.HEADERS) return assert.fail();
  assert.equal(h.endStream, true);
  assert.equal(h.endHeaders, false);
  assert.deepEqual(h.priority, { exclusive: true, dependency: 1, weight: 15 });
  const parts = [...h.bytes.subarray(h.blockStart, h.blockEnd)];
  let pos = first.next;
  let last = false;
  while (!last) {
    const c = decodeFrame(bytes, pos, 30);
    assert.ok(c !== null);
    if (c.frame.type !== FrameType.CONTINUATION) return assert.fail();
    parts.push(...c.frame.bytes.subarray(c.frame.blockStart, c.frame.blockEnd));
    last = c.frame.endHeaders;
    pos = c.next;
  }
  assert.equal(pos, bytes.length);
  assert.deepEqual(parts, [...block]);
});

test('HEADERS errors', () => {
  expectError(raw(FrameType.HEADERS, 4, 0, [0x82]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(
    raw(FrameType.HEADERS, 4 | FrameFlag.PADDED, 1, [5, 0x82]),
    H2ErrorCode.PROTOCOL_ERROR,
    'connection',
  );
  expectError(
    raw(FrameType.HEADERS, 4 | FrameFlag.PRIORITY, 1, [0, 0, 0]),
    H2ErrorCode.FRAME_SIZE_ERROR,
    'connection',
  );
});

test('PRIORITY round trip and errors', () => {
  const f = one(encodePriority(5, { exclusive: false, dependency: 3, weight: 200 }));
  if (f.type !== FrameType.PRIORITY) return assert.fail();
  assert.deepEqual([f.streamId, f.exclusive, f.dependency, f.weight], [5, false, 3, 200]);
  expectError(raw(FrameType.PRIORITY, 0, 0, [0, 0, 0, 1, 1]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.PRIORITY, 0, 1, [0, 0, 0, 3]), H2ErrorCode.FRAME_SIZE_ERROR, 'stream');
  expectError(raw(FrameType.PRIORITY, 0, 1, [0, 0, 0, 1, 1]), H2ErrorCode.PROTOCOL_ERROR, 'stream');
});

test('RST_STREAM round trip and errors', () => {
  const f = one(encodeRstStream(9, H2ErrorCode.CANCEL));
  if (f.type !== FrameType.RST_STREAM) return assert.fail();
  assert.deepEqual([f.streamId, f.errorCode], [9, 8]);
  expectError(raw(FrameType.RST_STREAM, 0, 0, [0, 0, 0, 8]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.RST_STREAM, 0, 1, [0, 0, 8]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
});

test('SETTINGS round trip, ACK and every value rule', () => {
  const f = one(
    encodeSettings([
      [1, 0],
      [4, 1 << 20],
      [0x99, 7],
    ]),
  );
  if (f.type !== FrameType.SETTINGS) return assert.fail();
  assert.deepEqual(f.pairs, [1, 0, 4, 1 << 20, 0x99, 7]);
  const a = one(encodeSettings([], true));
  if (a.type !== FrameType.SETTINGS) return assert.fail();
  assert.equal(a.ack, true);
  expectError(raw(FrameType.SETTINGS, 1, 0, [0, 1, 0, 0, 0, 0]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
  expectError(raw(FrameType.SETTINGS, 0, 1, []), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.SETTINGS, 0, 0, [0, 1, 0]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
  expectError(encodeSettings([[2, 2]]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(encodeSettings([[4, 0x80000000]]), H2ErrorCode.FLOW_CONTROL_ERROR, 'connection');
  expectError(encodeSettings([[5, 16383]]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(encodeSettings([[5, 16777216]]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(encodeSettings([[8, 2]]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
});

test('PUSH_PROMISE round trip and errors', () => {
  const f = one(encodePushPromise(1, 2, new Uint8Array([0x82])));
  if (f.type !== FrameType.PUSH_PROMISE) return assert.fail();
  assert.deepEqual(
    [f.streamId, f.promisedStreamId, f.endHeaders, f.blockEnd - f.blockStart],
    [1, 2, true, 1],
  );
  expectError(raw(FrameType.PUSH_PROMISE, 4, 0, [0, 0, 0, 2]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.PUSH_PROMISE, 4, 1, [0, 0, 2]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
});

test('PING round trip and errors', () => {
  const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const f = one(encodePing(data, true));
  if (f.type !== FrameType.PING) return assert.fail();
  assert.equal(f.ack, true);
  assert.deepEqual([...f.bytes.subarray(f.dataStart, f.dataStart + 8)], [...data]);
  expectError(raw(FrameType.PING, 0, 1, [0, 0, 0, 0, 0, 0, 0, 0]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.PING, 0, 0, [0, 0, 0, 0, 0, 0, 0]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
});

test('GOAWAY round trip and errors', () => {
  const f = one(encodeGoaway(7, H2ErrorCode.ENHANCE_YOUR_CALM, new Uint8Array([0x68, 0x69])));
  if (f.type !== FrameType.GOAWAY) return assert.fail();
  assert.deepEqual([f.lastStreamId, f.errorCode, f.debugEnd - f.debugStart], [7, 11, 2]);
  expectError(
    raw(FrameType.GOAWAY, 0, 1, [0, 0, 0, 0, 0, 0, 0, 0]),
    H2ErrorCode.PROTOCOL_ERROR,
    'connection',
  );
  expectError(raw(FrameType.GOAWAY, 0, 0, [0, 0, 0, 0]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
});

test('WINDOW_UPDATE round trip and errors', () => {
  const f = one(encodeWindowUpdate(3, 0x7fffffff));
  if (f.type !== FrameType.WINDOW_UPDATE) return assert.fail();
  assert.deepEqual([f.streamId, f.increment], [3, 0x7fffffff]);
  expectError(raw(FrameType.WINDOW_UPDATE, 0, 0, [0, 0, 0, 0]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.WINDOW_UPDATE, 0, 1, [0x80, 0, 0, 0]), H2ErrorCode.PROTOCOL_ERROR, 'stream');
  expectError(raw(FrameType.WINDOW_UPDATE, 0, 1, [0, 0, 1]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
});

test('CONTINUATION round trip and stream 0', () => {
  const f = one(encodeContinuation(5, new Uint8Array([1, 2]), true));
  if (f.type !== FrameType.CONTINUATION) return assert.fail();
  assert.deepEqual([f.streamId, f.endHeaders, f.blockEnd - f.blockStart], [5, true, 2]);
  expectError(raw(FrameType.CONTINUATION, 4, 0, [1]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
});

test('PRIORITY_UPDATE round trip and errors (RFC 9218 §7.1)', () => {
  const f = one(encodePriorityUpdate(5, 'u=1, i'));
  if (f.type !== FrameType.PRIORITY_UPDATE) return assert.fail();
  assert.equal(f.prioritizedStreamId, 5);
  assert.equal(String.fromCharCode(...f.bytes.subarray(f.valueStart, f.valueEnd)), 'u=1, i');
  expectError(raw(FrameType.PRIORITY_UPDATE, 0, 1, [0, 0, 0, 1]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.PRIORITY_UPDATE, 0, 0, [0, 0, 0, 0]), H2ErrorCode.PROTOCOL_ERROR, 'connection');
  expectError(raw(FrameType.PRIORITY_UPDATE, 0, 0, [0, 0]), H2ErrorCode.FRAME_SIZE_ERROR, 'connection');
});

test('unknown frame types and flags are ignored; reserved bit is masked', () => {
  const f = one(raw(0xfa, 0xff, 3, [1, 2, 3]));
  assert.equal(f.type, -1);
  const p = one(raw(FrameType.PING, 0xfe, 0, [0, 0, 0, 0, 0, 0, 0, 0]));
  if (p.type !== FrameType.PING) return assert.fail();
  assert.equal(p.ack, false);
  const bytes = encodeRstStream(1, 0);
  bytes[5] = 0x80;
  const r = one(bytes);
  assert.equal(r.type === FrameType.RST_STREAM && r.streamId, 1);
});

test('frame size limit: FRAME_SIZE_ERROR above SETTINGS_MAX_FRAME_SIZE, partial frames return null', () => {
  const big = concat(encodeData(1, new Uint8Array(16385), false));
  assert.throws(
    () => decodeFrame(big, 0, 16384),
    (e: unknown) => e instanceof H2Error && e.wireCode === H2ErrorCode.FRAME_SIZE_ERROR,
  );
  assert.ok(decodeFrame(big, 0, 20000) !== null);
  assert.equal(decodeFrame(big.subarray(0, 8), 0), null);
  assert.equal(decodeFrame(big.subarray(0, 100), 0, 20000), null);
});
