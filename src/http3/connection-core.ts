/**
 * The shared core of {@link Http3Connection}: its state, construction, the three machines' single
 * assignment points (`stepSend`, `stepRecv`, `stepConn`), stream bookkeeping, output and error handling
 * (STYLE §3.3). The layers on top handle the control and other unidirectional streams (control.ts),
 * request streams' receiving side (recv.ts) and the public API with the sending side (connection.ts); the
 * machines live in send-state.ts, recv-state.ts and shutdown.ts, the output arena in output.ts.
 *
 * As in src/http2/, the layers are subclasses (Http3Core <- Http3Control <- Http3Recv <- Http3Connection)
 * of one object: every field is set in this constructor, so the connection keeps one monomorphic shape
 * (STYLE §3.4), and members shared between layers are `protected`.
 */
import { H3Error, ProtocolError, QpackError, UsageError } from '../common/errors.js';
import { VARINT_TOO_LARGE, readVarint, varintLengthFromFirstByte } from '../common/varint.js';
import { QpackDecoder } from '../qpack/decoder.js';
import { QpackEncoder } from '../qpack/encoder.js';
import { StreamTable } from '../qpack/stream-table.js';
import { H3ErrorCode, h3Error } from './errors.js';
import type { Field, Http3ConnectionOptions, Http3Event, Http3WebTransportEvent } from './events.js';
import { encodeFrame, writeFrameHeader } from './frame/header.js';
import { FrameReader } from './frame/reader.js';
import { DEFAULT_PEER_SETTINGS, SettingsId, encodeSettings } from './frame/settings.js';
import type { Http3Settings } from './frame/settings.js';
import { FrameType } from './frame/types.js';
import { resolveHttp3Limits } from './limits.js';
import type { Http3Limits } from './limits.js';
import { OutputQueue } from './output.js';
import { RECV_INCOMPLETE, RECV_UNEXPECTED, RecvInput, RecvState, transitionRecv } from './recv-state.js';
import type { RecvInputCode } from './recv-state.js';
import { SEND_INVALID, SendInput, SendState, transitionSend } from './send-state.js';
import type { SendInputCode } from './send-state.js';
import { ConnInput, ConnState, transitionConn } from './shutdown.js';
import type { ConnInputCode, ConnStateCode } from './shutdown.js';
import { RequestStream, UniStream, UniStreamType, WtStreamRecord } from './streams.js';

/** Shared empty chunk (a bare FIN). */
export const EMPTY = new Uint8Array(0);
/** Largest frame header: a one-byte type (HEADERS, DATA) and an 8-byte length varint (RFC 9114 §7.1). */
export const MAX_FRAME_HEADER = 9;

/** State and bookkeeping shared by every layer of a connection. */
export abstract class Http3Core {
  readonly role: 'client' | 'server';
  readonly limits: Readonly<Http3Limits>;
  /** Peer's SETTINGS (defaults until they arrive, RFC 9114 §7.2.4.2). */
  peerSettings: Http3Settings;
  /** True once the peer's SETTINGS frame has arrived. */
  hasPeerSettings: boolean;
  /** Changed only by {@link stepConn}. */
  protected connState: ConnStateCode;
  protected readonly isConnectProtocolEnabled: boolean;
  protected readonly isDatagramEnabled: boolean;
  protected readonly decoder: QpackDecoder;
  protected readonly encoder: QpackEncoder;
  protected readonly requests: StreamTable<RequestStream>;
  protected readonly unis: Map<number, UniStream>;
  protected peerControlId: number;
  protected peerEncoderId: number;
  protected peerDecoderId: number;
  protected readonly controlId: number;
  protected readonly encoderId: number;
  protected readonly decoderId: number;
  protected nextRequestId: number;
  /** Server: lowest client request id not yet seen (the GOAWAY id, §5.2). */
  protected nextPeerRequestId: number;
  /** Server: request stream ids below `nextPeerRequestId` opened implicitly and not seen yet (bounded). */
  protected readonly skippedPeerIds: Set<number>;
  protected activePeerRequests: number;
  protected goawaySentId: number;
  protected goawayReceivedId: number;
  protected readonly out: OutputQueue;
  /** SETTINGS_WEBTRANSPORT_MAX_SESSIONS we announced; 0 when WebTransport is off. */
  protected readonly wtMaxSessions: number;
  /** WebTransport streams (both directions, local and peer), routed past the HTTP layer. */
  protected readonly wtStreams: Map<number, WtStreamRecord>;
  /** Peer bidirectional streams whose first varint (0x41 or a frame type) has not fully arrived. */
  protected readonly wtPrefixes: Map<number, Uint8Array>;
  protected nextLocalUniId: number;
  /** Server: next server-initiated bidirectional id, used only by WebTransport (draft §4.2). */
  protected nextServerBidiId: number;
  protected readonly wtEvents: Http3WebTransportEvent[];
  protected wtEventHead: number;
  private readonly events: Http3Event[];
  private eventHead: number;
  private isCloseQueued: boolean;

  constructor(options: Http3ConnectionOptions) {
    this.role = options.role;
    this.limits = resolveHttp3Limits(options.limits);
    this.peerSettings = DEFAULT_PEER_SETTINGS;
    this.hasPeerSettings = false;
    this.connState = ConnState.OPEN;
    this.isConnectProtocolEnabled = options.enableConnectProtocol === true && this.role === 'server';
    this.isDatagramEnabled = options.enableDatagrams === true;
    this.decoder = new QpackDecoder({
      maxTableCapacity: this.limits.qpackMaxTableCapacity,
      maxBlockedStreams: this.limits.maxBlockedStreams,
      maxFieldSectionSize: this.limits.maxFieldSectionSize,
    });
    // RFC 9204 §3.2.3: until the peer's SETTINGS arrive its table capacity is 0, so no dynamic references.
    this.encoder = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
    this.requests = new StreamTable();
    this.unis = new Map();
    this.peerControlId = -1;
    this.peerEncoderId = -1;
    this.peerDecoderId = -1;
    const firstUni = this.role === 'client' ? 2 : 3;
    this.controlId = firstUni;
    this.encoderId = firstUni + 4;
    this.decoderId = firstUni + 8;
    this.nextRequestId = 0;
    this.nextPeerRequestId = 0;
    this.skippedPeerIds = new Set();
    this.activePeerRequests = 0;
    this.goawaySentId = -1;
    this.goawayReceivedId = -1;
    this.out = new OutputQueue();
    this.wtMaxSessions = options.webTransportMaxSessions ?? 0;
    this.wtStreams = new Map();
    this.wtPrefixes = new Map();
    this.nextLocalUniId = firstUni + 12;
    this.nextServerBidiId = 1;
    this.wtEvents = [];
    this.wtEventHead = 0;
    this.events = [];
    this.eventHead = 0;
    this.isCloseQueued = false;

    // RFC 9114 §6.2.1: each side opens its control stream and sends SETTINGS first; RFC 9204 §4.2: the
    // QPACK encoder and decoder streams are opened too (a peer may rely on them existing).
    const settings = encodeSettings({
      qpackMaxTableCapacity: this.limits.qpackMaxTableCapacity,
      qpackBlockedStreams: this.limits.maxBlockedStreams,
      maxFieldSectionSize: this.limits.maxFieldSectionSize,
      enableConnectProtocol: this.isConnectProtocolEnabled,
      h3Datagram: this.isDatagramEnabled,
      extra: [
        ...(options.grease === false ? [] : [[0x21 + 0x1f * 7, 0] as const]),
        ...(this.wtMaxSessions > 0
          ? [
              [SettingsId.SETTINGS_ENABLE_WEBTRANSPORT, 1] as const,
              [SettingsId.SETTINGS_WEBTRANSPORT_MAX_SESSIONS, this.wtMaxSessions] as const,
            ]
          : []),
      ],
    });
    this.out.queueStream(this.controlId, Uint8Array.of(UniStreamType.CONTROL), false);
    this.out.queueStream(this.controlId, encodeFrame(FrameType.SETTINGS, settings), false);
    this.out.queueStream(this.encoderId, Uint8Array.of(UniStreamType.QPACK_ENCODER), false);
    this.out.queueStream(this.decoderId, Uint8Array.of(UniStreamType.QPACK_DECODER), false);
  }

  /**
   * Starts tracking a peer's WebTransport stream; the caller feeds it through {@link receiveWtBytes}.
   * Above `maxWebTransportStreams` the stream is refused with H3_EXCESSIVE_LOAD (STYLE §3.5).
   */
  protected acceptWtStream(id: number): WtStreamRecord | undefined {
    if (this.wtStreams.size >= this.limits.maxWebTransportStreams) {
      if ((id & 2) === 0)
        this.out.push({ type: 'reset', streamId: id, errorCode: H3ErrorCode.H3_EXCESSIVE_LOAD });
      this.out.push({ type: 'stopSending', streamId: id, errorCode: H3ErrorCode.H3_EXCESSIVE_LOAD });
      return undefined;
    }
    const w = new WtStreamRecord(id, false, -1);
    this.wtStreams.set(id, w);
    return w;
  }

  /**
   * Bytes of a WebTransport stream from `pos` on: first the session-id varint (draft-ietf-webtrans-http3 §4),
   * then payload, handed over as `webtransportData` views.
   */
  protected receiveWtBytes(w: WtStreamRecord, bytes: Uint8Array, pos: number, fin: boolean): void {
    if (w.isRecvDone) return;
    if (w.sessionId === -1) {
      while (
        pos < bytes.length &&
        (w.headerLength === 0 || w.headerLength < varintLengthFromFirstByte(w.header[0]!))
      ) {
        w.header[w.headerLength++] = bytes[pos++]!;
      }
      if (w.headerLength === 0 || w.headerLength < varintLengthFromFirstByte(w.header[0]!)) {
        // A stream that ends before naming its session carries nothing anyone can use.
        if (fin) this.releaseWt(w, true, false);
        return;
      }
      const sid = readVarint(w.header, 0, w.headerLength);
      // The session id is a client-initiated bidirectional (request) stream id (draft §4.2).
      if (sid === VARINT_TOO_LARGE || (sid & 3) !== 0) {
        throw h3Error('H3_ID_ERROR', `WebTransport stream ${w.id} names session ${sid}`);
      }
      w.sessionId = sid;
      this.wtEvents.push({
        type: 'webtransportStream',
        streamId: w.id,
        sessionId: sid,
        bidirectional: w.isBidi,
      });
    }
    if (pos < bytes.length || fin) {
      // Lifetime: a view into the caller's chunk, documented on Http3WebTransportDataEvent.
      this.wtEvents.push({
        type: 'webtransportData',
        streamId: w.id,
        data: pos === 0 ? bytes : bytes.subarray(pos),
        fin,
      });
    }
    if (fin) this.releaseWt(w, true, false);
  }

  /** Marks directions of a WebTransport stream done; forgets it when both are. */
  protected releaseWt(w: WtStreamRecord, isRecvDone: boolean, isSendDone: boolean): void {
    if (isRecvDone) w.isRecvDone = true;
    if (isSendDone) w.isSendDone = true;
    if (w.isRecvDone && w.isSendDone) {
      this.wtStreams.delete(w.id);
      if (!w.isBidi) this.unis.delete(w.id);
    }
  }

  /** Resumes streams whose field sections the encoder stream has unblocked (recv.ts). */
  protected abstract resumeUnblocked(): void;

  // ---------------------------------------------------------------- the machines' assignment points

  /** The only place a stream's send state changes; a pair send-state.ts does not allow is API misuse. */
  protected stepSend(s: RequestStream, input: SendInputCode): void {
    s.sendState = this.nextSendState(s, input);
  }

  /** Checks that `input` may be sent on `s` now (before side effects), throwing the same error as stepSend. */
  protected nextSendState(s: RequestStream, input: SendInputCode): RequestStream['sendState'] {
    const next = transitionSend(s.sendState, input);
    if (next !== SEND_INVALID) return next;
    if (s.sendState === SendState.CLOSED) {
      throw new UsageError('ERR_H3_STREAM_CLOSED', `stream ${s.id} is not open for sending`);
    }
    throw new UsageError('ERR_H3_STATE', `stream ${s.id} cannot send ${SEND_INPUT_NAMES[input]} now`);
  }

  /** The only place a stream's receive state changes; invalid pairs raise the RFC 9114 §4.1 errors. */
  protected stepRecv(s: RequestStream, input: RecvInputCode): void {
    const next = transitionRecv(s.recvState, input);
    if (next === RECV_UNEXPECTED) {
      // RFC 9114 §4.1: an invalid frame sequence on a request stream is a connection error.
      throw h3Error(
        'H3_FRAME_UNEXPECTED',
        `unexpected ${input === RecvInput.DATA ? 'DATA' : 'HEADERS'} on stream ${s.id}`,
      );
    }
    if (next === RECV_INCOMPLETE) {
      throw h3Error(
        this.role === 'server' ? 'H3_REQUEST_INCOMPLETE' : 'H3_MESSAGE_ERROR',
        `stream ${s.id} ended before its ${this.role === 'server' ? 'request' : 'response'} headers`,
        'stream',
        s.id,
      );
    }
    s.recvState = next;
    if (next === RecvState.ENDED || next === RecvState.RESET) {
      // Nothing more is read: drop what was held for a blocked field section.
      s.pending = null;
      s.isBlocked = false;
    }
  }

  /** The only place the connection state changes (shutdown.ts). */
  protected stepConn(input: ConnInputCode): void {
    this.connState = transitionConn(this.connState, input);
  }

  // ---------------------------------------------------------------- sending helpers

  protected newReader(): FrameReader {
    return new FrameReader(this.limits.maxFieldSectionSize, this.limits.maxSettingsBytes);
  }

  /** The request stream `streamId`, or a UsageError when it is unknown (never opened, or forgotten). */
  protected streamForSend(streamId: number): RequestStream {
    const s = this.requests.get(streamId);
    if (s === undefined) {
      throw new UsageError('ERR_H3_STREAM_CLOSED', `stream ${streamId} is not open for sending`);
    }
    return s;
  }

  /** Writes a HEADERS frame (RFC 9114 §7.2.2) for `s` into the arena. */
  protected writeHeaders(s: RequestStream, fields: readonly Field[]): void {
    // The section is encoded into the arena behind room for the largest frame header; the header is then
    // written in front of it and the section moved up against it.
    const arena = this.out.reserveArena(256);
    const start = arena.length;
    arena.ensure(MAX_FRAME_HEADER);
    arena.length = start + MAX_FRAME_HEADER;
    try {
      this.encoder.encodeFieldSectionInto(s.id, fields, arena);
    } catch (err) {
      arena.length = start;
      throw err;
    }
    const sectionStart = start + MAX_FRAME_HEADER;
    const length = arena.length - sectionStart;
    const pos = writeFrameHeader(arena.bytes, start, FrameType.HEADERS, length);
    if (pos < sectionStart) arena.bytes.copyWithin(pos, sectionStart, arena.length);
    arena.length = pos + length;
    // Encoder instructions the section depends on go out first (RFC 9204 §2.1.2 would block otherwise).
    this.flushEncoder();
    s.sentBytes += arena.length - start;
    this.out.appendWritten(s.id, start);
  }

  /** Queues FIN on `s`. */
  protected finish(s: RequestStream): void {
    this.stepSend(s, SendInput.FIN);
    this.out.queueStream(s.id, EMPTY, true);
  }

  protected flushEncoder(): void {
    const e = this.encoder.takeEncoderStreamBytes();
    if (e !== null) this.out.queueStream(this.encoderId, e, false);
  }

  protected flushDecoder(): void {
    const d = this.decoder.takeDecoderStreamBytes();
    if (d !== null) this.out.queueStream(this.decoderId, d, false);
  }

  // ---------------------------------------------------------------- events, closing, errors

  protected pushEvent(e: Http3Event): void {
    this.events.push(e);
  }

  /** Next event, or null when nothing is pending. */
  nextEvent(): Http3Event | null {
    if (this.eventHead >= this.events.length) return null;
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as Http3Event;
    if (this.eventHead === this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
    }
    return e;
  }

  /** Next WebTransport stream event (see `webTransportMaxSessions`), or null. */
  nextWebTransportEvent(): Http3WebTransportEvent | null {
    if (this.wtEventHead >= this.wtEvents.length) {
      this.wtEvents.length = 0;
      this.wtEventHead = 0;
      return null;
    }
    return this.wtEvents[this.wtEventHead++]!;
  }

  protected assertOpen(): void {
    if (this.connState === ConnState.CLOSED) throw new UsageError('ERR_H3_CLOSED', 'connection is closed');
  }

  protected isCriticalStream(id: number): boolean {
    return id === this.peerControlId || id === this.peerEncoderId || id === this.peerDecoderId;
  }

  /** Closes the connection now: a `close` output (once), CLOSED, and a `closed` event. */
  protected closeLocally(errorCode: number, reason: string): void {
    if (this.connState === ConnState.CLOSED) return;
    if (!this.isCloseQueued) {
      this.isCloseQueued = true;
      this.out.push({ type: 'close', errorCode, reason });
    }
    this.stepConn(ConnInput.CLOSE);
    this.pushEvent({ type: 'closed', errorCode, initiator: 'local', reason });
  }

  /** Resets both directions of a request stream and reports it. */
  protected abortStream(s: RequestStream, errorCode: number, reason: string): void {
    if (!s.isSendClosed) {
      this.stepSend(s, SendInput.RESET);
      this.out.dropPending(s.id);
      this.out.push({ type: 'reset', streamId: s.id, errorCode });
    }
    if (!s.isRecvClosed) {
      this.out.push({ type: 'stopSending', streamId: s.id, errorCode });
      if (s.recvState === RecvState.AWAIT_HEADERS || s.isBlocked) this.decoder.cancelStream(s.id);
      this.stepRecv(s, RecvInput.RESET);
    }
    this.pushEvent({ type: 'streamReset', streamId: s.id, errorCode, initiator: 'local', reason });
    this.flushDecoder();
    this.forget(s);
  }

  /** Forgets a stream once both directions are done (acknowledgment tracking is informational). */
  protected maybeRelease(s: RequestStream): void {
    if (!s.isRecvClosed || !s.isSendClosed || this.out.hasPending(s.id)) return;
    this.forget(s);
  }

  /** Drops a request stream's record; the single place that updates the concurrency count. */
  protected forget(s: RequestStream): void {
    if (!this.requests.delete(s.id)) return;
    if (this.role === 'server') this.activePeerRequests--;
    this.maybeCloseDrained();
  }

  protected maybeCloseDrained(): void {
    if (this.connState !== ConnState.DRAINING || this.requests.size > 0) return;
    // RFC 9114 §5.2: once every request below the GOAWAY id is done, the connection closes with H3_NO_ERROR.
    if (this.goawaySentId === -1 && this.role === 'client') return; // client keeps going until it says GOAWAY
    if (this.goawaySentId === -1 && this.goawayReceivedId !== -1) return; // peer started: it closes
    this.closeLocally(H3ErrorCode.H3_NO_ERROR, 'graceful shutdown');
  }

  /** Stream-scoped errors become a reset; returns false for anything else. */
  protected handleStreamError(err: unknown): boolean {
    if (!(err instanceof ProtocolError) || err.scope !== 'stream' || err.streamId === undefined) return false;
    const s = this.requests.get(err.streamId);
    if (s !== undefined) this.abortStream(s, err.wireCode, err.message);
    return true;
  }

  /** Error handling of every entry point: stream errors reset the stream, connection errors close and throw. */
  protected handleError(err: unknown): void {
    if (this.handleStreamError(err)) {
      this.flushDecoder();
      return;
    }
    if (err instanceof H3Error || err instanceof QpackError) {
      // STYLE §3.3: connection errors queue the close, move to CLOSED, then throw.
      this.closeLocally(err.wireCode, err.message);
      throw err;
    }
    throw err;
  }
}

/** Names of send inputs, for UsageError messages. */
const SEND_INPUT_NAMES = ['1xx HEADERS', 'HEADERS', 'DATA', 'trailers', 'FIN', 'a reset'] as const;
