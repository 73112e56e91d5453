/**
 * {@link ServerResponse}: a hayate {@link HayateResponse} seen as node:http's `http.ServerResponse`. Like
 * node:http's OutgoingMessage it is a legacy `Stream` (an EventEmitter with `pipe`) with its own `write`,
 * `end` and `on`, not a `stream.Writable`: `readable.pipe(res)` and `stream.pipeline(readable, res)` work as
 * they do with node:http (the ServerResponse duck-type fields `_sent100`, `_defaultKeepAlive`,
 * `_removedConnection`, `_removedContLen`, `_removedTE` and `_closed` make `stream.finished` wait for
 * `'close'` the same way).
 *
 * Node semantics kept: headers are sent with the first `write`/`end` (`writeHead` only fixes them),
 * `end(chunk)` without earlier writes sends a content-length (else chunked on HTTP/1.1), HEAD and 1xx/204/304
 * carry no body, `write` returns false over the high-water mark and `'drain'` follows, `'finish'` then
 * `'close'` on later ticks, `'close'` alone (with `writableFinished` false) when the peer goes away first.
 *
 * Fidelity choices:
 * - `statusMessage` is not sent (hayate writes the standard reason phrase; HTTP/2 has none).
 * - Header names go out lowercase; `getRawHeaderNames()` returns them lowercase too.
 * - `sendDate = false` is ignored: RFC 9110 §6.6.1 wants Date, and hayate adds it.
 * - A body that does not match the content-length set by hand, or a value hayate refuses, ends the response
 *   abnormally (as `destroy(error)`: 500 when nothing was sent, else the connection closes / the stream
 *   resets) and the server's `onError` is told, where node:http would send a broken message.
 * - `res.destroy()` before anything was sent answers 500 instead of dropping the connection.
 * - write callbacks run on the next tick, or on `'drain'` when `write` returned false.
 * - The peer going away is watched only once someone listens for `'close'`/`'error'` (request, response or
 *   socket) or a write meets backpressure; writes notice it themselves (see {@link ServerResponse.watchAbort}).
 * - `writableLength` is 0 (the connection's queue is shared by its streams); `cork()` is a no-op.
 */
import { STATUS_CODES, validateHeaderName, validateHeaderValue as validateValue } from 'node:http';
import { Stream } from 'node:stream';
import { ServerError, ServerErrorCode, UsageError } from '../server/index.js';
import type { ServerResponse as HayateResponse } from '../server/index.js';
import { OutgoingResponse } from '../server/response.js';
import type { CompatSocket } from './socket.js';
import type { IncomingMessage } from './incoming-message.js';
import { watchListeners } from './watch-listeners.js';

/** A header value as node:http accepts it. */
export type OutgoingHeaderValue = string | number | readonly string[];

/** `getHeaders()` result: lowercase name to the value as set. */
export type OutgoingHttpHeaders = Record<string, OutgoingHeaderValue | undefined>;

type Callback = (error?: Error | null) => void;

let capturedReject: ((error: unknown) => void) | undefined;

/** Promise executor shared by every response (no closure per request). */
function captureReject(_resolve: () => void, reject: (error: unknown) => void): void {
  capturedReject = reject;
}

function emitFinish(res: ServerResponse): void {
  res.finishNow();
}

function emitClose(res: ServerResponse): void {
  res.closeNow();
}

function handleAbort(res: ServerResponse): void {
  res.handleEvent();
}

function headersSentError(what: string): UsageError {
  return new UsageError('ERR_HTTP_HEADERS_SENT', `Cannot ${what} headers after they are sent to the client`);
}

/** node:http's message for a chunk that is neither string nor bytes. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an instance of ${v.constructor.name}`;
  return `type ${typeof v}`;
}

/** Encodes a body chunk as node:http does (strings in `encoding`, default utf8). */
function toData(chunk: unknown, encoding: unknown): Uint8Array | string {
  if (typeof chunk === 'string') {
    if (encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8')
      return chunk;
    return Buffer.from(chunk, encoding as BufferEncoding);
  }
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk === null) throw new UsageError('ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
  throw new UsageError(
    'ERR_INVALID_ARG_TYPE',
    `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${describe(chunk)}`,
  );
}

const EMPTY = new Uint8Array(0);

/** node:http's own check (its error codes and messages); typed for any value, as it accepts. */
const validateHeaderValue = validateValue as (name: string, value: unknown) => void;

/** `http.ServerResponse` over a hayate response; see the file comment for what differs. */
export class ServerResponse extends Stream {
  statusCode = 200;
  statusMessage: string | undefined = undefined;
  /** Kept for compatibility; hayate always sends Date (see the file comment). */
  sendDate = true;
  chunkedEncoding = false;
  shouldKeepAlive = true;
  useChunkedEncodingByDefault = true;
  strictContentLength = false;
  destroyed = false;
  /** node:http's OutgoingMessage keeps this true; `stream.finished` reads it. */
  writable = true;
  // The shape `stream.finished` recognizes as a ServerResponse (it then waits for 'close').
  _sent100 = false;
  _defaultKeepAlive = true;
  _removedConnection = false;
  _removedContLen = false;
  _removedTE = false;
  _closed = false;
  readonly req: IncomingMessage;
  /** The hayate response underneath. */
  readonly hayate: HayateResponse;
  /** Fields set so far, by lowercase name (a Map: a null-prototype object is a dictionary, slow to walk). */
  private store: Map<string, OutgoingHeaderValue> | null = null;
  private trailerList: [string, string][] | undefined = undefined;
  /** `writeHead` or the first write fixed the head (node:http's `headersSent`). */
  private isHeadFixed = false;
  /** Status and fields were handed to hayate. */
  private isHeadSent = false;
  private isEnded = false;
  /** hayate's `end()` took the response: nothing can abort it any more. */
  private isHandedOver = false;
  private isFinished = false;
  private needDrain = false;
  private drainFn: (() => void) | undefined = undefined;
  /** Rejects the handler's promise: the exchange then ends the response abnormally. */
  private reject: ((error: unknown) => void) | undefined = undefined;
  private failure: Error | undefined = undefined;
  private isWatching = false;

  constructor(res: HayateResponse, req: IncomingMessage) {
    super();
    this.hayate = res;
    this.req = req;
    req.compatResponse = this;
  }

  // --- State getters --------------------------------------------------------------------------------

  get headersSent(): boolean {
    return this.isHeadFixed;
  }

  get writableEnded(): boolean {
    return this.isEnded;
  }

  /** Deprecated node:http alias of {@link writableEnded}. */
  get finished(): boolean {
    return this.isEnded;
  }

  get writableFinished(): boolean {
    return this.isFinished;
  }

  get writableNeedDrain(): boolean {
    return this.needDrain;
  }

  /** Not tracked per response (the connection's queue is shared): always 0. */
  get writableLength(): number {
    return 0;
  }

  get writableHighWaterMark(): number {
    return 16384;
  }

  get writableCorked(): number {
    return 0;
  }

  get writableObjectMode(): boolean {
    return false;
  }

  /** The request's socket facade until the response finished, then null (node:http detaches it). */
  get socket(): CompatSocket | null {
    return this.isFinished || this._closed ? null : this.req.socket;
  }

  get connection(): CompatSocket | null {
    return this.socket;
  }

  // --- Headers --------------------------------------------------------------------------------------

  setHeader(name: string, value: OutgoingHeaderValue): this {
    if (this.isHeadFixed) throw headersSentError('set');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    (this.store ??= new Map<string, OutgoingHeaderValue>()).set(name.toLowerCase(), value);
    return this;
  }

  /** Adds a value, keeping those already set (node:http ≥ 18.3). */
  appendHeader(name: string, value: OutgoingHeaderValue): this {
    if (this.isHeadFixed) throw headersSentError('append');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    const store = (this.store ??= new Map<string, OutgoingHeaderValue>());
    const lower = name.toLowerCase();
    const cur = store.get(lower);
    if (cur === undefined) {
      store.set(lower, value);
      return this;
    }
    const list: string[] = Array.isArray(cur) ? [...(cur as string[])] : [String(cur)];
    if (Array.isArray(value)) for (const v of value as string[]) list.push(v);
    else list.push(String(value));
    store.set(lower, list);
    return this;
  }

  /** Sets every field of a `Headers` or `Map` (node:http ≥ 18.15). */
  setHeaders(headers: Headers | Map<string, OutgoingHeaderValue>): this {
    if (this.isHeadFixed) throw headersSentError('set');
    if (headers instanceof Headers) {
      for (const [name, value] of headers) if (name !== 'set-cookie') this.setHeader(name, value);
      const cookies = headers.getSetCookie();
      if (cookies.length > 0) this.setHeader('set-cookie', cookies);
    } else {
      for (const [name, value] of headers) this.setHeader(name, value);
    }
    return this;
  }

  getHeader(name: string): OutgoingHeaderValue | undefined {
    return this.store?.get(name.toLowerCase());
  }

  getHeaders(): OutgoingHttpHeaders {
    const out = Object.create(null) as OutgoingHttpHeaders;
    const store = this.store;
    if (store !== null) for (const [name, value] of store) out[name] = value;
    return out;
  }

  getHeaderNames(): string[] {
    return this.store === null ? [] : [...this.store.keys()];
  }

  /** Lowercase (hayate keeps no original case). */
  getRawHeaderNames(): string[] {
    return this.getHeaderNames();
  }

  hasHeader(name: string): boolean {
    return this.store?.has(name.toLowerCase()) === true;
  }

  removeHeader(name: string): void {
    if (this.isHeadFixed) throw headersSentError('remove');
    const store = this.store;
    if (store !== null) store.delete(name.toLowerCase());
  }

  /**
   * Fixes status and fields (sent with the first write or `end`). `headers` is an object or a flat
   * `[name, value, ...]` array (or `[name, value]` pairs); they override fields set before with the same name.
   */
  writeHead(
    statusCode: number,
    reason?: string | OutgoingHttpHeaders | readonly unknown[],
    headers?: OutgoingHttpHeaders | readonly unknown[],
  ): this {
    if (this.isHeadFixed) throw headersSentError('write');
    const code = statusCode | 0;
    if (code < 100 || code > 999) {
      throw new UsageError('ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${String(statusCode)}`);
    }
    let fields = headers;
    if (typeof reason === 'string') this.statusMessage = reason;
    else {
      fields = reason;
      this.statusMessage ??= STATUS_CODES[code] ?? 'unknown';
    }
    this.statusCode = code;
    if (fields !== undefined) {
      if (Array.isArray(fields)) this.writeHeadArray(fields as readonly unknown[]);
      else {
        const obj = fields as OutgoingHttpHeaders;
        for (const name in obj) {
          const v = obj[name];
          if (name !== '' && v !== undefined) this.setHeader(name, v);
        }
      }
    }
    this.isHeadFixed = true;
    return this;
  }

  private writeHeadArray(list: readonly unknown[]): void {
    if (list.length > 0 && Array.isArray(list[0])) {
      for (const pair of list as (readonly [string, OutgoingHeaderValue])[]) this.removeHeader(pair[0]);
      for (const pair of list as (readonly [string, OutgoingHeaderValue])[])
        this.appendHeader(pair[0], pair[1]);
      return;
    }
    if (list.length % 2 !== 0) {
      throw new UsageError('ERR_INVALID_ARG_VALUE', 'headers array must hold name, value pairs');
    }
    for (let i = 0; i < list.length; i += 2) this.removeHeader(String(list[i]));
    for (let i = 0; i < list.length; i += 2) {
      this.appendHeader(list[i] as string, list[i + 1] as OutgoingHeaderValue);
    }
  }

  /** Trailer fields, sent after the body (the body then goes chunked / in DATA frames). */
  addTrailers(headers: OutgoingHttpHeaders | readonly (readonly [string, string])[]): void {
    const list = (this.trailerList ??= []);
    const pairs: readonly (readonly [string, unknown])[] = Array.isArray(headers)
      ? (headers as readonly (readonly [string, string])[])
      : Object.entries(headers as OutgoingHttpHeaders);
    for (const [name, value] of pairs) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      list.push([name.toLowerCase(), String(value)]);
    }
  }

  /** Hands status and fields to hayate; false when hayate refused them (the response is failed then). */
  private flushHead(): boolean {
    this.isHeadFixed = true;
    this.isHeadSent = true;
    const res = this.hayate;
    try {
      if (this.statusCode !== 200) res.status = this.statusCode;
      const store = this.store;
      if (store !== null) {
        if (res instanceof OutgoingResponse && !res.headersSent) {
          // Checked once, by node:http's validators in setHeader (the same characters hayate's allow):
          // handed over without hayate checking each name and value again.
          for (const [name, value] of store) addChecked(res, name, value);
        } else for (const [name, value] of store) res.setHeader(name, value);
      }
    } catch (err) {
      this.fail(err);
      return false;
    }
    return true;
  }

  /** 1xx and 204/304 carry no body (RFC 9110 §15.2, §15.3.5, §15.4.5); HEAD is hayate's to drop. */
  private hasBody(): boolean {
    const s = this.statusCode;
    return s !== 204 && s !== 304 && (s < 100 || s > 199);
  }

  // --- Body -----------------------------------------------------------------------------------------

  write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    let cb = callback;
    let enc = encoding;
    if (typeof enc === 'function') {
      cb = enc;
      enc = undefined;
    }
    if (this.isEnded) {
      this.afterEnd(cb);
      return false;
    }
    if (this.destroyed) {
      if (typeof cb === 'function') {
        process.nextTick(cb, new UsageError('ERR_STREAM_DESTROYED', 'write after destroy'));
      }
      return false;
    }
    const data = toData(chunk, enc);
    if (!this.isHeadSent && !this.flushHead()) return false;
    let ok = true;
    if (this.hasBody()) {
      try {
        ok = this.hayate.write(data);
      } catch (err) {
        this.fail(err);
        return false;
      }
    }
    if (!ok) {
      // hayate's write() is false for good once the peer is gone: no 'drain' is coming then.
      if (this.req.hayate.aborted) {
        this.handleEvent();
        return false;
      }
      this.watchAbort();
      this.waitForDrain();
    }
    if (typeof cb === 'function') {
      if (ok) process.nextTick(cb);
      else this.once('drain', cb as Callback);
    }
    return ok;
  }

  private waitForDrain(): void {
    if (this.needDrain) return;
    this.needDrain = true;
    void this.hayate.drained().then(
      (this.drainFn ??= () => {
        this.needDrain = false;
        if (this.req.hayate.aborted) this.handleEvent();
        else if (!this.destroyed) this.emit('drain');
      }),
    );
  }

  end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    let data = chunk;
    let enc = encoding;
    let cb = callback;
    if (typeof data === 'function') {
      cb = data;
      data = undefined;
    } else if (typeof enc === 'function') {
      cb = enc;
      enc = undefined;
    }
    if (this.isEnded) {
      if (typeof cb === 'function') {
        if (this.isFinished) {
          process.nextTick(cb, new UsageError('ERR_STREAM_ALREADY_FINISHED', 'end already called'));
        } else this.once('finish', cb as Callback);
      }
      return this;
    }
    if (this.destroyed) {
      if (typeof cb === 'function') {
        process.nextTick(cb, new UsageError('ERR_STREAM_DESTROYED', 'end after destroy'));
      }
      return this;
    }
    const bytes = data === undefined || data === null ? undefined : toData(data, enc);
    if (typeof cb === 'function') this.once('finish', cb as Callback);
    this.isEnded = true;
    if (!this.isHeadSent && !this.flushHead()) return this;
    try {
      this.hayate.end(this.hasBody() ? bytes : undefined, this.trailerList);
      this.isHandedOver = true;
    } catch (err) {
      this.fail(err);
      return this;
    }
    process.nextTick(emitFinish, this);
    return this;
  }

  /** node:http: writing after `end()` is an `ERR_STREAM_WRITE_AFTER_END` error (emitted if listened for). */
  private afterEnd(cb: unknown): void {
    const err = new UsageError('ERR_STREAM_WRITE_AFTER_END', 'write after end');
    if (typeof cb === 'function') process.nextTick(cb, err);
    if (this.listenerCount('error') > 0) process.nextTick(() => this.emit('error', err));
  }

  /** Sends the head now (an empty first write). */
  flushHeaders(): void {
    if (this.isHeadSent || this.isEnded) return;
    this.write(EMPTY);
  }

  /** Sends `100 Continue`. */
  writeContinue(callback?: () => void): void {
    this.informational(100, []);
    this._sent100 = true;
    if (callback !== undefined) process.nextTick(callback);
  }

  /** Sends `102 Processing`. */
  writeProcessing(callback?: () => void): void {
    this.informational(102, []);
    if (callback !== undefined) process.nextTick(callback);
  }

  /** Sends `103 Early Hints` with `hints` (`{ link: string | string[], ... }`). */
  writeEarlyHints(hints: Record<string, string | readonly string[]>, callback?: () => void): void {
    const fields: [string, string][] = [];
    for (const name in hints) {
      const v = hints[name]!;
      if (typeof v === 'string') fields.push([name.toLowerCase(), v]);
      else for (const one of v) fields.push([name.toLowerCase(), one]);
    }
    this.informational(103, fields);
    if (callback !== undefined) process.nextTick(callback);
  }

  private informational(status: number, fields: [string, string][]): void {
    if (this.isHeadSent || this.isEnded || this.destroyed) return;
    this.hayate.writeInformational(status, fields);
  }

  /** No-op: output is batched per event-loop turn by the server. */
  cork(): void {
    // Nothing to do.
  }

  /** No-op. */
  uncork(): void {
    // Nothing to do.
  }

  /** Accepted for compatibility (hayate's timeouts are the server's `limits`). */
  setTimeout(msecs?: number, callback?: () => void): this;
  setTimeout(): this {
    return this;
  }

  // --- Ending abnormally ----------------------------------------------------------------------------

  /**
   * Ends the response abnormally: HTTP/1.1 closes the connection, HTTP/2 resets the stream; before
   * anything was sent the server answers 500. The request is aborted and `'close'` follows.
   */
  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.isHandedOver) {
      const reason =
        error ?? new ServerError(ServerErrorCode.ConnectionClosed, 'response destroyed by the application');
      const reject = this.reject;
      if (reject !== undefined) reject(reason);
      else this.failure = reason;
      this.req.peerAborted();
      this.req.existingSocket?.peerClosed();
    }
    process.nextTick(emitClose, this);
    return this;
  }

  /** hayate refused a call (lengths, values): the response is destroyed with that error. */
  private fail(err: unknown): void {
    this.destroy(err instanceof Error ? err : new ServerError(ServerErrorCode.ConnectionClosed, String(err)));
  }

  // --- Server side ----------------------------------------------------------------------------------

  /**
   * Called once the request listener returned. A response already ended needs nothing more. Otherwise
   * the exchange gets a promise that rejects if the response is destroyed, and the request's abort signal
   * is watched.
   */
  afterListener(): Promise<void> | undefined {
    const failure = this.failure;
    if (failure !== undefined) return Promise.reject(failure);
    if (this.isHandedOver) return undefined;
    if (this.req.hayate.aborted) {
      this.handleEvent();
      return undefined;
    }
    const promise = new Promise<void>(captureReject);
    this.reject = capturedReject;
    capturedReject = undefined;
    return promise;
  }

  /**
   * Watches the request's abort from now on (`onAbort`: no AbortSignal, which costs more than a hello-world
   * response on Node 20), lazily: only once someone listens for `'close'`, `'aborted'` or `'error'` on the
   * request, the response or the socket (pipe, pipeline, on-finished, Koa and Fastify all do when they
   * stream), or a write meets backpressure. Writes also check `aborted` themselves.
   */
  watchAbort(): void {
    if (this.isWatching || this.isHandedOver || this.destroyed) return;
    this.isWatching = true;
    const req = this.req.hayate;
    // onAbort, not the signal: no AbortSignal is made for it (~2.5 µs each on Node 20).
    const listening = req.onAbort((reason) => {
      this.handleEvent(reason);
    });
    if (!listening) process.nextTick(handleAbort, this);
  }

  /** The request aborted (the peer went away, or the response timed out); `reason` is its signal's. */
  handleEvent(reason?: Error): void {
    if (this.isHandedOver || this.destroyed) return;
    this.destroyed = true;
    // The exchange releases the connection or stream once the handler's promise rejects.
    this.reject?.(reason ?? this.req.hayate.signal.reason);
    this.req.peerAborted();
    this.req.existingSocket?.peerClosed();
    process.nextTick(emitClose, this);
  }

  /** `'finish'`: the response was handed over entirely. */
  finishNow(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.emit('finish');
    this.req.responseFinished();
    // node:http emits 'close' one tick later; with nobody listening (by the end of the 'finish' listeners)
    // the state changes at once and the tick is saved.
    if (this.listenerCount('close') > 0) process.nextTick(emitClose, this);
    else {
      this._closed = true;
      this.destroyed = true;
    }
  }

  closeNow(): void {
    if (this._closed) return;
    this._closed = true;
    this.destroyed = true;
    this.emit('close');
  }
}

watchListeners(ServerResponse.prototype, new Set<string | symbol>(['close', 'error']), (res) => {
  res.watchAbort();
});

/** One stored field (a lowercase name, a value node:http accepted) onto hayate's response, as node sends it. */
function addChecked(res: OutgoingResponse, lower: string, value: OutgoingHeaderValue): void {
  if (typeof value === 'string') res.addCheckedField(lower, value);
  else if (Array.isArray(value)) for (const v of value as unknown[]) res.addCheckedField(lower, String(v));
  else res.addCheckedField(lower, String(value));
}
