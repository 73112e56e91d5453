/**
 * Packet number truncation and recovery (RFC 9000 §17.1, Appendix A.2 and A.3). Packet numbers are
 * `number`s: at most 2^62-1 on the wire, but a connection never gets near 2^53.
 */

/** Length in bytes of an encoded packet number: 1 to 4 (RFC 9000 §17.1). */
export type PacketNumberLength = 1 | 2 | 3 | 4;

/**
 * The packet number length to send `pn` with, given the largest packet number the peer has acknowledged
 * in this space (`undefined` when none): at least twice the unacknowledged range (RFC 9000 §17.1, A.2).
 */
export function packetNumberLength(pn: number, largestAcked: number | undefined): PacketNumberLength {
  const unacked = largestAcked === undefined ? pn + 1 : Math.max(pn - largestAcked, 1);
  // RFC 9000 A.2: min_bits = log2(num_unacked) + 1, num_bytes = ceil(min_bits / 8)
  const twice = unacked * 2;
  if (twice <= 0x100) return 1;
  if (twice <= 0x10000) return 2;
  if (twice <= 0x1000000) return 3;
  return 4;
}

/** Writes the low `length` bytes of `pn` big-endian at `dst[pos]`; returns the new position. */
export function writePacketNumber(
  dst: Uint8Array,
  pos: number,
  pn: number,
  length: PacketNumberLength,
): number {
  let v = pn % 0x100000000;
  for (let i = length - 1; i >= 0; i--) {
    dst[pos + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return pos + length;
}

/** Reads a `length`-byte truncated packet number at `bytes[pos]`. */
export function readPacketNumber(bytes: Uint8Array, pos: number, length: number): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + bytes[pos + i]!;
  return v;
}

/**
 * Recovers the full packet number from `truncated` (`lengthBytes` long) and the largest packet number
 * received so far in the space (-1 when none) (RFC 9000 §17.1, Appendix A.3).
 */
export function decodePacketNumber(largestPn: number, truncated: number, lengthBytes: number): number {
  const expected = largestPn + 1;
  const win = 2 ** (8 * lengthBytes);
  const hwin = win / 2;
  // (expected & ~mask) | truncated, in arithmetic so it holds above 2^32
  const candidate = Math.floor(expected / win) * win + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
