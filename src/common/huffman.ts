/**
 * The HPACK/QPACK Huffman code (RFC 7541 §5.2 and Appendix B; RFC 9204 §4.1.2 reuses it).
 *
 * Encoding packs codes MSB first into a 32-bit accumulator that never holds more than 31 bits. Decoding is
 * a finite-state machine over whole input bytes: each state is an internal node of the code tree (there
 * are exactly 256), and a precomputed table, built once at module load, gives for every (state, byte) the
 * next state and the symbols completed on the way (at most two). One table lookup per input byte, no
 * per-bit loop; the final state tells whether the padding is valid.
 */
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table.js';

export { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table.js';

/** `huffmanDecode` result: the string contains the EOS symbol (RFC 7541 §5.2: a decoding error). */
export const HUFFMAN_ERR_EOS = -1;
/** `huffmanDecode` result: the final bits are not a prefix of EOS, i.e. not all ones (RFC 7541 §5.2). */
export const HUFFMAN_ERR_PADDING = -2;
/** `huffmanDecode` result: the padding is longer than 7 bits (RFC 7541 §5.2). */
export const HUFFMAN_ERR_PADDING_TOO_LONG = -3;

// Entry layout of the decode table: bits 0-7 next state, bits 8-15 first symbol, bits 16-23 second
// symbol, bits 24-25 the number of symbols completed (0, 1 or 2) or EMIT_FAIL when EOS was decoded, bit 26
// set when a completed symbol is above 0x7f (so callers learn for free whether the output is ASCII).
// Two symbols at most: the shortest code has 5 bits, so a byte can finish one code and hold one more.
const EMIT_FAIL = 3;
const NON_ASCII = 1 << 26;

/**
 * Side result of the last successful {@link huffmanDecode}: whether every decoded byte was below 0x80.
 * Read it right after the call.
 */
export const huffmanDecodeInfo: { isAscii: boolean } = { isAscii: true };

/** 256 states x 256 input bytes (256 KiB), built once at module load. */
const DECODE_TABLE = new Uint32Array(256 * 256);
/**
 * For each state (internal node): its depth when it lies on the all-ones path from the root, else -1.
 * A string may end only in a state with depth 0..7 (RFC 7541 §5.2: padding is a strict EOS prefix of at
 * most 7 bits); the root (depth 0) means the last symbol ended on a byte boundary.
 */
const ONES_DEPTH = new Int8Array(256);

(function buildDecodeTable(): void {
  // Code tree: child[node * 2 + bit] is an internal node id (> 0), a leaf (-1 - symbol) or 0 (unset).
  const child = new Int32Array(512);
  let nodes = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let bit = len - 1; bit > 0; bit--) {
      const slot = node * 2 + ((code >>> bit) & 1);
      if (child[slot] === 0) child[slot] = nodes++;
      node = child[slot]!;
    }
    child[node * 2 + (code & 1)] = -1 - sym;
  }
  ONES_DEPTH.fill(-1);
  // Walk the all-ones path from the root down to the EOS leaf (30 ones).
  for (let node = 0, depth = 0; node >= 0; depth++) {
    ONES_DEPTH[node] = depth;
    node = child[node * 2 + 1]!;
  }
  for (let state = 0; state < 256; state++) {
    for (let byte = 0; byte < 256; byte++) {
      let node = state;
      let count = 0;
      let syms = 0;
      for (let bit = 7; bit >= 0; bit--) {
        const c = child[node * 2 + ((byte >>> bit) & 1)]!;
        if (c >= 0) {
          node = c;
          continue;
        }
        const sym = -1 - c;
        node = 0;
        if (sym === HUFFMAN_EOS) {
          count = EMIT_FAIL;
          break;
        }
        syms |= sym << (8 + 8 * count);
        if (sym > 0x7f) syms |= NON_ASCII;
        count++;
      }
      DECODE_TABLE[(state << 8) | byte] = ((count << 24) | syms | node) >>> 0;
    }
  }
})();

/** The largest number of bytes `n` Huffman-coded bytes can decode to (every code has at least 5 bits). */
export function huffmanDecodedMaxLength(n: number): number {
  return Math.floor((n * 8) / 5);
}

/**
 * Decodes the Huffman string `src[start, end)` into `dst` at `pos` and returns the new position, or a
 * negative code: {@link HUFFMAN_ERR_EOS}, {@link HUFFMAN_ERR_PADDING} or {@link HUFFMAN_ERR_PADDING_TOO_LONG}
 * (RFC 7541 §5.2). `dst` must have room for {@link huffmanDecodedMaxLength}`(end - start)` bytes.
 */
export function huffmanDecode(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  pos: number,
): number {
  const table = DECODE_TABLE;
  let state = 0;
  let seen = 0;
  for (let i = start; i < end; i++) {
    const e = table[(state << 8) | src[i]!]!;
    const count = (e >>> 24) & 3;
    if (count !== 0) {
      if (count === EMIT_FAIL) return HUFFMAN_ERR_EOS;
      seen |= e;
      dst[pos++] = e >>> 8;
      if (count === 2) dst[pos++] = e >>> 16;
    }
    state = e & 0xff;
  }
  huffmanDecodeInfo.isAscii = (seen & NON_ASCII) === 0;
  const depth = ONES_DEPTH[state]!;
  // RFC 7541 §5.2: padding not corresponding to the most significant bits of EOS is a decoding error.
  if (depth < 0) return HUFFMAN_ERR_PADDING;
  // RFC 7541 §5.2: padding strictly longer than 7 bits is a decoding error.
  if (depth > 7) return HUFFMAN_ERR_PADDING_TOO_LONG;
  return pos;
}

/**
 * {@link huffmanDecode} without the per-symbol branch: it always stores two bytes per input byte and
 * advances by the number of symbols completed, so it may overwrite up to 2 bytes after the returned end.
 * Use it when the bytes after the output are scratch; `dst` must have room for
 * {@link huffmanDecodedMaxLength}`(end - start) + 2` bytes from `pos`. Same results and error codes.
 */
export function huffmanDecodeToScratch(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  pos: number,
): number {
  const table = DECODE_TABLE;
  let state = 0;
  let seen = 0;
  for (let i = start; i < end; i++) {
    const e = table[(state << 8) | src[i]!]!;
    const count = (e >>> 24) & 3;
    if (count === EMIT_FAIL) return HUFFMAN_ERR_EOS;
    seen |= e;
    dst[pos] = e >>> 8;
    dst[pos + 1] = e >>> 16;
    pos += count;
    state = e & 0xff;
  }
  huffmanDecodeInfo.isAscii = (seen & NON_ASCII) === 0;
  const depth = ONES_DEPTH[state]!;
  if (depth < 0) return HUFFMAN_ERR_PADDING;
  if (depth > 7) return HUFFMAN_ERR_PADDING_TOO_LONG;
  return pos;
}

/** Huffman-encoded length in bytes of `src[start, end)` (bytes). */
export function huffmanEncodedLengthBytes(src: Uint8Array, start: number, end: number): number {
  const lengths = HUFFMAN_LENGTHS;
  let bits = 0;
  for (let i = start; i < end; i++) bits += lengths[src[i]!]!;
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encoded length in bytes of the code units `s[start, end)`, each taken as one byte (latin1).
 * Returns -1 when a code unit is above 0xff: such a string has no byte form, and callers reject it.
 */
export function huffmanEncodedLengthString(s: string, start: number, end: number): number {
  const lengths = HUFFMAN_LENGTHS;
  let bits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return -1;
    bits += lengths[c]!;
  }
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encoded length in bytes of `src[start, end)`; a string is read as latin1 code units and gives
 * -1 when one is above 0xff (see {@link huffmanEncodedLengthString}).
 */
export function huffmanEncodedLength(src: Uint8Array | string, start: number, end: number): number {
  return typeof src === 'string'
    ? huffmanEncodedLengthString(src, start, end)
    : huffmanEncodedLengthBytes(src, start, end);
}

/**
 * Huffman-encodes the bytes `src[start, end)` into `dst` at `pos`, padding the last byte with the most
 * significant bits of EOS (all ones, RFC 7541 §5.2). Returns the new position. `dst` must have room for
 * {@link huffmanEncodedLength} bytes.
 */
export function huffmanEncodeBytes(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  pos: number,
): number {
  const codes = HUFFMAN_CODES;
  const lengths = HUFFMAN_LENGTHS;
  // `cur` holds `n` (< 8) pending bits; adding a code of at most 24 bits keeps it within 31 bits.
  let cur = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const sym = src[i]!;
    let code = codes[sym]!;
    let len = lengths[sym]!;
    if (len > 24) {
      // Rare (bytes outside printable ASCII): emit the high bits first to keep the accumulator small.
      const hiLen = len - 16;
      cur = (cur << hiLen) | (code >>> 16);
      n += hiLen;
      while (n >= 8) {
        n -= 8;
        dst[pos++] = cur >>> n;
      }
      cur &= (1 << n) - 1;
      code &= 0xffff;
      len = 16;
    }
    cur = (cur << len) | code;
    n += len;
    while (n >= 8) {
      n -= 8;
      dst[pos++] = cur >>> n;
    }
    cur &= (1 << n) - 1;
  }
  if (n > 0) dst[pos++] = (cur << (8 - n)) | (0xff >>> n);
  return pos;
}

/**
 * Huffman-encodes the latin1 code units `s[start, end)` (each must be <= 0xff; check with
 * {@link huffmanEncodedLengthString} first) into `dst` at `pos`. Returns the new position.
 */
export function huffmanEncodeString(
  s: string,
  start: number,
  end: number,
  dst: Uint8Array,
  pos: number,
): number {
  const codes = HUFFMAN_CODES;
  const lengths = HUFFMAN_LENGTHS;
  let cur = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let code = codes[sym]!;
    let len = lengths[sym]!;
    if (len > 24) {
      const hiLen = len - 16;
      cur = (cur << hiLen) | (code >>> 16);
      n += hiLen;
      while (n >= 8) {
        n -= 8;
        dst[pos++] = cur >>> n;
      }
      cur &= (1 << n) - 1;
      code &= 0xffff;
      len = 16;
    }
    cur = (cur << len) | code;
    n += len;
    while (n >= 8) {
      n -= 8;
      dst[pos++] = cur >>> n;
    }
    cur &= (1 << n) - 1;
  }
  if (n > 0) dst[pos++] = (cur << (8 - n)) | (0xff >>> n);
  return pos;
}

/**
 * Huffman-encodes `src[start, end)` (bytes, or a latin1 string) into `dst` at `pos`; returns the new
 * position. `dst` must have room for {@link huffmanEncodedLength} bytes.
 */
export function huffmanEncode(
  src: Uint8Array | string,
  start: number,
  end: number,
  dst: Uint8Array,
  pos: number,
): number {
  return typeof src === 'string'
    ? huffmanEncodeString(src, start, end, dst, pos)
    : huffmanEncodeBytes(src, start, end, dst, pos);
}

/**
 * Code and length in one word for the bounded encoder: `code << 5 | length` for codes of at most 24 bits,
 * just the length for the longer ones (control bytes and most bytes above 0x7f), which take a slow path.
 */
const PACKED_CODES = new Uint32Array(256);
for (let sym = 0; sym < 256; sym++) {
  const len = HUFFMAN_LENGTHS[sym]!;
  PACKED_CODES[sym] = len <= 24 ? ((HUFFMAN_CODES[sym]! << 5) | len) >>> 0 : len;
}

/** `huffmanEncodeStringBounded` result: the encoding would be longer than the given maximum. */
export const HUFFMAN_NOT_SHORTER = -1;
/** `huffmanEncodeStringBounded` result: a code unit is above 0xff (no byte form). */
export const HUFFMAN_NOT_LATIN1 = -2;

/**
 * One-pass "Huffman if short enough": encodes the latin1 code units `s[start, end)` into `dst` at `pos`
 * and returns the new position, or {@link HUFFMAN_NOT_SHORTER} as soon as the output exceeds `maxLength`
 * bytes, or {@link HUFFMAN_NOT_LATIN1}. Saves the separate length pass when the caller only wants Huffman
 * where it is shorter than the raw string (RFC 7541 §5.2 leaves the choice to the encoder). `dst` must
 * have room for `maxLength + 4` bytes from `pos`; bytes past the result are scratch.
 */
export function huffmanEncodeStringBounded(
  s: string,
  start: number,
  end: number,
  dst: Uint8Array,
  pos: number,
  maxLength: number,
): number {
  const packed = PACKED_CODES;
  const limit = pos + maxLength;
  let all = 0;
  // `cur` holds `n` (< 8 between symbols) pending bits in its low end; higher bits are stale and never
  // read, because every store to `dst` keeps only the low 8 bits of the shifted value. After each symbol
  // the three bytes that may have completed are stored unconditionally (no data-dependent branch) and
  // `pos` advances by the whole bytes: a byte stored past them is scratch, rewritten later. With n < 8
  // and a code of at most 24 bits the accumulator never needs more than 31 bits.
  let cur = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    all |= c;
    const p = packed[c & 0xff]!;
    const len = p & 31;
    if (len <= 24) {
      cur = (cur << len) | (p >>> 5);
      n += len;
    } else {
      // Codes of 25..30 bits: the high part first, then the low 16 bits.
      const code = HUFFMAN_CODES[c & 0xff]!;
      cur = (cur << (len - 16)) | (code >>> 16);
      n += len - 16;
      dst[pos] = cur >>> (n - 8);
      dst[pos + 1] = cur >>> (n - 16);
      pos += n >>> 3;
      n &= 7;
      cur = (cur << 16) | (code & 0xffff);
      n += 16;
    }
    dst[pos] = cur >>> (n - 8);
    dst[pos + 1] = cur >>> (n - 16);
    dst[pos + 2] = cur >>> (n - 24);
    pos += n >>> 3;
    n &= 7;
    if (pos > limit) return HUFFMAN_NOT_SHORTER;
  }
  if (n > 0) dst[pos++] = (cur << (8 - n)) | (0xff >>> n);
  if (all > 0xff) return HUFFMAN_NOT_LATIN1;
  return pos > limit ? HUFFMAN_NOT_SHORTER : pos;
}
