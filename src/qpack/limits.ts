/**
 * QPACK decoder limits (STYLE §3.5). `maxTableCapacity` and `maxBlockedStreams` are also the values this
 * side advertises as SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5).
 */
import { resolveLimits } from '../common/limits.js';

/** Limits a {@link QpackDecoder} enforces on its peer's encoder. */
export interface QpackLimits {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY this side advertised (RFC 9204 §3.2.3); bytes. */
  readonly maxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS this side advertised (RFC 9204 §2.1.2). */
  readonly maxBlockedStreams: number;
  /** Largest decoded field section, counted as in RFC 9114 §4.2.2 (name + value + 32 per line). */
  readonly maxFieldSectionSize: number;
  /** Longest single name or value literal in a field section, in decoded bytes. */
  readonly maxStringLength: number;
  /** Bytes of encoded field sections held while blocked, over all streams. */
  readonly maxBlockedBytes: number;
}

/** Default decoder limits; each one is advertised or enforced exactly as listed. */
export const DEFAULT_QPACK_LIMITS: Readonly<QpackLimits> = Object.freeze({
  // 4096: the HPACK default (RFC 7541 §6.5.2), the size every QPACK vector set is tuned for.
  maxTableCapacity: 4096,
  // 100: matches the usual SETTINGS_MAX_CONCURRENT_STREAMS floor (RFC 9113 §6.5.2), so any open stream may block.
  maxBlockedStreams: 100,
  // 64 KiB: generous for real requests and responses, yet bounds memory per section (RFC 9114 §4.2.2).
  maxFieldSectionSize: 65536,
  // 64 KiB: no single field can exceed the section limit anyway; bounds the Huffman scratch buffer.
  maxStringLength: 65536,
  // 1 MiB: blocked sections are copied and held; 100 blocked streams x ~10 KiB.
  maxBlockedBytes: 1048576,
});

/** Merges and validates decoder limits. */
export function resolveQpackLimits(overrides?: Partial<QpackLimits>): Readonly<QpackLimits> {
  return resolveLimits('QpackLimits', DEFAULT_QPACK_LIMITS, overrides);
}
