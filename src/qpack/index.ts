/**
 * `hayate/qpack`: QPACK field compression for HTTP/3 (RFC 9204), sans-I/O.
 */
export { QpackDecoder } from './decoder.js';
export type { QpackDecoderOptions, UnblockedSection } from './decoder.js';
export { QpackEncoder, DEFAULT_ENCODER_TABLE_CAPACITY } from './encoder.js';
export type { QpackEncoderOptions } from './encoder.js';
export { HeaderList } from './header-list.js';
export { DEFAULT_QPACK_LIMITS, resolveQpackLimits } from './limits.js';
export type { QpackLimits } from './limits.js';
export { QpackErrorCode, QpackErrorKind } from './errors.js';
export { QpackError } from '../common/errors.js';
export { STATIC_TABLE } from './static-table.js';
export { parseQif, formatQif } from './qif.js';
export type { FieldSection } from './qif.js';
export {
  parseInteropBlocks,
  writeInteropBlock,
  decodeInteropFile,
  encodeInteropFile,
} from './offline-interop.js';
export type { InteropBlock, InteropSettings, InteropDecoded } from './offline-interop.js';
export { ProtocolError, UsageError } from '../common/errors.js';
