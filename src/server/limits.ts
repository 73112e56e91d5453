/**
 * Server limits and timeouts (STYLE §3.5): every one is named, has a safe default and a reason.
 * Timeouts are driven by one timer wheel per server (src/transport/timer-wheel.ts), never a timer per socket.
 */
import { resolveLimits } from '../common/limits.js';

/** Connection-level limits and timeouts of {@link createServer}. */
export interface ServerLimits {
  /** Open connections; more are closed on accept. 10,000 keeps fds well under common `ulimit -n` raises. */
  readonly maxConnections: number;
  /**
   * TLS: time from accept to a completed handshake; a peer that never sends a ClientHello is destroyed.
   * 10 s like the header timeout (node:tls's own default, 120 s, lets idle peers hold descriptors).
   */
  readonly handshakeTimeoutMs: number;
  /** Time to receive a complete request head, from its first byte (slowloris defence): 408, then close. */
  readonly headerTimeoutMs: number;
  /** Idle time allowed between requests on a keep-alive connection before it is closed (like Node's 5 s). */
  readonly keepAliveTimeoutMs: number;
  /** Longest silence while a request body is being received: the connection is closed. */
  readonly bodyTimeoutMs: number;
  /**
   * Time a handler may take to start its response, counted from when it returned (or its promise was
   * made) without having started it (any protocol). A handler that has not started its response by then gets a 503 sent for it, its request aborted (`req.signal`) and `onError` told
   * (`ERR_RESPONSE_TIMEOUT`); so no handler can hold a connection or stream forever. 120 s: above common
   * proxy read timeouts (60 s), below Node's `requestTimeout` (300 s).
   */
  readonly responseTimeoutMs: number;
  /**
   * How long a connection we half-closed (sent FIN after a final answer, 408 or error) waits for the peer
   * to close its side before it is destroyed; counted from when our output has drained.
   */
  readonly lingerTimeoutMs: number;
  /**
   * Longest time queued output may make no progress (the peer reads nothing) before the connection is
   * destroyed (`ERR_SEND_TIMEOUT`). 60 s, like nginx's `send_timeout`: slow readers pass, stuck ones do not.
   */
  readonly sendTimeoutMs: number;
  /** Time `close()` waits for in-flight requests before destroying what is left. */
  readonly shutdownTimeoutMs: number;
  /** Pending output (bytes) above which a connection stops reading and `write()` returns false. */
  readonly highWaterMarkBytes: number;
  /** Request body bytes buffered ahead of the handler before reading pauses. */
  readonly bodyBufferBytes: number;
  /** Requests received ahead of the one being answered (pipelining depth) before reading pauses. */
  readonly maxPipelinedRequests: number;
  /** Listen backlog. */
  readonly backlog: number;
  /** Timer wheel precision; timeouts fire up to one tick late. */
  readonly timerTickMs: number;
}

/** Defaults of {@link ServerLimits}. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxConnections: 10_000,
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  bodyTimeoutMs: 30_000,
  responseTimeoutMs: 120_000,
  // Ample for a peer to read a final answer and close; short enough that peers ignoring FIN can't hold slots.
  lingerTimeoutMs: 2_000,
  sendTimeoutMs: 60_000,
  shutdownTimeoutMs: 10_000,
  highWaterMarkBytes: 64 * 1024,
  bodyBufferBytes: 64 * 1024,
  maxPipelinedRequests: 16,
  backlog: 511,
  timerTickMs: 100,
});

/** Merges overrides into {@link DEFAULT_SERVER_LIMITS}; unknown keys and bad values are a UsageError. */
export function resolveServerLimits(overrides?: Partial<ServerLimits>): Readonly<ServerLimits> {
  return resolveLimits('ServerLimits', DEFAULT_SERVER_LIMITS, overrides);
}
