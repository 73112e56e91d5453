/**
 * The shared {@link ServerResponse} implementation: header bookkeeping, string encoding, the Date field,
 * error answers and files. Protocol specifics are behind a {@link ResponseBackend}.
 */
import { UsageError } from '../common/errors.js';
import { serveFile } from './static.js';
import type { ResponseBackend, SendFileOptions, ServerRequest, ServerResponse } from './types.js';

let dateSecond = -1;
let dateValue = '';

/** The current IMF-fixdate (RFC 9110 §5.6.7), recomputed at most once a second. */
export function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(s * 1000).toUTCString();
  }
  return dateValue;
}

function hasCrLf(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) return true;
  }
  return false;
}

/** Encodes a body string as UTF-8 (Buffer is a Uint8Array; the server may use it). */
function toBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** A response as the handler sees it. */
export class OutgoingResponse implements ServerResponse {
  status = 200;
  headersSent = false;
  finished = false;
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private readonly backend: ResponseBackend;
  readonly request: ServerRequest;

  constructor(backend: ResponseBackend, request: ServerRequest) {
    this.backend = backend;
    this.request = request;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent)
      throw new UsageError('ERR_HEADERS_SENT', `cannot set ${name}: headers already sent`);
    const lower = name.toLowerCase();
    this.removeHeader(lower);
    const list = typeof value === 'object' ? value : [String(value)];
    for (const v of list) {
      if (hasCrLf(v) || hasCrLf(lower)) {
        throw new UsageError('ERR_INVALID_FIELD', `field ${JSON.stringify(lower)} contains CR, LF or NUL`);
      }
      this.names.push(lower);
      this.values.push(v);
    }
    return this;
  }

  getHeader(name: string): string | undefined {
    const i = this.names.indexOf(name.toLowerCase());
    return i < 0 ? undefined : this.values[i];
  }

  hasHeader(name: string): boolean {
    return this.names.includes(name.toLowerCase());
  }

  removeHeader(name: string): this {
    const lower = name.toLowerCase();
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i] === lower) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
    return this;
  }

  writeInformational(status: number, headers: readonly (readonly [string, string])[] = []): void {
    if (this.headersSent) throw new UsageError('ERR_HEADERS_SENT', 'final response already started');
    this.backend.sendInformational(
      status,
      headers.map(([n, v]) => [n, v]),
    );
  }

  private fields(): [string, string][] {
    const out: [string, string][] = [];
    let hasDate = false;
    for (let i = 0; i < this.names.length; i++) {
      const n = this.names[i]!;
      if (n === 'date') hasDate = true;
      out.push([n, this.values[i]!]);
    }
    // RFC 9110 §6.6.1: an origin server with a clock MUST send Date in final responses.
    if (!hasDate) out.push(['date', httpDate()]);
    return out;
  }

  /** Sends the head now with `contentLength` (-1: unknown; a content-length field set by hand wins). */
  sendHead(contentLength: number): void {
    if (this.headersSent) return;
    this.headersSent = true;
    const explicit = this.getHeader('content-length');
    this.backend.sendHead(this.status, this.fields(), explicit === undefined ? contentLength : -1);
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.finished) throw new UsageError('ERR_RESPONSE_ENDED', 'write after end');
    if (this.backend.isClosed) return false;
    this.sendHead(-1);
    const bytes = toBytes(chunk);
    if (bytes.byteLength > 0) this.backend.sendData(bytes);
    return this.backend.pendingBytes < this.backend.highWaterMark;
  }

  drained(): Promise<void> {
    if (this.backend.pendingBytes < this.backend.highWaterMark || this.backend.isClosed)
      return Promise.resolve();
    return this.backend.waitForDrain();
  }

  end(chunk?: Uint8Array | string, trailers?: readonly (readonly [string, string])[]): void {
    if (this.finished) return;
    if (this.backend.isClosed) {
      this.finished = true;
      return;
    }
    const bytes = chunk === undefined ? undefined : toBytes(chunk);
    if (!this.headersSent) {
      // A whole body known at end() is sent with content-length, not chunked. 204 and 304 carry no
      // content-length at all (RFC 9110 §8.6: a 304's would have to describe the full representation).
      const hasNoBody = this.status === 204 || this.status === 304;
      this.sendHead(trailers === undefined && !hasNoBody ? (bytes?.byteLength ?? 0) : -1);
    }
    if (bytes !== undefined && bytes.byteLength > 0) this.backend.sendData(bytes);
    this.finished = true;
    this.backend.sendEnd(trailers?.map(([n, v]) => [n, v]));
  }

  /** Internal (static files): sends `length` bytes of `fd` from `offset` as the body. */
  async sendFileBody(fd: number, offset: number, length: number): Promise<void> {
    if (length > 0 && !this.backend.isHead && !this.backend.isClosed) {
      await this.backend.sendFile(fd, offset, length);
    }
  }

  sendFile(path: string, options: SendFileOptions = {}): Promise<void> {
    return serveFile(this, this.request, path, options);
  }
}
