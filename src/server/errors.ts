/**
 * Errors raised by the server's exchange layer (src/server/exchange.ts) for conditions that are neither the
 * peer's protocol error nor API misuse: a request body over a handler's cap or not JSON, a response that timed out, a
 * request aborted by the peer. Each has a stable `code`; an HTTP status hint where one applies.
 */

/** Stable codes of {@link ServerError}. */
export const ServerErrorCode = {
  /**
   * `req.bytes(max)` / `req.text(max)` / `req.json(max)`: the body is larger than the handler's cap, or its
   * content-length announces so (answered 413).
   */
  BodyTooLarge: 'ERR_BODY_TOO_LARGE',
  /** `req.json()`: the body is not JSON text (RFC 8259) or not UTF-8; `cause` says where (answered 400). */
  InvalidJson: 'ERR_INVALID_JSON',
  /** The handler sent no response head within `responseTimeoutMs` (answered 503). */
  ResponseTimeout: 'ERR_RESPONSE_TIMEOUT',
  /** The peer closed the connection before the response finished. */
  ConnectionClosed: 'ERR_CONNECTION_CLOSED',
  /** The peer read nothing of the queued output for `sendTimeoutMs`: the connection was destroyed. */
  SendTimeout: 'ERR_SEND_TIMEOUT',
  /** The peer reset the stream (HTTP/2 RST_STREAM, HTTP/3 RESET_STREAM) before the response finished. */
  StreamReset: 'ERR_STREAM_RESET',
} as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/** Options of {@link ServerError}. */
export interface ServerErrorOptions {
  /** The status a response should carry when this error ends the exchange before the head was sent. */
  readonly statusHint?: number;
  /** The protocol's error code where one applies (the RST_STREAM / RESET_STREAM code of a reset). */
  readonly wireCode?: number;
  readonly cause?: unknown;
}

/** A server-side failure with a stable code (see {@link ServerErrorCode}). */
export class ServerError extends Error {
  readonly code: ServerErrorCode;
  /** HTTP status to answer with when no response has been sent yet (0: none suggested, 500 applies). */
  readonly statusHint: number;
  /** The protocol's error code (a reset's code), or undefined. */
  readonly wireCode: number | undefined;

  constructor(code: ServerErrorCode, message: string, options: ServerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.statusHint = options.statusHint ?? 0;
    this.wireCode = options.wireCode;
  }

  override get name(): string {
    return 'ServerError';
  }
}
