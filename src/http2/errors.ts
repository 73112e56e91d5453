/**
 * HTTP/2 error codes (RFC 9113 §7) and the constructors for connection and stream errors (RFC 9113 §5.4).
 *
 * Every H2 failure is an {@link H2Error} whose `wireCode` is one of {@link H2ErrorCode} and whose `scope`
 * says whether it ends one stream (RST_STREAM, §5.4.2) or the whole connection (GOAWAY, §5.4.1).
 */
import { H2Error } from '../common/errors.js';

/** Error codes of RFC 9113 §7, used in RST_STREAM and GOAWAY frames. */
export const H2ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** One of the RFC 9113 §7 error codes (peers may send others; they are carried as plain numbers). */
export type H2ErrorCode = (typeof H2ErrorCode)[keyof typeof H2ErrorCode];

const NAMES: readonly string[] = Object.keys(H2ErrorCode);

/** The RFC name of a wire error code, or `UNKNOWN(0x..)` (RFC 9113 §7: unknown codes are not errors). */
export function h2ErrorName(code: number): string {
  return NAMES[code] ?? `UNKNOWN(0x${code.toString(16)})`;
}

/** The stable `ERR_H2_*` string code for a wire code: `FLOW_CONTROL_ERROR` -> `ERR_H2_FLOW_CONTROL`. */
export function h2ErrorStringCode(code: number): string {
  const name = NAMES[code];
  if (name === undefined) return 'ERR_H2_UNKNOWN';
  return 'ERR_H2_' + (name.endsWith('_ERROR') ? name.slice(0, -6) : name);
}

/** A connection error (RFC 9113 §5.4.1) detected locally: the connection answers with GOAWAY. */
export function connectionError(code: H2ErrorCode, message: string): H2Error {
  return new H2Error(h2ErrorStringCode(code), message, { wireCode: code, scope: 'connection' });
}

/** A stream error (RFC 9113 §5.4.2) detected locally: the stream is reset with RST_STREAM. */
export function streamError(streamId: number, code: H2ErrorCode, message: string): H2Error {
  return new H2Error(h2ErrorStringCode(code), message, { wireCode: code, scope: 'stream', streamId });
}

/** An error reported by the peer (GOAWAY or RST_STREAM with a non-zero code). */
export function remoteError(
  code: number,
  scope: 'stream' | 'connection',
  streamId: number | undefined,
  message: string,
): H2Error {
  return new H2Error(h2ErrorStringCode(code), message, {
    wireCode: code,
    scope,
    initiator: 'remote',
    ...(streamId === undefined ? {} : { streamId }),
  });
}
