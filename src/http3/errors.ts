/**
 * HTTP/3 wire error codes (RFC 9114 §8.1, RFC 9297 §5.2) and the helper that builds {@link H3Error}s.
 * QPACK's own codes (0x0200-0x0202, RFC 9204 §6) travel on QpackError and are passed through unchanged.
 */
import { H3Error } from '../common/errors.js';
import type { ErrorScope } from '../common/errors.js';

/** RFC 9114 §8.1 error codes, plus H3_DATAGRAM_ERROR from RFC 9297 §5.2. */
export const H3ErrorCode = {
  H3_DATAGRAM_ERROR: 0x33,
  H3_NO_ERROR: 0x100,
  H3_GENERAL_PROTOCOL_ERROR: 0x101,
  H3_INTERNAL_ERROR: 0x102,
  H3_STREAM_CREATION_ERROR: 0x103,
  H3_CLOSED_CRITICAL_STREAM: 0x104,
  H3_FRAME_UNEXPECTED: 0x105,
  H3_FRAME_ERROR: 0x106,
  H3_EXCESSIVE_LOAD: 0x107,
  H3_ID_ERROR: 0x108,
  H3_SETTINGS_ERROR: 0x109,
  H3_MISSING_SETTINGS: 0x10a,
  H3_REQUEST_REJECTED: 0x10b,
  H3_REQUEST_CANCELLED: 0x10c,
  H3_REQUEST_INCOMPLETE: 0x10d,
  H3_MESSAGE_ERROR: 0x10e,
  H3_CONNECT_ERROR: 0x10f,
  H3_VERSION_FALLBACK: 0x110,
} as const;

/** One of the {@link H3ErrorCode} names. */
export type H3ErrorName = keyof typeof H3ErrorCode;

const NAME_BY_CODE = new Map<number, H3ErrorName>(
  (Object.keys(H3ErrorCode) as H3ErrorName[]).map((k) => [H3ErrorCode[k], k]),
);

/** The RFC name of a wire code (QPACK names included), or a hex string for unknown codes. */
export function h3ErrorName(code: number): string {
  const name = NAME_BY_CODE.get(code);
  if (name !== undefined) return name;
  switch (code) {
    case 0x200:
      return 'QPACK_DECOMPRESSION_FAILED';
    case 0x201:
      return 'QPACK_ENCODER_STREAM_ERROR';
    case 0x202:
      return 'QPACK_DECODER_STREAM_ERROR';
    default:
      return '0x' + code.toString(16);
  }
}

/**
 * Builds an {@link H3Error} whose stable `code` is `ERR_` plus the RFC name (`ERR_H3_FRAME_UNEXPECTED`).
 * Connection scope unless a stream id is given with `scope: 'stream'`.
 */
export function h3Error(
  name: H3ErrorName,
  message: string,
  scope: ErrorScope = 'connection',
  streamId?: number,
): H3Error {
  return new H3Error(`ERR_${name}`, message, {
    wireCode: H3ErrorCode[name],
    scope,
    ...(streamId === undefined ? {} : { streamId }),
  });
}
