import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  HUFFMAN_NOT_LATIN1,
  HUFFMAN_NOT_SHORTER,
  huffmanEncodeStringBounded,
  huffmanDecode,
  huffmanDecodedMaxLength,
  huffmanDecodeToScratch,
  huffmanEncode,
  huffmanEncodedLength,
} from '../../src/common/huffman.js';

test('Huffman round trip on arbitrary bytes; string and byte forms agree', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const n = huffmanEncodedLength(bytes, 0, bytes.length);
      const enc = new Uint8Array(n + 4);
      assert.equal(huffmanEncode(bytes, 0, bytes.length, enc, 0), n);
      const s = Buffer.from(bytes).toString('latin1');
      assert.equal(huffmanEncodedLength(s, 0, s.length), n);
      const enc2 = new Uint8Array(n + 4);
      assert.equal(huffmanEncode(s, 0, s.length, enc2, 0), n);
      assert.deepEqual(enc2, enc);
      const dec = new Uint8Array(huffmanDecodedMaxLength(n));
      const m = huffmanDecode(enc, 0, n, dec, 0);
      assert.deepEqual(dec.subarray(0, m), bytes);
    }),
    { numRuns: 1000 },
  );
});

test('Huffman decoder on arbitrary bytes returns a code or stays within its bound', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const max = huffmanDecodedMaxLength(bytes.length);
      const dst = new Uint8Array(max);
      const r = huffmanDecode(bytes, 0, bytes.length, dst, 0);
      assert.ok(r >= -3 && r <= max);
      if (r >= 0) {
        // A successful decode re-encodes to the same bytes (the code is canonical, padding all ones).
        const again = new Uint8Array(bytes.length + 4);
        const n = huffmanEncode(dst, 0, r, again, 0);
        assert.deepEqual(again.subarray(0, n), bytes);
      }
    }),
    { numRuns: 3000 },
  );
});

test('bounded one-pass encoding matches the two-pass encoder or reports why not', () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.integer({ min: 0, max: 0x10f }).map((c) => String.fromCharCode(c)),
        maxLength: 60,
      }),
      fc.integer({ min: -1, max: 80 }),
      (s, maxLength) => {
        const dst = new Uint8Array(maxLength + 8);
        const r = huffmanEncodeStringBounded(s, 0, s.length, dst, 2, maxLength);
        const n = huffmanEncodedLength(s, 0, s.length);
        if (n < 0) {
          assert.ok(r === HUFFMAN_NOT_LATIN1 || r === HUFFMAN_NOT_SHORTER);
          return;
        }
        if (n > maxLength) {
          assert.equal(r, HUFFMAN_NOT_SHORTER);
          return;
        }
        assert.equal(r, 2 + n);
        const expected = new Uint8Array(n);
        huffmanEncode(s, 0, s.length, expected, 0);
        assert.deepEqual(dst.subarray(2, r), expected);
      },
    ),
    { numRuns: 2000 },
  );
});

test('huffmanDecodeToScratch agrees with huffmanDecode on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const max = huffmanDecodedMaxLength(bytes.length);
      const a = new Uint8Array(max);
      const b = new Uint8Array(max + 2);
      const ra = huffmanDecode(bytes, 0, bytes.length, a, 0);
      const rb = huffmanDecodeToScratch(bytes, 0, bytes.length, b, 0);
      assert.equal(rb, ra);
      if (ra >= 0) assert.deepEqual(b.subarray(0, rb), a.subarray(0, ra));
    }),
    { numRuns: 3000 },
  );
});
