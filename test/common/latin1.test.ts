import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeLatin1 } from '../../src/common/latin1.js';

function reference(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

test('decodeLatin1 matches a reference at every length up to 300 (every route)', () => {
  const all = Uint8Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff);
  const ascii = Uint8Array.from({ length: 600 }, (_, i) => 0x20 + (i % 95));
  for (let n = 0; n <= 300; n++) {
    assert.equal(decodeLatin1(all, 3, 3 + n), reference(all, 3, 3 + n), `length ${n}`);
    assert.equal(decodeLatin1(ascii, 3, 3 + n), reference(ascii, 3, 3 + n), `ascii length ${n}`);
    assert.equal(decodeLatin1(ascii, 3, 3 + n, true), reference(ascii, 3, 3 + n), `ascii hint length ${n}`);
  }
});

test('decodeLatin1 handles long spans over several slices and bytes 0x80-0xff', () => {
  const big = Uint8Array.from({ length: 10_000 }, (_, i) => 0x80 + (i % 128));
  assert.equal(decodeLatin1(big, 1, 9999), reference(big, 1, 9999));
  assert.equal(decodeLatin1(Uint8Array.from([0x80, 0x9f, 0xff]), 0, 3), '\u0080\u009f\u00ff');
});

test('decodeLatin1 maps each byte to one code unit (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 5 }), (bytes, skip) => {
      const start = Math.min(skip, bytes.length);
      assert.equal(decodeLatin1(bytes, start, bytes.length), reference(bytes, start, bytes.length));
    }),
    { numRuns: 500 },
  );
});
