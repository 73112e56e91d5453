/**
 * A WebTransport session over HTTP/2 (draft-ietf-webtrans-http2), sans-I/O. The session lives in the DATA of
 * one extended CONNECT stream (RFC 8441, `:protocol = webtransport`): every stream, datagram, flow-control
 * update and the close travel as capsules (RFC 9297 §3) on that stream.
 *
 *   binding                          Http2WebTransportSession
 *   DATA of the CONNECT stream  -->  receive(bytes)            capsules parsed, any split works
 *   END_STREAM / RST_STREAM     -->  receiveEnd() / receiveReset()
 *                               <--  nextEvent()               stream, data, end, datagram, closed, ...
 *   sendData(connect, ...)      <--  takeOutput()              capsules to write, in order
 *   END_STREAM after output     <--  isOutputFinished
 *
 * Stream ids follow QUIC (RFC 9000 §2.1): bit 0x2 marks unidirectional, bit 0x1 the initiator. The draft
 * gives client-initiated streams bit 0x1 = 0; @fails-components/webtransport 1.6 numbers them with 0x1 = 1,
 * hence the `clientInitiatedBit` option (test/interop/webtransport-h2.test.ts runs both).
 *
 * Flow control (draft §5): each stream and the session have a send credit granted by the peer (initial values
 * from its SETTINGS_WT_INITIAL_*, raised by WT_MAX_STREAM_DATA / WT_MAX_DATA) and a receive credit we grant
 * (raised as the application reports `consumed`). Only stream payload counts; datagrams and control capsules do
 * not. Stream counts work the same way with WT_MAX_STREAMS.
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
import { WtCapsuleType, WtHttp2Setting } from './constants.js';
import { WebTransportError, WtErrorCode } from './errors.js';
import type { WebTransportEvent } from './events.js';
import { type WebTransportLimits, resolveWebTransportLimits } from './limits.js';
import { decodeCloseSession, encodeCloseSession } from './session.js';
import type { WebTransportSession } from './session.js';

/** The peer's SETTINGS_WT_INITIAL_* values (draft-ietf-webtrans-http2 §5); absent ones count as 0. */
export interface WtHttp2PeerSettings {
  readonly initialMaxData?: number | undefined;
  readonly initialMaxStreamDataUni?: number | undefined;
  readonly initialMaxStreamDataBidi?: number | undefined;
  readonly initialMaxStreamsUni?: number | undefined;
  readonly initialMaxStreamsBidi?: number | undefined;
}

/** Options of {@link Http2WebTransportSession}. */
export interface Http2WebTransportSessionOptions {
  readonly role: 'client' | 'server';
  readonly limits?: Partial<WebTransportLimits> | undefined;
  /** The peer's settings, read from its SETTINGS frame (see {@link peerSettingsFromHttp2}). */
  readonly peerSettings?: WtHttp2PeerSettings;
  /** Bit 0x1 of client-initiated stream ids: 0 per the draft (default), 1 for @fails-components/webtransport. */
  readonly clientInitiatedBit?: 0 | 1;
}

/** HTTP/2 H2ErrorCode values a session error resets the CONNECT stream with (RFC 9113 §7). */
const H2_PROTOCOL_ERROR = 0x1;
const H2_FLOW_CONTROL_ERROR = 0x3;
const H2_ENHANCE_YOUR_CALM = 0xb;

/**
 * The (identifier, value) pairs to pass as `extraSettings` to an `Http2Connection` that serves or opens
 * WebTransport sessions: the receive credit every session starts with.
 */
export function http2WebTransportSettings(
  limits?: Partial<WebTransportLimits>,
): Array<readonly [number, number]> {
  const l = resolveWebTransportLimits(limits);
  return [
    [WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_DATA, l.maxSessionDataBytes],
    [WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAM_DATA_UNI, l.maxStreamDataBytes],
    [WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAM_DATA_BIDI, l.maxStreamDataBytes],
    [WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAMS_UNI, l.maxIncomingUniStreams],
    [WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAMS_BIDI, l.maxIncomingBidiStreams],
  ];
}

/** Reads the peer's WebTransport settings from a map of extension settings (`Http2Connection.remoteExtraSettings`). */
export function peerSettingsFromHttp2(extra: ReadonlyMap<number, number>): WtHttp2PeerSettings {
  return {
    initialMaxData: extra.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_DATA),
    initialMaxStreamDataUni: extra.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAM_DATA_UNI),
    initialMaxStreamDataBidi: extra.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAM_DATA_BIDI),
    initialMaxStreamsUni: extra.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAMS_UNI),
    initialMaxStreamsBidi: extra.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAMS_BIDI),
  };
}

/** One WebTransport stream's bookkeeping. Every field set in the constructor (STYLE §3.4). */
class WtStream {
  readonly id: number;
  readonly isLocal: boolean;
  readonly isBidi: boolean;
  /** Sending side: still open to the application. */
  canSend: boolean;
  /** Receiving side: still expecting bytes from the peer. */
  canRecv: boolean;
  readonly queue: Uint8Array[] = [];
  queuedBytes = 0;
  isFinQueued = false;
  sentBytes = 0;
  sendMax: number;
  blockedAt = -1;
  receivedBytes = 0;
  consumedBytes = 0;
  recvMax: number;
  readonly recvWindow: number;
  /** After STOP_SENDING or a reset we still count the peer's bytes but drop them. */
  isDiscarding = false;

  constructor(id: number, isLocal: boolean, sendMax: number, recvWindow: number) {
    this.id = id;
    this.isLocal = isLocal;
    this.isBidi = (id & 2) === 0;
    this.canSend = this.isBidi || isLocal;
    this.canRecv = this.isBidi || !isLocal;
    this.sendMax = sendMax;
    this.recvMax = recvWindow;
    this.recvWindow = recvWindow;
  }
}

/** Capsule parser states: the loop in `receive` switches on these (STYLE §3.2). */
const ParseState = {
  Type: 0,
  Length: 1,
  StreamId: 2,
  StreamBody: 3,
  Body: 4,
  Skip: 5,
} as const;
type ParseState = (typeof ParseState)[keyof typeof ParseState];

/** The WebTransport-over-HTTP/2 session machine. See the file comment for the driving loop. */
export class Http2WebTransportSession implements WebTransportSession {
  readonly role: 'client' | 'server';
  readonly limits: Readonly<WebTransportLimits>;
  private readonly clientBit: number;
  private readonly streams = new Map<number, WtStream>();
  /** Streams with queued bytes or a queued FIN, in the order they became sendable. */
  private readonly sendable = new Set<WtStream>();
  private readonly events: WebTransportEvent[] = [];
  private eventHead = 0;
  private output: Uint8Array[] = [];
  private queuedDatagrams = 0;

  private sessionSendMax: number;
  private sessionSent = 0;
  private sessionBlockedAt = -1;
  private sessionReceived = 0;
  private sessionConsumed = 0;
  private sessionRecvMax: number;

  private readonly peerStreamData: { uni: number; bidi: number };
  private peerMaxStreamsBidi: number;
  private peerMaxStreamsUni: number;
  private localBidiCount = 0;
  private localUniCount = 0;
  private incomingBidiCount = 0;
  private incomingUniCount = 0;
  private incomingBidiMax: number;
  private incomingUniMax: number;
  private incomingBidiClosed = 0;
  private incomingUniClosed = 0;

  private bufferedBytes = 0;
  private isBackpressured = false;
  private isClosedFlag = false;
  private isOutputFinishedFlag = false;
  private isDrainingFlag = false;

  // Parser state (saved between chunks so any split works).
  private state: ParseState = ParseState.Type;
  private readonly scratch = new Uint8Array(8);
  private scratchLen = 0;
  private capsuleType = 0;
  private remaining = 0;
  private currentStream: WtStream | undefined = undefined;
  private currentStreamId = 0;
  private readonly body = new ByteBuffer(64);

  constructor(options: Http2WebTransportSessionOptions) {
    this.role = options.role;
    this.limits = resolveWebTransportLimits(options.limits);
    if (this.limits.maxStreamCapsuleBytes < 1) {
      throw new UsageError(
        'ERR_INVALID_LIMIT',
        'WebTransportLimits.maxStreamCapsuleBytes must be at least 1',
      );
    }
    this.clientBit = options.clientInitiatedBit ?? 0;
    const p = options.peerSettings ?? {};
    this.sessionSendMax = p.initialMaxData ?? 0;
    this.peerStreamData = { uni: p.initialMaxStreamDataUni ?? 0, bidi: p.initialMaxStreamDataBidi ?? 0 };
    this.peerMaxStreamsBidi = p.initialMaxStreamsBidi ?? 0;
    this.peerMaxStreamsUni = p.initialMaxStreamsUni ?? 0;
    this.sessionRecvMax = this.limits.maxSessionDataBytes;
    this.incomingBidiMax = this.limits.maxIncomingBidiStreams;
    this.incomingUniMax = this.limits.maxIncomingUniStreams;
  }

  // ---------------------------------------------------------------- state

  /** True once the session will neither emit events nor accept actions. */
  get isClosed(): boolean {
    return this.isClosedFlag;
  }

  /** True once the binding should end the CONNECT stream (END_STREAM) after writing `takeOutput()`. */
  get isOutputFinished(): boolean {
    return this.isOutputFinishedFlag;
  }

  /** True after the peer sent WT_DRAIN_SESSION or we called `drain()`. */
  get isDraining(): boolean {
    return this.isDrainingFlag;
  }

  /** Stream bytes queued by the application and not yet sent, over all streams. */
  get bufferedAmount(): number {
    return this.bufferedBytes;
  }

  /** Whether a stream of this direction can be opened now (the peer's WT_MAX_STREAMS allows it). */
  canOpenStream(bidirectional: boolean): boolean {
    if (this.isClosedFlag) return false;
    return bidirectional
      ? this.localBidiCount < this.peerMaxStreamsBidi
      : this.localUniCount < this.peerMaxStreamsUni;
  }

  /** Send credit left on a stream, bounded by the session's. */
  sendWindow(streamId: number): number {
    const s = this.streams.get(streamId);
    if (s === undefined) return 0;
    return Math.max(0, Math.min(s.sendMax - s.sentBytes, this.sessionSendMax - this.sessionSent));
  }

  // ---------------------------------------------------------------- actions

  /** Opens a bidirectional stream; returns its id. Check `canOpenStream(true)` first. */
  openBidiStream(): number {
    return this.openStream(true);
  }

  /** Opens a unidirectional stream; returns its id. Check `canOpenStream(false)` first. */
  openUniStream(): number {
    return this.openStream(false);
  }

  private openStream(bidi: boolean): number {
    this.assertOpen();
    if (this.isDrainingFlag) throw new UsageError('ERR_WT_DRAINING', 'the session is draining');
    if (!this.canOpenStream(bidi)) {
      throw new UsageError(
        'ERR_WT_STREAM_LIMIT',
        `peer allows ${bidi ? this.peerMaxStreamsBidi : this.peerMaxStreamsUni} ${bidi ? 'bidirectional' : 'unidirectional'} streams`,
      );
    }
    const index = bidi ? this.localBidiCount++ : this.localUniCount++;
    const initiator = this.role === 'client' ? this.clientBit : 1 - this.clientBit;
    const id = index * 4 + (bidi ? 0 : 2) + initiator;
    const s = new WtStream(
      id,
      true,
      bidi ? this.peerStreamData.bidi : this.peerStreamData.uni,
      this.limits.maxStreamDataBytes,
    );
    this.streams.set(id, s);
    // The draft opens a stream with its first WT_STREAM capsule; an empty one tells the peer at once.
    this.pushCapsuleHeader(WtCapsuleType.WT_STREAM, id, 0);
    return id;
  }

  /**
   * Queues `data` (kept by reference until sent) and, with `fin`, the end of the stream. Returns false when
   * the session's buffered bytes exceed `maxBufferedBytes`: wait for a `writable` event before sending more.
   */
  sendStream(streamId: number, data: Uint8Array, fin = false): boolean {
    this.assertOpen();
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canSend || s.isFinQueued) {
      throw new UsageError('ERR_WT_STREAM_STATE', `stream ${streamId} cannot send`);
    }
    if (data.length > 0) {
      s.queue.push(data);
      s.queuedBytes += data.length;
      this.bufferedBytes += data.length;
    }
    if (fin) s.isFinQueued = true;
    this.sendable.add(s);
    this.pump();
    if (this.bufferedBytes > this.limits.maxBufferedBytes) {
      this.isBackpressured = true;
      return false;
    }
    return true;
  }

  /** Abandons the sending side of a stream (WT_RESET_STREAM) with a 32-bit application code. */
  resetStream(streamId: number, errorCode = 0): void {
    this.assertOpen();
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canSend) return;
    this.dropQueue(s);
    s.canSend = false;
    this.pushControl(WtCapsuleType.WT_RESET_STREAM, [streamId, errorCode >>> 0]);
    this.maybeRetire(s);
  }

  /** Asks the peer to stop sending on a stream (WT_STOP_SENDING); later bytes are counted and dropped. */
  stopSending(streamId: number, errorCode = 0): void {
    this.assertOpen();
    const s = this.streams.get(streamId);
    if (s === undefined || !s.canRecv || s.isDiscarding) return;
    s.isDiscarding = true;
    // Bytes already delivered as events are credited when the application reports them consumed; later ones
    // are dropped and credited on arrival (streamBytes).
    this.pushControl(WtCapsuleType.WT_STOP_SENDING, [streamId, errorCode >>> 0]);
  }

  /** Returns credit for `bytes` of stream data the application has processed. */
  consumed(streamId: number, bytes: number): void {
    if (this.isClosedFlag || bytes <= 0) return;
    const s = this.streams.get(streamId);
    if (s !== undefined && !s.isDiscarding) {
      s.consumedBytes = Math.min(s.receivedBytes, s.consumedBytes + bytes);
      // Raise the stream's credit once half its window is used, as QUIC stacks do.
      if (s.canRecv && s.recvMax - s.consumedBytes <= s.recvWindow / 2) {
        s.recvMax = s.consumedBytes + s.recvWindow;
        this.pushControl(WtCapsuleType.WT_MAX_STREAM_DATA, [s.id, s.recvMax]);
      }
    }
    this.creditSession(bytes);
  }

  /** Sends a datagram (DATAGRAM capsule, RFC 9297 §3.5). Returns false when it was dropped (too large or queue full). */
  sendDatagram(data: Uint8Array): boolean {
    this.assertOpen();
    if (
      data.length > this.limits.maxDatagramBytes ||
      this.queuedDatagrams >= this.limits.maxQueuedDatagrams
    ) {
      return false;
    }
    this.queuedDatagrams++;
    const head = new Uint8Array(1 + varintSize(data.length));
    writeVarint(head, writeVarint(head, 0, WtCapsuleType.DATAGRAM), data.length);
    this.output.push(head, data);
    return true;
  }

  /** Asks the peer to wind down (WT_DRAIN_SESSION); opening new streams is refused from now on. */
  drain(): void {
    this.assertOpen();
    if (this.isDrainingFlag) return;
    this.isDrainingFlag = true;
    this.pushControl(WtCapsuleType.WT_DRAIN_SESSION, []);
  }

  /** Closes the session with WT_CLOSE_SESSION; the binding then ends the CONNECT stream. */
  close(code = 0, reason = ''): void {
    if (this.isClosedFlag) return;
    this.pushRaw(WtCapsuleType.WT_CLOSE_SESSION, encodeCloseSession(code, reason));
    this.finish(code >>> 0, reason, 'local', undefined);
  }

  /** Hands over the bytes to write on the CONNECT stream, in order; chunks are never touched again. */
  takeOutput(): Uint8Array[] {
    const out = this.output;
    this.output = [];
    this.queuedDatagrams = 0;
    return out;
  }

  /** The next event, or null. */
  nextEvent(): WebTransportEvent | null {
    if (this.eventHead >= this.events.length) {
      if (this.eventHead > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return null;
    }
    return this.events[this.eventHead++]!;
  }

  // ---------------------------------------------------------------- input

  /** The peer ended the CONNECT stream. Without a WT_CLOSE_SESSION first, the session closed with code 0. */
  receiveEnd(): void {
    if (this.isClosedFlag) return;
    if (this.state !== ParseState.Type || this.scratchLen > 0) {
      this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, 'CONNECT stream ended inside a capsule');
      return;
    }
    this.finish(0, '', 'remote', undefined);
    this.isOutputFinishedFlag = true;
  }

  /** The CONNECT stream was reset (or the connection went away): the session is gone. */
  receiveReset(): void {
    if (this.isClosedFlag) return;
    this.finish(0, '', 'remote', undefined);
  }

  /** Consumes DATA of the CONNECT stream. Never throws for peer errors: they close the session (see `closed`). */
  receive(chunk: Uint8Array): void {
    let i = 0;
    const end = chunk.length;
    while (i < end && !this.isClosedFlag) {
      switch (this.state) {
        case ParseState.Type:
        case ParseState.Length: {
          const n = this.takeVarint(chunk, i, end);
          i += n;
          if (this.scratchLen === 0 || this.scratchLen < varintLengthFromFirstByte(this.scratch[0]!)) break;
          const v = readVarint(this.scratch, 0, this.scratchLen);
          this.scratchLen = 0;
          if (this.state === ParseState.Type) {
            this.capsuleType = v === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : v;
            this.state = ParseState.Length;
          } else {
            if (v === VARINT_TOO_LARGE) {
              this.fail(H2_ENHANCE_YOUR_CALM, WtErrorCode.ERR_WT_EXCESSIVE_LOAD, 'capsule length over 2^53');
              return;
            }
            this.remaining = v;
            this.startCapsule();
          }
          break;
        }
        case ParseState.StreamId: {
          const n = this.takeVarint(chunk, i, Math.min(end, i + this.remaining));
          i += n;
          this.remaining -= n;
          if (this.scratchLen === 0 || this.scratchLen < varintLengthFromFirstByte(this.scratch[0]!)) {
            if (this.remaining === 0) {
              this.fail(
                H2_PROTOCOL_ERROR,
                WtErrorCode.ERR_WT_PROTOCOL,
                'WT_STREAM capsule without a stream id',
              );
              return;
            }
            break;
          }
          const id = readVarint(this.scratch, 0, this.scratchLen);
          this.scratchLen = 0;
          this.state = ParseState.StreamBody;
          this.currentStreamId = id;
          this.currentStream = this.streamForData(id);
          if (this.isClosed) return;
          if (this.remaining === 0) this.endStreamCapsule();
          break;
        }
        case ParseState.StreamBody: {
          const n = Math.min(this.remaining, end - i);
          this.streamBytes(chunk, i, i + n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0 && !this.isClosed) this.endStreamCapsule();
          break;
        }
        case ParseState.Body: {
          const n = Math.min(this.remaining, end - i);
          this.body.append(chunk, i, i + n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = ParseState.Type;
            this.handleCapsule(this.body.bytes.subarray(0, this.body.length));
            this.body.length = 0;
          }
          break;
        }
        case ParseState.Skip: {
          const n = Math.min(this.remaining, end - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = ParseState.Type;
          break;
        }
        default:
          return this.unreachable(this.state);
      }
    }
  }

  private unreachable(state: never): never {
    throw new UsageError('ERR_UNREACHABLE', `parser state ${String(state)}`);
  }

  /** Copies varint bytes into the scratch buffer; returns how many it took from `chunk`. */
  private takeVarint(chunk: Uint8Array, i: number, end: number): number {
    let taken = 0;
    while (i + taken < end) {
      if (this.scratchLen > 0 && this.scratchLen >= varintLengthFromFirstByte(this.scratch[0]!)) break;
      this.scratch[this.scratchLen++] = chunk[i + taken]!;
      taken++;
    }
    return taken;
  }

  private startCapsule(): void {
    const t = this.capsuleType;
    if (t === WtCapsuleType.WT_STREAM || t === WtCapsuleType.WT_STREAM_FIN) {
      if (this.remaining === 0) {
        this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, 'WT_STREAM capsule without a stream id');
        return;
      }
      this.state = ParseState.StreamId;
      return;
    }
    if (t === WtCapsuleType.WT_PADDING || !isKnownCapsule(t)) {
      // RFC 9297 §3.2: unknown capsule types are skipped.
      this.state = this.remaining === 0 ? ParseState.Type : ParseState.Skip;
      return;
    }
    if (this.remaining > this.limits.maxCapsuleBytes) {
      this.fail(
        H2_ENHANCE_YOUR_CALM,
        WtErrorCode.ERR_WT_EXCESSIVE_LOAD,
        `capsule 0x${t.toString(16)} of ${this.remaining} bytes, limit ${this.limits.maxCapsuleBytes}`,
      );
      return;
    }
    if (this.remaining === 0) {
      this.state = ParseState.Type;
      this.handleCapsule(new Uint8Array(0));
      return;
    }
    this.state = ParseState.Body;
  }

  /** Finds or opens the stream a WT_STREAM capsule names; undefined means drop its bytes. */
  private streamForData(id: number): WtStream | undefined {
    const s = this.streams.get(id) ?? this.openPeerStream(id);
    if (s === undefined) return undefined;
    if (!s.canRecv && !s.isDiscarding) {
      if (!s.isBidi && s.isLocal) {
        this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, `data on our unidirectional stream ${id}`);
        return undefined;
      }
    }
    return s;
  }

  /** Opens the peer's stream `id` (and, as QUIC does, every lower one of its kind). */
  private openPeerStream(id: number): WtStream | undefined {
    const peerBit = this.role === 'client' ? 1 - this.clientBit : this.clientBit;
    const bidi = (id & 2) === 0;
    const index = Math.floor(id / 4);
    if ((id & 1) !== peerBit) {
      const count = bidi ? this.localBidiCount : this.localUniCount;
      if (index >= count) {
        this.fail(
          H2_PROTOCOL_ERROR,
          WtErrorCode.ERR_WT_PROTOCOL,
          `stream ${id} is ours and was never opened`,
        );
      }
      return undefined; // one of ours, already retired
    }
    const count = bidi ? this.incomingBidiCount : this.incomingUniCount;
    if (index < count) return undefined; // retired
    const max = bidi ? this.incomingBidiMax : this.incomingUniMax;
    if (index >= max) {
      this.fail(
        H2_PROTOCOL_ERROR,
        WtErrorCode.ERR_WT_STREAM_LIMIT,
        `stream ${id} above the ${max} ${bidi ? 'bidirectional' : 'unidirectional'} streams allowed`,
      );
      return undefined;
    }
    let s: WtStream | undefined;
    for (let k = count; k <= index; k++) {
      const sid = k * 4 + (id & 3);
      s = new WtStream(sid, false, bidi ? this.peerStreamData.bidi : 0, this.limits.maxStreamDataBytes);
      this.streams.set(sid, s);
      this.events.push({ type: 'stream', streamId: sid, bidirectional: bidi });
    }
    if (bidi) this.incomingBidiCount = index + 1;
    else this.incomingUniCount = index + 1;
    return s;
  }

  private streamBytes(chunk: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    const s = this.currentStream;
    // Bytes for a retired stream still count against the session (draft §5: all stream data does).
    this.sessionReceived += n;
    if (this.sessionReceived > this.sessionRecvMax) {
      this.fail(
        H2_FLOW_CONTROL_ERROR,
        WtErrorCode.ERR_WT_FLOW_CONTROL,
        `session received ${this.sessionReceived} bytes, credit ${this.sessionRecvMax}`,
      );
      return;
    }
    if (s === undefined) {
      this.creditSession(n);
      return;
    }
    if (!s.canRecv) {
      if (s.isDiscarding) {
        this.creditSession(n);
        return;
      }
      this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, `data after the end of stream ${s.id}`);
      return;
    }
    s.receivedBytes += n;
    if (s.receivedBytes > s.recvMax) {
      this.fail(
        H2_FLOW_CONTROL_ERROR,
        WtErrorCode.ERR_WT_FLOW_CONTROL,
        `stream ${s.id} received ${s.receivedBytes} bytes, credit ${s.recvMax}`,
      );
      return;
    }
    if (s.isDiscarding) {
      // Dropped, never delivered: credit the stream and the session now (draft §5 counts them all).
      s.consumedBytes += n;
      this.creditSession(n);
      return;
    }
    // Lifetime: a view into the caller's chunk, documented on WtDataEvent.
    this.events.push({ type: 'data', streamId: s.id, data: chunk.subarray(start, end) });
  }

  private endStreamCapsule(): void {
    this.state = ParseState.Type;
    const s = this.currentStream;
    this.currentStream = undefined;
    if (this.capsuleType !== WtCapsuleType.WT_STREAM_FIN || s === undefined || !s.canRecv) return;
    s.canRecv = false;
    if (!s.isDiscarding) this.events.push({ type: 'end', streamId: s.id });
    this.maybeRetire(s);
  }

  private handleCapsule(v: Uint8Array): void {
    const t = this.capsuleType;
    switch (t) {
      case WtCapsuleType.DATAGRAM:
        this.events.push({ type: 'datagram', data: v.slice() });
        return;
      case WtCapsuleType.WT_CLOSE_SESSION: {
        const closed = decodeCloseSession(v);
        if (closed === undefined) {
          this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, 'WT_CLOSE_SESSION shorter than 4 bytes');
          return;
        }
        this.finish(closed.code, closed.reason, 'remote', undefined);
        // draft §6: the receiver of WT_CLOSE_SESSION closes its side of the CONNECT stream.
        this.isOutputFinishedFlag = true;
        return;
      }
      case WtCapsuleType.WT_DRAIN_SESSION:
        if (!this.isDrainingFlag) {
          this.isDrainingFlag = true;
          this.events.push({ type: 'draining' });
        }
        return;
      default:
        break;
    }
    const f = readVarints(v);
    if (f === undefined) {
      this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, `capsule 0x${t.toString(16)} is malformed`);
      return;
    }
    switch (t) {
      case WtCapsuleType.WT_RESET_STREAM:
      case WtCapsuleType.WT_STOP_SENDING: {
        if (f.length < 2) break;
        const s = this.streams.get(f[0]!) ?? this.openPeerStream(f[0]!);
        if (s === undefined) return;
        const errorCode = f[1]! >>> 0;
        if (t === WtCapsuleType.WT_RESET_STREAM) {
          if (!s.canRecv) return;
          // Every byte received was delivered as an event: its credit returns through consumed().
          s.canRecv = false;
          this.events.push({ type: 'streamReset', streamId: s.id, errorCode });
        } else {
          if (!s.canSend) return;
          // RFC 9000 §3.5 by analogy: answer STOP_SENDING with a reset of our sending side.
          this.dropQueue(s);
          s.canSend = false;
          this.pushControl(WtCapsuleType.WT_RESET_STREAM, [s.id, errorCode]);
          this.events.push({ type: 'stopSending', streamId: s.id, errorCode });
        }
        this.maybeRetire(s);
        return;
      }
      case WtCapsuleType.WT_MAX_DATA:
        if (f.length < 1) break;
        if (f[0]! > this.sessionSendMax) {
          this.sessionSendMax = f[0]!;
          this.pump();
        }
        return;
      case WtCapsuleType.WT_MAX_STREAM_DATA: {
        if (f.length < 2) break;
        const s = this.streams.get(f[0]!);
        if (s !== undefined && f[1]! > s.sendMax) {
          s.sendMax = f[1]!;
          this.pump();
        }
        return;
      }
      case WtCapsuleType.WT_MAX_STREAMS_BIDI:
        if (f.length < 1) break;
        this.peerMaxStreamsBidi = Math.max(this.peerMaxStreamsBidi, f[0]!);
        return;
      case WtCapsuleType.WT_MAX_STREAMS_UNI:
        if (f.length < 1) break;
        this.peerMaxStreamsUni = Math.max(this.peerMaxStreamsUni, f[0]!);
        return;
      case WtCapsuleType.WT_DATA_BLOCKED:
      case WtCapsuleType.WT_STREAM_DATA_BLOCKED:
      case WtCapsuleType.WT_STREAMS_BLOCKED_BIDI:
      case WtCapsuleType.WT_STREAMS_BLOCKED_UNI:
        // Hints only: our credit follows consumption, not the peer's wish (draft §5.4).
        return;
      default:
        return;
    }
    this.fail(H2_PROTOCOL_ERROR, WtErrorCode.ERR_WT_PROTOCOL, `capsule 0x${t.toString(16)} is too short`);
  }

  // ---------------------------------------------------------------- output

  /** Moves queued stream bytes into WT_STREAM capsules as far as stream and session credit allow. */
  private pump(): void {
    if (this.isClosedFlag) return;
    for (const s of this.sendable) {
      while (s.queuedBytes > 0) {
        const credit = Math.min(
          s.sendMax - s.sentBytes,
          this.sessionSendMax - this.sessionSent,
          this.limits.maxStreamCapsuleBytes,
        );
        if (credit <= 0) {
          if (s.sendMax - s.sentBytes <= 0) {
            if (s.blockedAt !== s.sendMax) {
              s.blockedAt = s.sendMax;
              this.pushControl(WtCapsuleType.WT_STREAM_DATA_BLOCKED, [s.id, s.sendMax]);
            }
          } else if (this.sessionBlockedAt !== this.sessionSendMax) {
            this.sessionBlockedAt = this.sessionSendMax;
            this.pushControl(WtCapsuleType.WT_DATA_BLOCKED, [this.sessionSendMax]);
          }
          break;
        }
        const head = s.queue[0]!;
        let piece = head;
        if (head.length > credit) {
          piece = head.subarray(0, credit);
          s.queue[0] = head.subarray(credit);
        } else {
          s.queue.shift();
        }
        s.queuedBytes -= piece.length;
        s.sentBytes += piece.length;
        this.sessionSent += piece.length;
        this.bufferedBytes -= piece.length;
        const isLast = s.queuedBytes === 0 && s.isFinQueued;
        this.pushCapsuleHeader(
          isLast ? WtCapsuleType.WT_STREAM_FIN : WtCapsuleType.WT_STREAM,
          s.id,
          piece.length,
        );
        this.output.push(piece);
        if (isLast) this.finishSend(s);
      }
      if (s.queuedBytes === 0) {
        if (s.isFinQueued && s.canSend) {
          this.pushCapsuleHeader(WtCapsuleType.WT_STREAM_FIN, s.id, 0);
          this.finishSend(s);
        }
        this.sendable.delete(s);
      }
    }
    if (this.isBackpressured && this.bufferedBytes <= this.limits.maxBufferedBytes) {
      this.isBackpressured = false;
      this.events.push({ type: 'writable' });
    }
  }

  private finishSend(s: WtStream): void {
    s.canSend = false;
    this.maybeRetire(s);
  }

  private dropQueue(s: WtStream): void {
    this.bufferedBytes -= s.queuedBytes;
    s.queue.length = 0;
    s.queuedBytes = 0;
    s.isFinQueued = false;
    this.sendable.delete(s);
  }

  /** Forgets a stream whose two sides are done; a peer's stream returns its WT_MAX_STREAMS credit. */
  private maybeRetire(s: WtStream): void {
    if (s.canSend || s.canRecv) return;
    this.streams.delete(s.id);
    this.sendable.delete(s);
    if (s.isLocal) return;
    // Grant a new batch of streams once half the announced ones have closed.
    if (s.isBidi) {
      this.incomingBidiClosed++;
      if (this.incomingBidiMax - this.incomingBidiClosed <= this.limits.maxIncomingBidiStreams / 2) {
        this.incomingBidiMax = this.incomingBidiClosed + this.limits.maxIncomingBidiStreams;
        this.pushControl(WtCapsuleType.WT_MAX_STREAMS_BIDI, [this.incomingBidiMax]);
      }
    } else {
      this.incomingUniClosed++;
      if (this.incomingUniMax - this.incomingUniClosed <= this.limits.maxIncomingUniStreams / 2) {
        this.incomingUniMax = this.incomingUniClosed + this.limits.maxIncomingUniStreams;
        this.pushControl(WtCapsuleType.WT_MAX_STREAMS_UNI, [this.incomingUniMax]);
      }
    }
  }

  private creditSession(bytes: number): void {
    // Never credit more than was received, whatever the caller reports.
    const n = Math.min(bytes, this.sessionReceived - this.sessionConsumed);
    if (n <= 0 || this.isClosedFlag) return;
    this.sessionConsumed += n;
    const window = this.limits.maxSessionDataBytes;
    if (this.sessionRecvMax - this.sessionConsumed <= window / 2) {
      this.sessionRecvMax = this.sessionConsumed + window;
      this.pushControl(WtCapsuleType.WT_MAX_DATA, [this.sessionRecvMax]);
    }
  }

  private pushCapsuleHeader(type: number, streamId: number, payloadLength: number): void {
    const len = varintSize(streamId) + payloadLength;
    const head = new Uint8Array(varintSize(type) + varintSize(len) + varintSize(streamId));
    writeVarint(head, writeVarint(head, writeVarint(head, 0, type), len), streamId);
    this.output.push(head);
  }

  private pushControl(type: number, fields: readonly number[]): void {
    if (this.isClosedFlag) return;
    let len = 0;
    for (const f of fields) len += varintSize(f);
    const out = new Uint8Array(varintSize(type) + varintSize(len) + len);
    let pos = writeVarint(out, writeVarint(out, 0, type), len);
    for (const f of fields) pos = writeVarint(out, pos, f);
    this.output.push(out);
  }

  private pushRaw(type: number, value: Uint8Array): void {
    const out = new Uint8Array(varintSize(type) + varintSize(value.length) + value.length);
    out.set(value, writeVarint(out, writeVarint(out, 0, type), value.length));
    this.output.push(out);
  }

  private assertOpen(): void {
    if (this.isClosedFlag)
      throw new UsageError('ERR_WT_SESSION_CLOSED', 'the WebTransport session is closed');
  }

  private fail(wireCode: number, code: WtErrorCode, message: string): void {
    const error = new WebTransportError('http2', code, message, { wireCode });
    this.finish(0, '', 'local', error);
  }

  private finish(
    code: number,
    reason: string,
    initiator: 'local' | 'remote',
    error: WebTransportError | undefined,
  ): void {
    if (this.isClosedFlag) return;
    this.isClosedFlag = true;
    if (error === undefined && initiator === 'local') this.isOutputFinishedFlag = true;
    for (const s of this.streams.values()) this.dropQueue(s);
    this.streams.clear();
    this.events.push({ type: 'closed', code, reason, initiator, error });
  }
}

function isKnownCapsule(t: number): boolean {
  return (
    t === WtCapsuleType.DATAGRAM ||
    t === WtCapsuleType.WT_CLOSE_SESSION ||
    t === WtCapsuleType.WT_DRAIN_SESSION ||
    (t >= WtCapsuleType.WT_PADDING && t <= WtCapsuleType.WT_STREAMS_BLOCKED_BIDI)
  );
}

/** Reads consecutive varints filling `v`; undefined when the last one is cut short. */
function readVarints(v: Uint8Array): number[] | undefined {
  const out: number[] = [];
  let pos = 0;
  while (pos < v.length) {
    const n = varintLengthFromFirstByte(v[pos]!);
    if (pos + n > v.length) return undefined;
    const x = readVarint(v, pos, v.length);
    out.push(x === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : x);
    pos += n;
  }
  return out;
}
