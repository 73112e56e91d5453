/**
 * Error classes shared by every layer (STYLE §3.3).
 *
 * Every error thrown by hayate is either a {@link ProtocolError} (the peer, or bytes handed to a codec,
 * broke a protocol rule) or a {@link UsageError} (the caller misused the API). Each carries a stable
 * string `code`; renaming a code is a breaking change recorded in CHANGELOG.md. Layers keep their own
 * code tables beside their code (for example `src/http1/errors.ts`); this file holds only the shapes.
 */

/** Whether an error affects one stream or the whole connection (RFC 9113 §5.4). */
export type ErrorScope = 'stream' | 'connection';

/** Who detected the error: `local` for a rule hayate enforces on input, `remote` for a peer's report. */
export type ErrorInitiator = 'local' | 'remote';

/** The protocol layer an error belongs to. */
export type ProtocolLayer = 'http1' | 'hpack' | 'qpack' | 'http2' | 'http3' | 'quic' | 'websocket';

/** Optional facts attached to a {@link ProtocolError}. */
export interface ProtocolErrorDetails {
  /** Wire error code (RFC 9113 §7, RFC 9114 §8.1, RFC 9204 §6); 0 where the protocol has none (HTTP/1). */
  readonly wireCode?: number;
  readonly scope?: ErrorScope;
  readonly streamId?: number;
  readonly initiator?: ErrorInitiator;
  /** Byte offset of the offending input, counted from the start of the connection's (or block's) input. */
  readonly offset?: number;
  readonly cause?: unknown;
}

/** Base of every protocol error. Never constructed directly: each layer has its own subclass. */
export abstract class ProtocolError extends Error {
  /** Stable identifier such as `ERR_HTTP1_INVALID_HEADER_TOKEN`. */
  readonly code: string;
  readonly wireCode: number;
  readonly scope: ErrorScope;
  readonly streamId: number | undefined;
  readonly initiator: ErrorInitiator;
  readonly offset: number | undefined;
  abstract readonly layer: ProtocolLayer;

  constructor(code: string, message: string, details: ProtocolErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.wireCode = details.wireCode ?? 0;
    this.scope = details.scope ?? 'connection';
    this.streamId = details.streamId;
    this.initiator = details.initiator ?? 'local';
    this.offset = details.offset;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * HTTP/1.x parse or framing error. `kind` names the rule (see `Http1ErrorKind` in `hayate/http1`),
 * `statusHint` is the status a server should answer with (400, 413, 414, 431, 501, 505).
 */
export class Http1ParseError extends ProtocolError {
  readonly layer = 'http1' as const;
  readonly kind: string;
  readonly statusHint: number;

  constructor(kind: string, statusHint: number, message: string, details: ProtocolErrorDetails = {}) {
    super(`ERR_HTTP1_${kind}`, message, details);
    this.kind = kind;
    this.statusHint = statusHint;
  }
}

/** HPACK decoding or encoding failure. At the HTTP/2 layer it is always a COMPRESSION_ERROR (RFC 9113 §4.3). */
export class HpackError extends ProtocolError {
  readonly layer = 'hpack' as const;
}

/** QPACK failure; `wireCode` is one of 0x0200-0x0202 (RFC 9204 §6). */
export class QpackError extends ProtocolError {
  readonly layer = 'qpack' as const;
}

/** HTTP/2 error; `wireCode` from RFC 9113 §7, `scope` tells stream from connection errors. */
export class H2Error extends ProtocolError {
  readonly layer = 'http2' as const;
}

/** HTTP/3 error; `wireCode` from RFC 9114 §8.1. */
export class H3Error extends ProtocolError {
  readonly layer = 'http3' as const;
}

/**
 * QUIC transport error; `wireCode` is a transport error code (RFC 9000 §20.1), a CRYPTO_ERROR
 * 0x0100-0x01ff carrying a TLS alert (RFC 9001 §4.8), or, when `isApplication`, the application's code
 * from a CONNECTION_CLOSE of type 0x1d.
 */
export class QuicError extends ProtocolError {
  readonly layer = 'quic' as const;
  /** The frame type that triggered the error (RFC 9000 §19.19), 0 when none or unknown. */
  readonly frameType: number;
  /** True for an application CONNECTION_CLOSE (0x1d), false for a transport one (0x1c). */
  readonly isApplication: boolean;

  constructor(
    code: string,
    message: string,
    details: ProtocolErrorDetails & { readonly frameType?: number; readonly isApplication?: boolean } = {},
  ) {
    super(code, message, details);
    this.frameType = details.frameType ?? 0;
    this.isApplication = details.isApplication ?? false;
  }
}

/**
 * WebSocket error (RFC 6455); `wireCode` is the close status code the endpoint sends (RFC 6455 §7.4.1),
 * for example 1002 for a protocol error, 1007 for invalid UTF-8 and 1009 for a message over the limit.
 */
export class WebSocketError extends ProtocolError {
  readonly layer = 'websocket' as const;
}

/** The caller used the API wrongly (bad option, action in the wrong state). Not a peer's fault. */
export class UsageError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }

  override get name(): string {
    return 'UsageError';
  }
}

/**
 * Renders at most `max` bytes of peer data for an error message, escaping everything outside
 * printable ASCII, so messages never echo large or hostile input (STYLE §3.3).
 */
export function describeBytes(bytes: Uint8Array, start: number, end: number, max = 32): string {
  let out = '';
  const stop = Math.min(end, start + max);
  for (let i = start; i < stop; i++) {
    const b = bytes[i]!;
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
  }
  return end - start > max ? out + '...' : out;
}

/** Exhaustiveness check for `switch` statements over state unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new UsageError('ERR_UNREACHABLE', `unexpected ${what}: ${String(value)}`);
}
