/**
 * HTTP/1.1 message serializer (RFC 9112 §2-§7). Heads and chunk framing are written straight into a
 * reused output arena (no intermediate strings); body chunks are passed through by reference so the
 * caller can writev them. Names and values that could inject a line (CR, LF, NUL, CTLs) are refused.
 */
import { UsageError } from '../common/errors.js';
import { FIELD_VALUE, TOKEN } from '../common/char-class.js';

/** Field list as `[name, value]` pairs, in order. */
export type Http1FieldList = ReadonlyArray<readonly [string, string]>;

/** Reason phrases for common status codes (RFC 9110 §15). */
export const STATUS_REASONS: Readonly<Record<number, string>> = Object.freeze({
  100: 'Continue',
  101: 'Switching Protocols',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
});

const ARENA_BYTES = 16 * 1024;
const HEX = '0123456789abcdef';
/** Encoded status lines by status code (an array: an element load, not a hash lookup, per response). */
const STATUS_LINES: (Uint8Array | undefined)[] = [];

function statusLine(status: number, reason: string | undefined): Uint8Array | null {
  if (reason !== undefined) return null;
  let line = STATUS_LINES[status];
  if (line === undefined) {
    const s = `HTTP/1.1 ${status} ${STATUS_REASONS[status] ?? ''}\r\n`;
    line = asciiBytes(s);
    STATUS_LINES[status] = line;
  }
  return line;
}

/**
 * The last `date` field line written, by value: a server sends the same Date value for a whole second
 * (RFC 9110 §6.6.1), so the line is validated and encoded once a second and copied after that.
 */
let lastDateValue = '';
let lastDateLine: Uint8Array = new Uint8Array(0);

function checkToken(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) throw notToken(s, what);
  }
  if (s.length === 0) throw new UsageError('ERR_HTTP1_INVALID_FIELD_NAME', `empty ${what}`);
}

function notStrings(name: unknown, value: unknown): UsageError {
  return typeof name !== 'string'
    ? new UsageError('ERR_HTTP1_INVALID_FIELD_NAME', `field name must be a string, got ${typeof name}`)
    : new UsageError(
        'ERR_HTTP1_INVALID_FIELD_VALUE',
        `value of ${name} must be a string, got ${typeof value}`,
      );
}

function notToken(s: string, what: string): UsageError {
  return new UsageError(
    'ERR_HTTP1_INVALID_FIELD_NAME',
    `${what} ${JSON.stringify(s.slice(0, 32))} is not a token`,
  );
}

/**
 * Writes field name `s` at `pos`, refusing anything but a non-empty token (RFC 9110 §5.1). One pass
 * without a branch per character: the verdict is collected and checked once, before the caller commits
 * (bytes written past the committed end are simply overwritten later).
 */
function writeToken(dst: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  let bad = n === 0 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    bad |= (TOKEN[c & 0xff]! ^ 1) | (c >> 8);
    dst[pos + i] = c;
  }
  // Refused: checkToken throws the error naming the offence.
  if (bad !== 0) checkToken(s, 'field name');
  return pos + n;
}

/**
 * Writes `s` at `pos`, refusing bytes a field value may not hold (RFC 9110 §5.5: no CR/LF/NUL/CTL),
 * so no caller-supplied value can inject a field line or a second message. As {@link writeToken}: one
 * branch-free pass, the error (with the offending index) found by a second look only when refused.
 */
function writeValue(dst: Uint8Array, pos: number, s: string, what: string): number {
  const n = s.length;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    bad |= (FIELD_VALUE[c & 0xff]! ^ 1) | (c >> 8);
    dst[pos + i] = c;
  }
  if (bad !== 0) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff || FIELD_VALUE[c] !== 1) break;
    }
    throw new UsageError(
      'ERR_HTTP1_INVALID_FIELD_VALUE',
      `${what} holds byte 0x${s.charCodeAt(i).toString(16)} at index ${i}`,
    );
  }
  return pos + n;
}

function writeAscii(dst: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) dst[pos++] = s.charCodeAt(i);
  return pos;
}

const CONTENT_LENGTH = asciiBytes('content-length: ');
const CHUNKED = asciiBytes('transfer-encoding: chunked\r\n');
const CONNECTION_CLOSE = asciiBytes('connection: close\r\n');
const CONNECTION_KEEP_ALIVE = asciiBytes('connection: keep-alive\r\n');

function asciiBytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Writes the decimal digits of a non-negative safe integer. */
function writeDecimal(dst: Uint8Array, pos: number, v: number): number {
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let p = pos + digits;
  for (let t = v; p > pos; t = Math.floor(t / 10)) dst[--p] = 0x30 + (t % 10);
  return pos + digits;
}

function fieldsLength(fields: Http1FieldList): number {
  let n = 0;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    const name = f[0];
    const value = f[1];
    // Before any byte is written: a JavaScript caller may pass other types.
    if (typeof name !== 'string' || typeof value !== 'string') throw notStrings(name, value);
    n += name.length + value.length + 4;
  }
  return n;
}

function writeFields(dst: Uint8Array, pos: number, fields: Http1FieldList): number {
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    const name = f[0];
    const value = f[1];
    if (value === lastDateValue && name === 'date') {
      dst.set(lastDateLine, pos);
      pos += lastDateLine.length;
      continue;
    }
    const start = pos;
    pos = writeToken(dst, pos, name);
    dst[pos++] = 0x3a;
    dst[pos++] = 0x20;
    pos = writeValue(dst, pos, value, `value of ${name}`);
    dst[pos++] = 0x0d;
    dst[pos++] = 0x0a;
    if (name === 'date') {
      lastDateValue = value;
      lastDateLine = dst.slice(start, pos);
    }
  }
  return pos;
}

/**
 * Output arena for one connection: small writes (heads, chunk framing) are appended into a reused
 * buffer and handed out as views; body chunks are queued by reference. A handed-out view is never
 * written again: when the arena is full a new one is allocated.
 */
export class Http1Writer {
  private arena: Uint8Array;
  private used: number;
  private segStart: number;
  private out: Uint8Array[];
  /** Total bytes queued since construction (for tests and accounting). */
  bytesQueued: number;

  constructor() {
    this.arena = new Uint8Array(ARENA_BYTES);
    this.used = 0;
    this.segStart = 0;
    this.out = [];
    this.bytesQueued = 0;
  }

  /** Makes room for `n` bytes; returns the write position in `this.arena`. */
  private reserve(n: number): number {
    if (this.arena.length - this.used < n) {
      this.flushSegment();
      this.arena = new Uint8Array(Math.max(ARENA_BYTES, n));
      this.used = 0;
      this.segStart = 0;
    }
    return this.used;
  }

  private commit(pos: number): void {
    this.bytesQueued += pos - this.used;
    this.used = pos;
  }

  private flushSegment(): void {
    if (this.used > this.segStart) {
      this.out.push(this.arena.subarray(this.segStart, this.used));
      this.segStart = this.used;
    }
  }

  /** Request head: `method SP target SP HTTP/1.1 CRLF fields CRLF` (RFC 9112 §3). */
  writeRequestHead(method: string, target: string, fields: Http1FieldList): void {
    if (typeof method !== 'string' || typeof target !== 'string') {
      throw new UsageError('ERR_HTTP1_INVALID_TARGET', 'method and request-target must be strings');
    }
    checkToken(method, 'method');
    const n = method.length + target.length + 12 + fieldsLength(fields);
    let pos = this.reserve(n);
    const a = this.arena;
    pos = writeAscii(a, pos, method);
    a[pos++] = 0x20;
    const ts = pos;
    pos = writeValue(a, pos, target, 'request-target');
    for (let k = ts; k < pos; k++) {
      if (a[k]! <= 0x20 || a[k]! >= 0x7f) {
        throw new UsageError(
          'ERR_HTTP1_INVALID_TARGET',
          'request-target must be visible ASCII (percent-encode it)',
        );
      }
    }
    if (pos === ts) throw new UsageError('ERR_HTTP1_INVALID_TARGET', 'empty request-target');
    pos = writeAscii(a, pos, ' HTTP/1.1\r\n');
    pos = writeFields(a, pos, fields);
    a[pos++] = 0x0d;
    a[pos++] = 0x0a;
    this.commit(pos);
  }

  /**
   * Drops queued output and restarts the accounting, keeping the arena: bytes already handed out stay
   * untouched (the arena is append-only), so a pooled connection reuses it without allocating.
   */
  discard(): void {
    // Setting an array's length is a runtime call even when it is already 0 (hot: once per keep-alive cycle).
    if (this.out.length !== 0) this.out.length = 0;
    this.segStart = this.used;
    this.bytesQueued = 0;
  }

  /**
   * Status line and fields (RFC 9112 §4). `reason` defaults to the registered phrase. The framing fields
   * the connection adds follow the caller's, written here rather than appended to a copy of the list:
   * `contentLength` >= 0 adds `content-length`, -2 adds `transfer-encoding: chunked`; `connection` adds
   * `connection: close` (1) or `connection: keep-alive` (2).
   */
  writeResponseHead(
    status: number,
    fields: Http1FieldList,
    reason?: string,
    contentLength = -1,
    connection: 0 | 1 | 2 = 0,
  ): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new UsageError('ERR_HTTP1_INVALID_STATUS', `invalid status ${status}`);
    }
    const cached = statusLine(status, reason);
    const lineLen = cached === null ? 15 + (reason ?? '').length : cached.length;
    // The longest of each: content-length with 16 digits (a safe integer), connection: keep-alive.
    const extra =
      (contentLength === -1 ? 0 : CONTENT_LENGTH.length + 18) +
      (connection === 0 ? 0 : CONNECTION_KEEP_ALIVE.length);
    let pos = this.reserve(lineLen + fieldsLength(fields) + extra + 2);
    const a = this.arena;
    if (cached !== null) {
      a.set(cached, pos);
      pos += cached.length;
    } else {
      pos = writeAscii(a, pos, `HTTP/1.1 ${status} `);
      pos = writeValue(a, pos, reason ?? '', 'reason-phrase');
      a[pos++] = 0x0d;
      a[pos++] = 0x0a;
    }
    pos = writeFields(a, pos, fields);
    if (contentLength >= 0) {
      a.set(CONTENT_LENGTH, pos);
      pos = writeDecimal(a, pos + CONTENT_LENGTH.length, contentLength);
      a[pos++] = 0x0d;
      a[pos++] = 0x0a;
    } else if (contentLength === -2) {
      a.set(CHUNKED, pos);
      pos += CHUNKED.length;
    }
    if (connection !== 0) {
      const line = connection === 1 ? CONNECTION_CLOSE : CONNECTION_KEEP_ALIVE;
      a.set(line, pos);
      pos += line.length;
    }
    a[pos++] = 0x0d;
    a[pos++] = 0x0a;
    this.commit(pos);
  }

  /** `size-in-hex CRLF` before a chunk (RFC 9112 §7.1); `withLeadingCrlf` ends the previous chunk. */
  writeChunkHeader(size: number, withLeadingCrlf: boolean): void {
    let pos = this.reserve(20);
    const a = this.arena;
    if (withLeadingCrlf) {
      a[pos++] = 0x0d;
      a[pos++] = 0x0a;
    }
    let digits = 1;
    for (let v = size; v >= 16; v = Math.floor(v / 16)) digits++;
    let v = size;
    for (let k = digits - 1; k >= 0; k--) {
      a[pos + k] = HEX.charCodeAt(v % 16);
      v = Math.floor(v / 16);
    }
    pos += digits;
    a[pos++] = 0x0d;
    a[pos++] = 0x0a;
    this.commit(pos);
  }

  /** Last chunk, optional trailer section, final CRLF (RFC 9112 §7.1, §7.1.2). */
  writeLastChunk(trailers: Http1FieldList | undefined, withLeadingCrlf: boolean): void {
    const t = trailers ?? [];
    let pos = this.reserve(7 + fieldsLength(t));
    const a = this.arena;
    if (withLeadingCrlf) {
      a[pos++] = 0x0d;
      a[pos++] = 0x0a;
    }
    a[pos++] = 0x30;
    a[pos++] = 0x0d;
    a[pos++] = 0x0a;
    pos = writeFields(a, pos, t);
    a[pos++] = 0x0d;
    a[pos++] = 0x0a;
    this.commit(pos);
  }

  /** Queues `chunk` by reference (never copied). Lifetime: the caller must not modify it until written. */
  writeBytes(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.flushSegment();
    this.out.push(chunk);
    this.bytesQueued += chunk.length;
  }

  /** True when output is pending. */
  get hasOutput(): boolean {
    return this.out.length > 0 || this.used > this.segStart;
  }

  /** Hands out every pending chunk (writev-ready) and starts a new list. */
  take(): Uint8Array[] {
    this.flushSegment();
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * The caller says every view {@link take} handed out has been consumed (written to the kernel or
   * copied): the arena's bytes may be written again, so the next head goes to the same memory instead of
   * moving on (and allocating a new 16 KiB arena every ~160 small responses). Without this call a view
   * stays valid forever. Nothing happens while output waits to be taken.
   */
  recycle(): void {
    if (this.out.length === 0 && this.used === this.segStart) {
      this.used = 0;
      this.segStart = 0;
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Encodes a request head to one fresh array (convenience for tests and tools). */
export function encodeRequestHead(method: string, target: string, fields: Http1FieldList): Uint8Array {
  const w = new Http1Writer();
  w.writeRequestHead(method, target, fields);
  return concat(w.take());
}

/** Encodes a response head to one fresh array (convenience for tests and tools). */
export function encodeResponseHead(status: number, fields: Http1FieldList, reason?: string): Uint8Array {
  const w = new Http1Writer();
  w.writeResponseHead(status, fields, reason);
  return concat(w.take());
}

/** Encodes a whole chunked body (chunks, last chunk, trailers) to one fresh array. */
export function encodeChunkedBody(chunks: readonly Uint8Array[], trailers?: Http1FieldList): Uint8Array {
  const w = new Http1Writer();
  let first = true;
  for (const c of chunks) {
    if (c.length === 0) continue;
    w.writeChunkHeader(c.length, !first);
    w.writeBytes(c);
    first = false;
  }
  w.writeLastChunk(trailers, !first);
  return concat(w.take());
}
