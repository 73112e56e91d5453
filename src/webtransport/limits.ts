/** Limits of a WebTransport session (STYLE §3.5). */
import { resolveLimits } from '../common/limits.js';

/** Per-session limits; the receive-side values are also what the session announces to its peer. */
export interface WebTransportLimits {
  /** Streams of each direction the peer may open at once (announced as WT_MAX_STREAMS). */
  readonly maxIncomingBidiStreams: number;
  readonly maxIncomingUniStreams: number;
  /** Receive window of the whole session, in bytes of stream data (WT_MAX_DATA). */
  readonly maxSessionDataBytes: number;
  /** Receive window of one stream (WT_MAX_STREAM_DATA). */
  readonly maxStreamDataBytes: number;
  /** Stream bytes queued by the application but not yet sent, over all streams, before sends report backpressure. */
  readonly maxBufferedBytes: number;
  /** Largest datagram sent or accepted. */
  readonly maxDatagramBytes: number;
  /** Datagrams queued for sending; more are dropped, as datagrams may be (RFC 9297 §5). */
  readonly maxQueuedDatagrams: number;
  /** Largest stream payload sent in one WT_STREAM capsule (longer writes are split). */
  readonly maxStreamCapsuleBytes: number;
  /** Largest control capsule buffered whole (everything but WT_STREAM, whose payload streams through). */
  readonly maxCapsuleBytes: number;
}

/** Defaults, each with its reason. */
export const DEFAULT_WEBTRANSPORT_LIMITS: Readonly<WebTransportLimits> = Object.freeze({
  // Matches the stream budget browsers and @fails-components/webtransport announce (100 each way).
  maxIncomingBidiStreams: 100,
  maxIncomingUniStreams: 100,
  // 1 MiB per session and 256 KiB per stream: enough for a few RTTs on a LAN, bounded per session.
  maxSessionDataBytes: 1 << 20,
  maxStreamDataBytes: 256 << 10,
  maxBufferedBytes: 1 << 20,
  // 16 KiB: what @fails-components/webtransport offers over HTTP/2; HTTP/3 is bounded by the QUIC packet anyway.
  maxDatagramBytes: 16384,
  maxQueuedDatagrams: 128,
  // 16 KiB, the HTTP/2 default frame size: @fails-components/webtransport closes the session on a capsule
  // longer than 8 times its receive window (16 KiB at first).
  maxStreamCapsuleBytes: 16384,
  // A close capsule is 4 + 1024 bytes; a datagram capsule carries at most maxDatagramBytes.
  maxCapsuleBytes: 16384 + 64,
});

/** Merges and validates overrides. */
export function resolveWebTransportLimits(
  overrides: Partial<WebTransportLimits> | undefined,
): Readonly<WebTransportLimits> {
  return resolveLimits('WebTransportLimits', DEFAULT_WEBTRANSPORT_LIMITS, overrides);
}
