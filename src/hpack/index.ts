/**
 * `hayate/hpack`: HPACK header compression for HTTP/2 (RFC 7541).
 */
export { HpackDecoder } from './decoder.js';
export {
  HpackEncoder,
  type HpackEncoderOptions,
  type HpackField,
  type HpackHuffmanMode,
  type HpackIndexingMode,
} from './encoder.js';
export { HpackHeaderList } from './header-list.js';
export { COMPRESSION_ERROR, HpackErrorCode } from './errors.js';
export { DEFAULT_HPACK_LIMITS, type HpackLimits } from './limits.js';
export { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table.js';
export { HpackError } from '../common/errors.js';
export { ProtocolError, UsageError } from '../common/errors.js';
