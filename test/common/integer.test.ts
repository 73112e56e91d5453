import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeInteger,
  encodeInteger,
  INTEGER_NEED_MORE,
  INTEGER_OVERFLOW,
  integerLength,
  intResult,
} from '../../src/common/integer.js';

function enc(value: number, prefix: number, first = 0): number[] {
  const dst = new Uint8Array(16);
  const end = encodeInteger(dst, 0, value, prefix, first);
  assert.equal(end, integerLength(value, prefix));
  return [...dst.subarray(0, end)];
}

test('RFC 7541 C.1.1: 10 with a 5-bit prefix', () => {
  assert.deepEqual(enc(10, 5), [0x0a]);
});

test('RFC 7541 C.1.2: 1337 with a 5-bit prefix', () => {
  assert.deepEqual(enc(1337, 5), [0x1f, 0x9a, 0x0a]);
  assert.equal(decodeInteger(Uint8Array.of(0x1f, 0x9a, 0x0a), 0, 3, 5), 3);
  assert.equal(intResult.value, 1337);
  assert.equal(intResult.next, 3);
});

test('RFC 7541 C.1.3: 42 at an octet boundary (8-bit prefix)', () => {
  assert.deepEqual(enc(42, 8), [0x2a]);
});

test('first byte keeps the bits above the prefix', () => {
  assert.deepEqual(enc(3, 4, 0xa0), [0xa3]);
  assert.deepEqual(enc(15, 4, 0xa0), [0xaf, 0x00]);
  assert.equal(decodeInteger(Uint8Array.of(0xaf, 0x00), 0, 2, 4), 2);
  assert.equal(intResult.value, 15);
});

test('prefix boundaries: 2^N - 2 fits, 2^N - 1 needs a continuation byte', () => {
  for (let n = 1; n <= 8; n++) {
    const max = (1 << n) - 1;
    assert.equal(integerLength(max - 1, n), 1);
    assert.equal(integerLength(max, n), 2);
    assert.equal(integerLength(max + 127, n), 2);
    assert.equal(integerLength(max + 128, n), 3);
  }
});

test('large values up to 2^53 - 1 survive (arithmetic path above 2^31)', () => {
  for (const v of [2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    for (const n of [1, 5, 8]) {
      const bytes = Uint8Array.from(enc(v, n));
      assert.equal(decodeInteger(bytes, 0, bytes.length, n), bytes.length);
      assert.equal(intResult.value, v);
    }
  }
});

test('truncated input reports need-more at every cut, never a value', () => {
  const bytes = Uint8Array.from(enc(1_000_000, 5));
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.equal(decodeInteger(bytes, 0, cut, 5), INTEGER_NEED_MORE);
    assert.equal(intResult.next, INTEGER_NEED_MORE);
  }
});

test('value above 2^53 - 1 is an overflow', () => {
  // 1 (prefix) + 7 x 127-groups (2^49 - 1) + 15 * 2^49 = 2^53.
  const over = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f);
  assert.equal(decodeInteger(over, 0, over.length, 1), INTEGER_OVERFLOW);
  assert.equal(intResult.next, INTEGER_OVERFLOW);
  const max = Uint8Array.from(enc(Number.MAX_SAFE_INTEGER, 1));
  assert.equal(decodeInteger(max, 0, max.length, 1), max.length);
});

test('caller-provided maximum', () => {
  const bytes = Uint8Array.from(enc(5000, 5));
  assert.equal(decodeInteger(bytes, 0, bytes.length, 5, 4999), INTEGER_OVERFLOW);
  assert.equal(decodeInteger(bytes, 0, bytes.length, 5, 5000), bytes.length);
  assert.equal(decodeInteger(Uint8Array.of(0x0a), 0, 1, 5, 9), INTEGER_OVERFLOW);
});

test('an endless run of 0x80 continuation bytes is rejected, not looped over', () => {
  const bytes = new Uint8Array(64).fill(0x80);
  bytes[0] = 0x1f;
  assert.equal(decodeInteger(bytes, 0, bytes.length, 5), INTEGER_OVERFLOW);
  // Redundant zero groups within the 8-byte bound are tolerated (value unchanged).
  assert.equal(decodeInteger(Uint8Array.of(0x1f, 0x81, 0x80, 0x00), 0, 4, 5), 4);
  assert.equal(intResult.value, 32);
});

test('decoding starts at pos and ignores bytes past end', () => {
  const bytes = Uint8Array.of(0xee, 0x1f, 0x9a, 0x0a, 0xee);
  assert.equal(decodeInteger(bytes, 1, 4, 5), 4);
  assert.equal(intResult.value, 1337);
  assert.equal(decodeInteger(bytes, 1, 1, 5), INTEGER_NEED_MORE);
});
