/**
 * HTTP/2 limits (STYLE §3.5). Every default is finite and carries its reason; pass `Infinity` explicitly to
 * lift one. Breaching a flood limit is a connection error ENHANCE_YOUR_CALM (RFC 9113 §10.5); breaching the
 * stream limit refuses the stream with REFUSED_STREAM (RFC 9113 §5.1.2).
 */

/** Limits of one {@link Http2Connection}. */
export interface Http2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we announce and enforce; above it a new stream gets REFUSED_STREAM. */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE we announce: the starting receive window of every stream. */
  readonly initialWindowSize: number;
  /** Receive window of the connection as a whole, announced with a WINDOW_UPDATE on stream 0 at start. */
  readonly connectionWindowSize: number;
  /** Ceiling of receive-window auto-tuning (per stream and per connection); equal to the start value disables it. */
  readonly maxReceiveWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE we announce: the largest frame payload we accept. */
  readonly maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce and enforce while decoding (HPACK bomb defence). */
  readonly maxHeaderListSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE we announce: our HPACK decoder's dynamic table capacity. */
  readonly headerTableSize: number;
  /** Largest compressed field block (HEADERS + CONTINUATION payloads) we buffer. */
  readonly maxHeaderBlockSize: number;
  /** Most CONTINUATION frames after one HEADERS or PUSH_PROMISE. */
  readonly maxContinuationFrames: number;
  /** Burst of stream resets the peer may cause (its RST_STREAMs plus our resets for its errors). */
  readonly maxResetBurst: number;
  /** Steady rate, per second, at which the reset budget refills (needs timestamps). */
  readonly resetRefillPerSecond: number;
  /** Burst of PING, SETTINGS, PRIORITY and PRIORITY_UPDATE frames the peer may send. */
  readonly maxControlFrameBurst: number;
  /** Steady rate, per second, at which the control-frame budget refills. */
  readonly controlFrameRefillPerSecond: number;
  /** Burst of empty DATA (no END_STREAM), empty CONTINUATION and unknown-type frames. */
  readonly maxEmptyFrameBurst: number;
  /** Steady rate, per second, at which the empty-frame budget refills. */
  readonly emptyFrameRefillPerSecond: number;
  /** Control frames (PING ACK, SETTINGS ACK, RST_STREAM) queued and not yet taken by the caller. */
  readonly maxPendingControlFrames: number;
  /** Time the peer has to acknowledge our SETTINGS before SETTINGS_TIMEOUT (RFC 9113 §6.5.3). */
  readonly settingsTimeoutMs: number;
  /** Time queued DATA may wait on a closed flow-control window before the stream (or connection) is dropped. */
  readonly flowControlStallTimeoutMs: number;
  /** Time between the two GOAWAY frames of a graceful shutdown when the PING ACK does not come first. */
  readonly gracefulShutdownTimeoutMs: number;
  /** Recently closed streams remembered to tell late frames (ignored) from protocol errors (RFC 9113 §5.1). */
  readonly closedStreamMemory: number;
}

/** Default HTTP/2 limits; frozen. */
export const DEFAULT_HTTP2_LIMITS: Readonly<Http2Limits> = Object.freeze({
  // 100: RFC 9113 §6.5.2 recommends no less than 100.
  maxConcurrentStreams: 100,
  // 65535: the RFC 9113 §6.9.2 initial value; auto-tuning grows busy streams from there.
  initialWindowSize: 65535,
  // 1 MiB: keeps several streams busy on a LAN without tuning; tuning grows it further.
  connectionWindowSize: 1 << 20,
  // 16 MiB: a 1 Gbit/s link at 128 ms round trip; bounds per-stream buffering.
  maxReceiveWindowSize: 16 << 20,
  // 16384: the RFC 9113 §4.2 default every peer must accept.
  maxFrameSize: 16384,
  // 64 KiB: nghttp2's default cap; far above any real request head.
  maxHeaderListSize: 65536,
  // 4096: the RFC 7541 §4.2 initial value.
  headerTableSize: 4096,
  // 64 KiB compressed: CVE-2024-27316 class CONTINUATION floods are cut off here.
  maxHeaderBlockSize: 65536,
  // 32: real encoders send a block in a handful of frames; floods use thousands.
  maxContinuationFrames: 32,
  // 1000 and 33/s: nghttp2's rapid-reset defaults (CVE-2023-44487).
  maxResetBurst: 1000,
  resetRefillPerSecond: 33,
  // 1000 and 100/s: CVE-2019-9512 (PING), 9515 (SETTINGS), 9513 (PRIORITY) floods.
  maxControlFrameBurst: 1000,
  controlFrameRefillPerSecond: 100,
  // 100 and 10/s: CVE-2019-9518 empty-frame floods.
  maxEmptyFrameBurst: 100,
  emptyFrameRefillPerSecond: 10,
  // 10000: nghttp2's outbound control-frame queue bound (CVE-2019-9512/9515 when the peer does not read).
  maxPendingControlFrames: 10000,
  // 10 s: RFC 9113 §6.5.3 leaves the value to the implementation; nghttp2 and Node use 10 s.
  settingsTimeoutMs: 10000,
  // 60 s: CVE-2019-9517 class (zero window / slow read) holds resources at most this long.
  flowControlStallTimeoutMs: 60000,
  // 2 s: RFC 9113 §6.8 suggests at least one round trip between the two GOAWAY frames.
  gracefulShutdownTimeoutMs: 2000,
  // 1024: long enough to cover late frames after resets; bounded memory.
  closedStreamMemory: 1024,
});
