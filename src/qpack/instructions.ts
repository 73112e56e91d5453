/**
 * Emitters for QPACK encoder stream (RFC 9204 §4.3) and decoder stream (§4.4) instructions, and the
 * string literal form shared with field lines (§4.1.2). Each writes into a growable {@link ByteBuffer}.
 */
import type { ByteBuffer } from '../common/bytes.js';
import { huffmanEncodedLengthString, huffmanEncodeString } from '../common/huffman.js';
import { encodeInteger, integerLength } from '../common/integer.js';
import { UsageError } from '../common/errors.js';

/**
 * Writes string `s` (latin1 code units) as an RFC 9204 §4.1.2 string literal whose length prefix is
 * `prefixBits` wide, with the H flag at bit `prefixBits` and `high` holding the pattern bits above it.
 * Huffman is used only when strictly shorter.
 */
export function writeStringLiteral(out: ByteBuffer, s: string, prefixBits: number, high: number): void {
  const raw = s.length;
  const huff = huffmanEncodedLengthString(s, 0, raw);
  if (huff < 0) {
    throw new UsageError('ERR_QPACK_INVALID_FIELD', 'QPACK field names and values must be latin1 strings');
  }
  if (huff < raw) {
    out.ensure(integerLength(huff, prefixBits) + huff);
    let pos = encodeInteger(out.bytes, out.length, huff, prefixBits, high | (1 << prefixBits));
    pos = huffmanEncodeString(s, 0, raw, out.bytes, pos);
    out.length = pos;
    return;
  }
  out.ensure(integerLength(raw, prefixBits) + raw);
  let pos = encodeInteger(out.bytes, out.length, raw, prefixBits, high);
  const dst = out.bytes;
  for (let i = 0; i < raw; i++) dst[pos++] = s.charCodeAt(i);
  out.length = pos;
}

/** Size in bytes of {@link writeStringLiteral}'s output (or -1 for a non-latin1 string). */
export function stringLiteralLength(s: string, prefixBits: number): number {
  const huff = huffmanEncodedLengthString(s, 0, s.length);
  if (huff < 0) return -1;
  const n = Math.min(huff, s.length);
  return integerLength(n, prefixBits) + n;
}

/** Writes a prefixed integer with pattern bits `high`. */
export function writeInteger(out: ByteBuffer, value: number, prefixBits: number, high: number): void {
  out.ensure(integerLength(value, prefixBits));
  out.length = encodeInteger(out.bytes, out.length, value, prefixBits, high);
}

// ---- Encoder stream (RFC 9204 §4.3) ----

/** §4.3.1 Set Dynamic Table Capacity: `001` + 5-bit capacity. */
export function writeSetDynamicTableCapacity(out: ByteBuffer, capacity: number): void {
  writeInteger(out, capacity, 5, 0x20);
}

/**
 * §4.3.2 Insert with Name Reference: `1T` + 6-bit index, then the value (H + 7-bit length).
 * For a dynamic name, `index` is relative: insertCount - 1 - absolute (§3.2.5).
 */
export function writeInsertWithNameReference(
  out: ByteBuffer,
  isStatic: boolean,
  index: number,
  value: string,
): void {
  writeInteger(out, index, 6, isStatic ? 0xc0 : 0x80);
  writeStringLiteral(out, value, 7, 0);
}

/** §4.3.3 Insert with Literal Name: `01H` + 5-bit name length, name, then the value (H + 7-bit length). */
export function writeInsertWithLiteralName(out: ByteBuffer, name: string, value: string): void {
  writeStringLiteral(out, name, 5, 0x40);
  writeStringLiteral(out, value, 7, 0);
}

/** §4.3.4 Duplicate: `000` + 5-bit relative index. */
export function writeDuplicate(out: ByteBuffer, relativeIndex: number): void {
  writeInteger(out, relativeIndex, 5, 0x00);
}

// ---- Decoder stream (RFC 9204 §4.4) ----

/** §4.4.1 Section Acknowledgment: `1` + 7-bit stream id. */
export function writeSectionAcknowledgment(out: ByteBuffer, streamId: number): void {
  writeInteger(out, streamId, 7, 0x80);
}

/** §4.4.2 Stream Cancellation: `01` + 6-bit stream id. */
export function writeStreamCancellation(out: ByteBuffer, streamId: number): void {
  writeInteger(out, streamId, 6, 0x40);
}

/** §4.4.3 Insert Count Increment: `00` + 6-bit increment. */
export function writeInsertCountIncrement(out: ByteBuffer, increment: number): void {
  writeInteger(out, increment, 6, 0x00);
}
