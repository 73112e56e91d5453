import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  encodeVarint,
  readVarint,
  readVarintBig,
  varintSize,
  writeVarint,
} from '../../src/common/varint.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));

test('RFC 9000 appendix A.1 sample varints decode', () => {
  assert.equal(readVarint(hex('c2197c5eff14e88c'), 0, 8), VARINT_TOO_LARGE);
  assert.equal(readVarintBig(hex('c2197c5eff14e88c'), 0, 8), 151288809941952652n);
  assert.equal(readVarint(hex('9d7f3e7d'), 0, 4), 494878333);
  assert.equal(readVarint(hex('7bbd'), 0, 2), 15293);
  assert.equal(readVarint(hex('25'), 0, 1), 37);
  assert.equal(readVarint(hex('4025'), 0, 2), 37);
});

test('encodes with the shortest length at each boundary', () => {
  for (const [v, n] of [
    [0, 1],
    [63, 1],
    [64, 2],
    [16383, 2],
    [16384, 4],
    [2 ** 30 - 1, 4],
    [2 ** 30, 8],
    [Number.MAX_SAFE_INTEGER, 8],
  ] as const) {
    assert.equal(varintSize(v), n);
    const b = encodeVarint(v);
    assert.equal(b.length, n);
    assert.equal(readVarint(b, 0, b.length), v);
  }
  assert.deepEqual(encodeVarint((1n << 62n) - 1n), hex('ffffffffffffffff'));
  assert.throws(() => encodeVarint(1n << 62n), RangeError);
  assert.throws(() => encodeVarint(-1), RangeError);
});

test('2^53-1 is the largest number; one more goes to the bigint path', () => {
  const b = encodeVarint(2n ** 53n);
  assert.equal(readVarint(b, 0, 8), VARINT_TOO_LARGE);
  assert.equal(readVarintBig(b, 0, 8), 2n ** 53n);
});

test('truncated input is "need more", not an exception', () => {
  assert.equal(readVarint(hex('9d7f3e'), 0, 3), VARINT_INCOMPLETE);
  assert.equal(readVarintBig(hex('c2'), 0, 1), undefined);
});

test('minLength pads the encoding', () => {
  const out = new Uint8Array(8);
  assert.equal(writeVarint(out, 0, 5, 4), 4);
  assert.equal(readVarint(out, 0, 4), 5);
});
