/**
 * `hayate/http1`: zero-copy HTTP/1.1 parser, serializer and sans-I/O connection (RFC 9112).
 */
export { Http1Connection } from './connection.js';
export type { Http1ConnectionOptions, Http1ResponseOptions } from './connection.js';
export { Http1Parser, ParserState } from './parser.js';
export type { Http1ParserOptions } from './parser.js';
export { Http1Head, Http1Headers, Http1Data, Http1End, Http1Upgrade, EMPTY_HEADERS } from './events.js';
export type { Http1Event, Http1BodyKind } from './events.js';
export {
  Http1Writer,
  STATUS_REASONS,
  encodeRequestHead,
  encodeResponseHead,
  encodeChunkedBody,
} from './serializer.js';
export type { Http1FieldList } from './serializer.js';
export { Http1ErrorKind } from './errors.js';
export {
  DEFAULT_HTTP1_LIMITS,
  DEFAULT_HTTP1_LENIENCY,
  resolveHttp1Limits,
  resolveHttp1Leniency,
} from './limits.js';
export type { Http1Limits, Http1Leniency } from './limits.js';
export { Http1ParseError } from '../common/errors.js';
export { ProtocolError, UsageError } from '../common/errors.js';
