import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  VARINT_TOO_LARGE,
  encodeVarint,
  readVarint,
  readVarintBig,
  varintLengthFromFirstByte,
} from '../../src/common/varint.js';

test('any value up to 2^62-1 round trips', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }), (v) => {
      const b = encodeVarint(v);
      assert.equal(varintLengthFromFirstByte(b[0]!), b.length);
      assert.equal(readVarintBig(b, 0, b.length), v);
      const n = readVarint(b, 0, b.length);
      if (v <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(n, Number(v));
      else assert.equal(n, VARINT_TOO_LARGE);
    }),
    { numRuns: 2000 },
  );
});

test('safe integers round trip through the number path', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (v) => {
      const b = encodeVarint(v);
      assert.equal(readVarint(b, 0, b.length), v);
    }),
    { numRuns: 2000 },
  );
});
