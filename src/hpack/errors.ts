/**
 * HPACK error codes (STYLE §3.3). Every decoding failure is an {@link HpackError} with `wireCode`
 * COMPRESSION_ERROR (0x9): RFC 9113 §4.3 makes any header-block decoding error a connection error.
 */
import { HpackError } from '../common/errors.js';

/** RFC 9113 §7 COMPRESSION_ERROR. */
export const COMPRESSION_ERROR = 0x9;

/** Stable `code` strings of {@link HpackError}s raised by the decoder. */
export const HpackErrorCode = {
  /** An integer exceeds 2^53 - 1, or its encoding is implausibly long (RFC 7541 §5.1). */
  IntegerOverflow: 'ERR_HPACK_INTEGER_OVERFLOW',
  /** The block ended in the middle of a representation. */
  Truncated: 'ERR_HPACK_TRUNCATED',
  /** Index 0, or an index past the end of the static plus dynamic table (RFC 7541 §2.3.3, §6.1). */
  InvalidIndex: 'ERR_HPACK_INVALID_INDEX',
  /** A Huffman string contains EOS (RFC 7541 §5.2). */
  HuffmanEos: 'ERR_HPACK_HUFFMAN_EOS',
  /** Huffman padding is not a prefix of EOS, or longer than 7 bits (RFC 7541 §5.2). */
  HuffmanPadding: 'ERR_HPACK_HUFFMAN_PADDING',
  /** A name or value is longer than `maxStringLength`. */
  StringTooLong: 'ERR_HPACK_STRING_TOO_LONG',
  /** The decoded header list is larger than `maxHeaderListSize` (RFC 9113 §6.5.2 accounting). */
  HeaderListTooLarge: 'ERR_HPACK_HEADER_LIST_TOO_LARGE',
  /** A dynamic table size update exceeds SETTINGS_HEADER_TABLE_SIZE (RFC 7541 §6.3). */
  TableSizeTooLarge: 'ERR_HPACK_TABLE_SIZE_TOO_LARGE',
  /** A dynamic table size update after the first field representation of a block (RFC 7541 §4.2). */
  TableSizeUpdatePosition: 'ERR_HPACK_TABLE_SIZE_UPDATE_POSITION',
  /** The setting shrank but the next block did not start with a size update that honours it (RFC 7541 §4.2). */
  TableSizeUpdateMissing: 'ERR_HPACK_TABLE_SIZE_UPDATE_MISSING',
  /** The decoder failed earlier; its dynamic table is out of sync, so it refuses further blocks. */
  DecoderFailed: 'ERR_HPACK_DECODER_FAILED',
} as const;

/** Union of {@link HpackErrorCode} values. */
export type HpackErrorCode = (typeof HpackErrorCode)[keyof typeof HpackErrorCode];

/** Builds an HpackError with COMPRESSION_ERROR as wire code and the block offset of the failure. */
export function hpackError(code: HpackErrorCode, message: string, offset: number): HpackError {
  return new HpackError(code, message, { wireCode: COMPRESSION_ERROR, scope: 'connection', offset });
}
