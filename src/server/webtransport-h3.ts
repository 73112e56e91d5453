/**
 * WebTransport over HTTP/3 (draft-ietf-webtrans-http3), the part shared by the server binding and
 * `connectWebTransport`: one {@link WtH3Demux} per HTTP/3 connection routes WebTransport streams, their
 * resets and datagrams to the session whose CONNECT stream they name, and one {@link WtH3Binding} per
 * session joins its {@link Http3WebTransportSession} core to the connection and to the W3C object.
 *
 * Streams may arrive before the CONNECT exchange that opens their session is known (QUIC does not order
 * streams): they wait, bounded by `maxBufferedStreams` (draft-ietf-webtrans-http3 §4.6); beyond it, or for
 * a session that never appears, they are refused with WT_BUFFERED_STREAM_REJECTED.
 */
import type { Http3Event, Http3WebTransportEvent } from '../http3/connection.js';
import { WtHttp3ErrorCode } from '../webtransport/constants.js';
import { Http3WebTransportSession, type WtHttp3Host } from '../webtransport/http3-session.js';
import type { WebTransportLimits } from '../webtransport/limits.js';
import type { Http3Session } from './http3-session.js';
import { WebTransport, type WebTransportCarrier } from './webtransport-socket.js';

/** Limits of one HTTP/3 connection's WebTransport sessions. */
export interface WtH3ConnectionLimits {
  /** Concurrent sessions (announced as SETTINGS_WEBTRANSPORT_MAX_SESSIONS). */
  readonly maxSessions: number;
  /** Peer streams held while their session is not known yet (draft-ietf-webtrans-http3 §4.6). */
  readonly maxBufferedStreams: number;
  /** Unacknowledged bytes a session's stream may hold before its writer waits. */
  readonly highWaterMarkBytes: number;
}

/** Defaults of {@link WtH3ConnectionLimits}, each with its reason. */
export const DEFAULT_WT_H3_CONNECTION_LIMITS: Readonly<WtH3ConnectionLimits> = Object.freeze({
  // A browser opens one session per page; a few tabs sharing a pooled connection stay well below 8.
  maxSessions: 8,
  // A client normally opens streams after the 200: a small allowance for reordering only.
  maxBufferedStreams: 16,
  // 64 KiB, as the HTTP/3 server's response streams (highWaterMarkBytes).
  highWaterMarkBytes: 64 * 1024,
});

/**
 * The largest datagram payload sent over hayate/quic or quiche: a DATAGRAM frame must fit one packet of at
 * least 1200 bytes (RFC 9221 §3), less the packet header, AEAD tag and the Quarter Stream ID.
 */
export const H3_MAX_DATAGRAM_PAYLOAD = 1100;

interface EarlyStream {
  readonly streamId: number;
  readonly bidirectional: boolean;
  readonly chunks: Uint8Array[];
  isFin: boolean;
}

const demuxes = new WeakMap<Http3Session, WtH3Demux>();

/** The WebTransport sessions of one HTTP/3 connection. */
export class WtH3Demux {
  readonly session: Http3Session;
  readonly limits: Readonly<WtH3ConnectionLimits>;
  private readonly bindings = new Map<number, WtH3Binding>();
  /** WebTransport stream id -> session id. */
  private readonly owners = new Map<number, number>();
  private readonly early = new Map<number, EarlyStream[]>();
  private earlyCount = 0;
  /** Sessions accepted or being set up (reserved before the handler runs). */
  private reserved = 0;

  private constructor(session: Http3Session, limits: Readonly<WtH3ConnectionLimits>) {
    this.session = session;
    this.limits = limits;
  }

  /** The demultiplexer of `session`, created on first use. */
  static of(
    session: Http3Session,
    limits: Readonly<WtH3ConnectionLimits> = DEFAULT_WT_H3_CONNECTION_LIMITS,
  ): WtH3Demux {
    let d = demuxes.get(session);
    if (d === undefined) {
      d = new WtH3Demux(session, limits);
      demuxes.set(session, d);
    }
    return d;
  }

  /** The demultiplexer of `session` if WebTransport was used on it. */
  static peek(session: Http3Session): WtH3Demux | undefined {
    return demuxes.get(session);
  }

  /** Sessions open or reserved now. */
  get sessionCount(): number {
    return this.reserved;
  }

  /** WebTransport streams routed now (of every session); finished ones are forgotten. */
  get streamCount(): number {
    return this.owners.size;
  }

  /** Reserves a session slot; false at `maxSessions`. */
  reserve(): boolean {
    if (this.reserved >= this.limits.maxSessions) return false;
    this.reserved++;
    return true;
  }

  /** Gives back a slot reserved by {@link reserve} without a session. */
  unreserve(): void {
    if (this.reserved > 0) this.reserved--;
  }

  /** Starts a session on CONNECT stream `sessionId` and hands its buffered streams to it. */
  bind(
    sessionId: number,
    role: 'client' | 'server',
    limits: Partial<WebTransportLimits> | undefined,
    sendCapsules: (data: Uint8Array, fin: boolean) => void,
    resetConnect: (wireCode: number) => void,
  ): WtH3Binding {
    const b = new WtH3Binding(this, sessionId, role, limits, sendCapsules, resetConnect);
    this.bindings.set(sessionId, b);
    const early = this.early.get(sessionId);
    if (early !== undefined) {
      this.early.delete(sessionId);
      this.earlyCount -= early.length;
      for (const s of early) {
        this.owners.set(s.streamId, sessionId);
        b.core.receiveStream(s.streamId, s.bidirectional);
        for (const c of s.chunks) b.core.receiveStreamData(s.streamId, c, false);
        if (s.isFin) b.core.receiveStreamData(s.streamId, new Uint8Array(0), true);
      }
    }
    return b;
  }

  /** @internal A binding ended. */
  unbind(b: WtH3Binding): void {
    if (this.bindings.get(b.sessionId) !== b) return;
    this.bindings.delete(b.sessionId);
    this.unreserve();
    for (const [id, sid] of this.owners) if (sid === b.sessionId) this.owners.delete(id);
  }

  /** @internal A local stream of session `sessionId` was opened. */
  own(streamId: number, sessionId: number): void {
    this.owners.set(streamId, sessionId);
  }

  /** Feeds a WebTransport stream event (Http3Session's `onWebTransportEvent`). */
  onWebTransportEvent(e: Http3WebTransportEvent): void {
    if (e.type === 'webtransportStream') {
      const b = this.bindings.get(e.sessionId);
      if (b !== undefined) {
        this.owners.set(e.streamId, e.sessionId);
        b.core.receiveStream(e.streamId, e.bidirectional);
        b.wt?.pump();
        return;
      }
      if (this.earlyCount >= this.limits.maxBufferedStreams) {
        this.refuse(e.streamId, e.bidirectional);
        return;
      }
      let list = this.early.get(e.sessionId);
      if (list === undefined) {
        list = [];
        this.early.set(e.sessionId, list);
      }
      list.push({ streamId: e.streamId, bidirectional: e.bidirectional, chunks: [], isFin: false });
      this.earlyCount++;
      return;
    }
    const sid = this.owners.get(e.streamId);
    const b = sid === undefined ? undefined : this.bindings.get(sid);
    if (b !== undefined) {
      b.core.receiveStreamData(e.streamId, e.data, e.fin);
      b.wt?.pump();
      if (e.fin) this.forgetIfDone(b, e.streamId);
      return;
    }
    for (const list of this.early.values()) {
      for (const s of list) {
        if (s.streamId !== e.streamId) continue;
        // Lifetime: the event views the provider's chunk; a waiting stream keeps a copy.
        if (e.data.length > 0) s.chunks.push(e.data.slice());
        if (e.fin) s.isFin = true;
        return;
      }
    }
    // Bytes of a stream whose session is gone: their credit goes back at once.
    this.session.consumeBody(e.streamId, e.data.length);
  }

  /**
   * Feeds the HTTP/3 events that may concern WebTransport; true when the event was a WebTransport one
   * (a stream's reset or STOP_SENDING, a datagram), false when the HTTP layer should handle it.
   */
  onHttpEvent(e: Http3Event): boolean {
    switch (e.type) {
      case 'datagram': {
        const b = this.bindings.get(e.streamId);
        if (b === undefined) return true;
        b.core.receiveDatagram(e.payload);
        b.wt?.pump();
        return true;
      }
      case 'streamReset':
      case 'stopSending': {
        const sid = this.owners.get(e.streamId);
        if (sid === undefined) return this.isEarly(e.streamId);
        const b = this.bindings.get(sid);
        if (b === undefined) return true;
        if (e.type === 'streamReset') {
          if (e.initiator === 'local') return true;
          b.core.receiveStreamReset(e.streamId, e.errorCode);
        } else {
          b.core.receiveStopSending(e.streamId, e.errorCode);
        }
        b.wt?.pump();
        this.forgetIfDone(b, e.streamId);
        return true;
      }
      case 'closed': {
        for (const b of [...this.bindings.values()]) b.lost(undefined);
        for (const list of this.early.values()) {
          for (const s of list) this.session.forgetStream(s.streamId);
        }
        this.early.clear();
        this.earlyCount = 0;
        return false;
      }
      case 'settings':
      case 'request':
      case 'response':
      case 'data':
      case 'end':
      case 'trailers':
      case 'goaway':
        return false;
    }
  }

  /** Refuses every stream still waiting for session `sessionId` (it was refused or never came). */
  dropEarly(sessionId: number): void {
    const list = this.early.get(sessionId);
    if (list === undefined) return;
    this.early.delete(sessionId);
    this.earlyCount -= list.length;
    for (const s of list) this.refuse(s.streamId, s.bidirectional);
  }

  private isEarly(streamId: number): boolean {
    for (const list of this.early.values()) for (const s of list) if (s.streamId === streamId) return true;
    return false;
  }

  /** @internal Forgets the owner of a stream the session is done with (both directions). */
  forgetIfDone(b: WtH3Binding, streamId: number): void {
    if (!b.core.hasStream(streamId)) this.owners.delete(streamId);
  }

  /** draft-ietf-webtrans-http3 §4.6: WT_BUFFERED_STREAM_REJECTED for a stream nobody will take. */
  private refuse(streamId: number, bidirectional: boolean): void {
    const h3 = this.session.h3;
    this.session.guard(() => {
      if (h3.isClosed) return;
      h3.stopWebTransportStream(streamId, WtHttp3ErrorCode.WT_BUFFERED_STREAM_REJECTED);
      if (bidirectional) h3.resetWebTransportStream(streamId, WtHttp3ErrorCode.WT_BUFFERED_STREAM_REJECTED);
    });
    this.session.discardBody(streamId);
  }
}

/** One session over HTTP/3: the core's host (actions on the connection) and the W3C object's carrier. */
export class WtH3Binding implements WtHttp3Host, WebTransportCarrier {
  readonly sessionId: number;
  readonly core: Http3WebTransportSession;
  /** Set right after construction by whoever builds the W3C object. */
  wt: WebTransport | undefined = undefined;
  private readonly demux: WtH3Demux;
  private readonly sendCapsules: (data: Uint8Array, fin: boolean) => void;
  private readonly resetConnect: (wireCode: number) => void;
  private isReleased = false;
  /** Streams a local action may have finished; their owner entries are pruned at the next flush. */
  private touched: number[] = [];

  constructor(
    demux: WtH3Demux,
    sessionId: number,
    role: 'client' | 'server',
    limits: Partial<WebTransportLimits> | undefined,
    sendCapsules: (data: Uint8Array, fin: boolean) => void,
    resetConnect: (wireCode: number) => void,
  ) {
    this.demux = demux;
    this.sessionId = sessionId;
    this.sendCapsules = sendCapsules;
    this.resetConnect = resetConnect;
    this.core = new Http3WebTransportSession({ host: this, sessionId, role, limits });
  }

  /** Builds the W3C object over this binding. */
  open(): WebTransport {
    // RFC 9297 §2.1.1: datagrams need SETTINGS_H3_DATAGRAM from the peer and QUIC DATAGRAM frames (RFC 9221);
    // without them (the quiche adapter has none) every datagram is dropped: maxDatagramSize 0.
    const s = this.demux.session;
    const canDatagram = s.quic.isDatagramSupported && s.h3.peerSettings.h3Datagram;
    const wt = new WebTransport(this.core, this, {
      httpVersion: 'h3',
      maxDatagramSize: canDatagram ? H3_MAX_DATAGRAM_PAYLOAD : 0,
    });
    this.wt = wt;
    return wt;
  }

  private get h3(): Http3Session['h3'] {
    return this.demux.session.h3;
  }

  // ---------------------------------------------------------------- WtHttp3Host

  openWebTransportStream(sessionId: number, bidirectional: boolean): number {
    const id = this.h3.openWebTransportStream(sessionId, bidirectional);
    this.demux.own(id, sessionId);
    return id;
  }

  sendWebTransportData(streamId: number, data: Uint8Array, fin?: boolean): void {
    this.h3.sendWebTransportData(streamId, data, fin);
    if (fin !== true) return;
    this.touched.push(streamId);
    // A finished unidirectional stream has nobody waiting on it any more: stop counting its bytes.
    if ((streamId & 2) !== 0) this.demux.session.forgetStream(streamId);
  }

  resetWebTransportStream(streamId: number, errorCode: number): void {
    if (this.h3.isClosed) return;
    this.h3.resetWebTransportStream(streamId, errorCode);
    this.demux.session.forgetStream(streamId);
    this.touched.push(streamId);
  }

  stopWebTransportStream(streamId: number, errorCode: number): void {
    if (this.h3.isClosed) return;
    this.h3.stopWebTransportStream(streamId, errorCode);
    this.touched.push(streamId);
    // Bytes still arriving are dropped by the connection: their credit is not owed to anyone.
    this.demux.session.discardBody(streamId);
  }

  sendDatagram(streamId: number, payload: Uint8Array): void {
    // Datagrams may be dropped (RFC 9297 §5): a peer without SETTINGS_H3_DATAGRAM gets none.
    try {
      this.h3.sendDatagram(streamId, payload);
    } catch {
      // Dropped.
    }
  }

  sendData(_streamId: number, data: Uint8Array, endStream?: boolean): void {
    if (this.h3.isClosed) return;
    this.sendCapsules(data, endStream === true);
  }

  // ---------------------------------------------------------------- WebTransportCarrier

  flush(): void {
    if (this.touched.length > 0) {
      for (const id of this.touched) this.demux.forgetIfDone(this, id);
      this.touched.length = 0;
    }
    this.demux.session.guard(noop);
  }

  consumed(streamId: number, bytes: number): void {
    this.demux.session.consumeBody(streamId, bytes);
  }

  whenWritable(streamId: number): Promise<void> | undefined {
    const s = this.demux.session;
    const hwm = this.demux.limits.highWaterMarkBytes;
    if (s.unackedBytes(streamId) < hwm) return undefined;
    return s.whenBelow(streamId, hwm);
  }

  opened(streamId: number): void {
    this.demux.session.trackStream(streamId);
  }

  /** The QUIC provider bounds its own datagram queue (hayate/quic: `maxPendingDatagrams`, oldest dropped). */
  hasDatagramRoom(): boolean {
    return true;
  }

  release(error?: { readonly wireCode?: number | undefined }): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.demux.unbind(this);
    // draft-ietf-webtrans-http3 §5 / RFC 9297 §3.3: a malformed capsule stream makes the CONNECT message
    // malformed: the stream is reset with the code the session error names (H3_MESSAGE_ERROR...).
    const code = error?.wireCode;
    if (code !== undefined && !this.h3.isClosed) this.resetConnect(code);
  }

  // ---------------------------------------------------------------- input from the CONNECT stream

  /** Capsules (DATA of the CONNECT stream). */
  capsules(bytes: Uint8Array): void {
    this.core.receiveCapsules(bytes);
    this.wt?.pump();
  }

  /** The peer ended the CONNECT stream. */
  ended(): void {
    this.core.receiveEnd();
    this.wt?.pump();
  }

  /** The CONNECT stream was reset or the connection closed. */
  lost(error: Error | undefined): void {
    this.wt?.lost(error);
    this.core.receiveReset();
    if (this.wt === undefined) this.release();
    else this.wt.pump();
  }
}

function noop(): void {
  // Flush only.
}
