/**
 * HTTP/3 connection limits (STYLE §3.5). Breaching one is H3_EXCESSIVE_LOAD (RFC 9114 §8.1).
 */
import { resolveLimits } from '../common/limits.js';

/** Limits an {@link Http3Connection} enforces on its peer. */
export interface Http3Limits {
  /**
   * Largest field section accepted, as counted by RFC 9114 §4.2.2 (name + value + 32 per line); also sent
   * as SETTINGS_MAX_FIELD_SECTION_SIZE and used as the bound on an encoded HEADERS frame payload.
   */
  readonly maxFieldSectionSize: number;
  /** Peer-initiated request streams open at once; more are reset with H3_EXCESSIVE_LOAD. */
  readonly maxConcurrentRequestStreams: number;
  /** Peer-initiated unidirectional streams open at once (control, QPACK and unknown ones). */
  readonly maxUnidirectionalStreams: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS advertised and enforced (RFC 9204 §2.1.2). */
  readonly maxBlockedStreams: number;
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY advertised (RFC 9204 §3.2.3). */
  readonly qpackMaxTableCapacity: number;
  /** Bytes held for one stream whose frames cannot be processed yet (QPACK-blocked or partial frames). */
  readonly maxBufferedBytesPerStream: number;
  /** Largest SETTINGS payload buffered. */
  readonly maxSettingsBytes: number;
  /** WebTransport streams tracked at once, over all sessions (only with `webTransportMaxSessions`). */
  readonly maxWebTransportStreams: number;
}

/** Default limits, each with its reason. */
export const DEFAULT_HTTP3_LIMITS: Readonly<Http3Limits> = Object.freeze({
  // 64 KiB: matches DEFAULT_QPACK_LIMITS.maxFieldSectionSize; generous for real messages (RFC 9114 §4.2.2).
  maxFieldSectionSize: 65536,
  // 100: the usual concurrency floor (RFC 9113 §6.5.2 recommends at least 100; QUIC MAX_STREAMS is set alike).
  maxConcurrentRequestStreams: 100,
  // 16: three are needed (control, QPACK encoder and decoder); the rest covers unknown types being stopped.
  maxUnidirectionalStreams: 16,
  // 100: every open request stream may block once (as DEFAULT_QPACK_LIMITS).
  maxBlockedStreams: 100,
  // 4096: the HPACK default table size (RFC 7541 §6.5.2).
  qpackMaxTableCapacity: 4096,
  // 128 KiB: one maximal field section plus the frames behind it, per stream.
  maxBufferedBytesPerStream: 131072,
  // 4 KiB: hundreds of settings; real peers send fewer than ten.
  maxSettingsBytes: 4096,
  // Two sessions' worth of the 100 + 100 streams browsers expect per session.
  maxWebTransportStreams: 400,
});

/** Merges and validates HTTP/3 limits. */
export function resolveHttp3Limits(overrides?: Partial<Http3Limits>): Readonly<Http3Limits> {
  return resolveLimits('Http3Limits', DEFAULT_HTTP3_LIMITS, overrides);
}
