/**
 * WebSocket limits (STYLE §3.5). Every default is finite and carries its reason; pass `Infinity` explicitly
 * to lift one. Breaching a size limit fails the connection with 1009 (RFC 6455 §7.4.1: "a message that is
 * too big for it to process"); flooding the control queue fails it with 1008 (policy violation).
 */

/** Limits of one {@link WebSocketConnection}. */
export interface WebSocketLimits {
  /** Largest payload of one frame, checked from the header before any payload is buffered. */
  readonly maxFrameBytes: number;
  /**
   * Largest message (all fragments together, and after permessage-deflate decompression), checked as each
   * frame header arrives so an oversized message is refused before it is buffered.
   */
  readonly maxMessageBytes: number;
  /** Control frames (automatic Pong and Close replies) queued and not yet taken by the caller. */
  readonly maxControlQueue: number;
  /** Frames of one fragmented message; bounds floods of tiny or empty continuation frames. */
  readonly maxFragmentsPerMessage: number;
}

/** Default WebSocket limits; frozen. */
export const DEFAULT_WEBSOCKET_LIMITS: Readonly<WebSocketLimits> = Object.freeze({
  // 16 MiB: far above chat, RPC and streaming payloads (browsers' own framing rarely exceeds a few MiB),
  // and 1000 connections each mid-message still fit in 16 GiB; `ws` allows 100 MiB, which we find too lax.
  maxFrameBytes: 16 << 20,
  // 16 MiB: the same bound for the reassembled (and inflated) message; a deflate bomb stops here.
  maxMessageBytes: 16 << 20,
  // 1024: a Ping flood from a peer that never reads our Pongs (the CVE-2019-9512 pattern) stops here.
  maxControlQueue: 1024,
  // 65536: a 16 MiB message in 256-byte fragments; empty-fragment floods stop here.
  maxFragmentsPerMessage: 65536,
});
