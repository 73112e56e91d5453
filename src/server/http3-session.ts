/**
 * Binds an {@link Http3Connection} (sans-I/O core) to a {@link QuicConnection} (provider): provider
 * callbacks feed the core, the core's events go to `onEvent`, and its output is drained into the provider
 * after every input and after every action the event handler takes (STYLE §2: the server wires the two).
 *
 * It also keeps the flow-control books the core leaves to its caller (STYLE §3.1): bytes of each request
 * stream handed to the provider and not yet reported by `onStreamAcked` (what backpressure waits on), and
 * receive credit returned to the provider with `consumed` (RFC 9000 §4.2).
 */
import { ProtocolError } from '../common/errors.js';
import { Http3Connection } from '../http3/connection.js';
import type { Http3ConnectionOptions, Http3Event, Http3WebTransportEvent } from '../http3/connection.js';
import { QuicCloseKind, QuicProviderError } from '../transport/quic.js';
import type { QuicCloseKindCode, QuicConnection } from '../transport/quic.js';

/** Called for every HTTP/3 event; may call actions on `session.h3` (output is flushed afterwards). */
export type Http3EventHandler = (event: Http3Event, session: Http3Session) => void;

/** Called for every WebTransport stream event (`webTransportMaxSessions` above 0), after the HTTP events. */
export type Http3WebTransportHandler = (event: Http3WebTransportEvent, session: Http3Session) => void;

/** Options of {@link Http3Session}: the core's, plus how request-body credit is returned. */
export interface Http3SessionOptions extends Omit<Http3ConnectionOptions, 'role'> {
  /**
   * When true, DATA payload bytes of request streams are returned to the peer as credit only when the
   * user calls {@link Http3Session.consumeBody} (the server does, as the handler reads the body). When
   * false (default) every byte is returned as soon as the core has taken it.
   */
  readonly isBodyCreditManual?: boolean;
  /**
   * WebTransport streams (draft-ietf-webtrans-http3). With `isBodyCreditManual`, their payload is returned
   * as credit only through {@link Http3Session.consumeBody}, as request bodies are.
   */
  readonly onWebTransportEvent?: Http3WebTransportHandler;
}

/** Receive-side books of one request stream (see {@link Http3Session.returnCredit}). */
interface RecvCredit {
  /** Bytes the provider delivered. */
  received: number;
  /** DATA payload bytes the core emitted as `data` events. */
  body: number;
  /** Of those, bytes the user consumed. */
  consumed: number;
  /** Credit returned to the provider so far. */
  returned: number;
  /** The peer finished the body ('end'): the books close once every body byte is consumed. */
  isEnded: boolean;
}

interface DrainWaiter {
  readonly belowBytes: number;
  readonly resolve: () => void;
}

/** An HTTP/3 connection running over one QUIC connection. */
export class Http3Session {
  readonly h3: Http3Connection;
  readonly quic: QuicConnection;
  /** The connection error that ended the session, if any. */
  error: ProtocolError | undefined;
  /** Code and reason of the close, once closed (either side). */
  closeCode: number | undefined;
  /** Set when the QUIC connection ended without a CONNECTION_CLOSE (`ERR_QUIC_IDLE_TIMEOUT`). */
  closeError: QuicProviderError | undefined;
  /** Incremented by every flush; lets callers tell whether bytes they queued reached the provider. */
  flushCount: number;
  private readonly onEvent: Http3EventHandler;
  private isFlushing: boolean;
  private isFlushScheduled: boolean;
  private readonly isBodyCreditManual: boolean;
  /** Request stream id -> bytes handed to the provider and not yet acknowledged. */
  private readonly unacked: Map<number, number>;
  private readonly drainWaiters: Map<number, DrainWaiter[]>;
  private readonly credits: Map<number, RecvCredit>;
  private readonly onWtEvent: Http3WebTransportHandler | undefined;
  /** Local unidirectional streams whose unacknowledged bytes are counted (WebTransport). */
  private readonly trackedUni: Set<number>;

  constructor(quic: QuicConnection, options: Http3SessionOptions, onEvent: Http3EventHandler) {
    this.quic = quic;
    const { isBodyCreditManual, onWebTransportEvent, ...core } = options;
    this.onWtEvent = onWebTransportEvent;
    this.trackedUni = new Set();
    this.h3 = new Http3Connection({
      ...core,
      role: quic.role,
      enableDatagrams: options.enableDatagrams === true && quic.isDatagramSupported,
    });
    this.onEvent = onEvent;
    this.error = undefined;
    this.closeCode = undefined;
    this.closeError = undefined;
    this.flushCount = 0;
    this.isFlushing = false;
    this.isFlushScheduled = false;
    this.isBodyCreditManual = isBodyCreditManual === true;
    this.unacked = new Map();
    this.drainWaiters = new Map();
    this.credits = new Map();
    quic.setHandlers({
      onStreamData: (id, bytes, fin) => {
        // WebTransport unidirectional streams carry payload too: every stream gets books (bytes that are
        // not payload, such as control streams', go back at once).
        const c =
          this.isBodyCreditManual && ((id & 2) === 0 || this.onWtEvent !== undefined)
            ? this.creditOf(id)
            : undefined;
        if (c !== undefined) c.received += bytes.length;
        this.guard(() => {
          this.h3.receiveStream(id, bytes, fin);
        });
        if (c === undefined) {
          if (bytes.length > 0) this.quic.consumed(id, bytes.length);
        } else this.returnCredit(id, c);
      },
      onStreamReset: (id, code) => {
        this.guard(() => {
          this.h3.receiveStreamReset(id, code);
        });
      },
      onStopSending: (id, code) => {
        this.guard(() => {
          this.h3.receiveStopSending(id, code);
        });
      },
      onDatagram: (payload) => {
        this.guard(() => {
          this.h3.receiveDatagram(payload);
        });
      },
      onStreamAcked: (id, bytes) => {
        this.h3.onStreamAcked(id, bytes);
        this.acked(id, bytes);
      },
      onClose: (code, reason, kind: QuicCloseKindCode) => {
        this.closeCode ??= code;
        if (kind === QuicCloseKind.IDLE_TIMEOUT) {
          this.closeError ??= new QuicProviderError(
            'ERR_QUIC_IDLE_TIMEOUT',
            'QUIC connection closed by its idle timeout (RFC 9000 §10.1)',
          );
        }
        this.guard(() => {
          this.h3.receiveClose(code, kind === QuicCloseKind.IDLE_TIMEOUT ? 'idle timeout' : reason);
        });
        for (const id of [...this.drainWaiters.keys()]) this.forgetStream(id);
        this.credits.clear();
      },
    });
    this.flush();
  }

  /** Bytes of request stream `streamId` handed to the provider and not yet acknowledged (retained there). */
  unackedBytes(streamId: number): number {
    return this.unacked.get(streamId) ?? 0;
  }

  /**
   * Resolves once request stream `streamId` has fewer than `belowBytes` unacknowledged bytes, or the
   * stream or connection is gone. Flushes pending output first so the count is current.
   */
  whenBelow(streamId: number, belowBytes: number): Promise<void> {
    this.flush();
    if (this.unackedBytes(streamId) < belowBytes || this.h3.isClosed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let list = this.drainWaiters.get(streamId);
      if (list === undefined) {
        list = [];
        this.drainWaiters.set(streamId, list);
      }
      list.push({ belowBytes, resolve });
    });
  }

  /**
   * The user consumed `bytes` of the DATA payload of request stream `streamId`; with
   * `isBodyCreditManual` they go back to the peer as stream credit.
   */
  consumeBody(streamId: number, bytes: number): void {
    const c = this.credits.get(streamId);
    if (c === undefined || bytes <= 0) return;
    // Never more than was delivered (a body discarded earlier may still be read from the request).
    c.consumed = Math.min(c.body, c.consumed + bytes);
    this.returnCredit(streamId, c);
    if (c.isEnded && c.consumed >= c.body) this.credits.delete(streamId);
  }

  /**
   * Returns the credit of every body byte of `streamId` not consumed yet (the reader no longer wants
   * them): the QUIC stream can only finish, and its stream slot and connection credit come back, once
   * all it delivered was consumed (RFC 9000 §4.2, §4.6).
   */
  discardBody(streamId: number): void {
    const c = this.credits.get(streamId);
    if (c === undefined) return;
    c.consumed = c.body;
    this.returnCredit(streamId, c);
    if (c.isEnded) this.credits.delete(streamId);
  }

  /** Counts the unacknowledged bytes of local unidirectional stream `streamId` (see {@link whenBelow}). */
  trackStream(streamId: number): void {
    if ((streamId & 2) !== 0) this.trackedUni.add(streamId);
  }

  /** Stops tracking `streamId` (reset, or both sides finished); wakes whoever waits on it. */
  forgetStream(streamId: number): void {
    this.unacked.delete(streamId);
    this.trackedUni.delete(streamId);
    this.discardBody(streamId);
    this.credits.delete(streamId);
    const list = this.drainWaiters.get(streamId);
    if (list === undefined) return;
    this.drainWaiters.delete(streamId);
    for (const w of list) w.resolve();
  }

  private creditOf(streamId: number): RecvCredit {
    let c = this.credits.get(streamId);
    if (c === undefined) {
      c = { received: 0, body: 0, consumed: 0, returned: 0, isEnded: false };
      this.credits.set(streamId, c);
    }
    return c;
  }

  /**
   * Returns credit for everything but unconsumed body: frame headers, field sections and bytes the core
   * still holds are given back at once (the core bounds what it holds by maxBufferedBytesPerStream), so
   * only body bytes the handler has not read keep the peer waiting.
   */
  private returnCredit(streamId: number, c: RecvCredit): void {
    const target = c.received - c.body + c.consumed;
    if (target <= c.returned) return;
    const n = target - c.returned;
    c.returned = target;
    this.quic.consumed(streamId, n);
  }

  private acked(streamId: number, bytes: number): void {
    const left = (this.unacked.get(streamId) ?? 0) - bytes;
    if (left > 0) this.unacked.set(streamId, left);
    else this.unacked.delete(streamId);
    const list = this.drainWaiters.get(streamId);
    if (list === undefined) return;
    let kept = 0;
    for (const w of list) {
      if (left < w.belowBytes) w.resolve();
      else list[kept++] = w;
    }
    list.length = kept;
    if (kept === 0) this.drainWaiters.delete(streamId);
  }

  /** Runs `fn` (an action on `h3`) and flushes its output; connection errors end the session. */
  guard(fn: () => void): void {
    this.run(fn);
    this.flush();
  }

  /**
   * Like {@link guard}, but flushes at the end of the current microtask, so the actions of one handler
   * turn (HEADERS, DATA, FIN) reach the provider as one write.
   */
  guardSoon(fn: () => void): void {
    this.run(fn);
    this.scheduleFlush();
  }

  private run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.error ??= err;
    }
    this.dispatch();
  }

  private scheduleFlush(): void {
    if (this.isFlushScheduled) return;
    this.isFlushScheduled = true;
    queueMicrotask(() => {
      this.isFlushScheduled = false;
      this.flush();
    });
  }

  /** Drains the core's output into the provider. */
  flush(): void {
    if (this.isFlushing) return;
    this.isFlushing = true;
    try {
      for (let o = this.h3.takeOutput(); o !== null; o = this.h3.takeOutput()) {
        switch (o.type) {
          case 'stream': {
            if ((o.streamId & 2) === 0 || this.trackedUni.has(o.streamId)) {
              let n = 0;
              for (const c of o.chunks) n += c.length;
              if (n > 0) this.unacked.set(o.streamId, this.unackedBytes(o.streamId) + n);
            }
            this.quic.writeStream(o.streamId, o.chunks, o.fin);
            break;
          }
          case 'reset':
            // RFC 9000 §3.1: a reset stream's unsent bytes are abandoned, so none will be acknowledged.
            this.unacked.delete(o.streamId);
            this.acked(o.streamId, 0);
            this.quic.resetStream(o.streamId, o.errorCode);
            break;
          case 'stopSending':
            this.quic.stopSending(o.streamId, o.errorCode);
            break;
          case 'datagram':
            this.quic.sendDatagram(o.payload);
            break;
          case 'close':
            this.closeCode ??= o.errorCode;
            this.quic.close(o.errorCode, o.reason);
            break;
        }
      }
    } finally {
      this.isFlushing = false;
      this.flushCount++;
    }
  }

  private dispatch(): void {
    for (let e = this.h3.nextEvent(); e !== null; e = this.h3.nextEvent()) {
      if (this.isBodyCreditManual) this.noteCredit(e);
      try {
        this.onEvent(e, this);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.error ??= err;
      }
    }
    const onWt = this.onWtEvent;
    if (onWt === undefined) return;
    for (let w = this.h3.nextWebTransportEvent(); w !== null; w = this.h3.nextWebTransportEvent()) {
      if (this.isBodyCreditManual && w.type === 'webtransportData') {
        const c = this.credits.get(w.streamId);
        if (c !== undefined) {
          c.body += w.data.length;
          if (w.fin) c.isEnded = true;
          if (c.isEnded && c.consumed >= c.body) this.credits.delete(w.streamId);
        }
      }
      try {
        onWt(w, this);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.error ??= err;
      }
    }
  }

  /** Receive-side bookkeeping for `isBodyCreditManual` (see {@link returnCredit}). */
  private noteCredit(e: Http3Event): void {
    switch (e.type) {
      case 'data': {
        const c = this.credits.get(e.streamId);
        if (c !== undefined) c.body += e.data.length;
        return;
      }
      case 'end': {
        // The peer sends nothing more, but body bytes the reader has not consumed yet are still owed:
        // the books close once they are (consumeBody, discardBody).
        const c = this.credits.get(e.streamId);
        if (c === undefined) return;
        c.isEnded = true;
        if (c.consumed >= c.body) this.credits.delete(e.streamId);
        return;
      }
      case 'streamReset':
        // The peer reset its side: QUIC returns the credit of a reset stream itself.
        this.credits.delete(e.streamId);
        return;
      case 'closed':
        this.credits.clear();
        return;
      case 'settings':
      case 'request':
      case 'response':
      case 'trailers':
      case 'stopSending':
      case 'goaway':
      case 'datagram':
        return;
    }
  }
}
