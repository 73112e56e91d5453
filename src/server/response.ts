/**
 * The shared {@link ServerResponse} implementation: argument validation at the call (the same on every
 * protocol), header bookkeeping, string encoding, the Date field and files. Protocol specifics are behind a
 * {@link ResponseBackend} (an exchange of src/server/exchange.ts).
 *
 * Every misuse throws a {@link UsageError} at the call with a stable code:
 * - `ERR_INVALID_STATUS`: a final status outside 200–999 (RFC 9110 §15: three digits; 1xx are interim and
 *   go through `writeInformational`, which takes 100 and 102–199: 101 belongs to the upgrade path);
 * - `ERR_INVALID_HEADER_NAME`: a name that is not a token (RFC 9110 §5.1);
 * - `ERR_INVALID_HEADER_VALUE`: a value that is not a string, finite number or array of strings, or has a
 *   character outside field-vchar / SP / HTAB (RFC 9110 §5.5: no CR, LF or NUL can inject a line);
 * - `ERR_INVALID_ARG_TYPE`: a body chunk that is not a string or Uint8Array;
 * - `ERR_HEADERS_SENT`: changing headers or status after the head went out;
 * - `ERR_RESPONSE_ENDED`: writing after `end()`;
 * - `ERR_BODY_NOT_ALLOWED`: body bytes on a 204 or 304 (RFC 9110 §15.3.5, §15.4.5);
 * - `ERR_BODY_LENGTH`: more body than the content-length said, or `end()` with less (RFC 9110 §8.6; on
 *   HTTP/1.1 the connection could not be reused, on HTTP/2 and HTTP/3 the message would be malformed);
 * - `ERR_JSON_SERIALIZE`: `json(value)` with a value JSON.stringify cannot represent (undefined, a
 *   function or symbol at the top, a BigInt, a cycle);
 * - the `ERR_INVALID_COOKIE_*` / `ERR_COOKIE_*` codes of `setCookie` (src/server/cookies.ts).
 */
import { isFieldValueString, isTokenString } from '../common/char-class.js';
import { UsageError } from '../common/errors.js';
import {
  BodyEncoder,
  codedEtag,
  compressWhole,
  DEFAULT_COMPRESSION,
  hasNoTransform,
  negotiate,
  varyCovers,
  type ContentCoding,
  type ResolvedCompression,
} from './compress.js';
import { serializeSetCookie, type ClearCookieOptions, type CookieOptions } from './cookies.js';
import { contentLengthDigits } from './fields.js';
import { serveFile } from './static.js';
import type { ResponseBackend, SendFileOptions, ServerRequest, ServerResponse } from './types.js';

/** RFC 8259 §11 defines no charset parameter (JSON is UTF-8); it is sent for clients that guess otherwise. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What `clearCookie` sends: a date in the past and Max-Age=0 (RFC 6265bis: an expiry in the past deletes). */
const EPOCH = new Date(0);

let dateSecond = -1;
let dateValue = '';
let dateFieldValue: readonly [string, string] = ['date', ''];

/** The current IMF-fixdate (RFC 9110 §5.6.7), recomputed at most once a second. */
export function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(s * 1000).toUTCString();
    // Frozen: every response of this second shares it (in-place edits are for etag and vary lines only).
    dateFieldValue = Object.freeze(['date', dateValue] as const);
  }
  return dateValue;
}

/** The Date field as one shared pair, made once a second (not a tuple per response). */
export function dateField(): readonly [string, string] {
  httpDate();
  return dateFieldValue;
}

/** Throws unless `name` is a field name we can send (a token, RFC 9110 §5.1). */
export function checkFieldName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !isTokenString(name)) {
    throw new UsageError('ERR_INVALID_HEADER_NAME', `invalid field name ${describe(name)}`);
  }
}

/** Throws unless `value` is a field value we can send (RFC 9110 §5.5). */
export function checkFieldValue(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !isFieldValueString(value)) {
    throw new UsageError(
      'ERR_INVALID_HEADER_VALUE',
      `invalid value for field ${JSON.stringify(name)}: ${describe(value)}`,
    );
  }
}

/** Validates a list of `[name, value]` pairs (informational fields, trailers) and copies it. */
function checkFieldList(list: unknown, what: string): [string, string][] {
  if (!Array.isArray(list)) {
    throw new UsageError('ERR_INVALID_ARG_TYPE', `${what} must be an array of [name, value] pairs`);
  }
  const out: [string, string][] = [];
  for (const pair of list as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new UsageError('ERR_INVALID_ARG_TYPE', `${what} must be an array of [name, value] pairs`);
    }
    const name: unknown = pair[0];
    checkFieldName(name);
    const value: unknown = pair[1];
    const lower = name.toLowerCase();
    checkFieldValue(lower, value);
    out.push([lower, value]);
  }
  return out;
}

/** A short, safe rendering of a bad argument for messages. */
function describe(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof v} ${v.toString()}`;
    case 'object':
      return v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object';
    case 'function':
    case 'symbol':
    case 'undefined':
      return typeof v;
  }
}

function checkChunk(chunk: unknown): asserts chunk is Uint8Array | string {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
    throw new UsageError(
      'ERR_INVALID_ARG_TYPE',
      `body chunk must be a string or Uint8Array, got ${describe(chunk)}`,
    );
  }
}

/** {@link OutgoingResponse}'s `fieldLength` when no content-length field was set by hand. */
const NO_LENGTH_FIELD = -2;

/** Encodes a body string as UTF-8 (Buffer is a Uint8Array; the server may use it). */
function toBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** A response as the handler sees it. */
export class OutgoingResponse implements ServerResponse {
  private statusCode = 200;
  headersSent = false;
  /** Body length the head announced (content-length), or -1; fixed when the head is sent. */
  private declaredLength = -1;
  /**
   * The first content-length value set by hand, parsed ({@link contentLengthDigits}: -1 when not digits), or
   * {@link NO_LENGTH_FIELD}; kept with the fields so sending needs no lookup by name.
   */
  private fieldLength = NO_LENGTH_FIELD;
  /** Body bytes handed to the protocol so far. */
  private sentLength = 0;
  finished = false;
  /**
   * The fields set by hand as `[lowercase name, value]` lines, in order. Sending the head appends Date
   * when missing and hands this very list to the backend (no copy per response); only the first
   * {@link userFieldCount} lines are the handler's from then on.
   */
  private readonly fieldList: [string, string][] = [];
  /** Lines of {@link fieldList} the handler set (what getHeader sees once the head is sent). */
  private userFieldCount = 0;
  private readonly backend: ResponseBackend;
  readonly request: ServerRequest;
  /** The server's compression settings (undefined: off unless {@link compress} is true). */
  private readonly compression: ResolvedCompression | undefined;
  compress: boolean | undefined = undefined;
  /** The streaming compressor, once the head chose a coding for a streamed body. */
  private encoder: BodyEncoder | null = null;
  /** The exchange is gone: a whole-body compression still running drops its result. */
  private isDiscarded = false;

  constructor(backend: ResponseBackend, request: ServerRequest, compression?: ResolvedCompression) {
    this.backend = backend;
    this.request = request;
    this.compression = compression;
  }

  /** Exchange side: the exchange ended early (peer gone, reset, failure); frees the compressor now. */
  discard(): void {
    this.isDiscarded = true;
    this.encoder?.destroy();
  }

  /** Uncompressed body bytes waiting in the compressor (0 without one); for tests and diagnostics. */
  get bufferedBodyBytes(): number {
    return this.encoder?.bufferedBytes ?? 0;
  }

  get status(): number {
    return this.statusCode;
  }

  set status(code: number) {
    if (this.headersSent) throw new UsageError('ERR_HEADERS_SENT', 'cannot set status: headers already sent');
    this.checkStatus(code);
    this.statusCode = code;
  }

  private checkStatus(code: unknown): void {
    // RFC 9110 §15: a status code is three digits; a final response is not 1xx.
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 200 || code > 999) {
      throw new UsageError(
        'ERR_INVALID_STATUS',
        `final status must be an integer from 200 to 999, got ${describe(code)}`,
      );
    }
  }

  /**
   * Exchange side: the server answers for the handler (failure, timeout). Drops the handler's fields (a
   * content-length it set would describe another body) and sets `status` without checks.
   */
  resetForAnswer(code: number): void {
    this.fieldList.length = 0;
    this.fieldLength = NO_LENGTH_FIELD;
    this.statusCode = code;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    checkFieldName(name);
    if (this.headersSent)
      throw new UsageError('ERR_HEADERS_SENT', `cannot set ${name}: headers already sent`);
    const lower = name.toLowerCase();
    if (typeof value === 'string') {
      checkFieldValue(lower, value);
      this.removeLower(lower);
      this.add(lower, value);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) checkFieldValue(lower, value);
      this.removeLower(lower);
      this.add(lower, String(value));
    } else if (Array.isArray(value)) {
      const list = value as unknown[];
      for (const v of list) checkFieldValue(lower, v);
      this.removeLower(lower);
      for (const v of list as string[]) this.add(lower, v);
    } else {
      checkFieldValue(lower, value);
    }
    return this;
  }

  /**
   * hayate/compat: appends a field its node:http-shaped header store checked already (a lowercase token
   * name; a value node:http's validator accepted, which allows the characters RFC 9110 §5.5 does),
   * without a second check. Not part of {@link ServerResponse}: other callers use `setHeader`.
   */
  addCheckedField(lower: string, value: string): void {
    if (this.headersSent)
      throw new UsageError('ERR_HEADERS_SENT', `cannot set ${lower}: headers already sent`);
    this.add(lower, value);
  }

  /** Appends one validated field line. */
  private add(lower: string, value: string): void {
    if (lower === 'content-length' && this.fieldLength === NO_LENGTH_FIELD) {
      this.fieldLength = contentLengthDigits(value);
    }
    this.fieldList.push([lower, value]);
  }

  /** Removes every line named `lower` (already lowercase). */
  private removeLower(lower: string): void {
    const list = this.fieldList;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]![0] === lower) list.splice(i, 1);
    }
    if (lower === 'content-length') this.fieldLength = NO_LENGTH_FIELD;
  }

  getHeader(name: string): string | undefined {
    const i = this.indexOf(name.toLowerCase());
    return i < 0 ? undefined : this.fieldList[i]![1];
  }

  hasHeader(name: string): boolean {
    return this.indexOf(name.toLowerCase()) >= 0;
  }

  /** Index of the first line named `lower` among the handler's fields, or -1. */
  private indexOf(lower: string): number {
    const list = this.fieldList;
    const end = this.headersSent ? this.userFieldCount : list.length;
    for (let i = 0; i < end; i++) if (list[i]![0] === lower) return i;
    return -1;
  }

  removeHeader(name: string): this {
    if (this.headersSent) {
      throw new UsageError('ERR_HEADERS_SENT', `cannot remove ${name}: headers already sent`);
    }
    this.removeLower(name.toLowerCase());
    return this;
  }

  writeInformational(status: number, headers: readonly (readonly [string, string])[] = []): void {
    // RFC 9110 §15.2: 1xx only; 101 switches protocols, which only the upgrade path may do (§15.2.2).
    if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
      throw new UsageError(
        'ERR_INVALID_STATUS',
        `informational status must be 100 or 102–199, got ${describe(status)}`,
      );
    }
    const fields = checkFieldList(headers, 'informational headers');
    if (this.headersSent) throw new UsageError('ERR_HEADERS_SENT', 'final response already started');
    if (this.finished) throw new UsageError('ERR_RESPONSE_ENDED', 'response already ended');
    if (this.backend.isClosed) return;
    this.backend.sendInformational(status, fields);
  }

  /** The head's fields (called once the head is being sent: the handler's fields are fixed). */
  private fields(): [string, string][] {
    const list = this.fieldList;
    this.userFieldCount = list.length;
    // RFC 9110 §6.6.1: an origin server with a clock MUST send Date in final responses.
    if (this.indexOf('date') < 0) list.push(dateField() as [string, string]);
    // Lifetime: the backend may keep or extend the list; the handler can no longer change it.
    return list;
  }

  /** Sends the head now with `contentLength` (-1: unknown; a content-length field set by hand wins). */
  sendHead(contentLength: number): void {
    if (this.headersSent) return;
    const isExplicit = this.fieldLength !== NO_LENGTH_FIELD;
    const coding = this.commitHead(contentLength);
    if (coding !== null && !this.backend.isHead) {
      const c = this.compression ?? DEFAULT_COMPRESSION;
      this.encoder = new BodyEncoder(c, coding, this.backend, this.declaredLength);
    }
    // A compressed body's length is unknown (and HEAD's answer mirrors the GET's, minus the length).
    const wireLength = coding !== null || isExplicit ? -1 : contentLength;
    this.backend.sendHead(this.statusCode, this.fields(), wireLength);
  }

  /**
   * Fixes the head (nothing is sent yet): the announced length, and the content coding chosen for the
   * body (null: identity), whose fields are already adjusted.
   */
  private commitHead(contentLength: number): ContentCoding | null {
    const explicit = this.fieldLength;
    this.declaredLength = explicit === NO_LENGTH_FIELD ? contentLength : explicit;
    const coding = this.selectCoding(this.hasNoBody() ? -1 : this.declaredLength);
    this.headersSent = true;
    return coding;
  }

  /**
   * Decides whether the body is compressed (src/server/compress.ts) and adjusts the fields: Vary whenever
   * the answer depends on Accept-Encoding, and for a coding Content-Encoding, the ETag of the encoded
   * representation and no Content-Length. `knownLength` is the body's length, or -1 when unknown.
   */
  private selectCoding(knownLength: number): ContentCoding | null {
    const wanted = this.compress;
    if (wanted === false) return null;
    const c = this.compression ?? (wanted === true ? DEFAULT_COMPRESSION : undefined);
    if (c === undefined) return null;
    const status = this.statusCode;
    // RFC 9110 §15.3.5 / §15.4.5: 204 and 304 have no content; §15.3.7 / §14.4: a 206 (or any
    // Content-Range) describes ranges of the identity representation's bytes.
    if (status === 204 || status === 304 || status === 206) return null;
    // RFC 9110 §8.4: a body encoded already (by the handler, or a precompressed file) is not re-encoded.
    if (this.indexOf('content-encoding') >= 0 || this.indexOf('content-range') >= 0) return null;
    const list = this.fieldList;
    let type: string | undefined;
    for (const [name, value] of list) {
      // RFC 9110 §7.7: an intermediary (and so a gateway-like server) must not change the content.
      if (name === 'cache-control' && hasNoTransform(value)) return null;
      if (name === 'content-type' && type === undefined) type = value;
    }
    if (wanted !== true && (type === undefined || !c.filter(type.toLowerCase()))) return null;
    // From here the answer depends on Accept-Encoding, compressed or not (RFC 9110 §12.5.5).
    this.addVary();
    if (knownLength === 0) return null;
    if (wanted !== true && knownLength > 0 && knownLength < c.threshold) return null;
    const accept = this.request.headers.getAll('accept-encoding');
    const coding = negotiate(accept.length === 0 ? undefined : accept.join(','), c.encodings);
    if (coding === null) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const line = list[i]!;
      if (line[0] === 'content-length') list.splice(i, 1);
      // RFC 9110 §8.8.3: a strong validator changes with the representation's bytes.
      else if (line[0] === 'etag') line[1] = codedEtag(line[1], coding);
    }
    list.push(['content-encoding', coding]);
    return coding;
  }

  /** Adds Accept-Encoding to Vary (to the first Vary line when there is one). */
  private addVary(): void {
    const list = this.fieldList;
    let first = -1;
    for (let i = 0; i < list.length; i++) {
      const line = list[i]!;
      if (line[0] !== 'vary') continue;
      if (varyCovers(line[1])) return;
      if (first < 0) first = i;
    }
    if (first < 0) list.push(['vary', 'Accept-Encoding']);
    else list[first]![1] = `${list[first]![1]}, Accept-Encoding`;
  }

  /** The announced body length that bytes must match, or -1 (unknown, or no body is sent at all). */
  private expectedLength(): number {
    if (this.backend.isHead || this.hasNoBody()) return -1;
    if (this.headersSent) return this.declaredLength;
    // -1 either way when no field was set or its value is not digits (not checked).
    return this.fieldLength === NO_LENGTH_FIELD ? -1 : this.fieldLength;
  }

  /** Throws unless `n` more body bytes fit the announced length (before anything is sent). */
  private checkLength(n: number, isLast: boolean): void {
    const expected = this.expectedLength();
    if (expected < 0) return;
    const total = this.sentLength + n;
    if (total > expected) {
      throw new UsageError(
        'ERR_BODY_LENGTH',
        `body exceeds content-length (${expected}) by ${total - expected}`,
      );
    }
    if (isLast && total < expected) {
      throw new UsageError('ERR_BODY_LENGTH', `body is ${expected - total} bytes short of content-length`);
    }
  }

  private hasNoBody(): boolean {
    return this.statusCode === 204 || this.statusCode === 304;
  }

  write(chunk: Uint8Array | string): boolean {
    checkChunk(chunk);
    if (this.finished) {
      // The server may have ended the response for the handler (timeout, peer gone): not misuse then.
      if (this.backend.isClosed || this.request.aborted) return false;
      throw new UsageError('ERR_RESPONSE_ENDED', 'write after end');
    }
    if (this.hasNoBody() && chunk.length > 0) {
      throw new UsageError('ERR_BODY_NOT_ALLOWED', `a ${this.statusCode} response has no body`);
    }
    if (this.backend.isClosed) return false;
    const bytes = toBytes(chunk);
    this.checkLength(bytes.byteLength, false);
    this.sendHead(-1);
    this.sentLength += bytes.byteLength;
    const encoder = this.encoder;
    if (encoder !== null) {
      if (bytes.byteLength > 0) encoder.write(bytes);
      return encoder.isWritable && !this.request.aborted;
    }
    if (bytes.byteLength > 0) this.backend.sendData(bytes);
    // Once the request is aborted (the peer left or half-closed, or the response timed out) nobody may be
    // reading: false tells a streaming handler to stop, the same on every protocol.
    return this.backend.pendingBytes < this.backend.highWaterMark && !this.request.aborted;
  }

  drained(): Promise<void> {
    if (this.encoder !== null) return this.encoder.drained();
    if (this.backend.pendingBytes < this.backend.highWaterMark || this.backend.isClosed)
      return Promise.resolve();
    return this.backend.waitForDrain();
  }

  end(chunk?: Uint8Array | string, trailers?: readonly (readonly [string, string])[]): void {
    if (chunk !== undefined) checkChunk(chunk);
    const trailerList = trailers === undefined ? undefined : checkFieldList(trailers, 'trailers');
    // A second end() is harmless (and the server may have ended the response first: timeout, peer gone).
    if (this.finished) return;
    if (chunk !== undefined && chunk.length > 0 && this.hasNoBody()) {
      throw new UsageError('ERR_BODY_NOT_ALLOWED', `a ${this.statusCode} response has no body`);
    }
    if (this.backend.isClosed) {
      this.finished = true;
      return;
    }
    const bytes = chunk === undefined ? undefined : toBytes(chunk);
    // Only a head already sent (or a content-length set by hand) announces a length to match.
    this.checkLength(bytes?.byteLength ?? 0, true);
    if (!this.headersSent) {
      // A whole body known at end() is sent with content-length, not chunked. 204 and 304 carry no
      // content-length at all (RFC 9110 §8.6: a 304's would have to describe the full representation).
      const length = trailerList === undefined && !this.hasNoBody() ? (bytes?.byteLength ?? 0) : -1;
      if (bytes !== undefined && trailerList === undefined && !this.backend.isHead) {
        const isExplicit = this.fieldLength !== NO_LENGTH_FIELD;
        const coding = this.commitHead(length);
        if (coding !== null) {
          this.endWhole(coding, bytes);
          return;
        }
        this.backend.sendHead(this.statusCode, this.fields(), isExplicit ? -1 : length);
      } else {
        this.sendHead(length);
      }
    }
    const encoder = this.encoder;
    if (encoder !== null) {
      this.finished = true;
      encoder.end(bytes, trailerList);
      return;
    }
    if (bytes !== undefined && bytes.byteLength > 0) this.backend.sendData(bytes);
    this.finished = true;
    this.backend.sendEnd(trailerList);
  }

  /**
   * Ends the response with `body` compressed in one thread-pool call; the head follows with the
   * compressed length. The handler sees the response finished at once.
   */
  private endWhole(coding: ContentCoding, body: Uint8Array): void {
    this.finished = true;
    this.sentLength += body.byteLength;
    const fields = this.fields();
    compressWhole(this.compression ?? DEFAULT_COMPRESSION, coding, body, (error, out) => {
      if (this.isDiscarded || this.backend.isClosed) return;
      if (error !== null) {
        this.backend.abortBody?.(error);
        return;
      }
      this.backend.sendHead(this.statusCode, fields, out.byteLength);
      this.backend.sendData(out);
      this.backend.sendEnd(undefined);
    });
  }

  json(value: unknown, status?: number): void {
    if (this.finished) {
      // As write(): the server may have answered for the handler (timeout, peer gone); not misuse then.
      if (this.backend.isClosed || this.request.aborted) return;
      throw new UsageError('ERR_RESPONSE_ENDED', 'json after end');
    }
    if (this.headersSent) throw new UsageError('ERR_HEADERS_SENT', 'json after the head was sent');
    let text: string | undefined;
    try {
      // JSON.stringify is typed string but returns undefined for undefined, functions and symbols.
      text = (JSON.stringify as (v: unknown) => string | undefined)(value);
    } catch (err) {
      // A BigInt or a cycle is a TypeError; anything else came from the value's own toJSON: rethrown.
      if (!(err instanceof TypeError)) throw err;
      throw new UsageError('ERR_JSON_SERIALIZE', `json value cannot be serialized: ${err.message}`);
    }
    if (text === undefined) {
      throw new UsageError('ERR_JSON_SERIALIZE', `json value cannot be serialized: ${describe(value)}`);
    }
    // Everything is checked before anything changes, so a refused call leaves the response as it was.
    if (status !== undefined && status !== this.statusCode) this.checkStatus(status);
    const code = status ?? this.statusCode;
    if (code === 204 || code === 304) {
      throw new UsageError('ERR_BODY_NOT_ALLOWED', `a ${code} response has no body`);
    }
    const bytes = Buffer.from(text, 'utf8');
    const explicit = this.fieldLength;
    if (explicit >= 0 && explicit !== bytes.byteLength && !this.backend.isHead) {
      throw new UsageError(
        'ERR_BODY_LENGTH',
        `json body is ${bytes.byteLength} bytes, content-length says ${explicit}`,
      );
    }
    this.statusCode = code;
    if (this.indexOf('content-type') < 0) this.add('content-type', JSON_CONTENT_TYPE);
    this.end(bytes);
  }

  setCookie(name: string, value: string, options?: CookieOptions): this {
    const line = serializeSetCookie(name, value, options);
    if (this.headersSent)
      throw new UsageError('ERR_HEADERS_SENT', `cannot set cookie ${name}: headers already sent`);
    // RFC 9110 §5.3: Set-Cookie lines are never combined into one (RFC 6265bis §3); each is its own field.
    this.add('set-cookie', line);
    return this;
  }

  clearCookie(name: string, options: ClearCookieOptions = {}): this {
    const o: unknown = options;
    if (typeof o === 'object' && o !== null && ('expires' in o || 'maxAge' in o)) {
      throw new UsageError('ERR_INVALID_COOKIE_ATTRIBUTE', 'clearCookie sets expires and maxAge itself');
    }
    // Domain, Path (and Partitioned) must match the cookie's for the browser to replace it (RFC 6265bis storage model).
    return this.setCookie(name, '', { ...options, expires: EPOCH, maxAge: 0 });
  }

  /** Internal (static files): sends `length` bytes of `fd` from `offset` as the body. */
  async sendFileBody(fd: number, offset: number, length: number): Promise<void> {
    if (length > 0 && !this.backend.isHead && !this.backend.isClosed) {
      this.sentLength += length;
      await this.backend.sendFile(fd, offset, length);
    }
  }

  sendFile(path: string, options: SendFileOptions = {}): Promise<void> {
    if (typeof path !== 'string') {
      throw new UsageError('ERR_INVALID_ARG_TYPE', `sendFile path must be a string, got ${describe(path)}`);
    }
    if (this.headersSent) throw new UsageError('ERR_HEADERS_SENT', 'sendFile after the head was sent');
    return serveFile(this, this.request, path, options);
  }
}
