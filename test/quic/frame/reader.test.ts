import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuicError } from '../../../src/common/errors.js';
import { TransportErrorCode } from '../../../src/quic/errors.js';
import { FrameReader, decodeFrames } from '../../../src/quic/frame/reader.js';
import { FrameType } from '../../../src/quic/frame/types.js';
import type { Frame } from '../../../src/quic/frame/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function expectEncodingError(bytes: Uint8Array, frameType: number, offset = 0): void {
  assert.throws(
    () => decodeFrames(bytes),
    (e: unknown) => {
      assert.ok(e instanceof QuicError);
      assert.equal(e.wireCode, TransportErrorCode.FRAME_ENCODING_ERROR);
      assert.equal(e.code, 'ERR_QUIC_FRAME_ENCODING_ERROR');
      assert.equal(e.frameType, frameType);
      assert.equal(e.offset, offset);
      return true;
    },
  );
}

test('PADDING runs coalesce; PING and HANDSHAKE_DONE', () => {
  const frames = decodeFrames(hex('000000 01 00 1e'));
  assert.deepEqual(frames, [
    { type: FrameType.PADDING, length: 3 },
    { type: FrameType.PING },
    { type: FrameType.PADDING, length: 1 },
    { type: FrameType.HANDSHAKE_DONE },
  ]);
});

test('reader honours start and end and reports its offset', () => {
  const bytes = hex('ff 01 01 ff');
  const r = new FrameReader(bytes, 1, 3);
  assert.deepEqual(r.next(), { type: FrameType.PING });
  assert.equal(r.offset, 2);
  assert.deepEqual(r.next(), { type: FrameType.PING });
  assert.equal(r.next(), null);
});

test('ACK with ranges decodes to flat descending [high, low] pairs', () => {
  // largest 100, delay 5, 2 more ranges, first range 10 -> [100,90]; gap 3 len 4 -> [85,81]; gap 0 len 0 -> [79,79]
  const [ack] = decodeFrames(hex('02 4064 05 02 0a 03 04 00 00'));
  assert.deepEqual(ack, {
    type: FrameType.ACK,
    largest: 100,
    ackDelay: 5,
    ranges: [100, 90, 85, 81, 79, 79],
    ecn: null,
  });
  const [ecn] = decodeFrames(hex('03 05 00 00 05 01 02 03'));
  assert.deepEqual(ecn, {
    type: FrameType.ACK_ECN,
    largest: 5,
    ackDelay: 0,
    ranges: [5, 0],
    ecn: { ect0: 1, ect1: 2, ce: 3 },
  });
});

test('ACK ranges below zero are FRAME_ENCODING_ERROR (RFC 9000 §19.3.1)', () => {
  expectEncodingError(hex('02 05 00 00 06'), FrameType.ACK);
  expectEncodingError(hex('02 05 00 01 01 03 00'), FrameType.ACK); // high = 4 - 3 - 2 < 0
  expectEncodingError(hex('02 05 00 01 01 00 05'), FrameType.ACK); // low = 2 - 5 < 0
  expectEncodingError(hex('02 05 00 3f 00 00 00'), FrameType.ACK); // count beyond the frame
});

test('stream, crypto, token and close payloads are views into the input', () => {
  const bytes = hex(
    '0f 04 40c8 03 616263 06 00 02 6869 07 01 7a 1c 0a 08 02 6f6b 1d 4100 00 31 02 dddd 30 eeee',
  );
  const frames = decodeFrames(bytes);
  const s = frames[0] as Extract<Frame, { type: 8 }>;
  assert.equal(s.type, FrameType.STREAM);
  assert.equal(s.streamId, 4);
  assert.equal(s.offset, 200);
  assert.equal(s.fin, true);
  assert.equal(toHex(s.data), '616263');
  assert.equal(s.data.buffer, bytes.buffer);
  assert.deepEqual(
    frames.slice(1).map((f) => ({ ...f })),
    [
      { type: FrameType.CRYPTO, offset: 0, data: hex('6869') },
      { type: FrameType.NEW_TOKEN, token: hex('7a') },
      { type: FrameType.CONNECTION_CLOSE, errorCode: 10, frameType: 8, reason: hex('6f6b') },
      { type: FrameType.CONNECTION_CLOSE_APP, errorCode: 0x100, frameType: 0, reason: new Uint8Array(0) },
      { type: FrameType.DATAGRAM, data: hex('dddd') },
      { type: FrameType.DATAGRAM, data: hex('eeee') },
    ],
  );
});

test('STREAM without LEN runs to the end; without OFF has offset 0', () => {
  const [s] = decodeFrames(hex('08 01 aabbcc'));
  assert.deepEqual(
    { ...s },
    { type: FrameType.STREAM, streamId: 1, offset: 0, data: hex('aabbcc'), fin: false },
  );
});

test('every other frame type', () => {
  const frames = decodeFrames(
    hex(
      '04 01 02 03  05 04 05  10 4400  11 08 09  12 0a  13 0b  14 0c  15 0d 0e  16 0f  17 10' +
        ' 18 05 02 04 01020304 00112233445566778899aabbccddeeff  19 07' +
        ' 1a 0102030405060708  1b 1112131415161718',
    ),
  );
  assert.deepEqual(
    frames.map((f) => ({ ...f })),
    [
      { type: FrameType.RESET_STREAM, streamId: 1, errorCode: 2, finalSize: 3 },
      { type: FrameType.STOP_SENDING, streamId: 4, errorCode: 5 },
      { type: FrameType.MAX_DATA, maximum: 0x400 },
      { type: FrameType.MAX_STREAM_DATA, streamId: 8, maximum: 9 },
      { type: FrameType.MAX_STREAMS_BIDI, maximum: 10 },
      { type: FrameType.MAX_STREAMS_UNI, maximum: 11 },
      { type: FrameType.DATA_BLOCKED, limit: 12 },
      { type: FrameType.STREAM_DATA_BLOCKED, streamId: 13, limit: 14 },
      { type: FrameType.STREAMS_BLOCKED_BIDI, limit: 15 },
      { type: FrameType.STREAMS_BLOCKED_UNI, limit: 16 },
      {
        type: FrameType.NEW_CONNECTION_ID,
        sequenceNumber: 5,
        retirePriorTo: 2,
        connectionId: hex('01020304'),
        statelessResetToken: hex('00112233445566778899aabbccddeeff'),
      },
      { type: FrameType.RETIRE_CONNECTION_ID, sequenceNumber: 7 },
      { type: FrameType.PATH_CHALLENGE, data: hex('0102030405060708') },
      { type: FrameType.PATH_RESPONSE, data: hex('1112131415161718') },
    ],
  );
});

test('unknown types and malformed frames are FRAME_ENCODING_ERROR with type and offset', () => {
  expectEncodingError(hex('01 1f'), 0x1f, 1);
  expectEncodingError(hex('01 01 4020'), 0x20, 2);
  expectEncodingError(hex('c0'), 0);
  // RFC 9000 §19.11, §19.14: counts above 2^60
  expectEncodingError(hex('12 d000000000000001'), FrameType.MAX_STREAMS_BIDI);
  expectEncodingError(hex('17 d000000000000001'), FrameType.STREAMS_BLOCKED_UNI);
  assert.deepEqual(decodeFrames(hex('13 d000000000000000')), [
    { type: FrameType.MAX_STREAMS_UNI, maximum: 2 ** 60 },
  ]);
  // RFC 9000 §19.15
  expectEncodingError(hex('18 01 00 00' + '00'.repeat(16)), FrameType.NEW_CONNECTION_ID);
  expectEncodingError(hex('18 01 00 15' + '00'.repeat(21 + 16)), FrameType.NEW_CONNECTION_ID);
  expectEncodingError(hex('18 01 02 01 aa' + '00'.repeat(16)), FrameType.NEW_CONNECTION_ID);
  // RFC 9000 §19.7: empty token
  expectEncodingError(hex('07 00'), FrameType.NEW_TOKEN);
  // length beyond payload
  expectEncodingError(hex('06 00 05 0102'), FrameType.CRYPTO);
  expectEncodingError(hex('0a 00 05 0102'), 0x0a);
  expectEncodingError(hex('1a 0102'), FrameType.PATH_CHALLENGE);
  expectEncodingError(hex('31 03 01'), FrameType.DATAGRAM_LEN);
});

test('offset + length above 2^62-1 is FRAME_ENCODING_ERROR (RFC 9000 §19.6, §19.8)', () => {
  expectEncodingError(hex('0e 00 ffffffffffffffff 01 00'), 0x0e);
  expectEncodingError(hex('06 ffffffffffffffff 01 00'), FrameType.CRYPTO);
  const [ok] = decodeFrames(hex('06 fffffffffffffffe 01 00'));
  assert.equal(ok?.type, FrameType.CRYPTO);
});

test('large varints saturate at Number.MAX_SAFE_INTEGER', () => {
  assert.deepEqual(decodeFrames(hex('10 ffffffffffffffff')), [
    { type: FrameType.MAX_DATA, maximum: Number.MAX_SAFE_INTEGER },
  ]);
  assert.deepEqual(decodeFrames(hex('10 c01fffffffffffff')), [
    { type: FrameType.MAX_DATA, maximum: Number.MAX_SAFE_INTEGER },
  ]);
});
