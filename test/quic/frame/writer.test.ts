import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFrames } from '../../../src/quic/frame/reader.js';
import { FrameType } from '../../../src/quic/frame/types.js';
import {
  ackFrameSize,
  ackRangePairsThatFit,
  cryptoDataFit,
  cryptoFrameHeaderSize,
  encodeFrame,
  streamDataFit,
  streamFrameHeaderSize,
  writeAckFrame,
  writeConnectionClose,
  writeDatagram,
  writeStreamFrame,
  writeStreamFrameHeader,
} from '../../../src/quic/frame/writer.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('ACK encodes gaps as RFC 9000 §19.3.1 says and its size matches', () => {
  const ranges = [100, 90, 85, 81, 79, 79];
  const buf = new Uint8Array(64);
  const end = writeAckFrame(buf, 0, 100, 5, ranges, null);
  assert.equal(toHex(buf.subarray(0, end)), '024064050' + '20a03040000');
  assert.equal(end, ackFrameSize(100, 5, ranges, null));
  // only the first two pairs
  const end2 = writeAckFrame(buf, 0, 100, 5, ranges, null, 2);
  assert.equal(end2, ackFrameSize(100, 5, ranges, null, 2));
  assert.deepEqual(decodeFrames(buf, 0, end2), [
    { type: FrameType.ACK, largest: 100, ackDelay: 5, ranges: [100, 90, 85, 81], ecn: null },
  ]);
});

test('STREAM header flags: OFF only when offset > 0, LEN optional, FIN', () => {
  const buf = new Uint8Array(32);
  assert.equal(writeStreamFrameHeader(buf, 0, 4, 0, 3, false), 3);
  assert.equal(toHex(buf.subarray(0, 3)), '0a0403');
  assert.equal(writeStreamFrameHeader(buf, 0, 4, 1, 0, true, false), 3);
  assert.equal(toHex(buf.subarray(0, 3)), '0d0401');
  const end = writeStreamFrame(buf, 0, 1, 0, Uint8Array.of(9, 9), true);
  assert.equal(toHex(buf.subarray(0, end)), '0b01020909');
  assert.equal(streamFrameHeaderSize(1, 0, 2, true), 3);
});

test('streamDataFit and cryptoDataFit give the largest body that fits the budget', () => {
  for (let budget = 0; budget < 20000; budget += budget < 200 ? 1 : 97) {
    for (const [id, off] of [
      [0, 0],
      [4, 70],
      [1000, 1 << 20],
    ] as const) {
      const d = streamDataFit(id, off, budget);
      if (d < 0) {
        assert.ok(streamFrameHeaderSize(id, off, 0, true) > budget);
        continue;
      }
      assert.ok(streamFrameHeaderSize(id, off, d, true) + d <= budget, `fits ${budget}`);
      assert.ok(streamFrameHeaderSize(id, off, d + 1, true) + d + 1 > budget, `maximal ${budget}`);
      const n = streamDataFit(id, off, budget, false);
      assert.equal(streamFrameHeaderSize(id, off, n, false) + n, budget);
      const c = cryptoDataFit(off, budget);
      if (c >= 0) {
        assert.ok(cryptoFrameHeaderSize(off, c) + c <= budget);
        assert.ok(cryptoFrameHeaderSize(off, c + 1) + c + 1 > budget);
      }
    }
  }
});

test('CONNECTION_CLOSE and DATAGRAM variants', () => {
  const buf = new Uint8Array(32);
  let end = writeConnectionClose(buf, 0, false, 0x0a, 0x08, Uint8Array.of(0x78));
  assert.equal(toHex(buf.subarray(0, end)), '1c0a080178');
  end = writeConnectionClose(buf, 0, true, 1, 0x08, new Uint8Array(0));
  assert.equal(toHex(buf.subarray(0, end)), '1d0100');
  end = writeDatagram(buf, 0, Uint8Array.of(1, 2), false);
  assert.equal(toHex(buf.subarray(0, end)), '300102');
  assert.equal(toHex(encodeFrame({ type: FrameType.DATAGRAM, data: Uint8Array.of(1) })), '310101');
});

test('stream counts up to 2^60 encode (beyond safe integers)', () => {
  const f = { type: FrameType.MAX_STREAMS_BIDI, maximum: 2 ** 60 } as const;
  assert.equal(toHex(encodeFrame(f)), '12d000000000000000');
  assert.deepEqual(decodeFrames(encodeFrame(f)), [f]);
  const b = { type: FrameType.STREAMS_BLOCKED_UNI, limit: 2 ** 60 } as const;
  assert.deepEqual(decodeFrames(encodeFrame(b)), [b]);
});

test('ackRangePairsThatFit gives the most ranges within a budget', () => {
  const ranges: number[] = [];
  for (let high = 100000; ranges.length < 400; high -= 300) ranges.push(high, high - 100);
  const all = ranges.length / 2;
  for (let budget = 0; budget < 1200; budget += 7) {
    const n = ackRangePairsThatFit(100000, 1000, ranges, null, budget);
    if (n === 0) {
      assert.ok(ackFrameSize(100000, 1000, ranges, null, 1) > budget);
      continue;
    }
    assert.ok(ackFrameSize(100000, 1000, ranges, null, n) <= budget, `fits in ${budget}`);
    if (n < all) assert.ok(ackFrameSize(100000, 1000, ranges, null, n + 1) > budget, `maximal in ${budget}`);
  }
});
