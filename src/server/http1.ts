/**
 * Binds an {@link Http1Connection} (sans-I/O core) to a {@link TransportSocket}: reads go to `receive()`,
 * events become {@link IncomingRequest}s answered in order (RFC 9112 §9.3.2 pipelining), and the core's
 * `takeOutput()` goes to the socket's writev.
 *
 * Time: the head, body and keep-alive timeouts are the core's (Http1Limits, filled from ServerLimits). The
 * binding gives the core the time with each read and when a response ends outside a read, then arms one
 * reusable TimerNode per connection at `nextDeadline()`; when it fires it calls `handleTimeout(now)` and acts
 * (408 or destroy for a head/body timeout, close for keep-alive). The node is armed lazily: a node already
 * armed earlier than the new deadline is left alone (it fires, finds nothing due and re-arms), so a
 * keep-alive request costs no timer operation. While the connection holds no core (before its first byte,
 * parked between messages) the node waits for the deadline the core would have: the first head's (from
 * accept) or the parked core's keep-alive deadline. Times are on the timer wheel's clock, `performance.now()`.
 * After our FIN the send timer lingers (SendTimer.endAndLinger), as for HTTP/2.
 *
 * Lifetimes: request heads are parsed as views into the read buffer (an arena slot on the native transport,
 * or the core's carry buffer), which is reused for other connections' reads once this read is processed.
 * Every head is `retain()`ed when it arrives and body chunks are copied once into the request's queue
 * (both into SHARED_SLAB's shared chunks, no allocation per copy), because a handler may read them later,
 * even one that answered at once (a deferred log line, a timer): without the copy it would read whatever
 * request the slot holds by then.
 *
 * Files: Http1Connection has no way to account for body bytes sent out of band (sendfile), so file bodies
 * are queued as views of a never-written sentinel buffer; `writeOut` swaps those views for the file
 * segments they stand for. Only the byte count of a sentinel view is ever used.
 */
import { SHARED_SLAB } from '../common/bytes.js';
import { Http1ParseError } from '../common/errors.js';
import type { ServerLimits } from './limits.js';
import { Http1Connection } from '../http1/connection.js';
import type { Http1Head } from '../http1/events.js';
import type { Http1Leniency, Http1Limits } from '../http1/limits.js';
import { TimerNode } from '../transport/timer-wheel.js';
import type { SocketHandler, TransportSocket } from '../transport/socket.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { publishRejection, ServerExchange } from './exchange.js';
import { SendTimer } from './send-timer.js';
import { httpDate } from './response.js';
import type { ServerCore } from './server-core.js';

const SENTINEL_BYTES = 1 << 20;
const FILE_SENTINEL = new ArrayBuffer(SENTINEL_BYTES);

/** The timer wheel's clock (TimerWheel's default, the one every server wheel uses). */
const clockMs = (): number => performance.now();

const REQUEST_TIMEOUT = new TextEncoder().encode(
  'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
);

/**
 * HTTP/1 options of {@link createServer}. The core's timeouts (`headerTimeoutMs`, `bodyTimeoutMs`,
 * `keepAliveTimeoutMs`) come from the server's `limits` unless `limits` here sets them.
 */
export interface Http1ServerOptions {
  readonly limits?: Partial<Http1Limits>;
  readonly leniency?: Partial<Http1Leniency>;
}

/** The options a server's cores are built with: its timeouts merged in, and the first head's timeout. */
interface CoreOptions extends Http1ServerOptions {
  readonly headerTimeoutMs: number;
}

/** Made once per server (keyed by its ServerCore). */
const coreOptionsOf = new WeakMap<ServerCore, CoreOptions>();

function coreOptions(core: ServerCore, options: Http1ServerOptions): CoreOptions {
  let merged = coreOptionsOf.get(core);
  if (merged === undefined) {
    const own = options.limits;
    const limits: Readonly<ServerLimits> = core.limits;
    const headerTimeoutMs = own?.headerTimeoutMs ?? limits.headerTimeoutMs;
    merged = {
      limits: {
        ...own,
        headerTimeoutMs,
        bodyTimeoutMs: own?.bodyTimeoutMs ?? limits.bodyTimeoutMs,
        keepAliveTimeoutMs: own?.keepAliveTimeoutMs ?? limits.keepAliveTimeoutMs,
      },
      ...(options.leniency === undefined ? {} : { leniency: options.leniency }),
      headerTimeoutMs,
    };
    coreOptionsOf.set(core, merged);
  }
  return merged;
}

/** A deadline rounded up to whole ms (never early); 0 (none) for an infinite one. */
function wholeMs(at: number): number {
  return at < Infinity ? Math.ceil(at) : 0;
}

function isTimeout(err: Http1ParseError): boolean {
  return err.kind === 'HEAD_TIMEOUT' || err.kind === 'BODY_TIMEOUT';
}

interface PendingFile {
  readonly fd: number;
  readonly offset: number;
  readonly length: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** One request/response exchange: the HTTP/1.1 operations under the shared exchange layer. */
class Exchange extends ServerExchange {
  readonly c: Http1ServerConnection;
  readonly head: Http1Head;
  isStarted = false;
  /** The server's upgrade handler takes this request over at the `upgrade` event (RFC 9110 §7.8). */
  isUpgrading = false;
  isDone = false;
  isContinueSent = false;
  /** Body bytes still arriving after the response ended are dropped, not buffered. */
  isDiscarding = false;

  constructor(c: Http1ServerConnection, head: Http1Head) {
    const socket = c.socket;
    super(c.core, {
      protocol: head.versionMinor === 0 ? 'http/1.0' : 'http/1.1',
      method: head.method,
      target: head.target,
      headers: head.headers,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      hasBody: head.bodyKind !== 'none',
    });
    this.c = c;
    this.head = head;
  }

  get isClosed(): boolean {
    return this.c.socket.isClosed;
  }

  get pendingBytes(): number {
    return this.c.pendingBytes;
  }

  waitForDrain(): Promise<void> {
    return this.c.waitForDrain();
  }

  override onBodyPull(): void {
    // RFC 9110 §10.1.1: send 100 (Continue) when the handler wants the body the client holds back.
    if (this.head.expectContinue && !this.isContinueSent && !this.response.headersSent && this.isStarted) {
      this.isContinueSent = true;
      this.c.conn.sendInformational(100);
      this.c.flush();
    }
  }

  override onConsumed(): void {
    this.c.updateReading();
  }

  protected override failureStatus(error: unknown): number {
    // A handler that failed with the request's body still unread (or broken) leaves nothing that says where
    // the next request starts: the connection closes after the answer. With the whole body received (a GET,
    // or malformed JSON read to its end) the message is complete and the connection persists (RFC 9112 §9.3).
    if (!this.request.isBodyComplete || this.c.conn.error !== null) this.c.isClosing = true;
    return super.failureStatus(error);
  }

  protected abortResponse(error: Error): void {
    // RFC 9112 §9.6 leaves one way to tell a client a body is incomplete: close without finishing it.
    this.c.socket.destroy(error);
  }

  sendHead(status: number, headers: [string, string][], contentLength: number): void {
    if (this.c.isClosing) headers.push(['connection', 'close']);
    if (contentLength >= 0) this.c.conn.sendResponseHead(status, headers, { contentLength });
    else this.c.conn.sendResponseHead(status, headers);
  }

  sendInformational(status: number, headers: [string, string][]): void {
    this.c.conn.sendInformational(status, headers);
    this.c.flushSoon();
  }

  sendData(chunk: Uint8Array): void {
    this.c.conn.sendData(chunk);
    this.c.queuedData(chunk.byteLength);
  }

  sendFile(fd: number, offset: number, length: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.c.files.push({ fd, offset, length, resolve, reject });
      for (let left = length; left > 0; left -= SENTINEL_BYTES) {
        this.c.conn.sendData(new Uint8Array(FILE_SENTINEL, 0, Math.min(left, SENTINEL_BYTES)));
      }
      this.c.flush();
    });
  }

  protected writeEnd(trailers: [string, string][] | undefined): void {
    this.c.conn.sendEnd(trailers);
    this.c.finished(this);
  }
}

/** An HTTP/1.1 server connection. */
export class Http1ServerConnection implements SocketHandler {
  readonly core: ServerCore;
  readonly socket: TransportSocket;
  /** The protocol core while the connection is busy; parked in the server's pool while idle. */
  private h1: Http1Connection | null = null;
  /** Requests received and not yet answered, in order; [0] is the one being answered. */
  private readonly queue: Exchange[] = [];
  /** The exchange whose body the next `data`/`end` events belong to. */
  private bodyTarget: Exchange | undefined;
  readonly files: PendingFile[] = [];
  private readonly timer: TimerNode;
  private readonly sendTimer: SendTimer;
  /**
   * Deadline while no core is held (see the file comment), whole ms (a small integer: an idle connection
   * keeps no boxed number); 0 when there is none.
   */
  private idleDeadlineMs: number;
  /** A core has been acquired before: a connection without one is parked, not new. */
  private hasHadCore = false;
  private inDispatch = false;
  private needsFlush = false;
  /** Body bytes queued in the core and not yet handed to the socket (a flush is due at the end of a read). */
  private unflushedBytes = 0;
  private isPausedForOutput = false;
  private isReadingPaused = false;
  private isPeerEnded = false;
  private failedStatus = 0;
  private failedCode = '';
  /** The parse error hit a request body (that request answers it) rather than a new head. */
  private isFailedInBody = false;
  private drainWaiters: (() => void)[] = [];
  /** A request asked to switch protocols and nobody took it: close after answering. */
  private isUpgradeRefused = false;
  private isDetached = false;
  /** We half-closed (see {@link endSocket}): input is discarded and the send timer lingers. */
  private isLingering = false;
  isClosing = false;
  private readonly options: CoreOptions;

  constructor(core: ServerCore, socket: TransportSocket, options: Http1ServerOptions) {
    this.core = core;
    this.socket = socket;
    this.options = coreOptions(core, options);
    this.timer = new TimerNode(() => {
      this.onTimeout();
    });
    this.sendTimer = new SendTimer(socket, core.wheel, core.limits.sendTimeoutMs);
    socket.setHandler(this);
    // A fresh connection must send its first head within the header timeout (the core's rule, asked of
    // the core itself when it fires: see tick()).
    const now = clockMs();
    this.idleDeadlineMs = wholeMs(now + this.options.headerTimeoutMs);
    this.armAt(this.idleDeadlineMs, now);
  }

  /**
   * The sans-I/O core, taken from the server's pool on first use. An idle keep-alive connection holds
   * none (see {@link parkCore}), which keeps idle connections small: the core's output arena and carry
   * buffers are most of a connection's memory.
   */
  get conn(): Http1Connection {
    let h1 = this.h1;
    if (h1 === null) {
      h1 = this.h1 = this.core.acquireHttp1(this.options);
      if (!this.hasHadCore) {
        this.hasHadCore = true;
        // The first head is timed from accept: the core learns that time before any byte.
        if (this.idleDeadlineMs !== 0) h1.handleTimeout(this.idleDeadlineMs - this.options.headerTimeoutMs);
      }
    }
    return h1;
  }

  /** Returns the core to the pool when it is between messages with nothing pending; true when parked. */
  private parkCore(h1: Http1Connection): boolean {
    if (!h1.isIdle || !h1.keepAlive || h1.hasOutput || this.files.length > 0) return false;
    // After the peer's FIN the core holds end-of-input state; it must never be handed to another socket.
    if (this.isPeerEnded || this.failedStatus !== 0) return false;
    this.h1 = null;
    this.core.releaseHttp1(h1);
    return true;
  }

  onData(bytes: Uint8Array, start: number, end: number): void {
    // After a parse error the core ignores input and would only rethrow (and republish) the same error.
    if (this.isDetached || this.isLingering || this.failedStatus !== 0) return;
    const now = clockMs();
    this.inDispatch = true;
    this.conn.receive(bytes.subarray(start, end), now);
    this.drainEvents();
    this.afterInput(now, false);
  }

  onEnd(): void {
    if (this.isDetached || this.isLingering) return;
    this.isPeerEnded = true;
    // Between messages there is no core (it is parked) and nothing to finish: do not take one to end it.
    if (this.h1 !== null && this.failedStatus === 0) {
      this.inDispatch = true;
      this.h1.receiveEnd();
      this.drainEvents();
      this.afterInput(clockMs(), true);
    }
    // Like node:http, the peer's FIN aborts the requests in flight (a truncated body has already failed
    // with its parse error); a response still produced is written if the socket allows, then it closes.
    // The exchange's response timer keeps running (request.abort, not ex.abort): a handler that never
    // answers is still bounded by responseTimeoutMs.
    const err = new ServerError(ServerErrorCode.ConnectionClosed, 'client closed the connection');
    for (const ex of this.queue) if (!ex.isDone) ex.peerEnded(err);
    if (this.queue.length === 0 && !this.socket.isClosed) this.endSocket();
  }

  onDrain(): void {
    this.sendTimer.drained();
    if (this.isPausedForOutput && this.socket.pendingBytes < this.core.limits.highWaterMarkBytes) {
      this.isPausedForOutput = false;
      this.updateReading();
    }
    const w = this.drainWaiters;
    if (w.length > 0) {
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  onClose(error: Error | undefined): void {
    this.core.wheel.cancel(this.timer);
    this.sendTimer.cancel();
    this.h1 = null;
    const err = new ServerError(ServerErrorCode.ConnectionClosed, 'connection closed', { cause: error });
    for (const ex of this.queue) ex.abort(err);
    if (this.bodyTarget !== undefined) this.bodyTarget.abort(err);
    for (const f of this.files.splice(0)) f.reject(err);
    this.queue.length = 0;
    this.onDrain();
    this.core.connectionClosed(this, error);
  }

  waitForDrain(): Promise<void> {
    if (this.socket.isClosed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Pulls every event out of the core (the read buffer must not be referenced after this read). */
  private drainEvents(): void {
    const conn = this.conn;
    try {
      for (;;) {
        const ev = conn.nextEvent();
        if (ev === null) break;
        switch (ev.type) {
          case 'head': {
            // Lifetime: copied out of the read buffer (see the file comment).
            const ex = new Exchange(this, ev.retain());
            this.bodyTarget = ev.bodyKind === 'none' ? undefined : ex;
            this.queue.push(ex);
            if (ev.upgrade) {
              if (this.core.takesUpgrade(ex.request)) {
                // Taken over at the `upgrade` event that follows.
                ex.isUpgrading = true;
              } else {
                // RFC 9110 §7.8: a server may ignore Upgrade; the handler answers and the connection closes.
                this.isUpgradeRefused = true;
              }
            }
            if (this.queue.length === 1 && !ex.isUpgrading) this.start(ex);
            break;
          }
          case 'data': {
            const ex = this.bodyTarget;
            if (ex !== undefined && !ex.isDiscarding) {
              // Lifetime: ev.bytes dies with this read; the request keeps its own copy.
              ex.request.pushBody(SHARED_SLAB.copy(ev.bytes));
            }
            break;
          }
          case 'end': {
            const ex = this.bodyTarget;
            this.bodyTarget = undefined;
            if (ex !== undefined) ex.request.endBody(ev.trailers === null ? null : ev.trailers.retain());
            break;
          }
          case 'upgrade': {
            const ex = this.queue[this.queue.length - 1];
            if (ex !== undefined && ex.isUpgrading && !ex.isStarted) {
              this.detach(ex, ev.bytes.slice());
              return;
            }
            break;
          }
        }
      }
    } catch (err) {
      if (!(err instanceof Http1ParseError)) throw err;
      // A failed core rethrows its error on every later call: it has been reported and answered once.
      if (this.failedStatus !== 0) return;
      publishRejection(this.socket, err, err.statusHint);
      this.failedStatus = err.statusHint;
      this.failedCode = err.code;
      // A body broken mid-way fails its request: the handler's body read rejects and is answered below.
      this.isFailedInBody = this.bodyTarget !== undefined;
      this.bodyTarget?.request.failBody(err);
      this.bodyTarget = undefined;
      if (this.queue.length === 0) this.answerFailure();
    }
  }

  /** Hands the socket to the server's upgrade handler (RFC 9110 §7.8); this connection lets go of it. */
  private detach(ex: Exchange, rest: Uint8Array): void {
    this.isDetached = true;
    this.core.wheel.cancel(this.timer);
    this.queue.length = 0;
    this.core.connectionDetached(this);
    this.core.onUpgrade?.(ex.request, this.socket, rest);
  }

  private afterInput(now: number, isNewTime: boolean): void {
    if (this.isDetached) return;
    this.inDispatch = false;
    if (this.needsFlush) this.flush();
    this.updateReading();
    this.tick(now, isNewTime);
  }

  private start(ex: Exchange): void {
    ex.isStarted = true;
    ex.run();
  }

  /** Called by an exchange's sendEnd: the response is completely queued. */
  finished(ex: Exchange): void {
    ex.isDone = true;
    if (this.queue[0] === ex) this.queue.shift();
    if (!ex.request.isBodyComplete) {
      ex.isDiscarding = true;
      // The client may still hold the body back waiting for 100 (RFC 9110 §10.1.1): do not wait for it.
      if (ex.head.expectContinue && !ex.isContinueSent) this.isClosing = true;
    }
    this.flushSoon();
    // RFC 9112 §9.6: after answering a request that did not allow persistence, close; later pipelined
    // requests are not answered.
    if (!ex.head.keepAlive || this.isUpgradeRefused) {
      this.closeAfterFlush();
      return;
    }
    const next = this.queue[0];
    if (next !== undefined) {
      // Requests parsed before a parse error (or a shutdown) are still answered in order.
      if (!next.isStarted) this.start(next);
      return;
    }
    if (this.failedStatus !== 0) {
      // A failure inside this request's body has been answered (or the response was already on its way).
      if (this.isFailedInBody) this.closeAfterFlush();
      else this.answerFailure();
      return;
    }
    if (this.mustClose() || this.isPeerEnded) {
      this.closeAfterFlush();
      return;
    }
    if (!this.inDispatch) {
      this.updateReading();
      // Outside a read the core has not seen this time: the keep-alive (or a pipelined head) starts now.
      this.tick(clockMs(), true);
    }
  }

  private closeAfterFlush(): void {
    const err = new ServerError(ServerErrorCode.ConnectionClosed, 'connection closing');
    for (const ex of this.queue) ex.abort(err);
    this.queue.length = 0;
    this.flush();
    this.endSocket();
  }

  private mustClose(): boolean {
    return (this.h1 !== null && this.h1.shouldClose) || this.isUpgradeRefused || this.isClosing;
  }

  /** Answers a parse error with its status hint (400, 413, 414, 431, 501...) and closes. */
  private answerFailure(): void {
    const status = this.failedStatus;
    // The body names the rule that failed (a stable code, never peer bytes).
    const body = Buffer.from(`${this.failedCode}\n`);
    try {
      this.conn.sendResponseHead(
        status,
        [
          ['content-type', 'text/plain'],
          ['date', httpDate()],
        ],
        {
          contentLength: body.byteLength,
        },
      );
      this.conn.sendData(body);
      this.conn.sendEnd();
    } catch {
      // The core refused (a response was half-sent): closing is all that is left.
    }
    this.flush();
    this.endSocket();
  }

  /**
   * Half-closes once the output is written and starts lingering: input is discarded (the transport
   * keeps reading so the peer's FIN is seen), and a peer that has not closed its side
   * `lingerTimeoutMs` after our FIN went out is destroyed, so no connection outlives its answer.
   */
  private endSocket(): void {
    if (this.isLingering || this.socket.isClosed) return;
    this.isLingering = true;
    this.core.wheel.cancel(this.timer);
    this.sendTimer.endAndLinger(this.core.limits.lingerTimeoutMs);
  }

  /**
   * Output bytes not yet written to the kernel: in the socket's queue, plus body bytes still in the core
   * (a handler that writes before its first await runs inside the read dispatch, where flushes wait).
   */
  get pendingBytes(): number {
    return this.socket.pendingBytes + this.unflushedBytes;
  }

  /**
   * Body bytes were queued in the core. Within a read they wait for the dispatch's flush, but never past
   * the high-water mark: a handler looping on `write()` from the start must see backpressure (and its
   * output must reach the socket) before its first await.
   */
  queuedData(bytes: number): void {
    this.unflushedBytes += bytes;
    if (this.unflushedBytes >= this.core.limits.highWaterMarkBytes) this.flush();
    else this.flushSoon();
  }

  /** Flushes now, or at the end of the current read when inside one (pipelined answers share a writev). */
  flushSoon(): void {
    if (this.inDispatch) this.needsFlush = true;
    else this.flush();
  }

  flush(): void {
    this.needsFlush = false;
    this.unflushedBytes = 0;
    if (this.socket.isClosed) {
      this.h1?.takeOutput();
      return;
    }
    // A parked core (h1 null) has nothing queued; do not take one from the pool just to ask.
    const h1 = this.h1;
    const out = h1 === null ? [] : h1.takeOutput();
    // The send timer is touched only when output stays queued (not per response: it showed in the hello
    // benchmark).
    if (out.length > 0) {
      if (!this.writeOut(out)) this.sendTimer.wrote();
      // Nothing of it is held by the transport (the native one wrote it all; node:net's stream buffers
      // nothing): the core may write its next heads over the same arena bytes.
      else if (h1 !== null && this.socket.pendingBytes === 0) h1.outputConsumed();
    }
    if (!this.isPausedForOutput && this.socket.pendingBytes >= this.core.limits.highWaterMarkBytes) {
      this.isPausedForOutput = true;
      this.updateReading();
    }
  }

  /** Writes the core's output (files by sendfile); returns true when all of it reached the kernel now. */
  private writeOut(out: Uint8Array[]): boolean {
    if (this.files.length === 0) return this.socket.write(out);
    let from = 0;
    let i = 0;
    while (i < out.length) {
      if (out[i]!.buffer !== FILE_SENTINEL) {
        i++;
        continue;
      }
      if (i > from) this.socket.write(out.slice(from, i));
      const file = this.files.shift()!;
      let covered = 0;
      while (i < out.length && out[i]!.buffer === FILE_SENTINEL && covered < file.length) {
        covered += out[i]!.byteLength;
        i++;
      }
      this.socket.sendFile(file.fd, file.offset, file.length, (err) => {
        if (err === undefined) file.resolve();
        else file.reject(err);
      });
      from = i;
    }
    if (from < out.length) this.socket.write(from === 0 ? out : out.slice(from));
    // A file is still being sent: the send timer watches it.
    return false;
  }

  /** Pauses or resumes reading from the socket according to output, body and pipelining pressure. */
  updateReading(): void {
    if (this.socket.isClosed || this.isDetached || this.isLingering) return;
    const body = this.bodyTarget;
    const limits = this.core.limits;
    const shouldPause =
      this.isPausedForOutput ||
      this.failedStatus !== 0 ||
      (body !== undefined && !body.isDiscarding && body.request.bufferedBytes >= limits.bodyBufferBytes) ||
      this.queue.length > limits.maxPipelinedRequests;
    if (shouldPause && !this.isReadingPaused) {
      this.isReadingPaused = true;
      this.socket.pause();
    } else if (!shouldPause && this.isReadingPaused) {
      this.isReadingPaused = false;
      this.socket.resume();
    }
  }

  /**
   * Runs the connection's clock at `now`: with `isNewTime`, the core learns it (and may expire a phase);
   * then an idle core is parked and the node armed for the next deadline.
   */
  private tick(now: number, isNewTime: boolean): void {
    if (this.socket.isClosed || this.isLingering || this.isDetached) return;
    let h1 = this.h1;
    if (h1 === null) {
      if (this.isClosing && this.queue.length === 0) {
        this.endSocket();
        return;
      }
      if (this.idleDeadlineMs === 0) return;
      if (now < this.idleDeadlineMs) {
        this.armAt(this.idleDeadlineMs, now);
        return;
      }
      // Parked: the deadline was the core's keep-alive one; it closes without a response.
      if (this.hasHadCore) {
        this.endSocket();
        return;
      }
      // Nothing received since accept: a core decides (its first head is timed from accept).
      h1 = this.conn;
      isNewTime = true;
    }
    if (isNewTime) {
      h1.handleTimeout(now);
      const err = h1.error;
      if (err !== null && this.failedStatus === 0 && isTimeout(err)) {
        this.timedOut();
        return;
      }
      // The keep-alive timeout expired.
      if (h1.isClosed && this.queue.length === 0) {
        this.endSocket();
        return;
      }
    }
    const at = h1.nextDeadline();
    if (this.queue.length === 0 && this.bodyTarget === undefined && h1.isIdle) {
      if (this.isClosing) {
        this.endSocket();
        return;
      }
      // The parked core's deadline (keep-alive) is kept here until the next byte brings a core back.
      if (this.parkCore(h1)) this.idleDeadlineMs = at === undefined ? 0 : wholeMs(at);
    }
    this.armAt(at, now);
  }

  /** Arms the node for `at` unless it is already armed no later (it then fires early and re-arms). */
  private armAt(at: number | undefined, now: number): void {
    if (at === undefined || at === 0) return;
    const node = this.timer;
    if (node.isArmed && node.deadlineMs <= at) return;
    this.core.wheel.schedule(node, at - now);
  }

  private onTimeout(): void {
    this.tick(clockMs(), true);
  }

  /** A head or body timeout (RFC 9110 §15.5.9): 408 when no response has started, else just close. */
  private timedOut(): void {
    publishRejection(this.socket, undefined, 408);
    const active = this.queue[0];
    if (active === undefined || !active.response.headersSent) {
      this.socket.write([REQUEST_TIMEOUT]);
      this.sendTimer.wrote();
      // Anything still coming is discarded while the connection lingers.
      this.endSocket();
    } else {
      this.socket.destroy();
    }
  }

  /** Graceful shutdown: finish what is in flight, then close; idle connections close now. */
  shutdown(): void {
    this.isClosing = true;
    if (this.queue.length === 0 && this.bodyTarget === undefined) {
      this.flush();
      this.endSocket();
    }
  }

  get isIdle(): boolean {
    return this.queue.length === 0 && (this.h1 === null || this.h1.isIdle);
  }
}
