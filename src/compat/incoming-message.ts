/**
 * {@link IncomingMessage}: a hayate {@link ServerRequest} seen as node:http's `http.IncomingMessage` (a
 * `stream.Readable`). Fidelity choices, each for speed or because hayate has no such thing:
 * - `headers`, `rawHeaders`, `headersDistinct` are built on first access (then cached); names are lowercase in
 *   `rawHeaders` too (hayate keeps no original case). Duplicates are joined as node:http does: `set-cookie`
 *   an array, `cookie` with `'; '`, the fields node:http discards duplicates of keep their first value, the
 *   others are joined with `', '`.
 * - HTTP/2 and HTTP/3: pseudo-header fields are not in `headers`; `:authority` is `headers.host` when the
 *   request has no `host` (src/server/fields.ts). `httpVersion` is `'2.0'` / `'3.0'`. A request with a body
 *   and no content-length gets `transfer-encoding: chunked` in `headers` (not `rawHeaders`), because body
 *   parsers (type-is, Fastify) only read a body announced by one of the two.
 * - `socket` is a {@link CompatSocket} facade made on first access, one per request (not per connection).
 * - The body is pulled from `req.body` one chunk per `_read()`, so backpressure reaches the connection.
 */
import { Readable } from 'node:stream';
import { IncomingRequest, type HeadersView, type ServerRequest } from '../server/index.js';
import { CompatSocket } from './socket.js';
import { watchListeners } from './watch-listeners.js';

/** What a message needs from its server: the bound address and whether it runs TLS. */
export interface CompatHost {
  readonly localAddress: string;
  readonly localPort: number;
  readonly isEncrypted: boolean;
}

/** Fields node:http keeps the first value of and discards later duplicates of (`IncomingMessage#headers`). */
const DISCARD_DUPLICATES: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** Header object of node:http. */
export type IncomingHttpHeaders = Record<string, string | string[] | undefined>;

/** Adds one field line to a headers object with node:http's duplicate rules. */
function addLine(out: IncomingHttpHeaders, name: string, value: string): void {
  const cur = out[name];
  if (cur === undefined || !Object.hasOwn(out, name)) {
    if (name === '__proto__') return;
    out[name] = name === 'set-cookie' ? [value] : value;
    return;
  }
  if (name === 'set-cookie') (cur as string[]).push(value);
  else if (name === 'cookie') out[name] = `${cur as string}; ${value}`;
  else if (!DISCARD_DUPLICATES.has(name)) out[name] = `${cur as string}, ${value}`;
}

/** `[name, value, name, value, ...]` of a field section. */
function flatten(view: HeadersView): string[] {
  const n = view.length;
  const out = new Array<string>(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = view.name(i);
    out[2 * i + 1] = view.value(i);
  }
  return out;
}

function headersOf(raw: readonly string[]): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) addLine(out, raw[i]!, raw[i + 1]!);
  return out;
}

function headersOfView(view: HeadersView): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const n = view.length;
  for (let i = 0; i < n; i++) addLine(out, view.name(i), view.value(i));
  return out;
}

function distinctOf(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < raw.length; i += 2) (out[raw[i]!] ??= []).push(raw[i + 1]!);
  return out;
}

/** node:http's error for a request whose peer went away (`ECONNRESET`, message `aborted`). */
export class ConnectionResetError extends Error {
  readonly code = 'ECONNRESET';

  override get name(): string {
    return 'ConnectionResetError';
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

/** `http.IncomingMessage` over a hayate request; see the file comment for what differs. */
export class IncomingMessage extends Readable {
  readonly method: string;
  url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  upgrade = false;
  /** Always null on a server request (node:http sets these on client responses). */
  statusCode: number | null = null;
  statusMessage: string | null = null;
  /** The hayate request underneath (its `signal`, `searchParams`, `cookies`, `json()`...). */
  readonly hayate: ServerRequest;
  /** The response to this request (set by the response's constructor). */
  compatResponse:
    { destroy(error?: Error): unknown; watchAbort(): void; readonly writableEnded: boolean } | undefined =
    undefined;
  private isAbortedFlag = false;
  private readonly compatHost: CompatHost;
  private isCompleteFlag = false;
  private rawCache: string[] | undefined = undefined;
  private headersCache: IncomingHttpHeaders | undefined = undefined;
  private distinctCache: Record<string, string[]> | undefined = undefined;
  private trailersCache: IncomingHttpHeaders | undefined = undefined;
  private socketCache: CompatSocket | undefined = undefined;
  private bodyIterator: AsyncIterator<Uint8Array> | undefined = undefined;
  private onChunk: ((r: IteratorResult<Uint8Array>) => void) | undefined = undefined;
  private onChunkError: ((e: unknown) => void) | undefined = undefined;

  constructor(req: ServerRequest, host: CompatHost) {
    super();
    this.hayate = req;
    this.compatHost = host;
    this.method = req.method;
    this.url = req.target;
    switch (req.protocol) {
      case 'h2':
        this.httpVersion = '2.0';
        this.httpVersionMajor = 2;
        this.httpVersionMinor = 0;
        break;
      case 'h3':
        this.httpVersion = '3.0';
        this.httpVersionMajor = 3;
        this.httpVersionMinor = 0;
        break;
      case 'http/1.0':
        this.httpVersion = '1.0';
        this.httpVersionMajor = 1;
        this.httpVersionMinor = 0;
        break;
      default:
        this.httpVersion = '1.1';
        this.httpVersionMajor = 1;
        this.httpVersionMinor = 1;
    }
  }

  /** The peer went away before the response ended (node:http: before the message completed). */
  get aborted(): boolean {
    return this.isAbortedFlag || (this.hayate.aborted && this.compatResponse?.writableEnded === false);
  }

  set aborted(value: boolean) {
    this.isAbortedFlag = value;
  }

  /** The whole body has been received (node:http: the parser saw the message end). */
  get complete(): boolean {
    if (this.isCompleteFlag) return true;
    const r = this.hayate;
    return r instanceof IncomingRequest && r.isBodyComplete && !r.aborted;
  }

  set complete(value: boolean) {
    this.isCompleteFlag = value;
  }

  /** `[name, value, ...]`, names lowercase; built on first access. */
  get rawHeaders(): string[] {
    let raw = this.rawCache;
    if (raw === undefined) {
      raw = this.rawCache = flatten(this.hayate.headers);
    }
    return raw;
  }

  set rawHeaders(value: string[]) {
    this.rawCache = value;
  }

  /** Lowercase name to value with node:http's joining rules; built on first access. */
  get headers(): IncomingHttpHeaders {
    let h = this.headersCache;
    if (h !== undefined) return h;
    // One pass over the view when rawHeaders was not asked for (no flat array made).
    const raw = this.rawCache;
    h = this.headersCache = raw === undefined ? headersOfView(this.hayate.headers) : headersOf(raw);
    // HTTP/2 and HTTP/3 frame bodies without content-length or chunked coding, but body parsers (type-is
    // `hasBody`, Fastify) look for one of the two to decide that there is a body: a request whose body
    // did not end with its head says `transfer-encoding: chunked` here (not in rawHeaders).
    if (
      this.httpVersionMajor >= 2 &&
      h['content-length'] === undefined &&
      h['transfer-encoding'] === undefined &&
      !this.isKnownEmpty()
    ) {
      h['transfer-encoding'] = 'chunked';
    }
    return h;
  }

  /** The request ended with its head (no body at all). */
  private isKnownEmpty(): boolean {
    const r = this.hayate;
    return (
      r instanceof IncomingRequest &&
      r.isBodyComplete &&
      r.bufferedBytes === 0 &&
      this.bodyIterator === undefined
    );
  }

  set headers(value: IncomingHttpHeaders) {
    this.headersCache = value;
  }

  /** Lowercase name to every value, never joined. */
  get headersDistinct(): Record<string, string[]> {
    return (this.distinctCache ??= distinctOf(this.rawHeaders));
  }

  /** Trailer fields, once the body has been read to its end (`{}` before). */
  get trailers(): IncomingHttpHeaders {
    if (this.trailersCache !== undefined) return this.trailersCache;
    const t = this.hayate.trailers;
    const out = t === null ? {} : headersOf(flatten(t));
    if (this.complete) this.trailersCache = out;
    return out;
  }

  set trailers(value: IncomingHttpHeaders) {
    this.trailersCache = value;
  }

  get rawTrailers(): string[] {
    const t = this.hayate.trailers;
    return t === null ? [...EMPTY] : flatten(t);
  }

  get trailersDistinct(): Record<string, string[]> {
    return distinctOf(this.rawTrailers);
  }

  /** A facade over the connection (see {@link CompatSocket}), made on first access. */
  get socket(): CompatSocket {
    return (this.socketCache ??= new CompatSocket(this, this.hayate, this.compatHost));
  }

  /** Deprecated alias of {@link socket}. */
  get connection(): CompatSocket {
    return this.socket;
  }

  /** The socket facade if one was made (no allocation). */
  get existingSocket(): CompatSocket | undefined {
    return this.socketCache;
  }

  /**
   * Accepted for compatibility; hayate's timeouts are the server's `limits` (headerTimeoutMs,
   * bodyTimeoutMs, responseTimeoutMs), so `msecs` is ignored and `callback` never runs.
   */
  setTimeout(msecs?: number, callback?: () => void): this;
  setTimeout(): this {
    return this;
  }

  override _read(): void {
    let it = this.bodyIterator;
    if (it === undefined) {
      const r = this.hayate;
      // A request whose end came with its head needs no iterator (most GETs).
      if (r instanceof IncomingRequest && r.isBodyComplete && r.bufferedBytes === 0) {
        this.isCompleteFlag = !r.aborted;
        if (r.aborted) return;
        this.push(null);
        return;
      }
      it = this.bodyIterator = r.body[Symbol.asyncIterator]();
      this.onChunk = (res) => {
        this.receive(res);
      };
      this.onChunkError = (e) => {
        this.receiveError(e);
      };
    }
    void it.next().then(this.onChunk, this.onChunkError);
  }

  private receive(res: IteratorResult<Uint8Array>): void {
    if (this.destroyed) return;
    if (res.done === true) {
      this.isCompleteFlag = true;
      this.push(null);
      return;
    }
    // Lifetime: each chunk is the request's own copy (src/server/request.ts).
    const v = res.value;
    this.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }

  private receiveError(e: unknown): void {
    // An abort is reported by the response's abort path (ECONNRESET, 'aborted'); other failures (a
    // malformed chunked body) destroy the stream with their error.
    if (this.hayate.aborted || this.destroyed) return;
    this.destroy(e instanceof Error ? e : new ConnectionResetError(String(e)));
  }

  /**
   * The peer went away before the response finished: `aborted` and `'aborted'` when the body was not fully
   * consumed, then an ECONNRESET error (emitted only when someone listens, as node:http does) and `'close'`.
   */
  peerAborted(): void {
    if (this.destroyed) return;
    if (!this.readableEnded || !this.complete) {
      this.isAbortedFlag = true;
      this.emit('aborted');
    }
    this.destroy(new ConnectionResetError('aborted'));
  }

  /**
   * The response finished: like node:http's `_dump()`, a body nobody reads is let go so `'end'` and
   * `'close'` follow; skipped when nobody listens for them (nothing could observe it).
   */
  responseFinished(): void {
    if (this.listenerCount('close') === 0 && this.listenerCount('end') === 0) return;
    if (this.destroyed || this.readableDidRead || this.readableFlowing === true) return;
    if (this.complete) this.resume();
    else this.destroy();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // As node:http, where destroying the request destroys the socket: an open response ends abnormally
    // (a malformed body is answered with its 4xx by the exchange). No-op once the response is done, and
    // for the automatic destroy after 'end'.
    if (error !== null || !this.readableEnded) this.compatResponse?.destroy(error ?? undefined);
    // node:http emits a destroy error only when an 'error' listener exists (backward compatibility).
    callback(error !== null && this.listenerCount('error') > 0 ? error : null);
  }
}

watchListeners(IncomingMessage.prototype, new Set<string | symbol>(['close', 'aborted', 'error']), (req) => {
  req.compatResponse?.watchAbort();
});
