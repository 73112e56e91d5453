/**
 * QUIC variable-length integers (RFC 9000 §16), shared by the HTTP/3 frame layer and QPACK's stream types.
 *
 * The two high bits of the first byte give the length (1, 2, 4 or 8 bytes); the rest is the value in
 * network byte order. Values decode to `number`; an 8-byte value above 2^53-1 (which no HTTP/3 limit can
 * reach, but a peer may still send in a length or setting) decodes through the bigint slow path
 * {@link readVarintBig}. {@link readVarint} reports it as {@link VARINT_TOO_LARGE} so callers never see a
 * silently rounded number.
 */

// BigInt() calls instead of literals: the fuzz build targets ES2017, which has no bigint literal syntax.
const BIG_0 = BigInt(0);
const BIG_8 = BigInt(8);
const BIG_FF = BigInt(0xff);
const BIG_30_BITS = BigInt(0x3fffffff);

/** Largest value a QUIC varint can carry: 2^62-1 (RFC 9000 §16). */
export const VARINT_MAX_BIG: bigint = BigInt('4611686018427387903');

/** `readVarint` result when the bytes end inside the integer ("need more data", never an exception). */
export const VARINT_INCOMPLETE = -1;

/** `readVarint` result for an 8-byte value above `Number.MAX_SAFE_INTEGER`; use {@link readVarintBig}. */
export const VARINT_TOO_LARGE = -2;

/** Number of bytes a varint occupies, read from its first byte. */
export function varintLengthFromFirstByte(first: number): 1 | 2 | 4 | 8 {
  return (1 << (first >> 6)) as 1 | 2 | 4 | 8;
}

/** Number of bytes needed to encode `value` (a safe non-negative integer or a bigint up to 2^62-1). */
export function varintSize(value: number | bigint): 1 | 2 | 4 | 8 {
  if (typeof value === 'bigint') {
    if (value < BIG_0 || value > VARINT_MAX_BIG) throw new RangeError(`varint out of range: ${value}`);
    return value <= BIG_30_BITS ? varintSize(Number(value)) : 8;
  }
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/**
 * Decodes the varint at `bytes[pos]` (must be `< end`). Returns the value, {@link VARINT_INCOMPLETE} when
 * fewer than its length remain before `end`, or {@link VARINT_TOO_LARGE} above 2^53-1. The length consumed
 * is `varintLengthFromFirstByte(bytes[pos])`.
 */
export function readVarint(bytes: Uint8Array, pos: number, end: number): number {
  const first = bytes[pos]!;
  const len = 1 << (first >> 6);
  if (pos + len > end) return VARINT_INCOMPLETE;
  switch (len) {
    case 1:
      return first;
    case 2:
      return ((first & 0x3f) << 8) | bytes[pos + 1]!;
    case 4:
      return (
        ((first & 0x3f) * 0x1000000 +
          ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!)) >>>
        0
      );
    default: {
      const hi =
        ((first & 0x3f) * 0x1000000 +
          ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!)) >>>
        0;
      // hi holds the top 30 bits; 2^53-1 means hi < 2^21.
      if (hi >= 0x200000) return VARINT_TOO_LARGE;
      const lo =
        (bytes[pos + 4]! * 0x1000000 +
          ((bytes[pos + 5]! << 16) | (bytes[pos + 6]! << 8) | bytes[pos + 7]!)) >>>
        0;
      return hi * 0x100000000 + lo;
    }
  }
}

/** Bigint slow path: decodes any varint up to 2^62-1, or returns `undefined` when incomplete. */
export function readVarintBig(bytes: Uint8Array, pos: number, end: number): bigint | undefined {
  const first = bytes[pos]!;
  const len = 1 << (first >> 6);
  if (pos + len > end) return undefined;
  let v = BigInt(first & 0x3f);
  for (let i = 1; i < len; i++) v = (v << BIG_8) | BigInt(bytes[pos + i]!);
  return v;
}

/**
 * Writes `value` at `dst[pos]` using the shortest encoding (or `minLength` bytes when larger) and returns the
 * new position. The caller guarantees room (see {@link varintSize}).
 */
export function writeVarint(
  dst: Uint8Array,
  pos: number,
  value: number,
  minLength: 1 | 2 | 4 | 8 = 1,
): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
  const size = Math.max(varintSize(value), minLength);
  switch (size) {
    case 1:
      dst[pos] = value;
      return pos + 1;
    case 2:
      dst[pos] = 0x40 | (value >>> 8);
      dst[pos + 1] = value & 0xff;
      return pos + 2;
    case 4:
      dst[pos] = 0x80 | (value >>> 24);
      dst[pos + 1] = (value >>> 16) & 0xff;
      dst[pos + 2] = (value >>> 8) & 0xff;
      dst[pos + 3] = value & 0xff;
      return pos + 4;
    default: {
      const hi = Math.floor(value / 0x100000000);
      const lo = value >>> 0;
      dst[pos] = 0xc0 | (hi >>> 24);
      dst[pos + 1] = (hi >>> 16) & 0xff;
      dst[pos + 2] = (hi >>> 8) & 0xff;
      dst[pos + 3] = hi & 0xff;
      dst[pos + 4] = lo >>> 24;
      dst[pos + 5] = (lo >>> 16) & 0xff;
      dst[pos + 6] = (lo >>> 8) & 0xff;
      dst[pos + 7] = lo & 0xff;
      return pos + 8;
    }
  }
}

/** Bigint writer for values above 2^53-1 (always 8 bytes unless the value is small). */
export function writeVarintBig(dst: Uint8Array, pos: number, value: bigint): number {
  const size = varintSize(value);
  if (size < 8) return writeVarint(dst, pos, Number(value));
  let v = value;
  for (let i = 7; i >= 0; i--) {
    dst[pos + i] = Number(v & BIG_FF);
    v >>= BIG_8;
  }
  dst[pos] = dst[pos]! | 0xc0;
  return pos + 8;
}

/** Encodes `value` into a fresh array (for tests and one-off control data). */
export function encodeVarint(value: number | bigint): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  if (typeof value === 'bigint') writeVarintBig(out, 0, value);
  else writeVarint(out, 0, value);
  return out;
}
