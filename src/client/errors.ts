/**
 * Errors of `hayate/client` (STYLE §3.3). Every failure of a request after it was accepted is a
 * {@link ClientError} with a stable `code`; the underlying error (socket error, protocol error, the
 * abort reason) is kept as `cause`. API misuse throws `UsageError` at the call instead.
 */

/** Stable codes of {@link ClientError}; renaming one is a breaking change (CHANGELOG). */
export const ClientErrorCode = {
  /** The request's AbortSignal fired. */
  ABORTED: 'ERR_CLIENT_ABORTED',
  /** The TCP, TLS or QUIC connection could not be opened. */
  CONNECT_FAILED: 'ERR_CONNECT_FAILED',
  /** Opening the connection took longer than `connectTimeoutMs`. */
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  /** The connection closed (or failed) before the response completed. */
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  /** The server reset the stream (h2 RST_STREAM, h3 reset); `wireCode` holds its error code. */
  STREAM_RESET: 'ERR_STREAM_RESET',
  /** `bytes(max)` / `text(max)`: the body is larger than the limit. */
  BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  /** The response broke the protocol (malformed head, head above `maxResponseHeadBytes`...). */
  PROTOCOL: 'ERR_CLIENT_PROTOCOL',
  /** The request body iterable threw; the request was cancelled. */
  REQUEST_BODY: 'ERR_REQUEST_BODY',
  /** The client was closed. */
  CLIENT_CLOSED: 'ERR_CLIENT_CLOSED',
} as const;

/** One of the {@link ClientErrorCode} values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Optional facts attached to a {@link ClientError}. */
export interface ClientErrorDetails {
  readonly cause?: unknown;
  /** Wire error code of a stream reset (RFC 9113 §7, RFC 9114 §8.1). */
  readonly wireCode?: number;
  /** True when the server did not process the request (h2 REFUSED_STREAM, GOAWAY above the id). */
  readonly isRetryable?: boolean;
}

/** A request failed. `code` is one of {@link ClientErrorCode}; `cause` keeps the original error. */
export class ClientError extends Error {
  readonly code: string;
  readonly wireCode: number | undefined;
  readonly isRetryable: boolean;

  constructor(code: ClientErrorCode | (string & {}), message: string, details: ClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.wireCode = details.wireCode;
    this.isRetryable = details.isRetryable ?? false;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Wraps anything thrown below the client API as a {@link ClientError} (kept as is when it already is one). */
export function toClientError(err: unknown, code: ClientErrorCode, message: string): ClientError {
  if (err instanceof ClientError) return err;
  return new ClientError(code, `${message}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

/** The error a request fails with when its signal fires; the signal's reason is the cause. */
export function abortError(signal: AbortSignal): ClientError {
  return new ClientError(ClientErrorCode.ABORTED, 'request aborted', { cause: signal.reason });
}
