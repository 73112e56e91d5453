import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeRequiredInsertCount,
  encodeRequiredInsertCount,
  maxEntries,
} from '../../src/qpack/required-insert-count.js';

test('MaxEntries = floor(capacity / 32)', () => {
  assert.equal(maxEntries(0), 0);
  assert.equal(maxEntries(31), 0);
  assert.equal(maxEntries(220), 6);
  assert.equal(maxEntries(4096), 128);
});

test('RIC 0 encodes as 0 and decodes as 0', () => {
  assert.equal(encodeRequiredInsertCount(0, 6), 0);
  assert.equal(decodeRequiredInsertCount(0, 6, 0), 0);
  assert.equal(decodeRequiredInsertCount(0, 0, 0), 0);
});

test('RFC 9204 Appendix B values (MaxEntries 6)', () => {
  assert.equal(encodeRequiredInsertCount(2, 6), 3);
  assert.equal(decodeRequiredInsertCount(3, 6, 2), 2);
  assert.equal(encodeRequiredInsertCount(4, 6), 5);
  assert.equal(decodeRequiredInsertCount(5, 6, 4), 4);
});

test('wrap-around: encoded value is RIC mod 2*MaxEntries + 1', () => {
  // MaxEntries 8 (capacity 256): FullRange 16.
  assert.equal(encodeRequiredInsertCount(16, 8), 1);
  assert.equal(encodeRequiredInsertCount(17, 8), 2);
  assert.equal(decodeRequiredInsertCount(1, 8, 16), 16);
  assert.equal(decodeRequiredInsertCount(2, 8, 16), 17); // blocked by one insert
  assert.equal(decodeRequiredInsertCount(16, 8, 16), 15);
  assert.equal(decodeRequiredInsertCount(9, 8, 16), 24); // 8 ahead: the most a peer may be ahead
  assert.equal(decodeRequiredInsertCount(10, 8, 16), 9); // 7 behind
  assert.equal(decodeRequiredInsertCount(1, 8, 1000), 1008);
});

test('invalid encodings are rejected (RFC 9204 §4.5.1.1)', () => {
  assert.equal(decodeRequiredInsertCount(1, 0, 0), -1); // MaxEntries 0
  assert.equal(decodeRequiredInsertCount(17, 8, 100), -1); // above FullRange
  // ReqInsertCount > MaxValue and <= FullRange: with 0 inserts and MaxEntries 8, MaxValue = 8.
  assert.equal(decodeRequiredInsertCount(10, 8, 0), -1);
  // Encoded 1 with 0 inserts would mean RIC 0, which must be encoded as 0.
  assert.equal(decodeRequiredInsertCount(1, 8, 0), -1);
});

test('property: decode(encode(ric)) === ric whenever the decoder is within MaxEntries', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 0, max: 400 }),
      (me, ric, behindRaw) => {
        // The decoder has between ric - me (encoder ahead: blocked) and ric + lots (old section) inserts,
        // but the entry ric-1 must not be evicted: at most `me` entries newer than it exist.
        const behind = behindRaw % (2 * me + 1);
        const inserts = ric - me + behind;
        if (inserts < 0 || inserts > ric - 1 + me) return;
        assert.equal(decodeRequiredInsertCount(encodeRequiredInsertCount(ric, me), me, inserts), ric);
      },
    ),
    { numRuns: 2000 },
  );
});
