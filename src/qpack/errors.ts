/**
 * QPACK error codes (RFC 9204 §6) and the stable string codes of every {@link QpackError} hayate throws.
 *
 * Every QPACK error is a connection error (RFC 9204 §6) except a field section over the local size limit,
 * which only concerns its own stream (RFC 9114 §4.2.2) and carries scope `stream`.
 */
import { QpackError } from '../common/errors.js';

/** QPACK wire error codes (RFC 9204 §6). */
export const QpackErrorCode = {
  QPACK_DECOMPRESSION_FAILED: 0x0200,
  QPACK_ENCODER_STREAM_ERROR: 0x0201,
  QPACK_DECODER_STREAM_ERROR: 0x0202,
} as const;
/** One of the {@link QpackErrorCode} values. */
export type QpackErrorCode = (typeof QpackErrorCode)[keyof typeof QpackErrorCode];

/** HTTP/3 H3_EXCESSIVE_LOAD (RFC 9114 §8.1), used for a field section over the local size limit. */
const H3_EXCESSIVE_LOAD = 0x0107;

/** Stable string codes, one per rule, with the wire code each maps to. */
export const QpackErrorKind = {
  /** Field section prefix or field line truncated (RFC 9204 §4.5). */
  ERR_QPACK_TRUNCATED: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Encoded Required Insert Count impossible for the table size (RFC 9204 §4.5.1.1). */
  ERR_QPACK_INVALID_REQUIRED_INSERT_COUNT: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Sign bit set with Delta Base >= Required Insert Count (RFC 9204 §4.5.1.2). */
  ERR_QPACK_INVALID_BASE: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Static index beyond the 99-entry table (RFC 9204 §3.1). */
  ERR_QPACK_INVALID_STATIC_INDEX: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Dynamic reference evicted, not yet inserted or >= Required Insert Count (RFC 9204 §2.2.3). */
  ERR_QPACK_INVALID_DYNAMIC_INDEX: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Required Insert Count larger than the largest reference needs (RFC 9204 §2.2.3 last paragraph). */
  ERR_QPACK_REQUIRED_INSERT_COUNT_MISMATCH: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Invalid Huffman code, padding or EOS (RFC 7541 §5.2, via RFC 9204 §4.1.2). */
  ERR_QPACK_INVALID_HUFFMAN: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** A prefixed integer too large to represent (RFC 9204 §4.1.1). */
  ERR_QPACK_INTEGER_OVERFLOW: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** A string longer than `maxStringLength`. */
  ERR_QPACK_STRING_TOO_LONG: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** More blocked streams than SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §2.1.2). */
  ERR_QPACK_TOO_MANY_BLOCKED_STREAMS: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Blocked sections retain more than `maxBlockedBytes`. */
  ERR_QPACK_BLOCKED_BYTES: QpackErrorCode.QPACK_DECOMPRESSION_FAILED,
  /** Decoded field section over `maxFieldSectionSize` (RFC 9114 §4.2.2); a stream error. */
  ERR_QPACK_FIELD_SECTION_TOO_LARGE: H3_EXCESSIVE_LOAD,
  /** Set Dynamic Table Capacity above SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204 §4.3.1). */
  ERR_QPACK_CAPACITY_EXCEEDED: QpackErrorCode.QPACK_ENCODER_STREAM_ERROR,
  /** Entry larger than the table capacity (RFC 9204 §3.2.2). */
  ERR_QPACK_ENTRY_TOO_LARGE: QpackErrorCode.QPACK_ENCODER_STREAM_ERROR,
  /** Encoder stream reference to a missing entry (RFC 9204 §4.3.2, §4.3.4). */
  ERR_QPACK_ENCODER_STREAM_INVALID_INDEX: QpackErrorCode.QPACK_ENCODER_STREAM_ERROR,
  /** Malformed encoder stream instruction (integer overflow, bad Huffman, string too long). */
  ERR_QPACK_ENCODER_STREAM_MALFORMED: QpackErrorCode.QPACK_ENCODER_STREAM_ERROR,
  /** Section Acknowledgment for a stream with nothing outstanding (RFC 9204 §4.4.1). */
  ERR_QPACK_UNEXPECTED_SECTION_ACK: QpackErrorCode.QPACK_DECODER_STREAM_ERROR,
  /** Insert Count Increment of zero or past the insert count (RFC 9204 §4.4.3). */
  ERR_QPACK_INVALID_INCREMENT: QpackErrorCode.QPACK_DECODER_STREAM_ERROR,
  /** Malformed decoder stream instruction (integer overflow). */
  ERR_QPACK_DECODER_STREAM_MALFORMED: QpackErrorCode.QPACK_DECODER_STREAM_ERROR,
} as const;
/** One of the stable QPACK error code strings. */
export type QpackErrorKind = keyof typeof QpackErrorKind;

/** Builds the {@link QpackError} for `kind` with its wire code. */
export function qpackError(
  kind: QpackErrorKind,
  message: string,
  streamId?: number,
  offset?: number,
): QpackError {
  const wireCode = QpackErrorKind[kind];
  return new QpackError(kind, message, {
    wireCode,
    scope: kind === 'ERR_QPACK_FIELD_SECTION_TOO_LARGE' ? 'stream' : 'connection',
    initiator: 'local',
    ...(streamId === undefined ? {} : { streamId }),
    ...(offset === undefined ? {} : { offset }),
  });
}
