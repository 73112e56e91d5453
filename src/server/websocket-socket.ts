/**
 * The WebSocket object handlers and clients use, on any HTTP version: it drives the sans-I/O core
 * (src/websocket/connection.ts) over a {@link WebSocketPipe}, the byte pipe under it: an upgraded HTTP/1.1
 * socket (RFC 6455 §4), or the request and response of an extended CONNECT stream on HTTP/2 (RFC 8441) or
 * HTTP/3 (RFC 9220). The pipe's backpressure is the WebSocket's: `send` returns false once the pipe holds
 * more than its high-water mark, and reading stops while received messages wait unread in the iterator.
 *
 * Closing (RFC 6455 §7): `close(code, reason)` sends Close; when both Close frames have crossed, the pipe
 * ends (FIN on TCP, END_STREAM on HTTP/2 and HTTP/3). A peer that does not answer within
 * `closeTimeoutMs` is cut off (destroy, RST_STREAM). The `close` event fires once the pipe is gone,
 * with 1006 (ABNORMAL_CLOSURE, never sent on the wire) when no Close frame was received.
 */
import { EventEmitter } from 'node:events';
import { UsageError, WebSocketError } from '../common/errors.js';
import { WebSocketConnection, WebSocketMessageEvent } from '../websocket/connection.js';
import type { WebSocketEvent, WebSocketRole } from '../websocket/connection.js';
import { CloseCode, isValidWireCloseCode } from '../websocket/errors.js';
import type { WebSocketLimits } from '../websocket/limits.js';
import { nativeMaskCopy } from '../transport/native-mask.js';
import type { AsyncMessageDeflater } from './websocket-deflate.js';

/** The byte pipe under a {@link WebSocket}: one per HTTP version (see src/server/websocket.ts). */
export interface WebSocketPipe {
  /** Queues `chunks` in order; false when the pipe now holds more than its high-water mark. */
  write(chunks: Uint8Array[]): boolean;
  /** Bytes queued and not yet handed to the kernel (or to the stream's flow control). */
  readonly pendingBytes: number;
  /** Ends our sending side once queued bytes are out (TCP FIN, END_STREAM). */
  end(): void;
  /** Closes at once (TCP close or reset, RST_STREAM / RESET_STREAM). */
  destroy(error?: Error): void;
  /** Stops delivering received bytes (the peer then sees TCP or stream flow control) until `resume`. */
  pause(): void;
  resume(): void;
}

/** What a pipe calls on its WebSocket. */
export interface WebSocketPipeSink {
  /** Lifetime: `bytes[start, end)` is valid during the call only; the core copies what it keeps. */
  onPipeData(bytes: Uint8Array, start: number, end: number): void;
  /** The peer ended its side (FIN, END_STREAM). */
  onPipeEnd(): void;
  /** The pipe went below its high-water mark again. */
  onPipeDrain(): void;
  /** The pipe is gone; called once. */
  onPipeClose(error: Error | undefined): void;
}

/**
 * The part of a pipe over an HTTP/2 or HTTP/3 stream (extended CONNECT, server and client side) that reads
 * the received body: chunks go to the sink, the read waits while paused (so the stream's flow control
 * holds the peer back), and the pipe closes once both the read and our sending side are done.
 */
export abstract class StreamBodyPipe {
  /** Set by the subclass; null until then. */
  protected sink: WebSocketPipeSink | null = null;
  protected isWriteDone = false;
  protected isClosed = false;
  private isReadDone = false;
  private isPaused = false;
  private resumeWaiter: (() => void) | undefined = undefined;

  /** Closes the pipe (at most once) and tells the sink. */
  protected abstract close(error: Error | undefined): void;

  /** Feeds `body` to the sink until it ends (then onPipeEnd), fails or the pipe closes. */
  protected async readBody(body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of body) {
        if (this.isClosed) return;
        this.sink?.onPipeData(chunk, 0, chunk.length);
        if (this.isPaused) await new Promise<void>((resolve) => (this.resumeWaiter = resolve));
      }
    } catch (err) {
      this.close(err instanceof Error ? err : undefined);
      return;
    }
    this.isReadDone = true;
    if (!this.isClosed) this.sink?.onPipeEnd();
    this.checkDone();
  }

  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    this.isPaused = false;
    const w = this.resumeWaiter;
    this.resumeWaiter = undefined;
    w?.();
  }

  /** Closes once both directions are done. */
  protected checkDone(): void {
    if (this.isReadDone && this.isWriteDone) this.close(undefined);
  }
}

/** Options of a WebSocket (server routes and the client take the same). */
export interface WebSocketOptions {
  /** Frame and message limits of the core (`maxMessageBytes` also bounds inflated messages). */
  readonly limits?: Partial<WebSocketLimits>;
  /**
   * Idle time after which a Ping is sent (RFC 6455 §5.5.2 keep-alive); default 30 s; 0 disables it. When
   * the peer then stays silent for `keepAliveTimeoutMs` (default: the interval) the connection fails with
   * 1001 (`ERR_WS_KEEPALIVE_TIMEOUT`).
   */
  readonly keepAliveIntervalMs?: number;
  readonly keepAliveTimeoutMs?: number;
  /** Time the peer has to answer our Close (or to close the pipe after it) before we cut it; default 5 s. */
  readonly closeTimeoutMs?: number;
  /**
   * Bytes the pipe may hold before `send` returns false (and, for received messages waiting unread in the
   * async iterator, before reading pauses); default 64 KiB.
   */
  readonly highWaterMarkBytes?: number;
  /**
   * permessage-deflate: bytes of messages waiting for compression (zlib runs one message of a connection
   * at a time, in its thread pool). `send` already returns false once they reach `highWaterMarkBytes`; a
   * sender that ignores that and queues past this bound gets a `UsageError` (ERR_WS_SEND_QUEUE_FULL)
   * instead of unbounded memory. A single message is always accepted into an empty queue. Default 16 MiB
   * (one message of the default `maxMessageBytes`).
   */
  readonly maxDeflateQueueBytes?: number;
}

/** How a WebSocket ended (the `close` event and {@link WebSocket.closed}). */
export interface WebSocketCloseInfo {
  /** The peer's close code; 1005 for an empty Close, 1006 when none arrived (RFC 6455 §7.1.5). */
  readonly code: number;
  readonly reason: string;
  /** Both Close frames crossed before the pipe closed (RFC 6455 §7.1.4). */
  readonly wasClean: boolean;
}

/** Options of {@link WebSocket.send}. */
export interface WebSocketSendOptions {
  /** Send a binary message; default: binary for bytes, text for strings. */
  readonly binary?: boolean;
  /** Use the negotiated permessage-deflate (default true when negotiated). */
  readonly compress?: boolean;
}

/** The HTTP version a WebSocket runs over. */
export type WebSocketHttpVersion = 'http/1.1' | 'h2' | 'h3';

/** Where a WebSocket is: `open` until Close was sent or received, `closing`, then `closed`. */
export type WebSocketReadyState = 'open' | 'closing' | 'closed';

const DEFAULT_KEEPALIVE_MS = 30_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
const DEFAULT_MAX_DEFLATE_QUEUE = 16 << 20;
const EMPTY = new Uint8Array(0);

/** Construction details (internal: the server and client layers build WebSockets). */
export interface WebSocketInit {
  readonly role: WebSocketRole;
  readonly protocol: string;
  readonly extensions: string;
  readonly httpVersion: WebSocketHttpVersion;
  readonly deflater?: AsyncMessageDeflater | undefined;
  readonly options: WebSocketOptions;
}

/**
 * One WebSocket (either role). Events: `message` (a {@link WebSocketMessageEvent}: `data`, `isBinary`,
 * `text`), `ping`, `pong` (payload bytes), `drain`, `error` (a `WebSocketError`; only emitted when a
 * listener exists), `close` (code, reason, wasClean). Without a `message` listener, messages queue for the
 * async iterator (`for await (const msg of ws)`), and reading pauses while they exceed the high-water mark.
 */
export class WebSocket extends EventEmitter {
  /** The subprotocol selected in the handshake (`Sec-WebSocket-Protocol`), or `''`. */
  readonly protocol: string;
  /** The extensions in force (`Sec-WebSocket-Extensions` of the answer), or `''`. */
  readonly extensions: string;
  readonly httpVersion: WebSocketHttpVersion;
  /** Why the connection failed, when it did (the close code we sent is its `wireCode`). */
  error: WebSocketError | undefined = undefined;
  private readonly conn: WebSocketConnection;
  private pipe: WebSocketPipe | null = null;
  private readonly highWaterMark: number;
  private readonly closeTimeoutMs: number;
  private isPipeWritable = true;
  private isPipeEnded = false;
  private isPipeClosed = false;
  private isPaused = false;
  private closeInfo: { code: number; reason: string } | undefined = undefined;
  private final: WebSocketCloseInfo | undefined = undefined;
  private readonly queue: WebSocketMessageEvent[] = [];
  private queuedBytes = 0;
  private wake: (() => void) | undefined = undefined;
  private drainWaiters: Array<() => void> = [];
  private keepAliveTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private keepAliveAt = 0;
  private closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly closedPromise: Promise<WebSocketCloseInfo>;
  private resolveClosed: (info: WebSocketCloseInfo) => void = () => undefined;
  private isDispatching = false;
  /** Inside {@link onPipeData}: sends made by listeners are flushed once at its end (one writev per read). */
  private isReceiving = false;
  /** Message bytes sent since the last flush (a deferred flush happens early past the high-water mark). */
  private unflushedBytes = 0;

  // permessage-deflate runs off the event loop (src/server/websocket-deflate.ts), one message per direction
  // at a time; these queues keep everything after a message being (de)compressed in order behind it.
  private readonly deflater: AsyncMessageDeflater | null;
  private readonly maxDeflateQueueBytes: number;
  /** Messages and fragments to send, in order; the head is being compressed when `isCompressing`. */
  private readonly sendQueue: SendItem[] = [];
  private sendQueuedBytes = 0;
  private isCompressing = false;
  /** `send` returned false because of the queue: `drain` fires once it is below the mark again. */
  private isDeflateFull = false;
  /** `close()` waits for queued messages (RFC 6455 §5.5.1: nothing is sent after Close). */
  private pendingClose: { code: number; reason: string } | null = null;
  /** Core events behind a message being inflated (data messages keep their order, RFC 6455 §5.4). */
  private readonly inbound: WebSocketEvent[] = [];
  private inboundBytes = 0;
  private isInflating = false;
  private isInflatingBinary = false;
  /** The pipe closed while messages were still being inflated: the close is reported after them. */
  private isPipeClosePending = false;
  /** sendStream has queued fragments but not yet the last one. */
  private isStreamQueued = false;
  private pipeCloseError: Error | undefined = undefined;

  constructor(init: WebSocketInit) {
    super();
    const o = init.options;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.httpVersion = init.httpVersion;
    this.highWaterMark = o.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK;
    this.closeTimeoutMs = o.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const interval = o.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS;
    this.deflater = init.deflater ?? null;
    this.maxDeflateQueueBytes = o.maxDeflateQueueBytes ?? DEFAULT_MAX_DEFLATE_QUEUE;
    const maskCopy = nativeMaskCopy();
    this.conn = new WebSocketConnection({
      role: init.role,
      ...(o.limits === undefined ? {} : { limits: o.limits }),
      hasDeferredDeflate: this.deflater !== null,
      allocate: allocUnsafe,
      ...(maskCopy === undefined ? {} : { maskCopy }),
      keepAliveIntervalMs: interval,
      ...(o.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeoutMs: o.keepAliveTimeoutMs }),
      nowMs: Date.now(),
    });
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    // Messages that arrived before the first `message` listener (an async handler still setting up) go to it.
    this.on('newListener', (event: string) => {
      if (event === 'message' && this.queue.length > 0)
        queueMicrotask(() => {
          this.deliverQueued();
        });
    });
  }

  private deliverQueued(): void {
    while (this.queue.length > 0 && this.listenerCount('message') > 0) {
      const m = this.queue.shift()!;
      this.queuedBytes -= m.data.length;
      this.emitSafely('message', m);
    }
    this.updatePause();
  }

  /** Reading pauses while unread messages or compressed ones waiting for inflation pass the mark. */
  private updatePause(): void {
    const shouldPause = this.queuedBytes >= this.highWaterMark || this.inboundBytes >= this.highWaterMark;
    if (shouldPause === this.isPaused) return;
    this.isPaused = shouldPause;
    if (shouldPause) this.pipe?.pause();
    else this.pipe?.resume();
  }

  /** Internal: connects the pipe (the handshake is done); `initial` holds bytes that followed the head. */
  attach(pipe: WebSocketPipe, initial?: Uint8Array): void {
    this.pipe = pipe;
    this.armKeepAlive();
    if (initial !== undefined && initial.length > 0) this.onPipeData(initial, 0, initial.length);
  }

  /** The pipe as a sink (the pipe calls these). */
  readonly sink: WebSocketPipeSink = {
    onPipeData: (bytes, start, end) => {
      this.onPipeData(bytes, start, end);
    },
    onPipeEnd: () => {
      this.onPipeEnd();
    },
    onPipeDrain: () => {
      this.onPipeDrain();
    },
    onPipeClose: (error) => {
      this.onPipeClose(error);
    },
  };

  get readyState(): WebSocketReadyState {
    if (this.final !== undefined) return 'closed';
    return this.conn.isCloseSent || this.conn.isClosed || this.pendingClose !== null ? 'closing' : 'open';
  }

  /** Bytes sent and not yet handed to the kernel or the stream (RFC 6455 has no such notion: ours). */
  get bufferedAmount(): number {
    return (this.pipe?.pendingBytes ?? 0) + this.sendQueuedBytes;
  }

  /** Resolves once the pipe is closed, with how it ended. */
  get closed(): Promise<WebSocketCloseInfo> {
    return this.closedPromise;
  }

  /**
   * Sends one message: a string as text, bytes as binary (or as `options.binary` says). Returns false when
   * the pipe holds more than the high-water mark: wait for `drain` or {@link drained} before sending more.
   * Once the WebSocket is closing or closed the message is dropped and false returned.
   * Lifetime: bytes above 512 are written by reference (server role); do not modify them afterwards.
   */
  send(data: string | Uint8Array, options?: WebSocketSendOptions): boolean {
    // Once closing (either side sent Close) messages are dropped, as the peer would ignore them anyway
    // (RFC 6455 §5.5.1); a sender racing the peer's Close needs no try/catch.
    if (this.conn.isCloseSent || this.final !== undefined || this.pendingClose !== null) return false;
    const isBinary = options?.binary ?? typeof data !== 'string';
    if (this.deflater !== null && (options?.compress !== false || this.sendQueue.length > 0)) {
      // As the core does without deflate: no message inside another's fragments (RFC 6455 §5.4).
      if (this.isStreamQueued) {
        throw new UsageError(
          'ERR_WS_FRAGMENT_IN_PROGRESS',
          'a fragmented message is being sent; finish it first',
        );
      }
      const bytes = typeof data === 'string' ? encoder.encode(data) : data;
      return this.enqueueSend(bytes, isBinary, true, options?.compress !== false);
    }
    const compress = options?.compress === undefined ? undefined : { compress: options.compress };
    this.unflushedBytes += data.length;
    if (isBinary) {
      this.conn.sendBinary(typeof data === 'string' ? encoder.encode(data) : data, compress);
    } else {
      this.conn.sendText(data, compress);
    }
    return this.flush();
  }

  /**
   * Sends a message in fragments as `source` yields them (RFC 6455 §5.4), waiting for the pipe to drain
   * whenever it is above the high-water mark. Resolves once the last fragment is queued.
   */
  async sendStream(
    source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
    options: WebSocketSendOptions = {},
  ): Promise<void> {
    const isBinary = options.binary ?? true;
    const compress = options.compress === undefined ? {} : { compress: options.compress };
    const isDeflated = this.deflater !== null && options.compress !== false;
    let pending: Uint8Array | string | undefined;
    for await (const chunk of source) {
      if (pending !== undefined) {
        if (this.deflater !== null) {
          const bytes = typeof pending === 'string' ? encoder.encode(pending) : pending;
          this.isStreamQueued = true;
          if (!this.enqueueSend(bytes, isBinary, false, isDeflated)) await this.drained();
        } else {
          this.conn.sendFragment(pending, { isBinary, fin: false, ...compress });
          if (!this.flush()) await this.drained();
        }
      }
      pending = chunk;
    }
    if (this.deflater !== null) {
      const last = pending ?? EMPTY;
      this.isStreamQueued = false;
      this.enqueueSend(typeof last === 'string' ? encoder.encode(last) : last, isBinary, true, isDeflated);
      return;
    }
    this.conn.sendFragment(pending ?? EMPTY, { isBinary, fin: true, ...compress });
    this.flush();
  }

  /** permessage-deflate: queues a message or fragment behind those being compressed. */
  private enqueueSend(data: Uint8Array, isBinary: boolean, fin: boolean, compress: boolean): boolean {
    if (this.sendQueue.length > 0 && this.sendQueuedBytes + data.length > this.maxDeflateQueueBytes) {
      throw new UsageError(
        'ERR_WS_SEND_QUEUE_FULL',
        `${this.sendQueuedBytes + data.length} bytes queued for compression, above maxDeflateQueueBytes ` +
          `${this.maxDeflateQueueBytes}: wait for 'drain' when send returns false`,
      );
    }
    this.sendQueue.push({ data, isBinary, fin, compress });
    this.sendQueuedBytes += data.length;
    this.pumpSend();
    if (this.sendQueuedBytes >= this.highWaterMark) this.isDeflateFull = true;
    const isBelow = this.flush();
    return isBelow && !this.isDeflateFull;
  }

  /** Sends queued uncompressed items and starts compressing the next compressed one. */
  private pumpSend(): void {
    const q = this.sendQueue;
    while (!this.isCompressing && q.length > 0) {
      if (this.conn.isCloseSent || this.isPipeClosed) {
        q.length = 0;
        this.sendQueuedBytes = 0;
        break;
      }
      const item = q[0]!;
      if (item.compress) {
        this.isCompressing = true;
        this.deflater!.compress(item.data, item.fin, this.onCompressed);
        return;
      }
      q.shift();
      this.sendQueuedBytes -= item.data.length;
      this.unflushedBytes += item.data.length;
      this.conn.sendFragment(item.data, { isBinary: item.isBinary, fin: item.fin, compress: false });
    }
    const c = this.pendingClose;
    if (c !== null && q.length === 0 && !this.isCompressing) {
      this.pendingClose = null;
      this.close(c.code, c.reason);
    }
  }

  /** Bound once: the deflater's completion of the queue's head. */
  private readonly onCompressed = (error: Error | null, payload: Uint8Array | null): void => {
    this.isCompressing = false;
    const item = this.sendQueue.shift();
    if (item === undefined) return; // the queue was dropped (closed meanwhile)
    this.sendQueuedBytes -= item.data.length;
    if (this.final !== undefined || this.isPipeClosed || this.conn.isCloseSent) {
      this.sendQueue.length = 0;
      this.sendQueuedBytes = 0;
      return;
    }
    if (error !== null || payload === null) {
      // zlib itself failed: RFC 6455 §7.4.1 1011, an unexpected condition on our side.
      this.sendQueue.length = 0;
      this.sendQueuedBytes = 0;
      this.pendingClose = null;
      this.close(CloseCode.INTERNAL_ERROR, '');
      return;
    }
    this.unflushedBytes += payload.length;
    this.conn.sendCompressed(payload, item.isBinary, item.fin);
    this.pumpSend();
    this.flushNow();
    if (this.isDeflateFull && this.sendQueuedBytes < this.highWaterMark) {
      this.isDeflateFull = false;
      this.notifyDrain();
    }
  };

  /** Resolves when the pipe is below the high-water mark (at once when it is, or when closed). */
  drained(): Promise<void> {
    if (this.isPipeClosed || (this.isPipeWritable && !this.isDeflateFull)) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends a Ping (at most 125 bytes); the answer is a `pong` event. */
  ping(data: Uint8Array = EMPTY): void {
    if (this.conn.isCloseSent) return;
    this.conn.ping(data);
    this.flush();
  }

  /** Sends an unsolicited Pong (a one-way heartbeat, RFC 6455 §5.5.3). */
  pong(data: Uint8Array = EMPTY): void {
    if (this.conn.isCloseSent) return;
    this.conn.pong(data);
    this.flush();
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code` (default 1000) and a reason of at most 123
   * UTF-8 bytes. A no-op once closing.
   */
  close(code: number = CloseCode.NORMAL_CLOSURE, reason = ''): void {
    if (this.final !== undefined || this.conn.isCloseSent || this.pendingClose !== null) return;
    if (this.sendQueue.length > 0 || this.isCompressing) {
      // Misuse still throws at the call, although Close goes out after the queued messages.
      if (!isValidWireCloseCode(code) || encoder.encode(reason).length > 123) {
        throw new UsageError('ERR_WS_INVALID_CLOSE_CODE', `close code ${code} or its reason may not be sent`);
      }
      this.pendingClose = { code, reason };
      return;
    }
    this.conn.close(code, reason);
    this.flush();
    this.afterClose();
  }

  /** Closes the pipe at once, without a closing handshake (the peer sees 1006). */
  terminate(): void {
    this.pipe?.destroy();
  }

  /** Received messages, for consumers that use no `message` listener; ends when the WebSocket closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<WebSocketMessageEvent> {
    for (;;) {
      const m = this.queue.shift();
      if (m !== undefined) {
        this.queuedBytes -= m.data.length;
        this.updatePause();
        yield m;
        continue;
      }
      if (this.final !== undefined || this.conn.isClosed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  // ---- pipe side ------------------------------------------------------------------------------------

  private onPipeData(bytes: Uint8Array, start: number, end: number): void {
    if (this.isPipeClosed) return;
    try {
      this.conn.receive(bytes, start, end);
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      // The core queued Close with the code the RFC names and an `error` event: handled below.
    }
    this.isReceiving = true;
    try {
      this.dispatch();
    } finally {
      this.isReceiving = false;
    }
    this.flush();
  }

  private dispatch(): void {
    if (this.isDispatching) return;
    this.isDispatching = true;
    try {
      for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) {
        if (e.type === 'compressed' || this.isInflating || this.inbound.length > 0) {
          this.inbound.push(e);
          if (e.type === 'compressed') this.inboundBytes += e.data.length;
          continue;
        }
        this.handleEvent(e);
      }
      this.pumpInbound();
    } finally {
      this.isDispatching = false;
    }
    if (this.conn.isCloseSent || this.conn.isClosed) this.afterClose();
  }

  /** Handles events in order until one needs inflating; reports a deferred pipe close once all are out. */
  private pumpInbound(): void {
    const q = this.inbound;
    while (!this.isInflating && q.length > 0) {
      const e = q.shift()!;
      if (e.type === 'compressed') {
        this.inboundBytes -= e.data.length;
        this.isInflating = true;
        this.isInflatingBinary = e.isBinary;
        this.deflater!.decompress(e.data, this.conn.limits.maxMessageBytes, this.onInflated);
        break;
      }
      this.handleEvent(e);
    }
    this.updatePause();
    if (this.isPipeClosePending && !this.isInflating && q.length === 0) {
      this.isPipeClosePending = false;
      this.finishPipeClose(this.pipeCloseError);
    }
  }

  /** Bound once: the deflater's inflation of the message at the head of the inbound queue. */
  private readonly onInflated = (error: Error | null, data: Uint8Array | null): void => {
    this.isInflating = false;
    if (this.final !== undefined) return;
    let m: WebSocketMessageEvent | null = null;
    try {
      m = this.conn.recvInflated(this.isInflatingBinary, error ?? data);
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      // RFC 6455 §7.1.7: once failed, nothing more the peer sent is processed.
      this.inbound.length = 0;
      this.inboundBytes = 0;
    }
    if (m !== null) this.deliver(m);
    this.dispatch();
    this.flush();
  };

  private handleEvent(e: WebSocketEvent): void {
    switch (e.type) {
      case 'message':
        this.deliver(e);
        break;
      case 'compressed':
        break; // queued by dispatch, never handled here
      case 'ping':
        if (this.listenerCount('ping') > 0) this.emitSafely('ping', e.data);
        break;
      case 'pong':
        if (this.listenerCount('pong') > 0) this.emitSafely('pong', e.data);
        break;
      case 'close':
        this.closeInfo = { code: e.code, reason: e.reason };
        break;
      case 'error':
        this.error = e.error;
        if (this.listenerCount('error') > 0) this.emitSafely('error', e.error);
        break;
    }
  }

  private deliver(m: WebSocketMessageEvent): void {
    if (this.listenerCount('message') > 0 && this.queue.length === 0) {
      this.emitSafely('message', m);
      return;
    }
    this.queue.push(m);
    this.queuedBytes += m.data.length;
    const w = this.wake;
    this.wake = undefined;
    w?.();
    this.updatePause();
  }

  /** A throwing listener closes the WebSocket with 1011 (RFC 6455 §7.4.1) instead of unwinding the pipe. */
  private emitSafely(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      if (!this.conn.isCloseSent) {
        this.conn.close(CloseCode.INTERNAL_ERROR, '');
        this.flush();
      }
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** Once Close was sent: end the pipe when the handshake is complete, else bound the wait for the peer. */
  private afterClose(): void {
    this.flushNow();
    if (this.conn.isClosed) {
      this.clearCloseTimer();
      if (!this.isPipeEnded) {
        this.isPipeEnded = true;
        this.pipe?.end();
      }
    }
    // Also after our end: a peer that never ends its side is cut off.
    if (this.closeTimer === undefined && !this.isPipeClosed) {
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined;
        this.pipe?.destroy();
      }, this.closeTimeoutMs);
      this.closeTimer.unref();
    }
  }

  private clearCloseTimer(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
  }

  private onPipeEnd(): void {
    // RFC 6455 §7.1.5: a pipe ending without a Close frame is an abnormal closure (1006).
    if (!this.isPipeEnded) {
      this.isPipeEnded = true;
      this.pipe?.end();
    }
    this.afterClose();
  }

  private onPipeDrain(): void {
    if (this.isPipeWritable) return;
    this.isPipeWritable = true;
    this.notifyDrain();
  }

  /** `drain` once both the pipe and the compression queue are below their marks. */
  private notifyDrain(): void {
    if (!this.isPipeWritable || this.isDeflateFull) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
    if (this.listenerCount('drain') > 0) this.emitSafely('drain');
  }

  private onPipeClose(error: Error | undefined): void {
    if (this.isPipeClosed) return;
    this.isPipeClosed = true;
    this.isPipeWritable = true;
    this.isDeflateFull = false;
    this.sendQueue.length = 0;
    this.sendQueuedBytes = 0;
    this.pendingClose = null;
    this.clearCloseTimer();
    if (this.keepAliveTimer !== undefined) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    if (this.isInflating || this.inbound.length > 0) {
      // Messages received before the pipe closed are still delivered, then `close` (pumpInbound).
      this.isPipeClosePending = true;
      this.pipeCloseError = error;
      return;
    }
    this.finishPipeClose(error);
  }

  private finishPipeClose(error: Error | undefined): void {
    this.deflater?.destroy();
    const info = this.closeInfo;
    const final: WebSocketCloseInfo =
      info === undefined
        ? { code: CloseCode.ABNORMAL_CLOSURE, reason: '', wasClean: false }
        : { code: info.code, reason: info.reason, wasClean: this.conn.isClosed && this.error === undefined };
    this.final = final;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    if (
      error !== undefined &&
      this.error === undefined &&
      this.listenerCount('error') > 0 &&
      info === undefined
    ) {
      this.emitSafely('error', error);
    }
    this.emitSafely('close', final.code, final.reason, final.wasClean);
    this.resolveClosed(final);
  }

  /** Hands queued frames to the pipe; returns whether it is still below its high-water mark. */
  private flush(): boolean {
    // Deferred to the end of the read; the pipe's state before this read answers for now.
    if (this.isReceiving && this.unflushedBytes < this.highWaterMark) {
      return this.isPipeWritable && !this.isPipeClosed;
    }
    return this.flushNow();
  }

  private flushNow(): boolean {
    this.unflushedBytes = 0;
    const pipe = this.pipe;
    if (pipe === null || this.isPipeClosed) return false;
    if (!this.conn.hasOutput) return this.isPipeWritable;
    const out = this.conn.takeOutput();
    if (this.isPipeEnded) return false;
    const ok = pipe.write(out);
    if (!ok) this.isPipeWritable = false;
    return ok;
  }

  // ---- keep-alive -----------------------------------------------------------------------------------

  private armKeepAlive(): void {
    const at = this.conn.nextDeadline();
    if (at === undefined || this.isPipeClosed) return;
    if (this.keepAliveTimer !== undefined && this.keepAliveAt === at) return;
    if (this.keepAliveTimer !== undefined) clearTimeout(this.keepAliveTimer);
    this.keepAliveAt = at;
    this.keepAliveTimer = setTimeout(
      () => {
        this.keepAliveTimer = undefined;
        this.onKeepAlive();
      },
      Math.max(0, at - Date.now()),
    );
    this.keepAliveTimer.unref();
  }

  private onKeepAlive(): void {
    if (this.isPipeClosed) return;
    try {
      this.conn.handleTimeout(Date.now());
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
    }
    this.dispatch();
    this.flush();
    this.armKeepAlive();
  }
}

const encoder = new TextEncoder();

/**
 * Message buffers without zero-filling: the core asks only for single-frame messages, whose payload fills
 * the whole buffer. Below 4 KiB Node carves them from its shared 8 KiB pool.
 */
function allocUnsafe(sizeBytes: number): Uint8Array {
  return Buffer.allocUnsafe(sizeBytes);
}

/** A message or fragment waiting in the permessage-deflate send queue. */
interface SendItem {
  readonly data: Uint8Array;
  readonly isBinary: boolean;
  readonly fin: boolean;
  readonly compress: boolean;
}

/** Checks the options shared by server routes and the client (API misuse throws at the call). */
export function checkWebSocketOptions(o: WebSocketOptions): void {
  for (const k of [
    'keepAliveIntervalMs',
    'keepAliveTimeoutMs',
    'closeTimeoutMs',
    'highWaterMarkBytes',
    'maxDeflateQueueBytes',
  ] as const) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) {
      throw new UsageError('ERR_INVALID_ARG', `${k} must be a non-negative number`);
    }
  }
}
