/**
 * Errors of the byte-pipe layer and of the connections built on it (STYLE §3.3): one class,
 * {@link TransportError}, with a stable `code` from {@link TransportErrorCode}, the same on every transport
 * (native, node:net, node:tls), so callers test `err.code` and never parse messages or errno names.
 * A bad port is the caller's fault and stays a `UsageError` (`ERR_INVALID_PORT`, see {@link validatePort}).
 */
import { UsageError } from '../common/errors.js';

/** Stable codes of {@link TransportError}. Renaming one is a breaking change (CHANGELOG.md). */
export const TransportErrorCode = {
  /** listen: the address and port are taken (EADDRINUSE). */
  ADDRESS_IN_USE: 'ERR_ADDRESS_IN_USE',
  /** listen failed for another reason (EACCES, EADDRNOTAVAIL, ...); `errno` names it. */
  LISTEN_FAILED: 'ERR_LISTEN_FAILED',
  /** The connection closed while a request, response or call still needed it. */
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  /** The server is closing the connection (shutdown, or an earlier request's error). */
  CONNECTION_CLOSING: 'ERR_CONNECTION_CLOSING',
  /** The peer reset the stream a request or response was using (RST_STREAM, RESET_STREAM). */
  STREAM_RESET: 'ERR_STREAM_RESET',
  /** The socket was closed before queued output (bytes or a file) could be written. */
  SOCKET_CLOSED: 'ERR_SOCKET_CLOSED',
  /** The socket failed (reset, timeout, ...); `cause` holds the system error when one was reported. */
  SOCKET_ERROR: 'ERR_SOCKET_ERROR',
  /** A file sent with sendFile ended before the length the caller promised. */
  FILE_TRUNCATED: 'ERR_FILE_TRUNCATED',
  /** A response body went over the client's limit. */
  BODY_TOO_LARGE: 'ERR_RESPONSE_BODY_TOO_LARGE',
  /** Something that is not an Error was thrown or rejected (a handler's `throw 'x'`); `cause` holds it. */
  NON_ERROR_THROWN: 'ERR_NON_ERROR_THROWN',
} as const;

/** One of {@link TransportErrorCode}'s values. */
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Optional facts attached to a {@link TransportError}. */
export interface TransportErrorDetails {
  /** The error that caused this one (a node:net error, a `NativeError`, a thrown value). */
  readonly cause?: unknown;
  /** The system error name (`EADDRINUSE`), when one is known. */
  readonly errno?: string;
  /** The call that failed (`listen`, `read`, `writev`), when known. */
  readonly syscall?: string;
  /** The address involved (listen host). */
  readonly address?: string;
  readonly port?: number;
  /** The protocol's wire error code (a stream reset's RST_STREAM / H3 code), when there is one. */
  readonly wireCode?: number;
}

/** A failure of a socket, listener or connection, with a stable {@link TransportErrorCode}. */
export class TransportError extends Error {
  readonly code: TransportErrorCode;
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
  readonly wireCode: number | undefined;

  constructor(code: TransportErrorCode, message: string, details: TransportErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.address = details.address;
    this.port = details.port;
    this.wireCode = details.wireCode;
  }

  override get name(): string {
    return 'TransportError';
  }
}

/** The largest TCP/UDP port number (RFC 793 §3.1 / RFC 768: a 16-bit field). */
export const MAX_PORT = 65535;

/**
 * Returns `port` when it is an integer in 0..65535 (0 picks a free port); otherwise throws a UsageError
 * `ERR_INVALID_PORT`. Checked before any system call: the addon would truncate 70000 to 4464.
 */
export function validatePort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > MAX_PORT) {
    const shown = typeof port === 'number' ? String(port) : typeof port;
    throw new UsageError('ERR_INVALID_PORT', `port must be an integer from 0 to ${MAX_PORT} (got ${shown})`);
  }
  return port;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Turns a failed listen into a {@link TransportError}: `ERR_ADDRESS_IN_USE` for EADDRINUSE, otherwise
 * `ERR_LISTEN_FAILED`. `errno` is the error name (`EADDRINUSE`) whether it came from node:net (`code`) or
 * the addon (`NativeError.errno`); the original error stays in `cause`.
 */
export function listenError(cause: unknown, host: string, port: number): TransportError {
  const c = cause as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown } | null;
  const errno = typeof c?.errno === 'string' ? c.errno : typeof c?.code === 'string' ? c.code : 'EUNKNOWN';
  const syscall = typeof c?.syscall === 'string' ? c.syscall : 'listen';
  const where = formatAddress(host, port);
  const inUse = errno === 'EADDRINUSE';
  return new TransportError(
    inUse ? TransportErrorCode.ADDRESS_IN_USE : TransportErrorCode.LISTEN_FAILED,
    inUse ? `address ${where} is already in use` : `cannot listen on ${where}: ${errno}`,
    { cause, errno, syscall, address: host, port },
  );
}

/**
 * `value` when it is an Error, else a {@link TransportError} `ERR_NON_ERROR_THROWN` holding it in `cause`
 * (for `throw 'text'` in a handler, or a rejection with a plain value).
 */
export function toError(value: unknown): Error {
  return value instanceof Error
    ? value
    : new TransportError(TransportErrorCode.NON_ERROR_THROWN, String(value), { cause: value });
}
