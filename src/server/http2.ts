/**
 * Binds an {@link Http2Connection} (server role) to a {@link TransportSocket} and serves the protocol-neutral
 * handler API of src/server/types.ts: each stream is a {@link ServerExchange} (src/server/exchange.ts) whose
 * protocol operations write HEADERS and DATA frames. Reached by ALPN `h2` on TLS, by the h2c
 * preface (prior knowledge), or by `Upgrade: h2c` from HTTP/1.1 (see src/server/http2-select.ts).
 *
 * Lifetimes: the transport's read buffer is valid only during `onData`; request heads are HPACK header lists
 * that own their bytes, and DATA payloads are copied once into the request's body queue.
 * Files: read into fresh buffers (one copy, kernel to user) that DATA frames reference uncopied (writev).
 */
import { SHARED_SLAB } from '../common/bytes.js';
import { read } from 'node:fs';
import { Http2Connection } from '../http2/connection.js';
import type { Http2Event, Http2Field, RequestEvent } from '../http2/connection.js';
import { H2ErrorCode } from '../http2/errors.js';
import type { Http2Limits } from '../http2/limits.js';
import type { SocketHandler, TransportSocket } from '../transport/socket.js';
import { TransportError } from '../transport/errors.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { ServerExchange } from './exchange.js';
import { SendTimer } from './send-timer.js';
import { FieldSectionView, responseFieldList } from './fields.js';
import type { ServerCore } from './server-core.js';

/** HTTP/2 options of a server. */
export interface Http2ServerOptions {
  readonly limits?: Partial<Http2Limits>;
  /** Accept extended CONNECT (RFC 8441), e.g. WebSockets over HTTP/2. */
  readonly enableConnectProtocol?: boolean;
  /** Idle time with no open stream before a graceful GOAWAY; default 120 s. */
  readonly idleTimeoutMs?: number;
  /** Extension settings to announce (WebTransport's SETTINGS_WT_INITIAL_*, set by `onWebTransport`). */
  readonly extraSettings?: ReadonlyArray<readonly [number, number]>;
}

/** The request of an h2c upgrade (RFC 7540 §3.2), which becomes stream 1. */
export interface UpgradeRequest {
  readonly method: string;
  readonly scheme: string;
  readonly authority: string | undefined;
  readonly path: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

const FILE_CHUNK = 256 * 1024;
const EMPTY = new Uint8Array(0);

/** One stream's exchange: the HTTP/2 operations under the shared exchange layer. */
export class Http2Exchange extends ServerExchange {
  readonly c: Http2ServerConnection;
  readonly id: number;
  isReset = false;
  /** Sizes of body chunks handed to the request and not yet consumed (FIFO): credit goes back on consume. */
  private readonly unread: number[] = [];
  private unreadHead = 0;
  private pendingHead: Http2Field[] | null = null;
  /** The request's trailer section, handed to the request with the `end` that follows it. */
  trailers: FieldSectionView | null = null;
  drainWaiters: Array<() => void> = [];

  constructor(c: Http2ServerConnection, e: RequestEvent) {
    super(c.core, {
      protocol: 'h2',
      method: e.method,
      target: e.path ?? e.authority ?? '',
      headers: new FieldSectionView(e.headers, e.authority),
      remoteAddress: c.socket.remoteAddress,
      remotePort: c.socket.remotePort,
      hasBody: !e.endStream,
      connectProtocol: e.protocol,
    });
    this.c = c;
    this.id = e.streamId;
  }

  get isClosed(): boolean {
    // The connection drops a stream once it is reset or both sides ended it, and all of them on close.
    return this.isReset || this.c.isClosed || !this.c.conn.hasStream(this.id);
  }

  private isOpen(): boolean {
    return !this.isClosed;
  }

  get pendingBytes(): number {
    return this.c.conn.bufferedAmount(this.id) + this.c.socket.pendingBytes;
  }

  waitForDrain(): Promise<void> {
    if (this.isClosed || this.pendingBytes < this.highWaterMark) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Connection side: wakes writers once the stream's queue is below the high-water mark. */
  checkDrain(): void {
    if (this.drainWaiters.length === 0) return;
    if (!this.isClosed && this.pendingBytes >= this.highWaterMark) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  pushBody(data: Uint8Array): void {
    this.unread.push(data.length);
    // Lifetime: `data` views the transport's read buffer; the request keeps its own copy.
    this.request.pushBody(SHARED_SLAB.copy(data));
  }

  override onConsumed(): void {
    const n = this.unread[this.unreadHead];
    if (n === undefined) return;
    this.unreadHead++;
    if (this.unreadHead === this.unread.length) {
      this.unread.length = 0;
      this.unreadHead = 0;
    }
    this.c.conn.consumed(this.id, n);
    this.c.flushSoon();
  }

  sendHead(status: number, headers: [string, string][], contentLength: number): void {
    // Held back until data or the end, so a bodiless response is one HEADERS frame with END_STREAM.
    this.pendingHead = responseFieldList(status, headers, contentLength);
    // RFC 8441 §5: the answer to an extended CONNECT opens the tunnel; the peer waits for it before sending.
    if (this.connectProtocol !== undefined) {
      this.flushHead(false);
      this.c.flushSoon();
    }
  }

  private flushHead(endStream: boolean): boolean {
    const f = this.pendingHead;
    if (f === null) return false;
    this.pendingHead = null;
    this.c.conn.respond(this.id, f, endStream);
    return true;
  }

  protected abortResponse(error: Error): void {
    if (this.isClosed) return;
    // A tunnel ended by its protocol's own error (WebTransport: PROTOCOL_ERROR, FLOW_CONTROL_ERROR...)
    // resets with that error's code.
    const code =
      this.connectProtocol !== undefined && error instanceof ServerError && error.wireCode !== undefined
        ? error.wireCode
        : H2ErrorCode.INTERNAL_ERROR;
    this.c.conn.resetStream(this.id, code);
    this.isReset = true;
    this.c.flushSoon();
  }

  sendInformational(status: number, headers: [string, string][]): void {
    if (this.isClosed) return;
    const f: Http2Field[] = [[':status', String(status)]];
    for (const h of headers) f.push(h);
    this.c.conn.respond(this.id, f);
    this.c.flushSoon();
  }

  sendData(chunk: Uint8Array): void {
    if (this.isClosed) return;
    this.flushHead(false);
    if (this.isHead) return;
    this.c.conn.sendData(this.id, chunk);
    this.c.flushSoon();
  }

  async sendFile(fd: number, offset: number, length: number): Promise<void> {
    if (this.isClosed) return;
    this.flushHead(false);
    if (this.isHead) return;
    let pos = offset;
    let remaining = length;
    while (remaining > 0 && this.isOpen()) {
      // One copy: the kernel reads into a fresh buffer that DATA frames then reference (writev).
      const buf = new Uint8Array(Math.min(FILE_CHUNK, remaining));
      const n = await readAt(fd, buf, pos);
      if (n === 0) throw new TransportError('ERR_FILE_TRUNCATED', `file ended ${remaining} bytes early`);
      pos += n;
      remaining -= n;
      this.c.conn.sendData(this.id, n === buf.length ? buf : buf.subarray(0, n));
      this.c.flush();
      await this.waitForDrain();
    }
  }

  protected writeEnd(trailers: [string, string][] | undefined): void {
    if (this.isClosed) return;
    if (trailers === undefined || trailers.length === 0) {
      if (!this.flushHead(true)) this.c.conn.sendData(this.id, EMPTY, true);
    } else {
      this.flushHead(false);
      this.c.conn.sendTrailers(this.id, trailers);
    }
    this.c.flushSoon();
  }
}

function readAt(fd: number, buf: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, position, (err, n) => {
      if (err === null) resolve(n);
      else reject(err);
    });
  });
}

/** One HTTP/2 server connection on one socket. */
export class Http2ServerConnection implements SocketHandler {
  readonly core: ServerCore;
  readonly socket: TransportSocket;
  readonly conn: Http2Connection;
  private readonly exchanges = new Map<number, Http2Exchange>();
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private timerAt = 0;
  private isWritable = true;
  isClosed = false;
  private isFlushing = false;
  private isFlushAgain = false;
  private isFlushQueued = false;
  private readonly idleTimeoutMs: number;
  private readonly sendTimer: SendTimer;
  private lastActivityMs: number;

  constructor(core: ServerCore, socket: TransportSocket, options: Http2ServerOptions = {}) {
    this.core = core;
    this.socket = socket;
    this.lastActivityMs = Date.now();
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120000;
    this.sendTimer = new SendTimer(socket, core.wheel, core.limits.sendTimeoutMs);
    this.conn = new Http2Connection({
      role: 'server',
      nowMs: this.lastActivityMs,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.enableConnectProtocol === undefined
        ? {}
        : { enableConnectProtocol: options.enableConnectProtocol }),
      ...(options.extraSettings === undefined ? {} : { extraSettings: options.extraSettings }),
    });
    socket.setHandler(this);
  }

  /** Starts the session; `initial` holds bytes already read from the socket (preface sniffing). */
  start(initial?: Uint8Array): void {
    if (initial !== undefined && initial.length > 0) this.onData(initial, 0, initial.length);
    else this.flush();
  }

  /** h2c upgrade: the HTTP/1.1 request becomes stream 1 (RFC 7540 §3.2). Call instead of `start`. */
  startUpgrade(settingsPayload: Uint8Array, request: UpgradeRequest, initial?: Uint8Array): void {
    try {
      this.conn.acceptUpgrade(settingsPayload, request);
    } catch {
      this.closeNow();
      return;
    }
    this.processEvents();
    this.start(initial);
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
      // A connection error: GOAWAY is queued; deliver what the events say, flush it and close.
      this.processEvents();
      this.closeNow();
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
    this.sendTimer.drained();
    this.isWritable = true;
    this.flush();
  }

  onClose(error: Error | undefined): void {
    this.sendTimer.cancel();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.isClosed = true;
    const err = new ServerError(ServerErrorCode.ConnectionClosed, 'connection closed', { cause: error });
    for (const x of this.exchanges.values()) {
      x.abort(err);
      x.checkDrain();
    }
    this.exchanges.clear();
    this.core.connectionClosed(this, error);
  }

  /** Graceful shutdown (two-phase GOAWAY); the socket closes when open streams finish. */
  shutdown(): void {
    if (this.isClosed) return;
    this.conn.goAway(H2ErrorCode.NO_ERROR);
    this.flush();
  }

  private processEvents(): void {
    for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) this.onEvent(e);
  }

  private onEvent(e: Http2Event): void {
    switch (e.type) {
      case 'request': {
        const x = new Http2Exchange(this, e);
        this.exchanges.set(e.streamId, x);
        x.run();
        return;
      }
      case 'data': {
        const x = this.exchanges.get(e.streamId);
        if (x === undefined) {
          this.conn.consumed(e.streamId, e.data.length);
          return;
        }
        if (e.data.length > 0) x.pushBody(e.data);
        return;
      }
      case 'trailers': {
        const x = this.exchanges.get(e.streamId);
        if (x !== undefined) x.trailers = new FieldSectionView(e.headers);
        return;
      }
      case 'end': {
        const x = this.exchanges.get(e.streamId);
        x?.request.endBody(x.trailers);
        return;
      }
      case 'streamReset': {
        const x = this.exchanges.get(e.streamId);
        if (x !== undefined) {
          x.isReset = true;
          x.abort(
            new ServerError(ServerErrorCode.StreamReset, `stream reset (code ${e.errorCode})`, {
              wireCode: e.errorCode,
            }),
          );
          x.checkDrain();
          this.exchanges.delete(e.streamId);
        }
        return;
      }
      case 'drain':
        this.exchanges.get(e.streamId)?.checkDrain();
        return;
      case 'response':
      case 'informational':
      case 'settings':
      case 'settingsAck':
      case 'ping':
      case 'pingAck':
      case 'goaway':
        return;
    }
  }

  /** Batches writes made during one tick of handler code into one socket write. */
  flushSoon(): void {
    if (this.isFlushQueued || this.isClosed) return;
    this.isFlushQueued = true;
    queueMicrotask(() => {
      this.isFlushQueued = false;
      this.flush();
    });
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
        if (!this.isWritable) this.sendTimer.wrote();
        if (!this.isWritable && this.socket.pendingBytes === 0) this.isWritable = true;
      }
      this.processEvents();
    }
    for (const [id, x] of this.exchanges) {
      x.checkDrain();
      // RFC 8441 §5: a tunnel (extended CONNECT) ends with END_STREAM from each side; not reset here.
      if (
        x.response.finished &&
        !x.request.isBodyComplete &&
        x.connectProtocol === undefined &&
        this.conn.isLocalEnded(id)
      ) {
        // RFC 9113 §8.1: the response is complete while the request body still flows; stop it with
        // RST_STREAM NO_ERROR so the client neither waits for window nor keeps sending.
        this.conn.resetStream(id, H2ErrorCode.NO_ERROR);
        x.isReset = true;
        this.isFlushAgain = true;
      }
      if (!this.conn.hasStream(id) && x.response.finished) this.exchanges.delete(id);
    }
    if (this.conn.isFinished) {
      this.closeNow();
      return;
    }
    this.arm();
  }

  private closeNow(): void {
    if (this.isClosed) return;
    const out = this.conn.takeOutput();
    if (out.length > 0) this.socket.write(out);
    // After GOAWAY and our FIN, a peer that keeps its side open is destroyed after lingerTimeoutMs.
    this.sendTimer.endAndLinger(this.core.limits.lingerTimeoutMs);
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
    // A timer firing earlier is kept: onTimer re-checks and re-arms. Avoids timer churn per request.
    if (this.timer !== undefined && this.timerAt <= at) return;
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
      this.closeNow();
      return;
    }
    if (this.conn.activeStreams === 0 && now >= this.lastActivityMs + this.idleTimeoutMs) {
      // Idle: one GOAWAY with the real last stream id (nothing is in flight).
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
