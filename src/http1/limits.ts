/**
 * HTTP/1 limits and leniency flags (STYLE §3.5). Every limit has a safe default with its reason; every
 * leniency is a separate opt-in that weakens a strict RFC 9112 rule, named after what it allows.
 */
import { resolveLimits } from '../common/limits.js';

/**
 * Size and count limits of the HTTP/1 parser, and the timeouts of {@link Http1Connection}'s server role.
 * A timeout of `Infinity` is off; any other value (0 included) is a duration in ms on the caller's clock.
 * Timeouts only run once the connection is given times (`receive(chunk, nowMs)`, `handleTimeout(nowMs)`).
 */
export type Http1Limits = {
  /** Bytes in a head (start-line + fields + blank line); above it HEAD_TOO_LARGE (431). */
  readonly maxHeadBytes: number;
  /** Field lines in a head or trailer section; above it TOO_MANY_HEADERS (431). */
  readonly maxHeaders: number;
  /** Bytes in a request-target; above it TARGET_TOO_LONG (414). */
  readonly maxTargetBytes: number;
  /** Bytes in a trailer section; above it TRAILERS_TOO_LARGE (431). */
  readonly maxTrailerBytes: number;
  /** Bytes of chunk extensions on one chunk line; above it CHUNK_EXTENSION_TOO_LARGE (413). */
  readonly maxChunkExtensionBytes: number;
  /** Largest Content-Length accepted; above it BODY_TOO_LARGE (413). */
  readonly maxBodyBytes: number;
  /**
   * Server: time to receive a complete request head, from its first byte (or, for a connection's first
   * request, from the first time the connection learns; for a pipelined head, from when the requests ahead
   * of it are answered). Not re-armed by more bytes (slowloris). Expiry: HEAD_TIMEOUT (408).
   */
  readonly headerTimeoutMs: number;
  /** Server: longest silence while a request body is being received (re-armed on every receive). Expiry: BODY_TIMEOUT (408). */
  readonly bodyTimeoutMs: number;
  /** Server: idle time between messages after a response ended. Expiry: the connection is closed, no response. */
  readonly keepAliveTimeoutMs: number;
};

/** Defaults, each with its reason. */
export const DEFAULT_HTTP1_LIMITS: Readonly<Http1Limits> = Object.freeze({
  // 16 KiB: Node's --max-http-header-size default; larger heads are almost always abuse.
  maxHeadBytes: 16 * 1024,
  // 100 fields: browsers send about 20; bounds per-message work against header floods.
  maxHeaders: 100,
  // 8000 octets: RFC 9112 §3 recommends supporting request-lines of at least 8000 octets.
  maxTargetBytes: 8000,
  // 16 KiB: trailers are rare and small; same budget as a head.
  maxTrailerBytes: 16 * 1024,
  // 4 KiB: extensions are unused in practice; unbounded ones are a CPU/memory DoS (CVE-2024-22019).
  maxChunkExtensionBytes: 4096,
  // 2^53-1: the largest exact integer; the application sets a real body budget per route.
  maxBodyBytes: Number.MAX_SAFE_INTEGER,
  // 10 s, as ServerLimits: ample for any real client to send a head, bounds a slowloris peer.
  headerTimeoutMs: 10_000,
  // 30 s, as ServerLimits: long pauses in an upload are rare; a stalled one must not hold the connection.
  bodyTimeoutMs: 30_000,
  // 5 s, as ServerLimits and node:http's keepAliveTimeout.
  keepAliveTimeoutMs: 5_000,
});

/** Opt-in deviations from strict RFC 9112 parsing. All default to false. */
export type Http1Leniency = {
  /** Accept LF alone as a line terminator (RFC 9112 §2.2 allows recipients to; off for smuggling safety). */
  readonly allowBareLf: boolean;
  /** Accept obs-fold continuation lines, replaced by SP when read (RFC 9112 §5.2); never for framing fields. */
  readonly allowObsFold: boolean;
  /** Accept an HTTP/1.1 request with no Host field (RFC 9112 §3.2 says reject with 400). */
  readonly allowMissingHost: boolean;
  /** Accept repeated Content-Length fields or list members when all values are equal (RFC 9110 §8.6). */
  readonly allowDuplicateContentLength: boolean;
  /** Accept Transfer-Encoding with Content-Length in a request; chunked wins and keep-alive is off (RFC 9112 §6.1). */
  readonly allowTransferEncodingWithContentLength: boolean;
  /** Accept transfer codings other than chunked before the final chunked (body is passed still encoded). */
  readonly allowUnknownTransferCoding: boolean;
};

/** Strict defaults. */
export const DEFAULT_HTTP1_LENIENCY: Readonly<Http1Leniency> = Object.freeze({
  allowBareLf: false,
  allowObsFold: false,
  allowMissingHost: false,
  allowDuplicateContentLength: false,
  allowTransferEncodingWithContentLength: false,
  allowUnknownTransferCoding: false,
});

/** Merges and validates overrides (unknown keys are a UsageError). */
export function resolveHttp1Limits(overrides?: Partial<Http1Limits>): Readonly<Http1Limits> {
  return resolveLimits('Http1Limits', DEFAULT_HTTP1_LIMITS, overrides);
}

/** Merges and validates leniency overrides. */
export function resolveHttp1Leniency(overrides?: Partial<Http1Leniency>): Readonly<Http1Leniency> {
  return resolveLimits('Http1Leniency', DEFAULT_HTTP1_LENIENCY, overrides);
}
