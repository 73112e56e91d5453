/**
 * Prefixed integers (RFC 7541 §5.1), shared by HPACK and QPACK (RFC 9204 §4.1.1 reuses the same form).
 *
 * An integer starts in the low N bits of a byte whose high bits belong to the caller (a representation
 * pattern or flags). Values below 2^N - 1 fit in the prefix; larger ones set the prefix to all ones and
 * continue in 7-bit groups, least significant first, with the high bit of each byte meaning "more follows".
 *
 * Values are JavaScript numbers: the decoder reports anything above `Number.MAX_SAFE_INTEGER` (or a
 * caller-provided maximum) as an overflow rather than silently losing precision.
 */

/** Result slot of {@link decodeInteger}: reused on every call, so read it before the next call. */
export interface IntegerResult {
  /** The decoded value (valid when `next >= 0`). */
  value: number;
  /** Position after the integer, or {@link INTEGER_NEED_MORE} / {@link INTEGER_OVERFLOW}. */
  next: number;
}

/** `decodeInteger` result: the input ended before the last byte of the integer (need more bytes). */
export const INTEGER_NEED_MORE = -1;
/** `decodeInteger` result: the value exceeds the maximum, or the encoding is longer than any valid one. */
export const INTEGER_OVERFLOW = -2;

/**
 * The shared result object of {@link decodeInteger}. Non-allocating convention: callers read
 * `intResult.value` right after a successful call.
 */
export const intResult: IntegerResult = { value: 0, next: 0 };

/**
 * Continuation bytes allowed after the prefix: 8 groups of 7 bits cover 56 bits, enough for any value up
 * to 2^53 - 1 even with a 1-bit prefix. RFC 7541 §5.1: encodings that exceed implementation limits "in
 * value or octet length" are decoding errors, so a run of redundant 0x80 bytes cannot go on forever.
 */
const MAX_CONTINUATION_BYTES = 8;

/**
 * Writes `value` with an N-bit prefix (`prefixBits` in 1..8); `firstByte` holds the bits above the prefix
 * (its low `prefixBits` bits must be zero). Returns the new position. `dst` must have room for
 * {@link integerLength} bytes; `value` must be a non-negative safe integer.
 */
export function encodeInteger(
  dst: Uint8Array,
  pos: number,
  value: number,
  prefixBits: number,
  firstByte: number,
): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    dst[pos++] = firstByte | value;
    return pos;
  }
  dst[pos++] = firstByte | max;
  value -= max;
  // Above 2^31 the bitwise operators would truncate, so the large path uses arithmetic.
  while (value >= 128) {
    if (value < 0x80000000) {
      dst[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    } else {
      dst[pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
  }
  dst[pos++] = value;
  return pos;
}

/** Bytes needed to encode `value` with an N-bit prefix. */
export function integerLength(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  value -= max;
  let n = 2;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/**
 * Decodes an N-bit prefixed integer starting at `src[pos]` (the prefix is the low `prefixBits` bits of
 * that byte; the caller has already read the high bits). Never throws and never allocates.
 *
 * Returns the position after the integer and stores the value in `intResult.value`; returns
 * {@link INTEGER_NEED_MORE} (-1) when `end` comes before the integer does, or {@link INTEGER_OVERFLOW} (-2)
 * when the value exceeds `max` (default 2^53 - 1) or the encoding is implausibly long, so each layer can
 * raise its own error. `intResult.next` always mirrors the return value.
 */
export function decodeInteger(
  src: Uint8Array,
  pos: number,
  end: number,
  prefixBits: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (pos >= end) return (intResult.next = INTEGER_NEED_MORE);
  const mask = (1 << prefixBits) - 1;
  let value = src[pos++]! & mask;
  if (value < mask) {
    if (value > max) return (intResult.next = INTEGER_OVERFLOW);
    intResult.value = value;
    return (intResult.next = pos);
  }
  let multiplier = 1;
  for (let i = 0; i < MAX_CONTINUATION_BYTES; i++) {
    if (pos >= end) return (intResult.next = INTEGER_NEED_MORE);
    const b = src[pos++]!;
    value += (b & 0x7f) * multiplier;
    if (value > max) return (intResult.next = INTEGER_OVERFLOW);
    if (b < 0x80) {
      intResult.value = value;
      return (intResult.next = pos);
    }
    multiplier *= 128;
  }
  return (intResult.next = INTEGER_OVERFLOW);
}
