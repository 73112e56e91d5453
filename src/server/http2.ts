/**
 * Binds an {@link Http2Connection} (server role) to a {@link TransportSocket}: h2 over TLS (ALPN), h2c by
 * prior knowledge, and h2c by `Upgrade: h2c` (handed over by the HTTP/1.1 server). Requests reach a handler
 * with a protocol-neutral shape: method, target, headers, an async-iterable body; the response has status,
 * headers, write/end and sendFile.
 */
import { open as openFile } from 'node:fs/promises';
import { Http2Connection } from '../http2/connection.js';
import type { Http2Event, Http2Field, Http2Fields, RequestEvent } from '../http2/connection.js';
import { H2ErrorCode } from '../http2/errors.js';
import type { Http2Limits } from '../http2/limits.js';
import type { SocketHandler, TransportSocket } from '../transport/socket.js';

/** Options of an HTTP/2 server session. */
export interface Http2ServerOptions {
  readonly limits?: Partial<Http2Limits>;
  /** Accept extended CONNECT (RFC 8441), e.g. WebSockets over HTTP/2. */
  readonly enableConnectProtocol?: boolean;
  /** Idle time with no open stream before a graceful GOAWAY; default 120 s. */
  readonly idleTimeoutMs?: number;
}

/** A request as the handler sees it. */
export interface Http2ServerRequest {
  readonly httpVersion: '2.0';
  readonly streamId: number;
  readonly method: string;
  /** `:path` (request target); `*` or authority form for OPTIONS/CONNECT. */
  readonly target: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  /** RFC 8441 `:protocol` of an extended CONNECT. */
  readonly protocol: string | undefined;
  readonly headers: Http2Fields;
  /** First value of a header (lowercase name), or undefined. */
  header(name: string): string | undefined;
  /** The body, chunk by chunk. Each chunk is the caller's to keep. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Trailers, once the body has ended (undefined when none). */
  readonly trailers: Http2Fields | undefined;
  /** The whole body as a string (UTF-8). */
  text(): Promise<string>;
  /** True once the stream was reset or the connection closed. */
  readonly isAborted: boolean;
}

/** The response the handler writes. */
export interface Http2ServerResponse {
  status: number;
  setHeader(name: string, value: string): void;
  /** Sends an interim response, e.g. 103 Early Hints (RFC 8297). */
  writeInformational(status: number, fields?: ReadonlyArray<readonly [string, string]>): void;
  /** Sends the head now (status + headers set so far). */
  flushHeaders(): void;
  /** Writes a body chunk (kept by reference until written). Resolves when the stream can take more. */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Ends the response, with an optional last chunk and trailers. */
  end(chunk?: Uint8Array | string, trailers?: ReadonlyArray<readonly [string, string]>): void;
  /** Sends `length` bytes of a file from `offset` as the body and ends the response. */
  sendFile(path: string, offset?: number, length?: number): Promise<void>;
  /** Resets the stream (default CANCEL). */
  reset(errorCode?: number): void;
  readonly headersSent: boolean;
  readonly isFinished: boolean;
}

/** A request handler. A thrown error or rejected promise resets the stream with INTERNAL_ERROR (or 500). */
export type Http2Handler = (req: Http2ServerRequest, res: Http2ServerResponse) => void | Promise<void>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FILE_CHUNK = 256 * 1024;

function toBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

class Request implements Http2ServerRequest {
  readonly httpVersion = '2.0';
  readonly streamId: number;
  readonly method: string;
  readonly target: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly protocol: string | undefined;
  readonly headers: Http2Fields;
  trailers: Http2Fields | undefined = undefined;
  isAborted = false;
  private readonly session: Http2ServerSession;
  private readonly chunks: Uint8Array[] = [];
  private isEnded: boolean;
  private error: Error | undefined = undefined;
  private wake: (() => void) | undefined = undefined;

  constructor(session: Http2ServerSession, e: RequestEvent) {
    this.session = session;
    this.streamId = e.streamId;
    this.method = e.method;
    this.target = e.path ?? e.authority ?? '';
    this.scheme = e.scheme;
    this.authority = e.authority;
    this.protocol = e.protocol;
    this.headers = e.headers;
    this.isEnded = e.endStream;
  }

  header(name: string): string | undefined {
    const h = this.headers;
    for (let i = 0; i < h.length; i++) if (h.name(i) === name) return h.value(i);
    return undefined;
  }

  push(chunk: Uint8Array, end: boolean): void {
    if (chunk.length > 0) this.chunks.push(chunk);
    if (end) this.isEnded = true;
    this.notify();
  }

  finish(trailers: Http2Fields | undefined): void {
    this.trailers = trailers;
    this.isEnded = true;
    this.notify();
  }

  abort(error: Error): void {
    this.isAborted = true;
    this.error ??= error;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => ({ next: () => this.next() }) };
  }

  private async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.session.consumed(this.streamId, c.length);
        return { value: c, done: false };
      }
      if (this.error !== undefined) throw this.error;
      if (this.isEnded) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async text(): Promise<string> {
    const parts: Uint8Array[] = [];
    for await (const c of this.body) parts.push(c);
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    n = 0;
    for (const p of parts) {
      all.set(p, n);
      n += p.length;
    }
    return decoder.decode(all);
  }
}

class Response implements Http2ServerResponse {
  status = 200;
  headersSent = false;
  isFinished = false;
  private readonly fields: Array<readonly [string, string]> = [];
  private readonly session: Http2ServerSession;
  private readonly streamId: number;
  private drainWaiters: Array<() => void> = [];

  constructor(session: Http2ServerSession, streamId: number) {
    this.session = session;
    this.streamId = streamId;
  }

  setHeader(name: string, value: string): void {
    this.fields.push([name.toLowerCase(), value]);
  }

  writeInformational(status: number, fields: ReadonlyArray<readonly [string, string]> = []): void {
    if (this.headersSent || this.isFinished) return;
    this.session.conn.respond(this.streamId, [[':status', String(status)], ...fields]);
    this.session.flush();
  }

  private head(endStream: boolean, contentLength: number): void {
    if (this.headersSent) return;
    this.headersSent = true;
    const f: Http2Field[] = [[':status', String(this.status)]];
    for (const x of this.fields) f.push(x);
    if (contentLength >= 0 && !this.fields.some((x) => x[0] === 'content-length')) {
      f.push(['content-length', String(contentLength)]);
    }
    this.session.conn.respond(this.streamId, f, endStream);
  }

  flushHeaders(): void {
    if (this.isFinished || !this.session.isStreamOpen(this.streamId)) return;
    this.head(false, -1);
    this.session.flush();
  }

  write(chunk: Uint8Array | string): Promise<void> {
    if (this.isFinished || !this.session.isStreamOpen(this.streamId)) return Promise.resolve();
    this.head(false, -1);
    const ok = this.session.conn.sendData(this.streamId, toBytes(chunk));
    // Register for `drain` before flushing: the flush may already empty the queue and emit it.
    const wait = ok ? Promise.resolve() : new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.session.flush();
    return wait;
  }

  onDrain(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  end(chunk?: Uint8Array | string, trailers?: ReadonlyArray<readonly [string, string]>): void {
    if (this.isFinished) return;
    this.isFinished = true;
    if (!this.session.isStreamOpen(this.streamId)) return;
    const body = chunk === undefined ? undefined : toBytes(chunk);
    const conn = this.session.conn;
    if (!this.headersSent) {
      const noBody = body === undefined || body.length === 0;
      this.head(
        noBody && trailers === undefined,
        body === undefined ? (trailers === undefined ? 0 : -1) : body.length,
      );
      if (noBody && trailers === undefined) {
        this.session.flush();
        return;
      }
    }
    if (trailers !== undefined) {
      if (body !== undefined && body.length > 0) conn.sendData(this.streamId, body);
      conn.sendTrailers(this.streamId, trailers);
    } else {
      conn.sendData(this.streamId, body ?? new Uint8Array(0), true);
    }
    this.session.flush();
  }

  async sendFile(path: string, offset = 0, length?: number): Promise<void> {
    const file = await openFile(path, 'r');
    try {
      const size = (await file.stat()).size;
      let remaining = length ?? Math.max(0, size - offset);
      let pos = offset;
      this.head(remaining === 0, remaining);
      if (remaining === 0) {
        this.isFinished = true;
        this.session.flush();
        return;
      }
      while (remaining > 0 && this.session.isStreamOpen(this.streamId)) {
        // One copy: the kernel reads into a fresh buffer that the DATA frames then reference (writev).
        const buf = new Uint8Array(Math.min(FILE_CHUNK, remaining));
        const { bytesRead } = await file.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        remaining -= bytesRead;
        const last = remaining === 0;
        const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        const ok = this.session.conn.sendData(this.streamId, chunk, last);
        const wait =
          ok || last
            ? undefined
            : new Promise<void>((resolve) => {
                this.drainWaiters.push(resolve);
              });
        this.session.flush();
        if (wait !== undefined) await wait;
      }
      if (remaining > 0 && this.session.isStreamOpen(this.streamId)) this.reset(H2ErrorCode.INTERNAL_ERROR);
      this.isFinished = true;
    } finally {
      await file.close();
    }
  }

  reset(errorCode: number = H2ErrorCode.CANCEL): void {
    this.isFinished = true;
    this.session.conn.resetStream(this.streamId, errorCode);
    this.session.flush();
    this.onDrain();
  }
}

/** One HTTP/2 server connection on one socket. */
export class Http2ServerSession implements SocketHandler {
  readonly conn: Http2Connection;
  private readonly socket: TransportSocket;
  private readonly handler: Http2Handler;
  private readonly requests = new Map<number, Request>();
  private readonly responses = new Map<number, Response>();
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private timerAt = 0;
  private isWritable = true;
  private isClosed = false;
  private readonly idleTimeoutMs: number;
  private lastActivityMs: number;
  private isFlushing = false;
  private isFlushAgain = false;
  /** Called once when the socket closes. */
  onClosed: (() => void) | undefined = undefined;

  constructor(socket: TransportSocket, handler: Http2Handler, options: Http2ServerOptions = {}) {
    this.socket = socket;
    this.handler = handler;
    this.lastActivityMs = Date.now();
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120000;
    this.conn = new Http2Connection({
      role: 'server',
      nowMs: this.lastActivityMs,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.enableConnectProtocol === undefined
        ? {}
        : { enableConnectProtocol: options.enableConnectProtocol }),
    });
    socket.setHandler(this);
  }

  /** Starts the session; `initial` holds bytes already read from the socket (preface sniffing). */
  start(initial?: Uint8Array): void {
    if (initial !== undefined && initial.length > 0) this.onData(initial, 0, initial.length);
    else this.flush();
  }

  /** h2c upgrade: the HTTP/1.1 request becomes stream 1 (RFC 7540 §3.2). */
  startUpgrade(
    settingsPayload: Uint8Array,
    request: {
      readonly method: string;
      readonly scheme: string;
      readonly authority: string | undefined;
      readonly path: string;
      readonly fields: ReadonlyArray<readonly [string, string]>;
    },
    initial?: Uint8Array,
  ): void {
    this.conn.acceptUpgrade(settingsPayload, request);
    this.processEvents();
    this.start(initial);
  }

  isStreamOpen(streamId: number): boolean {
    return !this.isClosed && this.responses.has(streamId);
  }

  consumed(streamId: number, bytes: number): void {
    this.conn.consumed(streamId, bytes);
    this.flush();
  }

  onData(bytes: Uint8Array, start: number, end: number): void {
    if (this.isClosed) return;
    this.lastActivityMs = Date.now();
    try {
      this.conn.receive(
        start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end),
        this.lastActivityMs,
      );
    } catch {
      // Connection error: GOAWAY is queued; flush it and close.
      this.processEvents();
      this.flush();
      this.closeSoon();
      return;
    }
    this.processEvents();
    this.flush();
  }

  onEnd(): void {
    this.flush();
    this.socket.end();
  }

  onDrain(): void {
    this.isWritable = true;
    this.flush();
  }

  onClose(): void {
    this.isClosed = true;
    this.onClosed?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    const err = new Error('connection closed');
    for (const r of this.requests.values()) r.abort(err);
    for (const r of this.responses.values()) r.onDrain();
    this.requests.clear();
    this.responses.clear();
  }

  /** Starts a graceful shutdown (two-phase GOAWAY); the socket closes when open streams finish. */
  shutdown(): void {
    this.conn.goAway(H2ErrorCode.NO_ERROR);
    this.flush();
  }

  private processEvents(): void {
    for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) this.onEvent(e);
  }

  private onEvent(e: Http2Event): void {
    switch (e.type) {
      case 'request': {
        const req = new Request(this, e);
        const res = new Response(this, e.streamId);
        if (!e.endStream) this.requests.set(e.streamId, req);
        this.responses.set(e.streamId, res);
        this.invoke(req, res);
        return;
      }
      case 'data': {
        const req = this.requests.get(e.streamId);
        if (req === undefined) {
          this.conn.consumed(e.streamId, e.data.length);
          return;
        }
        // Lifetime: the transport's buffer is valid only during onData; the body keeps a copy.
        req.push(e.data.slice(), e.endStream);
        if (e.endStream) this.requests.delete(e.streamId);
        return;
      }
      case 'trailers': {
        this.requests.get(e.streamId)?.finish(e.headers);
        this.requests.delete(e.streamId);
        return;
      }
      case 'streamReset': {
        this.requests.get(e.streamId)?.abort(new Error(`stream reset (code ${e.errorCode})`));
        this.requests.delete(e.streamId);
        const res = this.responses.get(e.streamId);
        if (res !== undefined) {
          res.isFinished = true;
          res.onDrain();
          this.responses.delete(e.streamId);
        }
        return;
      }
      case 'drain':
        this.responses.get(e.streamId)?.onDrain();
        return;
      case 'response':
      case 'informational':
      case 'settings':
      case 'settingsAck':
      case 'ping':
      case 'pingAck':
      case 'goaway':
        return;
      default:
        return;
    }
  }

  private invoke(req: Request, res: Response): void {
    let result: void | Promise<void>;
    try {
      result = this.handler(req, res);
    } catch {
      this.failStream(res);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => undefined,
        () => {
          this.failStream(res);
        },
      );
    }
  }

  private failStream(res: Response): void {
    if (res.isFinished && res.headersSent) return;
    if (!res.headersSent) {
      res.status = 500;
      res.end('internal server error');
    } else {
      res.reset(H2ErrorCode.INTERNAL_ERROR);
    }
  }

  /** Writes pending output when the socket can take it, and re-arms the timer. Not re-entrant. */
  flush(): void {
    if (this.isFlushing) {
      this.isFlushAgain = true;
      return;
    }
    this.isFlushing = true;
    try {
      do {
        this.isFlushAgain = false;
        this.flushOnce();
      } while (this.shouldFlushAgain());
    } finally {
      this.isFlushing = false;
    }
  }

  private shouldFlushAgain(): boolean {
    return this.isFlushAgain && !this.isClosed;
  }

  private flushOnce(): void {
    if (this.isClosed) return;
    if (this.isWritable) {
      const out = this.conn.takeOutput();
      if (out.length > 0) {
        this.isWritable = this.socket.write(out.length > 1 && total(out) <= 16384 ? [join(out)] : out);
        if (!this.isWritable && this.socket.pendingBytes === 0) this.isWritable = true;
      }
      // takeOutput may have produced `drain` events; handlers they wake write more (and flush again).
      this.processEvents();
    }
    for (const [id, res] of this.responses) {
      // Forget responses whose stream the connection has finished.
      if (res.isFinished && this.conn.bufferedAmount(id) === 0) this.responses.delete(id);
    }
    if (this.conn.isFinished) {
      this.closeSoon();
      return;
    }
    this.arm();
  }

  private closeSoon(): void {
    const out = this.conn.takeOutput();
    if (out.length > 0) this.socket.write(out);
    this.socket.end();
    this.isClosed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private arm(): void {
    let at = this.conn.nextDeadline();
    if (this.conn.activeStreams === 0) {
      const idleAt = this.lastActivityMs + this.idleTimeoutMs;
      if (at === undefined || idleAt < at) at = idleAt;
    }
    if (at === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined && this.timerAt === at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.onTimer();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.isClosed) return;
    const now = Date.now();
    try {
      this.conn.handleTimeout(now);
    } catch {
      this.processEvents();
      this.closeSoon();
      return;
    }
    if (this.conn.activeStreams === 0 && now >= this.lastActivityMs + this.idleTimeoutMs) {
      this.conn.goAway(H2ErrorCode.NO_ERROR);
      this.conn.goAway(H2ErrorCode.NO_ERROR);
    }
    this.processEvents();
    this.flush();
  }
}

function total(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

function join(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(total(chunks));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
