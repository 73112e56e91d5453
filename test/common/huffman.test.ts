import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HUFFMAN_ERR_EOS,
  HUFFMAN_ERR_PADDING,
  HUFFMAN_ERR_PADDING_TOO_LONG,
  huffmanDecode,
  huffmanDecodedMaxLength,
  huffmanEncode,
  huffmanEncodedLength,
} from '../../src/common/huffman.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function decodeStr(bytes: Uint8Array): string | number {
  const dst = new Uint8Array(huffmanDecodedMaxLength(bytes.length));
  const end = huffmanDecode(bytes, 0, bytes.length, dst, 0);
  return end < 0 ? end : Buffer.from(dst.subarray(0, end)).toString('latin1');
}

// RFC 7541 Appendix C.4 and C.6 Huffman-coded strings.
const RFC_STRINGS: ReadonlyArray<readonly [string, string]> = [
  ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
  ['no-cache', 'a8eb 1064 9cbf'],
  ['custom-key', '25a8 49e9 5ba9 7d7f'],
  ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
  ['302', '6402'],
  ['private', 'aec3 771a 4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
  ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
  ['307', '640e ff'],
  ['Mon, 21 Oct 2013 20:13:22 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff'],
  ['gzip', '9bd9 ab'],
  [
    'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
  ],
];

test('RFC 7541 Appendix C Huffman strings encode and decode byte for byte', () => {
  for (const [text, wire] of RFC_STRINGS) {
    const expected = hex(wire);
    assert.equal(huffmanEncodedLength(text, 0, text.length), expected.length, text);
    const bytes = Buffer.from(text, 'latin1');
    assert.equal(huffmanEncodedLength(bytes, 0, bytes.length), expected.length, text);
    const dst = new Uint8Array(64);
    assert.equal(toHex(dst.subarray(0, huffmanEncode(text, 0, text.length, dst, 0))), toHex(expected));
    dst.fill(0);
    assert.equal(toHex(dst.subarray(0, huffmanEncode(bytes, 0, bytes.length, dst, 0))), toHex(expected));
    assert.equal(decodeStr(expected), text);
  }
});

test('every single byte value round trips, including the 26-30 bit codes', () => {
  const dst = new Uint8Array(16);
  const out = new Uint8Array(16);
  for (let b = 0; b < 256; b++) {
    const src = Uint8Array.of(b, b, b);
    const n = huffmanEncode(src, 0, 3, dst, 0);
    assert.equal(n, huffmanEncodedLength(src, 0, 3));
    const m = huffmanDecode(dst, 0, n, out, 0);
    assert.deepEqual([...out.subarray(0, m)], [b, b, b]);
  }
});

test('empty string encodes to nothing and decodes to nothing', () => {
  assert.equal(huffmanEncodedLength('', 0, 0), 0);
  assert.equal(huffmanDecode(new Uint8Array(0), 0, 0, new Uint8Array(0), 7), 7);
});

test('RFC 7541 §5.2: an encoded EOS symbol is an error', () => {
  // EOS is 30 ones; two more ones of padding fill 4 bytes.
  assert.equal(decodeStr(hex('ffffffff')), HUFFMAN_ERR_EOS);
  // 'a' (00011) then EOS then padding.
  assert.equal(decodeStr(hex('1fffffff fc')), HUFFMAN_ERR_EOS);
});

test('RFC 7541 §5.2: padding longer than 7 bits is an error', () => {
  assert.equal(decodeStr(hex('ff')), HUFFMAN_ERR_PADDING_TOO_LONG);
  // 'a' + 3 one-bits pads the first byte; a whole extra byte of ones makes 11 bits of padding.
  assert.equal(decodeStr(hex('1f')), 'a');
  assert.equal(decodeStr(hex('1fff')), HUFFMAN_ERR_PADDING_TOO_LONG);
});

test('RFC 7541 §5.2: padding that is not a prefix of EOS is an error', () => {
  assert.equal(decodeStr(hex('18')), HUFFMAN_ERR_PADDING); // 'a' + 000
  assert.equal(decodeStr(hex('1e')), HUFFMAN_ERR_PADDING); // 'a' + 110
  // An incomplete non-EOS code at the end (first 8 bits of a 10-bit code '!' = 1111111000).
  assert.equal(decodeStr(hex('fe')), HUFFMAN_ERR_PADDING);
});

test('non-latin1 string has no Huffman length', () => {
  assert.equal(
    huffmanEncodedLength('caf\u00e9', 0, 4),
    huffmanEncodedLength(Uint8Array.of(99, 97, 102, 0xe9), 0, 4),
  );
  assert.equal(huffmanEncodedLength('\u20ac', 0, 1), -1);
});

test('decoding writes at pos and respects start/end', () => {
  const src = hex('00 a8eb10649cbf 00');
  const dst = new Uint8Array(32).fill(0xaa);
  const end = huffmanDecode(src, 1, 7, dst, 3);
  assert.equal(end, 11);
  assert.equal(Buffer.from(dst.subarray(3, 11)).toString(), 'no-cache');
  assert.equal(dst[2], 0xaa);
});
