import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBuffer } from '../../src/common/bytes.js';
import { stringLiteralLength, writeStringLiteral } from '../../src/qpack/instructions.js';
import { toHex } from './helpers.js';

function lit(s: string, prefix: number, high: number): string {
  const out = new ByteBuffer(1);
  writeStringLiteral(out, s, prefix, high);
  assert.equal(out.length, stringLiteralLength(s, prefix));
  return toHex(out.bytes.subarray(0, out.length));
}

test('string literals: Huffman only when shorter, H bit above the prefix', () => {
  assert.equal(lit('', 7, 0), '00');
  assert.equal(lit('/x', 7, 0), '022f78'); // Huffman would be 2 bytes too: raw wins ties
  assert.equal(lit('www.example.com', 7, 0), '8cf1e3c2e5f23a6ba0ab90f4ff');
  assert.equal(lit('custom-key', 5, 0x40), '6825a849e95ba97d7f'); // 01 H=1 len 8
  assert.equal(lit('a', 3, 0x20), '2161');
  // Length above the prefix: 3-bit prefix, 10 raw bytes -> 0x27 0x03.
  assert.equal(lit('\u00ff'.repeat(10), 3, 0x20).slice(0, 4), '2703');
  assert.equal(stringLiteralLength('\u0100', 7), -1);
  assert.throws(() => lit('\u0100', 7, 0));
});
