import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeInteger,
  encodeInteger,
  INTEGER_NEED_MORE,
  integerLength,
  intResult,
} from '../../src/common/integer.js';

test('integer round trip at every prefix size', () => {
  const dst = new Uint8Array(16);
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 0, max: 300 }), fc.maxSafeNat()),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 255 }),
      (value, prefix, high) => {
        const first = high & ~((1 << prefix) - 1) & 0xff;
        const end = encodeInteger(dst, 0, value, prefix, first);
        assert.equal(end, integerLength(value, prefix));
        assert.equal(dst[0]! & ~((1 << prefix) - 1) & 0xff, first);
        assert.equal(decodeInteger(dst, 0, end, prefix), end);
        assert.equal(intResult.value, value);
        if (end > 1) assert.equal(decodeInteger(dst, 0, end - 1, prefix), INTEGER_NEED_MORE);
      },
    ),
    { numRuns: 2000 },
  );
});

test('decodeInteger never throws and stays in bounds on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20 }), fc.integer({ min: 1, max: 8 }), (bytes, prefix) => {
      const r = decodeInteger(bytes, 0, bytes.length, prefix);
      assert.ok(r >= -2 && r <= bytes.length);
      if (r >= 0) assert.ok(Number.isSafeInteger(intResult.value) && intResult.value >= 0);
    }),
    { numRuns: 2000 },
  );
});
