/**
 * A WebTransport session over HTTP/3 (draft-ietf-webtrans-http3), sans-I/O. Unlike HTTP/2, streams and
 * datagrams are QUIC's own: the HTTP/3 connection (with `webTransportMaxSessions`) routes streams that start
 * with the WebTransport signal to `nextWebTransportEvent()`, and the binding hands them to the session whose
 * CONNECT stream they name. The CONNECT stream itself carries only capsules (WT_CLOSE_SESSION, WT_DRAIN_SESSION).
 *
 *   Http3Connection event                      Http3WebTransportSession
 *   webtransportStream (sessionId = ours)  ->  receiveStream(streamId, bidirectional)
 *   webtransportData                       ->  receiveStreamData(streamId, data, fin)
 *   streamReset / stopSending on its streams -> receiveStreamReset / receiveStopSending
 *   datagram on the CONNECT stream         ->  receiveDatagram(payload)
 *   data / end / streamReset on CONNECT    ->  receiveCapsules(bytes) / receiveEnd() / receiveReset()
 *
 * Actions queue on the connection through {@link WtHttp3Host}, which `Http3Connection` implements; flow
 * control and stream credit are QUIC's, so `consumed` is for the binding's QUIC provider, not this layer.
 */
import { ByteBuffer } from '../common/bytes.js';
import { UsageError } from '../common/errors.js';
import {
  VARINT_TOO_LARGE,
  readVarint,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
} from '../common/varint.js';
import {
  WtCapsuleType,
  WtHttp3ErrorCode,
  http3CodeToWebtransport,
  webtransportCodeToHttp3,
} from './constants.js';
import { WebTransportError, WtErrorCode } from './errors.js';
import type { WebTransportEvent } from './events.js';
import { type WebTransportLimits, resolveWebTransportLimits } from './limits.js';
import { decodeCloseSession, encodeCloseSession } from './session.js';
import type { WebTransportSession } from './session.js';

/** What the session needs from the HTTP/3 connection; `Http3Connection` provides all of it. */
export interface WtHttp3Host {
  openWebTransportStream(sessionId: number, bidirectional: boolean): number;
  sendWebTransportData(streamId: number, data: Uint8Array, fin?: boolean): void;
  resetWebTransportStream(streamId: number, errorCode: number): void;
  stopWebTransportStream(streamId: number, errorCode: number): void;
  sendDatagram(streamId: number, payload: Uint8Array): void;
  sendData(streamId: number, data: Uint8Array, endStream?: boolean): void;
}

/** Options of {@link Http3WebTransportSession}. */
export interface Http3WebTransportSessionOptions {
  readonly host: WtHttp3Host;
  /** The CONNECT stream id: the session id on every stream and datagram. */
  readonly sessionId: number;
  readonly role: 'client' | 'server';
  readonly limits?: Partial<WebTransportLimits> | undefined;
}

/** H3_EXCESSIVE_LOAD (RFC 9114 §8.1): the code a stream over the per-session limit is refused with. */
const H3_EXCESSIVE_LOAD = 0x107;
/** H3_MESSAGE_ERROR: a malformed capsule makes the CONNECT stream's message malformed (RFC 9297 §3.3). */
const H3_MESSAGE_ERROR = 0x10e;

/** One stream's directions. */
interface StreamRecord {
  readonly isBidi: boolean;
  readonly isLocal: boolean;
  canSend: boolean;
  canRecv: boolean;
}

/** The WebTransport-over-HTTP/3 session machine. */
export class Http3WebTransportSession implements WebTransportSession {
  readonly sessionId: number;
  readonly role: 'client' | 'server';
  readonly limits: Readonly<WebTransportLimits>;
  private readonly host: WtHttp3Host;
  private readonly streams = new Map<number, StreamRecord>();
  private readonly events: WebTransportEvent[] = [];
  private eventHead = 0;
  private incomingBidi = 0;
  private incomingUni = 0;
  private readonly capsules = new ByteBuffer(64);
  private isClosedFlag = false;
  private isDrainingFlag = false;

  constructor(options: Http3WebTransportSessionOptions) {
    this.host = options.host;
    this.sessionId = options.sessionId;
    this.role = options.role;
    this.limits = resolveWebTransportLimits(options.limits);
  }

  /** True once the session will neither emit events nor accept actions. */
  get isClosed(): boolean {
    return this.isClosedFlag;
  }

  /** True after the peer sent WT_DRAIN_SESSION or we called `drain()`. */
  get isDraining(): boolean {
    return this.isDrainingFlag;
  }

  /** Whether `streamId` is one of this session's streams with a direction still open. */
  hasStream(streamId: number): boolean {
    return this.streams.has(streamId);
  }

  /** Open while not closed or draining; QUIC's MAX_STREAMS is the provider's to enforce. */
  canOpenStream(): boolean {
    return !this.isClosedFlag && !this.isDrainingFlag;
  }

  /**
   * Stream credit is QUIC's over HTTP/3: the binding returns it to its QUIC provider (`QuicConnection.consumed`).
   * Present for the common {@link WebTransportSession} shape.
   */
  consumed(): void {
    // Nothing to do at this layer.
  }

  // ---------------------------------------------------------------- actions

  /** Opens a bidirectional stream (signal 0x41); returns its QUIC stream id. */
  openBidiStream(): number {
    return this.open(true);
  }

  /** Opens a unidirectional stream (type 0x54); returns its QUIC stream id. */
  openUniStream(): number {
    return this.open(false);
  }

  private open(bidi: boolean): number {
    this.assertOpen();
    if (this.isDrainingFlag) throw new UsageError('ERR_WT_DRAINING', 'the session is draining');
    const id = this.host.openWebTransportStream(this.sessionId, bidi);
    this.streams.set(id, { isBidi: bidi, isLocal: true, canSend: true, canRecv: bidi });
    return id;
  }

  /** Queues bytes (by reference) and optionally the end of the stream. QUIC applies flow control. */
  sendStream(streamId: number, data: Uint8Array, fin = false): boolean {
    this.assertOpen();
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canSend)
      throw new UsageError('ERR_WT_STREAM_STATE', `stream ${streamId} cannot send`);
    this.host.sendWebTransportData(streamId, data, fin);
    if (fin) this.done(streamId, s, true, false);
    return true;
  }

  /** Resets our sending side with a 32-bit application code (mapped per draft §4.3). */
  resetStream(streamId: number, errorCode = 0): void {
    this.assertOpen();
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canSend) return;
    this.host.resetWebTransportStream(streamId, webtransportCodeToHttp3(errorCode));
    this.done(streamId, s, true, false);
  }

  /** Asks the peer to stop sending, with a 32-bit application code. */
  stopSending(streamId: number, errorCode = 0): void {
    this.assertOpen();
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canRecv) return;
    this.host.stopWebTransportStream(streamId, webtransportCodeToHttp3(errorCode));
    this.done(streamId, s, false, true);
  }

  /** Sends a datagram on the session's CONNECT stream (RFC 9297 §2.1). False when above `maxDatagramBytes`. */
  sendDatagram(data: Uint8Array): boolean {
    this.assertOpen();
    if (data.length > this.limits.maxDatagramBytes) return false;
    this.host.sendDatagram(this.sessionId, data);
    return true;
  }

  /** Sends WT_DRAIN_SESSION. */
  drain(): void {
    this.assertOpen();
    if (this.isDrainingFlag) return;
    this.isDrainingFlag = true;
    this.host.sendData(this.sessionId, capsule(WtCapsuleType.WT_DRAIN_SESSION, new Uint8Array(0)));
  }

  /** Sends WT_CLOSE_SESSION, ends the CONNECT stream and resets the session's streams (WT_SESSION_GONE). */
  close(code = 0, reason = ''): void {
    if (this.isClosedFlag) return;
    this.host.sendData(
      this.sessionId,
      capsule(WtCapsuleType.WT_CLOSE_SESSION, encodeCloseSession(code, reason)),
      true,
    );
    this.finish(code >>> 0, reason, 'local', undefined);
  }

  /** The next event, or null. */
  nextEvent(): WebTransportEvent | null {
    if (this.eventHead >= this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
      return null;
    }
    return this.events[this.eventHead++]!;
  }

  // ---------------------------------------------------------------- input

  /** A peer's stream naming this session arrived. Over the per-session limit it is refused. */
  receiveStream(streamId: number, bidirectional: boolean): void {
    if (this.isClosedFlag) return;
    const count = bidirectional ? this.incomingBidi : this.incomingUni;
    const max = bidirectional ? this.limits.maxIncomingBidiStreams : this.limits.maxIncomingUniStreams;
    if (count >= max) {
      this.host.stopWebTransportStream(streamId, H3_EXCESSIVE_LOAD);
      if (bidirectional) this.host.resetWebTransportStream(streamId, H3_EXCESSIVE_LOAD);
      return;
    }
    if (bidirectional) this.incomingBidi++;
    else this.incomingUni++;
    this.streams.set(streamId, {
      isBidi: bidirectional,
      isLocal: false,
      canSend: bidirectional,
      canRecv: true,
    });
    this.events.push({ type: 'stream', streamId, bidirectional });
  }

  /** Bytes of one of the session's streams. Lifetime: `data` is copied into the event only if the caller says so. */
  receiveStreamData(streamId: number, data: Uint8Array, fin: boolean): void {
    if (this.isClosedFlag) return;
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canRecv) return;
    // Lifetime: a view owned by the caller, as on Http3WebTransportDataEvent.
    if (data.length > 0) this.events.push({ type: 'data', streamId, data });
    if (fin) {
      this.events.push({ type: 'end', streamId });
      this.done(streamId, s, false, true);
    }
  }

  /** The peer reset one of the session's streams with an HTTP/3 code. */
  receiveStreamReset(streamId: number, h3Code: number): void {
    const s = this.streams.get(streamId);
    if (this.isClosedFlag || s === undefined || !s.canRecv) return;
    this.events.push({ type: 'streamReset', streamId, errorCode: http3CodeToWebtransport(h3Code) ?? 0 });
    this.done(streamId, s, false, true);
  }

  /** The peer sent STOP_SENDING on one of the session's streams (the connection already answered with a reset). */
  receiveStopSending(streamId: number, h3Code: number): void {
    const s = this.streams.get(streamId);
    if (this.isClosedFlag || s === undefined || !s.canSend) return;
    this.events.push({ type: 'stopSending', streamId, errorCode: http3CodeToWebtransport(h3Code) ?? 0 });
    this.done(streamId, s, true, false);
  }

  /** A datagram for this session (the Quarter Stream ID already removed). The payload is copied. */
  receiveDatagram(payload: Uint8Array): void {
    if (this.isClosedFlag || payload.length > this.limits.maxDatagramBytes) return;
    this.events.push({ type: 'datagram', data: payload.slice() });
  }

  /** DATA of the CONNECT stream: capsules (RFC 9297 §3). Unknown ones are skipped. */
  receiveCapsules(bytes: Uint8Array): void {
    if (this.isClosedFlag) return;
    this.capsules.append(bytes, 0, bytes.length);
    const b = this.capsules.bytes;
    const end = this.capsules.length;
    let pos = 0;
    while (pos < end && !this.isClosed) {
      const tl = varintLengthFromFirstByte(b[pos]!);
      if (pos + tl >= end) break;
      const ll = varintLengthFromFirstByte(b[pos + tl]!);
      if (pos + tl + ll > end) break;
      const type = readVarint(b, pos, end);
      const len = readVarint(b, pos + tl, end);
      if (len === VARINT_TOO_LARGE || len > this.limits.maxCapsuleBytes) {
        this.fail(
          H3_MESSAGE_ERROR,
          WtErrorCode.ERR_WT_EXCESSIVE_LOAD,
          `capsule of ${len} bytes on the CONNECT stream`,
        );
        return;
      }
      const start = pos + tl + ll;
      if (start + len > end) break;
      this.handleCapsule(type, b.subarray(start, start + len));
      pos = start + len;
    }
    this.capsules.consume(pos);
  }

  /** The peer ended the CONNECT stream; without WT_CLOSE_SESSION that is a close with code 0 (draft §5). */
  receiveEnd(): void {
    if (this.isClosedFlag) return;
    if (this.capsules.length > 0) {
      this.fail(H3_MESSAGE_ERROR, WtErrorCode.ERR_WT_PROTOCOL, 'CONNECT stream ended inside a capsule');
      return;
    }
    this.host.sendData(this.sessionId, new Uint8Array(0), true);
    this.finish(0, '', 'remote', undefined);
  }

  /** The CONNECT stream was reset, or the connection went away. */
  receiveReset(): void {
    this.finish(0, '', 'remote', undefined);
  }

  private handleCapsule(type: number, v: Uint8Array): void {
    if (type === WtCapsuleType.WT_CLOSE_SESSION) {
      const closed = decodeCloseSession(v);
      if (closed === undefined) {
        this.fail(H3_MESSAGE_ERROR, WtErrorCode.ERR_WT_PROTOCOL, 'WT_CLOSE_SESSION shorter than 4 bytes');
        return;
      }
      // draft §5: the receiver answers by closing its side of the CONNECT stream.
      this.host.sendData(this.sessionId, new Uint8Array(0), true);
      this.finish(closed.code, closed.reason, 'remote', undefined);
    } else if (type === WtCapsuleType.WT_DRAIN_SESSION) {
      if (!this.isDrainingFlag) {
        this.isDrainingFlag = true;
        this.events.push({ type: 'draining' });
      }
    }
  }

  private done(streamId: number, s: StreamRecord, send: boolean, recv: boolean): void {
    if (send) s.canSend = false;
    if (recv) s.canRecv = false;
    if (s.canSend || s.canRecv) return;
    this.streams.delete(streamId);
    if (s.isLocal) return;
    if (s.isBidi) this.incomingBidi--;
    else this.incomingUni--;
  }

  private assertOpen(): void {
    if (this.isClosedFlag)
      throw new UsageError('ERR_WT_SESSION_CLOSED', 'the WebTransport session is closed');
  }

  private fail(wireCode: number, code: WtErrorCode, message: string): void {
    this.finish(0, '', 'local', new WebTransportError('http3', code, message, { wireCode }));
  }

  private finish(
    code: number,
    reason: string,
    initiator: 'local' | 'remote',
    error: WebTransportError | undefined,
  ): void {
    if (this.isClosedFlag) return;
    this.isClosedFlag = true;
    // draft §5: streams of a terminated session are reset (and reading stopped) with WT_SESSION_GONE.
    for (const [id, s] of this.streams) {
      try {
        if (s.canSend) this.host.resetWebTransportStream(id, WtHttp3ErrorCode.WT_SESSION_GONE);
        if (s.canRecv) this.host.stopWebTransportStream(id, WtHttp3ErrorCode.WT_SESSION_GONE);
      } catch {
        // The connection itself is closed: nothing left to reset.
      }
    }
    this.streams.clear();
    this.events.push({ type: 'closed', code, reason, initiator, error });
  }
}

function capsule(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintSize(type) + varintSize(value.length) + value.length);
  out.set(value, writeVarint(out, writeVarint(out, 0, type), value.length));
  return out;
}
