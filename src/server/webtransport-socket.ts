/**
 * The W3C-shaped WebTransport object (https://www.w3.org/TR/webtransport/) that server handlers and
 * `connectWebTransport` both get, over HTTP/2 (draft-ietf-webtrans-http2) or HTTP/3 (draft-ietf-webtrans-http3).
 * It drives a sans-I/O {@link WebTransportSession} core through a {@link WebTransportCarrier}, the small piece
 * each HTTP version and role supplies (where core output goes, how receive credit is returned, when a stream
 * can take more bytes).
 *
 * Backpressure, both ways:
 * - sending: a stream writer's `write()` resolves only once the session took the chunk and is below its
 *   buffering bound (HTTP/2: `sendStream` returned true, or the core's `writable` event came; HTTP/3: the
 *   QUIC stream holds fewer unacknowledged bytes than `highWaterMarkBytes`);
 * - receiving: chunks are handed to a reader only when it reads (high-water mark 0), and only then is their
 *   credit returned (`consumed`), so a reader that stops reading stops the peer after one flow-control
 *   window per stream.
 */
import { UsageError } from '../common/errors.js';
import type { WebTransportEvent } from '../webtransport/events.js';
import type { WebTransportSession } from '../webtransport/session.js';

/** What the {@link WebTransport} object needs from the binding under it. */
export interface WebTransportCarrier {
  /** Moves output the core queued (capsules, stream bytes) to the connection. */
  flush(): void;
  /** The application read `bytes` of stream `streamId`: return them as receive credit. */
  consumed(streamId: number, bytes: number): void;
  /**
   * Undefined when stream `streamId` can take more bytes now, else a promise resolving once it can (or the
   * stream or connection is gone). HTTP/2 answers undefined: its core reports backpressure itself.
   */
  whenWritable(streamId: number): Promise<void> | undefined;
  /**
   * False while the connection under the session holds too much unsent output: datagrams are then dropped
   * (RFC 9297 §5 allows it) rather than queued without bound behind a peer that does not read.
   */
  hasDatagramRoom(): boolean;
  /** A local unidirectional stream was opened (HTTP/3 counts its unacknowledged bytes). */
  opened(streamId: number): void;
  /**
   * The session is over: release the CONNECT stream and routes. Called once. `error` is set when the
   * peer broke a rule: the CONNECT stream is then reset with its `wireCode`.
   */
  release(error: { readonly wireCode?: number | undefined } | undefined): void;
}

/** `closed` resolves with this (W3C WebTransportCloseInfo). */
export interface WebTransportCloseInfo {
  readonly closeCode: number;
  readonly reason: string;
}

/** A bidirectional stream (W3C WebTransportBidirectionalStream). */
export interface WebTransportBidirectionalStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Datagrams of a session (W3C WebTransportDatagramDuplexStream, without the high-water-mark knobs). */
export interface WebTransportDatagramDuplexStream {
  readonly readable: ReadableStream<Uint8Array>;
  /** Writes never wait: a datagram that does not fit or finds the queue full is dropped (RFC 9297 §5). */
  readonly writable: WritableStream<Uint8Array>;
  /** Largest datagram payload that can be sent. */
  readonly maxDatagramSize: number;
}

/** Stable codes of {@link WebTransportStreamError}. */
export const WebTransportStreamErrorCode = {
  /** The peer reset the stream (RESET_STREAM / WT_RESET_STREAM); `streamErrorCode` holds its code. */
  STREAM_RESET: 'ERR_WT_STREAM_RESET',
  /** The peer asked us to stop sending (STOP_SENDING / WT_STOP_SENDING). */
  STOP_SENDING: 'ERR_WT_STOP_SENDING',
  /** The session closed (either side) while the stream or call was in use. */
  SESSION_CLOSED: 'ERR_WT_SESSION_CLOSED',
  /** The session ended without WT_CLOSE_SESSION: connection lost, CONNECT stream reset, protocol error. */
  SESSION_LOST: 'ERR_WT_SESSION_LOST',
} as const;
/** One of {@link WebTransportStreamErrorCode}. */
export type WebTransportStreamErrorCode =
  (typeof WebTransportStreamErrorCode)[keyof typeof WebTransportStreamErrorCode];

/**
 * The W3C `WebTransportError` (its `name` is `WebTransportError`): `source` says whether a stream or the
 * session failed, `streamErrorCode` carries the peer's 32-bit application code for stream errors. Named
 * differently in TypeScript because hayate/webtransport's `WebTransportError` is the core's protocol error.
 */
export class WebTransportStreamError extends Error {
  readonly code: WebTransportStreamErrorCode;
  readonly source: 'stream' | 'session';
  readonly streamErrorCode: number | null;

  constructor(
    code: WebTransportStreamErrorCode,
    message: string,
    options: { source: 'stream' | 'session'; streamErrorCode?: number | null; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.source = options.source;
    this.streamErrorCode = options.streamErrorCode ?? null;
  }

  override get name(): string {
    return 'WebTransportError';
  }
}

/** Options of {@link WebTransport} (set by the bindings). */
export interface WebTransportObjectOptions {
  readonly httpVersion: 'h2' | 'h3';
  readonly maxDatagramSize: number;
  /** Received datagrams kept while nobody reads; older ones are dropped beyond it (W3C incoming HWM). */
  readonly maxQueuedIncomingDatagrams?: number;
}

const EMPTY = new Uint8Array(0);

/** Receiving side of one stream: chunks wait here until a reader pulls (then credit goes back). */
class RecvSide {
  readonly id: number;
  readonly chunks: Uint8Array[] = [];
  isEnded = false;
  error: Error | undefined = undefined;
  controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  wake: (() => void) | undefined = undefined;
  isDone = false;
  readonly readable: ReadableStream<Uint8Array>;

  constructor(id: number, owner: WebTransport) {
    this.id = id;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: (c) => {
          if (owner.takeInto(this, c)) return undefined;
          return new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        },
        cancel: (reason) => {
          owner.cancelRecv(this, reason);
        },
      },
      { highWaterMark: 0 },
    );
  }
}

/** Sending side of one stream. */
class SendSide {
  readonly id: number;
  error: Error | undefined = undefined;
  controller: WritableStreamDefaultController | undefined = undefined;
  isDone = false;
  /** Resolves a write waiting for the core's `writable` event (or for this stream's failure). */
  wake: (() => void) | undefined = undefined;
  readonly writable: WritableStream<Uint8Array>;

  constructor(id: number, owner: WebTransport) {
    this.id = id;
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        write: (chunk) => owner.writeChunk(this, chunk),
        close: () => {
          owner.finishSend(this);
        },
        abort: (reason) => {
          owner.abortSend(this, reason);
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
  }
}

function errorOf(s: SendSide): Error | undefined {
  return s.error;
}

/** The application code carried by a reason given to `cancel` / `abort` (a WebTransportStreamError's or 0). */
function codeOf(reason: unknown): number {
  if (reason instanceof WebTransportStreamError && reason.streamErrorCode !== null) {
    return reason.streamErrorCode >>> 0;
  }
  if (typeof reason === 'object' && reason !== null && 'streamErrorCode' in reason) {
    const c: unknown = reason.streamErrorCode;
    if (typeof c === 'number' && Number.isInteger(c) && c >= 0) return c >>> 0;
  }
  return 0;
}

/**
 * A WebTransport session, the same object on both roles and both HTTP versions. Built by the server
 * binding (src/server/webtransport.ts) and by `connectWebTransport` (src/client/webtransport.ts).
 */
export class WebTransport {
  /** Resolved once the session is established (always, by the time a handler or `connectWebTransport` has it). */
  readonly ready: Promise<void>;
  /** Resolves with the close code and reason (WT_CLOSE_SESSION, or 0 and '' for a plain end); rejects
   * with a {@link WebTransportStreamError} (`ERR_WT_SESSION_LOST`) when the session was lost instead. */
  readonly closed: Promise<WebTransportCloseInfo>;
  /** Resolves when either side asked to wind the session down (WT_DRAIN_SESSION). */
  readonly draining: Promise<void>;
  /** Bidirectional streams the peer opened. */
  readonly incomingBidirectionalStreams: ReadableStream<WebTransportBidirectionalStream>;
  /** Unidirectional streams the peer opened. */
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly datagrams: WebTransportDatagramDuplexStream;
  /** `h2` or `h3`. */
  readonly httpVersion: 'h2' | 'h3';

  private readonly core: WebTransportSession;
  private readonly carrier: WebTransportCarrier;
  private readonly recv = new Map<number, RecvSide>();
  private readonly send = new Map<number, SendSide>();
  /** Streams whose write waits for the core's `writable` event (HTTP/2). */
  private writableWaiters: SendSide[] = [];
  private resolveClosed!: (info: WebTransportCloseInfo) => void;
  private rejectClosed!: (error: Error) => void;
  private resolveDraining!: () => void;
  private bidiController!: ReadableStreamDefaultController<WebTransportBidirectionalStream>;
  private uniController!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  private datagramController!: ReadableStreamDefaultController<Uint8Array>;
  private readonly maxQueuedIncomingDatagrams: number;
  private lostError: Error | undefined = undefined;
  private isFinished = false;
  private isPumping = false;

  /** @internal Bindings build it; applications get it from a handler or `connectWebTransport`. */
  constructor(core: WebTransportSession, carrier: WebTransportCarrier, options: WebTransportObjectOptions) {
    this.core = core;
    this.carrier = carrier;
    this.httpVersion = options.httpVersion;
    this.maxQueuedIncomingDatagrams = options.maxQueuedIncomingDatagrams ?? 64;
    this.ready = Promise.resolve();
    this.closed = new Promise<WebTransportCloseInfo>((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    // An application that never looks at `closed` must not see an unhandled rejection.
    this.closed.catch(() => undefined);
    this.draining = new Promise<void>((resolve) => {
      this.resolveDraining = resolve;
    });
    this.incomingBidirectionalStreams = new ReadableStream<WebTransportBidirectionalStream>({
      start: (c) => {
        this.bidiController = c;
      },
    });
    this.incomingUnidirectionalStreams = new ReadableStream<ReadableStream<Uint8Array>>({
      start: (c) => {
        this.uniController = c;
      },
    });
    const readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.datagramController = c;
        },
      },
      new CountQueuingStrategy({ highWaterMark: this.maxQueuedIncomingDatagrams }),
    );
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.sendDatagram(chunk);
      },
    });
    this.datagrams = {
      readable,
      writable,
      maxDatagramSize: Math.min(options.maxDatagramSize, core.limits.maxDatagramBytes),
    };
  }

  /** True once the session is over. */
  get isClosed(): boolean {
    return this.isFinished;
  }

  /** Closes the session with WT_CLOSE_SESSION (code: 32-bit unsigned; reason: at most 1024 bytes of UTF-8). */
  close(closeInfo: Partial<WebTransportCloseInfo> = {}): void {
    if (this.isFinished || this.core.isClosed) return;
    const code = closeInfo.closeCode ?? 0;
    if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) {
      throw new UsageError('ERR_INVALID_ARG', `closeCode ${code} is not a 32-bit unsigned integer`);
    }
    this.core.close(code, closeInfo.reason ?? '');
    this.pump();
  }

  /** Asks the peer to wind down (WT_DRAIN_SESSION); the session stays usable. */
  drain(): void {
    if (this.isFinished || this.core.isClosed) return;
    if (!this.core.isDraining) {
      this.core.drain();
      this.resolveDraining();
    }
    this.pump();
  }

  /** Opens a bidirectional stream. Rejects once the session is closed or draining, or over the peer's limit. */
  createBidirectionalStream(): Promise<WebTransportBidirectionalStream> {
    try {
      const id = this.open(true);
      const r = new RecvSide(id, this);
      const s = new SendSide(id, this);
      this.recv.set(id, r);
      this.send.set(id, s);
      this.pump();
      return Promise.resolve({ readable: r.readable, writable: s.writable });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Opens a unidirectional stream. */
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    try {
      const id = this.open(false);
      this.carrier.opened(id);
      const s = new SendSide(id, this);
      this.send.set(id, s);
      this.pump();
      return Promise.resolve(s.writable);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private open(bidi: boolean): number {
    if (this.isFinished || this.core.isClosed) throw this.sessionError('the session is closed');
    if (this.core.isDraining) throw new UsageError('ERR_WT_DRAINING', 'the session is draining');
    if (!this.core.canOpenStream(bidi)) {
      throw new UsageError(
        'ERR_WT_STREAM_LIMIT',
        `the peer allows no more ${bidi ? 'bidirectional' : 'unidirectional'} streams now`,
      );
    }
    return bidi ? this.core.openBidiStream() : this.core.openUniStream();
  }

  // ---------------------------------------------------------------- binding side

  /** @internal The connection under the session is gone (or the CONNECT stream was reset). */
  lost(error: Error | undefined): void {
    this.lostError ??= new WebTransportStreamError(
      WebTransportStreamErrorCode.SESSION_LOST,
      'the WebTransport session was lost',
      { source: 'session', cause: error },
    );
  }

  /** @internal Handles every event the core has queued, then flushes. Bindings call it after input. */
  pump(): void {
    if (this.isPumping) return;
    this.isPumping = true;
    try {
      for (let e = this.core.nextEvent(); e !== null; e = this.core.nextEvent()) this.onEvent(e);
    } finally {
      this.isPumping = false;
    }
    this.carrier.flush();
  }

  private onEvent(e: WebTransportEvent): void {
    switch (e.type) {
      case 'stream': {
        const r = new RecvSide(e.streamId, this);
        this.recv.set(e.streamId, r);
        if (e.bidirectional) {
          const s = new SendSide(e.streamId, this);
          this.send.set(e.streamId, s);
          this.bidiController.enqueue({ readable: r.readable, writable: s.writable });
        } else {
          this.uniController.enqueue(r.readable);
        }
        return;
      }
      case 'data': {
        const r = this.recv.get(e.streamId);
        if (r === undefined || r.isDone) {
          // Nobody reads it any more: the credit goes back at once.
          this.carrier.consumed(e.streamId, e.data.length);
          return;
        }
        // Lifetime: the event views the connection's chunk; the reader gets its own copy.
        r.chunks.push(e.data.slice());
        this.wakeRecv(r);
        return;
      }
      case 'end': {
        const r = this.recv.get(e.streamId);
        if (r === undefined) return;
        r.isEnded = true;
        this.wakeRecv(r);
        return;
      }
      case 'streamReset': {
        const r = this.recv.get(e.streamId);
        if (r === undefined) return;
        this.failRecv(
          r,
          new WebTransportStreamError(
            WebTransportStreamErrorCode.STREAM_RESET,
            `stream ${e.streamId} reset by the peer (code ${e.errorCode})`,
            { source: 'stream', streamErrorCode: e.errorCode },
          ),
        );
        return;
      }
      case 'stopSending': {
        const s = this.send.get(e.streamId);
        if (s === undefined) return;
        this.failSend(
          s,
          new WebTransportStreamError(
            WebTransportStreamErrorCode.STOP_SENDING,
            `the peer stopped reading stream ${e.streamId} (code ${e.errorCode})`,
            { source: 'stream', streamErrorCode: e.errorCode },
          ),
        );
        // Both cores already answered with a reset of our side (RFC 9000 §3.5).
        return;
      }
      case 'datagram': {
        const c = this.datagramController;
        // W3C: incoming datagrams beyond the high-water mark are dropped (the newest, here: no queue walk).
        if ((c.desiredSize ?? 0) <= 0) return;
        c.enqueue(e.data);
        return;
      }
      case 'draining':
        this.resolveDraining();
        return;
      case 'writable':
        this.wakeWriters();
        return;
      case 'closed':
        this.finish(e.code, e.reason, e.error);
        return;
    }
  }

  private finish(code: number, reason: string, error: Error | undefined): void {
    if (this.isFinished) return;
    this.isFinished = true;
    const lost = this.lostError ?? (error === undefined ? undefined : this.sessionLost(error));
    const streamError = lost ?? this.sessionError('the session closed');
    for (const r of this.recv.values()) this.failRecv(r, streamError);
    for (const s of this.send.values()) this.failSend(s, streamError);
    this.recv.clear();
    this.send.clear();
    this.wakeWriters();
    for (const c of [this.bidiController, this.uniController, this.datagramController]) {
      try {
        if (lost === undefined) c.close();
        else c.error(lost);
      } catch {
        // Already closed or errored.
      }
    }
    this.resolveDraining();
    if (lost === undefined) this.resolveClosed({ closeCode: code, reason });
    else this.rejectClosed(lost);
    this.carrier.release(error as { readonly wireCode?: number | undefined } | undefined);
  }

  private sessionLost(cause: Error): WebTransportStreamError {
    return new WebTransportStreamError(
      WebTransportStreamErrorCode.SESSION_LOST,
      `WebTransport session failed: ${cause.message}`,
      { source: 'session', cause },
    );
  }

  private sessionError(message: string): WebTransportStreamError {
    return new WebTransportStreamError(WebTransportStreamErrorCode.SESSION_CLOSED, message, {
      source: 'session',
    });
  }

  // ---------------------------------------------------------------- receiving

  private wakeRecv(r: RecvSide): void {
    const w = r.wake;
    if (w === undefined || r.controller === undefined) return;
    r.wake = undefined;
    this.takeInto(r, r.controller);
    w();
  }

  /** @internal Hands the reader one chunk (returning its credit), the end, or the error; false: nothing yet. */
  takeInto(r: RecvSide, c: ReadableStreamDefaultController<Uint8Array>): boolean {
    const chunk = r.chunks.shift();
    if (chunk !== undefined) {
      c.enqueue(chunk);
      if (!this.core.isClosed) this.carrier.consumed(r.id, chunk.length);
      this.carrier.flush();
      return true;
    }
    if (r.error !== undefined) {
      c.error(r.error);
      this.retireRecv(r);
      return true;
    }
    if (r.isEnded) {
      c.close();
      this.retireRecv(r);
      return true;
    }
    return false;
  }

  private failRecv(r: RecvSide, error: Error): void {
    if (r.isDone) return;
    r.error = error;
    // Bytes nobody will read: their credit goes back.
    let n = 0;
    for (const c of r.chunks) n += c.length;
    r.chunks.length = 0;
    if (n > 0 && !this.core.isClosed) this.carrier.consumed(r.id, n);
    try {
      r.controller?.error(error);
    } catch {
      // Already closed.
    }
    const w = r.wake;
    r.wake = undefined;
    w?.();
    this.retireRecv(r);
  }

  private retireRecv(r: RecvSide): void {
    r.isDone = true;
    this.recv.delete(r.id);
  }

  /** @internal The reader cancelled: STOP_SENDING with the reason's code. */
  cancelRecv(r: RecvSide, reason: unknown): void {
    if (r.isDone) return;
    let n = 0;
    for (const c of r.chunks) n += c.length;
    r.chunks.length = 0;
    this.retireRecv(r);
    if (this.core.isClosed) return;
    if (n > 0) this.carrier.consumed(r.id, n);
    if (!r.isEnded) this.core.stopSending(r.id, codeOf(reason));
    this.pump();
  }

  // ---------------------------------------------------------------- sending

  /** @internal A writer's `write`: resolves once the session took the chunk and has room for more. */
  async writeChunk(s: SendSide, chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('WebTransport streams take Uint8Array chunks');
    if (s.error !== undefined) throw s.error;
    if (this.isFinished || this.core.isClosed)
      throw this.lostError ?? this.sessionError('the session is closed');
    if (chunk.length === 0) return;
    // Lifetime: the core keeps chunks by reference until sent, and a writer may reuse its buffer once this
    // resolves: one copy per write.
    const isBelow = this.core.sendStream(s.id, chunk.slice());
    this.pump();
    if (!isBelow) {
      await new Promise<void>((resolve) => {
        s.wake = resolve;
        this.writableWaiters.push(s);
      });
    } else {
      const w = this.carrier.whenWritable(s.id);
      if (w !== undefined) await w;
    }
    // The stream may have failed while the write waited.
    const failed = errorOf(s);
    if (failed !== undefined) throw failed;
  }

  /** @internal The writer closed: FIN. */
  finishSend(s: SendSide): void {
    if (s.error !== undefined) throw s.error;
    if (this.isFinished || this.core.isClosed) throw this.sessionError('the session is closed');
    s.isDone = true;
    this.send.delete(s.id);
    this.core.sendStream(s.id, EMPTY, true);
    this.pump();
  }

  /** @internal The writer aborted: RESET_STREAM with the reason's code. */
  abortSend(s: SendSide, reason: unknown): void {
    if (s.isDone) return;
    s.isDone = true;
    this.send.delete(s.id);
    if (this.isFinished || this.core.isClosed) return;
    this.core.resetStream(s.id, codeOf(reason));
    this.pump();
  }

  private wakeWriters(): void {
    const list = this.writableWaiters;
    this.writableWaiters = [];
    for (const s of list) {
      const w = s.wake;
      s.wake = undefined;
      w?.();
    }
  }

  private failSend(s: SendSide, error: Error): void {
    if (s.isDone) return;
    s.isDone = true;
    s.error = error;
    this.send.delete(s.id);
    const w = s.wake;
    s.wake = undefined;
    w?.();
    try {
      s.controller?.error(error);
    } catch {
      // Already errored.
    }
  }

  private sendDatagram(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('datagrams are Uint8Array');
    if (this.isFinished || this.core.isClosed) throw this.sessionError('the session is closed');
    // Lifetime: the core queues the payload by reference (HTTP/2) until the next flush; copy it.
    if (chunk.length > this.datagrams.maxDatagramSize || !this.carrier.hasDatagramRoom()) return;
    this.core.sendDatagram(chunk.slice());
    this.carrier.flush();
  }
}
