/**
 * HTTP/1 error kinds (STYLE §3.3). Each kind maps to the status a server should answer with; the error
 * class itself, {@link Http1ParseError}, lives in `common/errors.ts` and its `code` is `ERR_HTTP1_<kind>`.
 */
import { Http1ParseError } from '../common/errors.js';

/** kind -> suggested response status (RFC 9110 §15). */
export const Http1ErrorKind = {
  /** RFC 9112 §3: method is not a token. */
  INVALID_METHOD: 400,
  /** RFC 9112 §3.2: request-target has a byte outside visible ASCII. */
  INVALID_TARGET: 400,
  /** RFC 9112 §3: request-target longer than `maxTargetBytes`. */
  TARGET_TOO_LONG: 414,
  /** RFC 9112 §2.3: HTTP-version is not `HTTP/DIGIT.DIGIT`. */
  INVALID_VERSION: 400,
  /** RFC 9110 §15.6.6: a major version other than 1. */
  UNSUPPORTED_VERSION: 505,
  /** RFC 9112 §4: status-code is not 3 digits, or the status-line is malformed. */
  INVALID_STATUS: 400,
  /** RFC 9112 §4: reason-phrase holds a CTL. */
  INVALID_REASON: 400,
  /** RFC 9112 §3 / §4: start-line separators are not single SP, or a line is otherwise malformed. */
  INVALID_START_LINE: 400,
  /** RFC 9110 §5.1: field name is empty or not a token. */
  INVALID_HEADER_TOKEN: 400,
  /** RFC 9112 §5.1: whitespace between field name and colon MUST be rejected with 400. */
  WHITESPACE_BEFORE_COLON: 400,
  /** RFC 9112 §2.2: whitespace between the start-line and the first field line. */
  LEADING_WHITESPACE: 400,
  /** RFC 9110 §5.5: field value holds NUL, a CTL or DEL. */
  INVALID_HEADER_VALUE: 400,
  /** RFC 9112 §5.2: obs-fold outside of `message/http` is rejected unless `allowObsFold`. */
  OBS_FOLD: 400,
  /** RFC 9112 §2.2: a CR not followed by LF. */
  BARE_CR: 400,
  /** RFC 9112 §2.2: a line ended by LF alone (unless `allowBareLf`). */
  BARE_LF: 400,
  /** Limit: head larger than `maxHeadBytes`. */
  HEAD_TOO_LARGE: 431,
  /** Limit: more field lines than `maxHeaders`. */
  TOO_MANY_HEADERS: 431,
  /** RFC 9112 §6.3: Content-Length is not 1*DIGIT or exceeds 2^53-1. */
  INVALID_CONTENT_LENGTH: 400,
  /** RFC 9112 §6.3: more than one Content-Length (smuggling defence). */
  DUPLICATE_CONTENT_LENGTH: 400,
  /** Limit: Content-Length above `maxBodyBytes`. */
  BODY_TOO_LARGE: 413,
  /** RFC 9112 §6.3: request Transfer-Encoding whose final coding is not chunked, or chunked applied twice. */
  INVALID_TRANSFER_ENCODING: 400,
  /** RFC 9112 §6.1: a transfer coding the server does not implement (501). */
  UNSUPPORTED_TRANSFER_CODING: 501,
  /** RFC 9112 §6.1: Transfer-Encoding together with Content-Length in a request (smuggling defence). */
  TRANSFER_ENCODING_WITH_CONTENT_LENGTH: 400,
  /** RFC 9112 §3.2: an HTTP/1.1 request without Host, or with more than one. */
  INVALID_HOST: 400,
  /** RFC 9112 §7.1: chunk-size is not 1*HEXDIG, or the chunk line is malformed. */
  INVALID_CHUNK_SIZE: 400,
  /** Chunk size above 2^53-1. */
  CHUNK_SIZE_OVERFLOW: 400,
  /** RFC 9112 §7.1.1: malformed chunk extension. */
  INVALID_CHUNK_EXTENSION: 400,
  /** Limit: chunk extensions longer than `maxChunkExtensionBytes`. */
  CHUNK_EXTENSION_TOO_LARGE: 413,
  /** RFC 9112 §7.1: chunk-data not followed by CRLF. */
  INVALID_CHUNK_DATA: 400,
  /** Limit: trailer section larger than `maxTrailerBytes`. */
  TRAILERS_TOO_LARGE: 431,
  /** RFC 9112 §8: the peer closed the connection in the middle of a message. */
  INCOMPLETE_MESSAGE: 400,
  /** RFC 9110 §15.5.9: a request head not complete within `headerTimeoutMs` of its first byte. */
  HEAD_TIMEOUT: 408,
  /** RFC 9110 §15.5.9: no request body bytes for `bodyTimeoutMs`. */
  BODY_TIMEOUT: 408,
} as const;
/** Name of an HTTP/1 error kind. */
export type Http1ErrorKind = keyof typeof Http1ErrorKind;

/** Builds the typed error for `kind` at absolute input offset `offset`. */
export function http1Error(kind: Http1ErrorKind, message: string, offset: number): Http1ParseError {
  return new Http1ParseError(kind, Http1ErrorKind[kind], message, { offset });
}
