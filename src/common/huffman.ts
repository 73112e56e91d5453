/**
 * The HPACK/QPACK Huffman code (RFC 7541 §5.2 and Appendix B; RFC 9204 §4.1.2 reuses it).
 *
 * Encoding packs codes MSB first into a 32-bit accumulator that never holds more than 31 bits. Decoding is
 * a finite-state machine over 4-bit nibbles: each state is an internal node of the code tree (there are
 * exactly 256), and a precomputed table, built once at module load, gives for every (state, nibble) the
 * next state, the symbol completed on the way (at most one: the shortest code has 5 bits) and whether the
 * bits seen since the last symbol form valid padding. Two table lookups per input byte, no per-bit loop.
 */
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table.js';

export { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table.js';

/** `huffmanDecode` result: the string contains the EOS symbol (RFC 7541 §5.2: a decoding error). */
export const HUFFMAN_ERR_EOS = -1;
/** `huffmanDecode` result: the final bits are not a prefix of EOS, i.e. not all ones (RFC 7541 §5.2). */
export const HUFFMAN_ERR_PADDING = -2;
/** `huffmanDecode` result: the padding is longer than 7 bits (RFC 7541 §5.2). */
export const HUFFMAN_ERR_PADDING_TOO_LONG = -3;

// Entry layout of the decode table: bits 0-7 next state, bits 8-15 emitted symbol, then flags.
const FLAG_SYM = 1 << 16;
const FLAG_FAIL = 1 << 17;

/** 256 states x 16 nibbles. */
const DECODE_TABLE = new Uint32Array(256 * 16);
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
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const c = child[node * 2 + ((nibble >>> bit) & 1)]!;
        if (c >= 0) {
          node = c;
          continue;
        }
        const sym = -1 - c;
        if (sym === HUFFMAN_EOS) {
          entry = FLAG_FAIL;
          node = 0;
          break;
        }
        entry = FLAG_SYM | (sym << 8);
        node = 0;
      }
      DECODE_TABLE[(state << 4) | nibble] = entry | node;
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
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    let e = table[(state << 4) | (b >>> 4)]!;
    if ((e & FLAG_SYM) !== 0) dst[pos++] = e >>> 8;
    else if ((e & FLAG_FAIL) !== 0) return HUFFMAN_ERR_EOS;
    state = e & 0xff;
    e = table[(state << 4) | (b & 0x0f)]!;
    if ((e & FLAG_SYM) !== 0) dst[pos++] = e >>> 8;
    else if ((e & FLAG_FAIL) !== 0) return HUFFMAN_ERR_EOS;
    state = e & 0xff;
  }
  const depth = ONES_DEPTH[state]!;
  // RFC 7541 §5.2: padding not corresponding to the most significant bits of EOS is a decoding error.
  if (depth < 0) return HUFFMAN_ERR_PADDING;
  // RFC 7541 §5.2: padding strictly longer than 7 bits is a decoding error.
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
