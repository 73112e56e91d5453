/**
 * Sans-I/O HTTP/3 connection for both roles (RFC 9114), with QPACK (RFC 9204), extended CONNECT (RFC 9220)
 * and HTTP Datagrams (RFC 9297). No QUIC inside: the caller feeds per-stream bytes (`receiveStream`), stream
 * resets, STOP_SENDING and datagrams, and drains `takeOutput()` into its QUIC connection (STYLE §3.1).
 *
 * Stream ids are allocated here in QUIC order (RFC 9000 §2.1) and reach the output in increasing order per
 * type, so a provider that numbers streams itself ends up with the same ids.
 */
import { ByteBuffer } from '../common/bytes.js';
import { H3Error, ProtocolError, QpackError, UsageError } from '../common/errors.js';
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
} from '../common/varint.js';
import { QpackDecoder } from '../qpack/decoder.js';
import { QpackEncoder } from '../qpack/encoder.js';
import type { HeaderList } from '../qpack/header-list.js';
import { H3ErrorCode, h3Error, h3ErrorName } from './errors.js';
import type { H3ErrorName } from './errors.js';
import { encodeFrame, writeFrameHeader } from './frame/header.js';
import { decodeIdPayload, encodeIdFrame } from './frame/id-frames.js';
import { decodePushPromise } from './frame/push-promise.js';
import { FrameReadResult, FrameReader } from './frame/reader.js';
import { DEFAULT_PEER_SETTINGS, decodeSettings, encodeSettings } from './frame/settings.js';
import type { Http3Settings } from './frame/settings.js';
import { FrameStreamKind, FrameType, isFrameAllowed, isHttp2OnlyFrameType } from './frame/types.js';
import { resolveHttp3Limits } from './limits.js';
import type { Http3Limits } from './limits.js';
import { SectionKind, validateFieldSection } from './message.js';
import {
  RecvInput,
  RecvPhase,
  RequestStream,
  SendPhase,
  UniStream,
  UniStreamType,
  isBidirectional,
  isClientInitiated,
  transitionRecv,
} from './streams.js';
import type { RecvInputCode } from './streams.js';
import { StreamTable } from '../qpack/stream-table.js';

/** A field line as sent or received: `[name, value]`, names lowercase. */
export type Field = readonly [name: string, value: string];

/** Options of {@link Http3Connection}. */
export interface Http3ConnectionOptions {
  readonly role: 'client' | 'server';
  readonly limits?: Partial<Http3Limits>;
  /** Send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (server; RFC 9220 §3). Default false. */
  readonly enableConnectProtocol?: boolean;
  /** Send SETTINGS_H3_DATAGRAM = 1 (RFC 9297 §2.1.1); the QUIC provider must support DATAGRAM frames. */
  readonly enableDatagrams?: boolean;
  /** Send a reserved setting (RFC 9114 §7.2.4.1) to keep peers honest. Default true. */
  readonly grease?: boolean;
}

/** Events, one complete unit each (STYLE §3.1). */
export type Http3Event =
  | { readonly type: 'settings'; readonly settings: Http3Settings }
  | {
      readonly type: 'request';
      readonly streamId: number;
      readonly method: string;
      readonly scheme: string | undefined;
      readonly authority: string | undefined;
      readonly path: string | undefined;
      /** `:protocol` of an extended CONNECT (RFC 9220). */
      readonly protocol: string | undefined;
      readonly headers: Array<[string, string]>;
    }
  | {
      readonly type: 'response';
      readonly streamId: number;
      readonly status: number;
      readonly headers: Array<[string, string]>;
      /** True for 1xx responses; a final response follows. */
      readonly isInformational: boolean;
    }
  | { readonly type: 'trailers'; readonly streamId: number; readonly headers: Array<[string, string]> }
  /** Lifetime: `data` views the chunk given to `receiveStream` (or an internal buffer); valid until the next call into the connection. */
  | { readonly type: 'data'; readonly streamId: number; readonly data: Uint8Array }
  | { readonly type: 'end'; readonly streamId: number }
  | {
      readonly type: 'streamReset';
      readonly streamId: number;
      readonly code: number;
      readonly initiator: 'local' | 'remote';
      readonly reason: string;
    }
  | { readonly type: 'stopSending'; readonly streamId: number; readonly code: number }
  | { readonly type: 'goaway'; readonly id: number }
  /** Lifetime: `payload` views the datagram given to `receiveDatagram`. */
  | { readonly type: 'datagram'; readonly streamId: number; readonly payload: Uint8Array }
  | {
      readonly type: 'closed';
      readonly code: number;
      readonly initiator: 'local' | 'remote';
      readonly reason: string;
    };

/** What the QUIC provider must do next. A `stream` item for a local id never seen before opens that stream. */
export type Http3Output =
  | {
      readonly type: 'stream';
      readonly streamId: number;
      readonly chunks: Uint8Array[];
      readonly fin: boolean;
    }
  | { readonly type: 'reset'; readonly streamId: number; readonly code: number }
  | { readonly type: 'stopSending'; readonly streamId: number; readonly code: number }
  | { readonly type: 'datagram'; readonly payload: Uint8Array }
  /** Close the QUIC connection with this application error code (H3_NO_ERROR after a graceful shutdown). */
  | { readonly type: 'close'; readonly code: number; readonly reason: string };

interface StreamItem {
  readonly type: 'stream';
  readonly streamId: number;
  chunks: Uint8Array[];
  fin: boolean;
  /**
   * Bytes of this stream written into an output arena, `[tailStart, tailEnd)` of `tailBuf`, not yet cut
   * into `chunks`: frames written one after another for a stream (HEADERS, then a DATA frame header)
   * become one chunk.
   */
  tailBuf: ByteBuffer | null;
  tailStart: number;
  tailEnd: number;
}

const ConnState = {
  OPEN: 0,
  /** GOAWAY sent or received: no new requests; closes when the last request stream finishes. */
  DRAINING: 1,
  CLOSED: 2,
} as const;
type ConnStateCode = (typeof ConnState)[keyof typeof ConnState];

const EMPTY = new Uint8Array(0);
/** Largest frame header: a one-byte type (HEADERS, DATA) and an 8-byte length varint (RFC 9114 §7.1). */
const MAX_FRAME_HEADER = 9;
/** Size of an output arena (see Http3Connection.arena). */
const ARENA_SIZE = 65536;
/** RFC 9297 §2.1: the Quarter Stream ID is at most 2^60-1 (stream ids end at 2^62-1). */
const MAX_QUARTER_STREAM_ID = 2 ** 60 - 1;

/** One HTTP/3 connection, client or server. */
export class Http3Connection {
  readonly role: 'client' | 'server';
  readonly limits: Readonly<Http3Limits>;
  /** Peer's SETTINGS (defaults until they arrive, RFC 9114 §7.2.4.2). */
  peerSettings: Http3Settings;
  /** True once the peer's SETTINGS frame has arrived. */
  hasPeerSettings: boolean;
  private state: ConnStateCode;
  private readonly isConnectProtocolEnabled: boolean;
  private readonly isDatagramEnabled: boolean;
  private readonly decoder: QpackDecoder;
  private readonly encoder: QpackEncoder;
  private readonly requests: StreamTable<RequestStream>;
  private readonly unis: Map<number, UniStream>;
  private peerControlId: number;
  private peerEncoderId: number;
  private peerDecoderId: number;
  private readonly controlId: number;
  private readonly encoderId: number;
  private readonly decoderId: number;
  private nextUniId: number;
  private nextRequestId: number;
  /** Server: lowest client request id not yet seen (the GOAWAY id, §5.2). */
  private nextPeerRequestId: number;
  /** Server: request stream ids below `nextPeerRequestId` opened implicitly and not seen yet (bounded). */
  private readonly skippedPeerIds: Set<number>;
  private activePeerRequests: number;
  private goawaySentId: number;
  private goawayReceivedId: number;
  private readonly output: Array<Http3Output | StreamItem>;
  private outputHead: number;
  private readonly pendingData: StreamTable<StreamItem>;
  private readonly events: Http3Event[];
  private eventHead: number;
  private closeQueued: boolean;
  /**
   * Output arena: frames are written here and handed out as views. Bump allocation only (never cleared
   * or rewritten), so a view handed out stays valid; a full arena is replaced, not reused (STYLE §3.4).
   */
  private arena: ByteBuffer;

  constructor(options: Http3ConnectionOptions) {
    this.role = options.role;
    this.limits = resolveHttp3Limits(options.limits);
    this.peerSettings = DEFAULT_PEER_SETTINGS;
    this.hasPeerSettings = false;
    this.state = ConnState.OPEN;
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
    this.nextUniId = firstUni + 12;
    this.nextRequestId = 0;
    this.nextPeerRequestId = 0;
    this.skippedPeerIds = new Set();
    this.activePeerRequests = 0;
    this.goawaySentId = -1;
    this.goawayReceivedId = -1;
    this.output = [];
    this.outputHead = 0;
    this.pendingData = new StreamTable();
    this.events = [];
    this.eventHead = 0;
    this.closeQueued = false;
    this.arena = new ByteBuffer(ARENA_SIZE);

    // RFC 9114 §6.2.1: each side opens its control stream and sends SETTINGS first; RFC 9204 §4.2: the
    // QPACK encoder and decoder streams are opened too (a peer may rely on them existing).
    const settings = encodeSettings({
      qpackMaxTableCapacity: this.limits.qpackMaxTableCapacity,
      qpackBlockedStreams: this.limits.maxBlockedStreams,
      maxFieldSectionSize: this.limits.maxFieldSectionSize,
      enableConnectProtocol: this.isConnectProtocolEnabled,
      h3Datagram: this.isDatagramEnabled,
      extra: options.grease === false ? [] : [[0x21 + 0x1f * 7, 0]],
    });
    this.queueStream(this.controlId, Uint8Array.of(UniStreamType.CONTROL), false);
    this.queueStream(this.controlId, encodeFrame(FrameType.SETTINGS, settings), false);
    this.queueStream(this.encoderId, Uint8Array.of(UniStreamType.QPACK_ENCODER), false);
    this.queueStream(this.decoderId, Uint8Array.of(UniStreamType.QPACK_DECODER), false);
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Consumes bytes of stream `streamId` (in order, as QUIC delivers them); `fin` marks the end of the stream.
   * Stream errors reset the stream and emit `streamReset`; connection errors queue a `close` output, emit
   * `closed` and throw the {@link H3Error} or {@link QpackError}.
   */
  receiveStream(streamId: number, bytes: Uint8Array, fin: boolean): void {
    if (this.state === ConnState.CLOSED) return;
    try {
      // Decoder stream bytes (acknowledgments, increments) are coalesced and queued by takeOutput.
      if (isBidirectional(streamId)) this.receiveRequestStream(streamId, bytes, fin);
      else this.receiveUniStream(streamId, bytes, fin);
    } catch (err) {
      this.handleError(err);
    }
  }

  /** The peer reset its sending side of `streamId` (QUIC RESET_STREAM) with application error `code`. */
  receiveStreamReset(streamId: number, code: number): void {
    if (this.state === ConnState.CLOSED) return;
    try {
      if (!isBidirectional(streamId)) {
        if (this.isCriticalStream(streamId)) {
          // RFC 9114 §6.2.1, RFC 9204 §4.2: closing a critical stream is H3_CLOSED_CRITICAL_STREAM.
          throw h3Error('H3_CLOSED_CRITICAL_STREAM', `peer reset critical stream ${streamId}`);
        }
        this.unis.delete(streamId);
        return;
      }
      const s = this.requests.get(streamId);
      if (s === undefined || s.isRecvClosed) return;
      this.closeRecv(s);
      this.decoder.cancelStream(streamId);
      this.pushEvent({ type: 'streamReset', streamId, code, initiator: 'remote', reason: h3ErrorName(code) });
      this.flushDecoder();
      this.maybeRelease(s);
    } catch (err) {
      this.handleError(err);
    }
  }

  /** The peer asked us to stop sending on `streamId` (QUIC STOP_SENDING). Our side of it is reset. */
  receiveStopSending(streamId: number, code: number): void {
    if (this.state === ConnState.CLOSED) return;
    try {
      if (streamId === this.controlId || streamId === this.encoderId || streamId === this.decoderId) {
        throw h3Error('H3_CLOSED_CRITICAL_STREAM', `peer sent STOP_SENDING for critical stream ${streamId}`);
      }
      const s = this.requests.get(streamId);
      if (s === undefined) return;
      if (s.sendPhase !== SendPhase.CLOSED) {
        s.sendPhase = SendPhase.CLOSED;
        this.dropPending(streamId);
        // RFC 9000 §3.5: STOP_SENDING is answered with RESET_STREAM; H3_REQUEST_CANCELLED unless told otherwise.
        this.output.push({
          type: 'reset',
          streamId,
          code: code === 0 ? H3ErrorCode.H3_REQUEST_CANCELLED : code,
        });
      }
      this.pushEvent({ type: 'stopSending', streamId, code });
      this.maybeRelease(s);
    } catch (err) {
      this.handleError(err);
    }
  }

  /** The QUIC provider reports that `bytes` more bytes of stream `streamId` were acknowledged by the peer. */
  onStreamAcked(streamId: number, bytes: number): void {
    const s = this.requests.get(streamId);
    if (s === undefined) return;
    s.ackedBytes += bytes;
    this.maybeRelease(s);
  }

  /** An HTTP/3 datagram (RFC 9297 §2.1) arrived in a QUIC DATAGRAM frame. */
  receiveDatagram(payload: Uint8Array): void {
    if (this.state === ConnState.CLOSED) return;
    try {
      // RFC 9297 §2.1.1: datagrams are only valid once SETTINGS_H3_DATAGRAM was sent.
      if (!this.isDatagramEnabled)
        throw h3Error('H3_DATAGRAM_ERROR', 'HTTP datagram received but not enabled');
      if (payload.length === 0) throw h3Error('H3_DATAGRAM_ERROR', 'empty HTTP datagram');
      const q = readVarint(payload, 0, payload.length);
      if (q === VARINT_INCOMPLETE || q === VARINT_TOO_LARGE || q > MAX_QUARTER_STREAM_ID) {
        throw h3Error('H3_DATAGRAM_ERROR', 'invalid Quarter Stream ID');
      }
      const streamId = q * 4;
      const s = this.requests.get(streamId);
      // RFC 9297 §2.1: datagrams for streams that are not open (yet or any more) may be dropped.
      if (s === undefined || s.isRecvClosed) return;
      this.pushEvent({
        type: 'datagram',
        streamId,
        payload: payload.subarray(varintLengthFromFirstByte(payload[0]!)),
      });
    } catch (err) {
      this.handleError(err);
    }
  }

  /** The QUIC connection closed (peer's CONNECTION_CLOSE, idle timeout...). */
  receiveClose(code: number, reason = ''): void {
    if (this.state === ConnState.CLOSED) return;
    this.state = ConnState.CLOSED;
    this.pushEvent({ type: 'closed', code, initiator: 'remote', reason });
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

  /** HTTP/3 itself keeps no timers; present for the common shape (STYLE §3.1). */
  nextDeadline(): number | undefined {
    return undefined;
  }

  /** No-op: see {@link nextDeadline}. */
  handleTimeout(nowMs: number): void {
    // Nothing expires at the HTTP/3 layer; idle and handshake timers belong to the QUIC provider.
    if (!(nowMs >= 0)) throw new UsageError('ERR_INVALID_ARG', `nowMs must be a non-negative number`);
  }

  // ---------------------------------------------------------------- sending

  /**
   * Client: opens a request stream and sends its HEADERS. `fields` holds pseudo-headers first
   * (`:method`, `:scheme`, `:authority`, `:path`, optionally `:protocol`). Returns the stream id.
   */
  request(fields: readonly Field[], endStream = false): number {
    if (this.role !== 'client') throw new UsageError('ERR_H3_ROLE', 'only a client sends requests');
    this.assertOpen();
    if (this.state !== ConnState.OPEN || this.goawayReceivedId !== -1) {
      throw new UsageError('ERR_H3_GOAWAY', 'connection is shutting down; no new requests');
    }
    let method = '';
    let hasProtocol = false;
    for (const [n, v] of fields) {
      if (n === ':method') method = v;
      else if (n === ':protocol') hasProtocol = true;
    }
    if (hasProtocol && !this.peerSettings.enableConnectProtocol) {
      // RFC 9220 §3: a client must not send :protocol before the server allowed it.
      throw new UsageError('ERR_H3_CONNECT_PROTOCOL', 'peer has not sent SETTINGS_ENABLE_CONNECT_PROTOCOL');
    }
    const id = this.nextRequestId;
    this.nextRequestId += 4;
    const s = new RequestStream(id, this.newReader());
    s.isHeadRequest = method === 'HEAD';
    s.isConnect = method === 'CONNECT';
    this.requests.set(id, s);
    this.writeHeaders(s, fields);
    s.sendPhase = SendPhase.BODY;
    if (endStream) this.finish(s);
    return id;
  }

  /**
   * Server: sends a response field section (1xx any number of times, then the final one). Client: not used.
   * With `endStream` the stream ends after it.
   */
  respond(streamId: number, fields: readonly Field[], endStream = false): void {
    if (this.role !== 'server') throw new UsageError('ERR_H3_ROLE', 'only a server sends responses');
    this.assertOpen();
    const s = this.sendable(streamId);
    if (s.sendPhase !== SendPhase.IDLE && s.sendPhase !== SendPhase.INFORMATIONAL) {
      throw new UsageError('ERR_H3_STATE', `stream ${streamId} already has a final response`);
    }
    let status = 0;
    for (const [n, v] of fields) if (n === ':status') status = Number(v);
    if (!(status >= 100 && status <= 599)) throw new UsageError('ERR_H3_STATUS', `invalid :status ${status}`);
    this.writeHeaders(s, fields);
    if (status < 200) {
      if (endStream) throw new UsageError('ERR_H3_STATE', 'a 1xx response cannot end the stream');
      s.sendPhase = SendPhase.INFORMATIONAL;
      return;
    }
    s.sendPhase = SendPhase.BODY;
    if (endStream) this.finish(s);
  }

  /**
   * Sends a DATA frame. `data` is passed through by reference (not copied); the caller must not change it
   * until the QUIC provider has taken it.
   */
  sendData(streamId: number, data: Uint8Array, endStream = false): void {
    this.assertOpen();
    const s = this.sendable(streamId);
    if (s.sendPhase !== SendPhase.BODY)
      throw new UsageError('ERR_H3_STATE', `stream ${streamId} cannot send DATA now`);
    if (data.length > 0) {
      // The frame header joins the stream's arena bytes (often right behind its HEADERS frame).
      const arena = this.reserveArena(MAX_FRAME_HEADER);
      const start = arena.length;
      arena.length = writeFrameHeader(arena.bytes, start, FrameType.DATA, data.length);
      s.sentBytes += arena.length - start + data.length;
      this.appendWritten(streamId, start);
      this.queueStream(streamId, data, false);
    }
    if (endStream) this.finish(s);
  }

  /** Sends trailers and ends the stream (RFC 9114 §4.1). */
  sendTrailers(streamId: number, fields: readonly Field[]): void {
    this.assertOpen();
    const s = this.sendable(streamId);
    if (s.sendPhase !== SendPhase.BODY)
      throw new UsageError('ERR_H3_STATE', `stream ${streamId} cannot send trailers now`);
    this.writeHeaders(s, fields);
    s.sendPhase = SendPhase.TRAILERS;
    this.finish(s);
  }

  /** Ends the stream (FIN) without more data. */
  endStream(streamId: number): void {
    this.assertOpen();
    const s = this.sendable(streamId);
    if (s.sendPhase !== SendPhase.BODY && s.sendPhase !== SendPhase.TRAILERS) {
      throw new UsageError('ERR_H3_STATE', `stream ${streamId} has sent no final headers`);
    }
    this.finish(s);
  }

  /**
   * Abandons a request stream both ways: RESET_STREAM and STOP_SENDING with `code`
   * (default H3_REQUEST_CANCELLED, RFC 9114 §4.1.1).
   */
  resetStream(streamId: number, code: number = H3ErrorCode.H3_REQUEST_CANCELLED): void {
    this.assertOpen();
    const s = this.requests.get(streamId);
    if (s === undefined) return;
    this.abortStream(s, code, 'reset by application');
  }

  /** Sends an HTTP datagram (RFC 9297 §2.1) tied to request stream `streamId`. */
  sendDatagram(streamId: number, payload: Uint8Array): void {
    this.assertOpen();
    if (!this.isDatagramEnabled || !this.peerSettings.h3Datagram) {
      throw new UsageError('ERR_H3_DATAGRAM', 'HTTP datagrams need SETTINGS_H3_DATAGRAM on both sides');
    }
    if (!isBidirectional(streamId) || !isClientInitiated(streamId)) {
      throw new UsageError('ERR_H3_DATAGRAM', `stream ${streamId} is not a request stream`);
    }
    const q = streamId / 4;
    const out = new Uint8Array(varintSize(q) + payload.length);
    out.set(payload, writeVarint(out, 0, q));
    this.output.push({ type: 'datagram', payload: out });
  }

  /**
   * Starts a graceful shutdown (RFC 9114 §5.2): sends GOAWAY and accepts no new requests. The server lets
   * every request below the GOAWAY id finish; a client sends GOAWAY 0 (it never allows pushes). When no
   * request stream is left, a `close` output with H3_NO_ERROR follows.
   */
  goAway(): void {
    this.assertOpen();
    if (this.goawaySentId === -1) {
      const id = this.role === 'server' ? this.nextPeerRequestId : 0;
      this.goawaySentId = id;
      this.queueStream(this.controlId, encodeIdFrame(FrameType.GOAWAY, id), false);
    }
    this.state = ConnState.DRAINING;
    this.maybeCloseDrained();
  }

  /** Closes the connection at once with `code` (default H3_NO_ERROR). */
  close(code: number = H3ErrorCode.H3_NO_ERROR, reason = ''): void {
    if (this.state === ConnState.CLOSED) return;
    this.queueClose(code, reason);
    this.state = ConnState.CLOSED;
    this.pushEvent({ type: 'closed', code, initiator: 'local', reason });
  }

  /**
   * Next output for the QUIC provider, or null. Stream chunks are handed over for good: the connection
   * never touches them again (STYLE §3.1).
   */
  takeOutput(): Http3Output | null {
    this.flushEncoder();
    this.flushDecoder();
    while (this.outputHead < this.output.length) {
      const item = this.output[this.outputHead]!;
      this.output[this.outputHead++] = undefined as unknown as Http3Output;
      if (this.outputHead === this.output.length) {
        this.output.length = 0;
        this.outputHead = 0;
      }
      if (item.type === 'stream') {
        if (this.pendingData.get(item.streamId) === item) this.pendingData.delete(item.streamId);
        cutTail(item as StreamItem);
        if (item.chunks.length === 0 && !item.fin) continue; // dropped by a reset
        const s = this.requests.get(item.streamId);
        if (s !== undefined && item.fin) this.maybeRelease(s);
      }
      return item;
    }
    return null;
  }

  /** True once the connection is closed (no more input is processed). */
  isClosed(): boolean {
    return this.state === ConnState.CLOSED;
  }

  /** Request streams still tracked (for tests and graceful shutdown). */
  activeRequestCount(): number {
    return this.requests.size;
  }

  // ---------------------------------------------------------------- internals: request streams

  private receiveRequestStream(id: number, bytes: Uint8Array, fin: boolean): void {
    let s = this.requests.get(id);
    if (s === undefined) {
      if (this.role === 'client' || !isClientInitiated(id)) {
        // RFC 9114 §6.1: server-initiated bidirectional streams are H3_STREAM_CREATION_ERROR; a client
        // receiving data on a request it never sent (or already released) ignores it.
        if (!isClientInitiated(id))
          throw h3Error('H3_STREAM_CREATION_ERROR', `server-initiated bidirectional stream ${id}`);
        return;
      }
      if (id < this.nextPeerRequestId) {
        // Either a stream we already finished with (ignored) or one implicitly opened earlier whose first
        // bytes were reordered behind a later stream's.
        if (!this.skippedPeerIds.delete(id)) return;
      } else {
        // RFC 9000 §3.2: opening stream N implicitly opens every lower stream of its type. A peer within
        // QUIC's MAX_STREAMS (set to this limit) can never skip more ids than the limit; more is a flood
        // that would otherwise make us track arbitrarily many ids.
        const gap = (id - this.nextPeerRequestId) / 4;
        if (this.skippedPeerIds.size + gap > this.limits.maxConcurrentRequestStreams) {
          throw h3Error(
            'H3_EXCESSIVE_LOAD',
            `request stream ${id} skips ${gap} stream ids, above maxConcurrentRequestStreams ${this.limits.maxConcurrentRequestStreams}`,
          );
        }
        for (let k = this.nextPeerRequestId; k < id; k += 4) this.skippedPeerIds.add(k);
      }
      s = this.acceptPeerRequest(id);
      if (s === undefined) return;
    }
    if (s.isRecvClosed) return;
    if (s.isBlocked) {
      this.holdBytes(s, bytes, 0, bytes.length);
      if (fin) s.isPendingFin = true;
      return;
    }
    this.readRequestFrames(s, bytes, 0, bytes.length);
    if (fin && s.canContinue()) this.finishRecv(s);
    else if (fin) s.isPendingFin = true;
  }

  private acceptPeerRequest(id: number): RequestStream | undefined {
    this.nextPeerRequestId = Math.max(this.nextPeerRequestId, id + 4);
    if (this.goawaySentId !== -1 && id >= this.goawaySentId) {
      // RFC 9114 §5.2: requests at or above the GOAWAY id are rejected, never processed.
      this.output.push({ type: 'reset', streamId: id, code: H3ErrorCode.H3_REQUEST_REJECTED });
      this.output.push({ type: 'stopSending', streamId: id, code: H3ErrorCode.H3_REQUEST_REJECTED });
      return undefined;
    }
    if (this.activePeerRequests >= this.limits.maxConcurrentRequestStreams) {
      // STYLE §3.5: a limit breach is H3_EXCESSIVE_LOAD; only this stream is refused.
      this.output.push({ type: 'reset', streamId: id, code: H3ErrorCode.H3_EXCESSIVE_LOAD });
      this.output.push({ type: 'stopSending', streamId: id, code: H3ErrorCode.H3_EXCESSIVE_LOAD });
      this.pushEvent({
        type: 'streamReset',
        streamId: id,
        code: H3ErrorCode.H3_EXCESSIVE_LOAD,
        initiator: 'local',
        reason: `more than ${this.limits.maxConcurrentRequestStreams} concurrent request streams`,
      });
      return undefined;
    }
    const s = new RequestStream(id, this.newReader());
    this.requests.set(id, s);
    this.activePeerRequests++;
    return s;
  }

  private holdBytes(s: RequestStream, bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    s.pending ??= new ByteBuffer(Math.min(1024, end - start));
    if (s.pending.length + (end - start) > this.limits.maxBufferedBytesPerStream) {
      throw h3Error(
        'H3_EXCESSIVE_LOAD',
        `stream ${s.id} would buffer ${s.pending.length + end - start} bytes while blocked, limit ${this.limits.maxBufferedBytesPerStream}`,
        'stream',
        s.id,
      );
    }
    s.pending.append(bytes, start, end);
  }

  private readRequestFrames(s: RequestStream, bytes: Uint8Array, start: number, end: number): void {
    const r = s.reader;
    let pos = start;
    do {
      pos = r.read(bytes, pos, end);
      if (r.result === FrameReadResult.NEED_MORE) break;
      if (r.result === FrameReadResult.DATA) {
        this.onData(s, r.payload, r.payloadStart, r.payloadEnd);
        continue;
      }
      const type = r.frameType;
      if (!isFrameAllowed(type, FrameStreamKind.REQUEST)) {
        throw h3Error('H3_FRAME_UNEXPECTED', `frame type 0x${type.toString(16)} on request stream ${s.id}`);
      }
      if (type === FrameType.PUSH_PROMISE) {
        if (this.role === 'server') throw h3Error('H3_FRAME_UNEXPECTED', 'PUSH_PROMISE from a client');
        const { pushId } = decodePushPromise(r.payload, r.payloadStart, r.payloadEnd);
        // RFC 9114 §7.2.5: a push id above the maximum (none was granted: this client never sends
        // MAX_PUSH_ID) is H3_ID_ERROR.
        throw h3Error('H3_ID_ERROR', `PUSH_PROMISE with push id ${pushId} but no MAX_PUSH_ID was sent`);
      }
      // HEADERS
      const headers = this.decoder.decodeFieldSection(s.id, r.payload.subarray(r.payloadStart, r.payloadEnd));
      if (headers === null) {
        // RFC 9204 §2.1.2: the stream waits for encoder-stream inserts; later bytes are held, bounded.
        s.isBlocked = true;
        this.holdBytes(s, bytes, pos, end);
        return;
      }
      this.onHeaders(s, headers);
      if (s.isRecvClosed) return;
    } while (pos < end);
  }

  private onData(s: RequestStream, payload: Uint8Array, start: number, end: number): void {
    this.stepRecv(s, RecvInput.DATA);
    const n = end - start;
    s.dataBytes += n;
    // RFC 9114 §4.1.2: DATA beyond content-length makes the message malformed.
    if (s.contentLength >= 0 && s.dataBytes > s.contentLength && !this.isBodyless(s)) {
      throw h3Error('H3_MESSAGE_ERROR', `DATA exceeds content-length ${s.contentLength}`, 'stream', s.id);
    }
    if (n > 0) this.pushEvent({ type: 'data', streamId: s.id, data: payload.subarray(start, end) });
  }

  private isBodyless(s: RequestStream): boolean {
    return this.role === 'client' && s.isHeadRequest;
  }

  private onHeaders(s: RequestStream, list: HeaderList): void {
    const lines = list;
    if (s.recvPhase !== RecvPhase.AWAIT_HEADERS) {
      this.stepRecv(s, RecvInput.HEADERS_FINAL);
      const v = validateFieldSection(lines, SectionKind.TRAILERS, false);
      if (v.error !== undefined)
        throw h3Error('H3_MESSAGE_ERROR', `malformed trailers: ${v.error}`, 'stream', s.id);
      this.pushEvent({ type: 'trailers', streamId: s.id, headers: v.fields });
      return;
    }
    if (this.role === 'server') {
      const v = validateFieldSection(lines, SectionKind.REQUEST, this.isConnectProtocolEnabled);
      if (v.error !== undefined)
        throw h3Error('H3_MESSAGE_ERROR', `malformed request: ${v.error}`, 'stream', s.id);
      this.stepRecv(s, RecvInput.HEADERS_FINAL);
      const p = v.pseudo;
      s.contentLength = v.contentLength;
      s.isConnect = p.method === 'CONNECT';
      this.pushEvent({
        type: 'request',
        streamId: s.id,
        method: p.method!,
        scheme: p.scheme,
        authority: p.authority,
        path: p.path,
        protocol: p.protocol,
        headers: v.fields,
      });
      return;
    }
    const v = validateFieldSection(lines, SectionKind.RESPONSE, false);
    if (v.error !== undefined)
      throw h3Error('H3_MESSAGE_ERROR', `malformed response: ${v.error}`, 'stream', s.id);
    const status = v.pseudo.status!;
    const isInformational = status < 200;
    this.stepRecv(s, isInformational ? RecvInput.HEADERS_INFORMATIONAL : RecvInput.HEADERS_FINAL);
    // RFC 9110 §6.4.1: 204 and 304 responses have no content whatever content-length says.
    if (!isInformational) s.contentLength = status === 204 || status === 304 ? -1 : v.contentLength;
    this.pushEvent({ type: 'response', streamId: s.id, status, headers: v.fields, isInformational });
  }

  private stepRecv(s: RequestStream, input: RecvInputCode): void {
    const next = transitionRecv(s.recvPhase, input);
    if (next === -1) {
      // RFC 9114 §4.1: an invalid frame sequence on a request stream is a connection error.
      throw h3Error(
        'H3_FRAME_UNEXPECTED',
        `unexpected ${input === RecvInput.DATA ? 'DATA' : 'HEADERS'} on stream ${s.id}`,
      );
    }
    if (next === -2) {
      throw h3Error(
        this.role === 'server' ? 'H3_REQUEST_INCOMPLETE' : 'H3_MESSAGE_ERROR',
        `stream ${s.id} ended before its ${this.role === 'server' ? 'request' : 'response'} headers`,
        'stream',
        s.id,
      );
    }
    s.recvPhase = next;
  }

  private finishRecv(s: RequestStream): void {
    // RFC 9114 §7.1: a stream that ends inside a frame is H3_FRAME_ERROR.
    if (!s.reader.isAtFrameBoundary()) throw h3Error('H3_FRAME_ERROR', `stream ${s.id} ended inside a frame`);
    this.stepRecv(s, RecvInput.FIN);
    // RFC 9114 §4.1.2: fewer DATA bytes than content-length is malformed.
    if (s.contentLength >= 0 && s.dataBytes !== s.contentLength && !this.isBodyless(s) && !s.isConnect) {
      throw h3Error(
        'H3_MESSAGE_ERROR',
        `content-length ${s.contentLength} but ${s.dataBytes} bytes of DATA`,
        'stream',
        s.id,
      );
    }
    this.closeRecv(s);
    this.pushEvent({ type: 'end', streamId: s.id });
    this.maybeRelease(s);
  }

  private closeRecv(s: RequestStream): void {
    if (s.isRecvClosed) return;
    s.isRecvClosed = true;
    s.pending = null;
    s.isBlocked = false;
  }

  /** Drops a request stream's record; the single place that updates the concurrency count. */
  private forget(s: RequestStream): void {
    if (!this.requests.delete(s.id)) return;
    if (this.role === 'server') this.activePeerRequests--;
    this.maybeCloseDrained();
  }

  /** Resumes streams whose field sections the encoder stream has unblocked. */
  private resumeUnblocked(): void {
    for (;;) {
      const list = this.decoder.takeUnblocked();
      if (list.length === 0) return;
      for (const u of list) {
        const s = this.requests.get(u.streamId);
        if (s === undefined || s.isRecvClosed || !s.isBlocked) continue;
        try {
          s.isBlocked = false;
          this.onHeaders(s, u.headers);
          const held = s.pending;
          s.pending = null;
          if (held !== null && s.canContinue()) {
            const bytes = held.bytes.subarray(0, held.length);
            this.readRequestFrames(s, bytes, 0, bytes.length);
          }
          if (s.isPendingFin && s.canContinue()) this.finishRecv(s);
        } catch (err) {
          if (!this.handleStreamError(err)) throw err;
        }
      }
    }
  }

  // ---------------------------------------------------------------- internals: unidirectional streams

  private receiveUniStream(id: number, bytes: Uint8Array, fin: boolean): void {
    if (isClientInitiated(id) === (this.role === 'client')) {
      // Our own unidirectional streams never carry data towards us.
      throw h3Error('H3_STREAM_CREATION_ERROR', `data on local unidirectional stream ${id}`);
    }
    let u = this.unis.get(id);
    if (u === undefined) {
      if (this.unis.size >= this.limits.maxUnidirectionalStreams) {
        throw h3Error(
          'H3_EXCESSIVE_LOAD',
          `more than ${this.limits.maxUnidirectionalStreams} unidirectional streams`,
        );
      }
      u = new UniStream(id);
      this.unis.set(id, u);
    }
    let pos = 0;
    if (u.type === -1) {
      while (
        pos < bytes.length &&
        (u.typeLength === 0 || u.typeLength < varintLengthFromFirstByte(u.typeBytes[0]!))
      ) {
        u.typeBytes[u.typeLength++] = bytes[pos++]!;
      }
      if (u.typeLength === 0 || u.typeLength < varintLengthFromFirstByte(u.typeBytes[0]!)) {
        if (fin) this.unis.delete(id);
        return;
      }
      const t = readVarint(u.typeBytes, 0, u.typeLength);
      this.bindUniStream(u, t === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : t);
    }
    if (u.isIgnored) {
      if (fin) this.unis.delete(id);
      return;
    }
    switch (u.type) {
      case UniStreamType.CONTROL:
        this.readControl(u, bytes, pos);
        break;
      case UniStreamType.QPACK_ENCODER:
        if (pos < bytes.length) {
          this.decoder.receiveEncoderStream(pos === 0 ? bytes : bytes.subarray(pos));
          this.resumeUnblocked();
        }
        break;
      case UniStreamType.QPACK_DECODER:
        if (pos < bytes.length) this.encoder.receiveDecoderStream(pos === 0 ? bytes : bytes.subarray(pos));
        break;
      default:
        break;
    }
    if (fin) {
      // RFC 9114 §6.2.1, RFC 9204 §4.2: the control and QPACK streams must never be closed.
      throw h3Error('H3_CLOSED_CRITICAL_STREAM', `peer closed critical stream ${id}`);
    }
  }

  private bindUniStream(u: UniStream, type: number): void {
    u.type = type;
    switch (type) {
      case UniStreamType.CONTROL:
        // RFC 9114 §6.2.1: only one control stream per peer.
        if (this.peerControlId !== -1) throw h3Error('H3_STREAM_CREATION_ERROR', 'second control stream');
        this.peerControlId = u.id;
        u.reader = new FrameReader(this.limits.maxFieldSectionSize, this.limits.maxSettingsBytes);
        return;
      case UniStreamType.QPACK_ENCODER:
        // RFC 9204 §4.2: a second encoder or decoder stream is H3_STREAM_CREATION_ERROR.
        if (this.peerEncoderId !== -1)
          throw h3Error('H3_STREAM_CREATION_ERROR', 'second QPACK encoder stream');
        this.peerEncoderId = u.id;
        return;
      case UniStreamType.QPACK_DECODER:
        if (this.peerDecoderId !== -1)
          throw h3Error('H3_STREAM_CREATION_ERROR', 'second QPACK decoder stream');
        this.peerDecoderId = u.id;
        return;
      case UniStreamType.PUSH:
        // RFC 9114 §6.2.2: a client-initiated push stream is H3_STREAM_CREATION_ERROR; a server's push
        // stream needs a push id this client granted with MAX_PUSH_ID, and it never grants one (§4.6).
        if (this.role === 'server')
          throw h3Error('H3_STREAM_CREATION_ERROR', 'push stream opened by a client');
        throw h3Error('H3_ID_ERROR', 'push stream received but no MAX_PUSH_ID was sent');
      default:
        // RFC 9114 §6.2: unknown (and reserved) stream types are ignored; STOP_SENDING asks the peer to
        // stop, with H3_STREAM_CREATION_ERROR as §6.2 suggests.
        u.isIgnored = true;
        this.output.push({ type: 'stopSending', streamId: u.id, code: H3ErrorCode.H3_STREAM_CREATION_ERROR });
        return;
    }
  }

  private readControl(u: UniStream, bytes: Uint8Array, start: number): void {
    const r = u.reader!;
    let pos = start;
    while (pos < bytes.length) {
      pos = r.read(bytes, pos, bytes.length);
      if (r.result === FrameReadResult.NEED_MORE) break;
      if (r.result === FrameReadResult.DATA) {
        throw h3Error('H3_FRAME_UNEXPECTED', 'DATA on the control stream');
      }
      this.onControlFrame(u, r.frameType, r.payload, r.payloadStart, r.payloadEnd);
    }
  }

  private onControlFrame(u: UniStream, type: number, payload: Uint8Array, start: number, end: number): void {
    if (u.isFirstFrame) {
      u.isFirstFrame = false;
      // RFC 9114 §6.2.1: the first frame on the control stream must be SETTINGS.
      if (type !== FrameType.SETTINGS) {
        throw h3Error('H3_MISSING_SETTINGS', `control stream starts with frame type 0x${type.toString(16)}`);
      }
    } else if (type === FrameType.SETTINGS) {
      // RFC 9114 §7.2.4: SETTINGS more than once is H3_FRAME_UNEXPECTED.
      throw h3Error('H3_FRAME_UNEXPECTED', 'second SETTINGS frame');
    }
    if (isHttp2OnlyFrameType(type) || !isFrameAllowed(type, FrameStreamKind.CONTROL)) {
      throw h3Error('H3_FRAME_UNEXPECTED', `frame type 0x${type.toString(16)} on the control stream`);
    }
    switch (type) {
      case FrameType.SETTINGS:
        this.onSettings(decodeSettings(payload, start, end));
        return;
      case FrameType.GOAWAY:
        this.onGoaway(decodeIdPayload('GOAWAY', payload, start, end));
        return;
      case FrameType.MAX_PUSH_ID: {
        // RFC 9114 §7.2.7: only a client sends MAX_PUSH_ID.
        if (this.role === 'client') throw h3Error('H3_FRAME_UNEXPECTED', 'MAX_PUSH_ID from a server');
        decodeIdPayload('MAX_PUSH_ID', payload, start, end);
        return; // never pushes
      }
      case FrameType.CANCEL_PUSH: {
        const id = decodeIdPayload('CANCEL_PUSH', payload, start, end);
        // RFC 9114 §7.2.3: a push id never promised (server) or never granted (client) is H3_ID_ERROR.
        throw h3Error('H3_ID_ERROR', `CANCEL_PUSH for push id ${id}, which does not exist`);
      }
      default:
        return;
    }
  }

  private onSettings(settings: Http3Settings): void {
    this.peerSettings = settings;
    this.hasPeerSettings = true;
    // RFC 9204 §3.2.3: the encoder may now use a dynamic table up to the peer's capacity. Until now it ran
    // with the §5 defaults (0, 0), so it has no table state to carry over.
    this.encoder.applyPeerSettings(settings.qpackMaxTableCapacity, settings.qpackBlockedStreams);
    this.pushEvent({ type: 'settings', settings });
  }

  private onGoaway(id: number): void {
    if (this.role === 'client') {
      // RFC 9114 §5.2: a server's GOAWAY carries a client-initiated bidirectional stream id.
      if (id % 4 !== 0) throw h3Error('H3_ID_ERROR', `GOAWAY id ${id} is not a client request stream id`);
    }
    // RFC 9114 §5.2: the id must not increase.
    if (this.goawayReceivedId !== -1 && id > this.goawayReceivedId) {
      throw h3Error('H3_ID_ERROR', `GOAWAY id ${id} above the previous ${this.goawayReceivedId}`);
    }
    this.goawayReceivedId = id;
    if (this.state === ConnState.OPEN) this.state = ConnState.DRAINING;
    this.pushEvent({ type: 'goaway', id });
    if (this.role === 'client') {
      // Requests at or above the id were not and will not be processed: safe to retry elsewhere.
      for (const s of this.requests.entries()) {
        if (s.id >= id) this.abortStream(s, H3ErrorCode.H3_REQUEST_REJECTED, 'rejected by GOAWAY');
      }
    }
    this.maybeCloseDrained();
  }

  // ---------------------------------------------------------------- internals: output

  private newReader(): FrameReader {
    return new FrameReader(this.limits.maxFieldSectionSize, this.limits.maxSettingsBytes);
  }

  private writeHeaders(s: RequestStream, fields: readonly Field[]): void {
    // The section is encoded into the arena behind room for the largest frame header; the header is then
    // written in front of it and the section moved up against it (RFC 9114 §7.2.2).
    const arena = this.reserveArena(256);
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
    this.appendWritten(s.id, start);
  }

  private finish(s: RequestStream): void {
    s.sendPhase = SendPhase.CLOSED;
    this.queueStream(s.id, EMPTY, true);
  }

  private sendable(streamId: number): RequestStream {
    const s = this.requests.get(streamId);
    if (s?.sendPhase === SendPhase.CLOSED || s === undefined) {
      throw new UsageError('ERR_H3_STREAM_CLOSED', `stream ${streamId} is not open for sending`);
    }
    return s;
  }

  /** The pending output item of `streamId`, created (and queued) on first use. */
  private pendingItem(streamId: number): StreamItem {
    const item = this.pendingData.get(streamId);
    if (item !== undefined) return item;
    const fresh: StreamItem = {
      type: 'stream',
      streamId,
      chunks: [],
      fin: false,
      tailBuf: null,
      tailStart: 0,
      tailEnd: 0,
    };
    this.pendingData.set(streamId, fresh);
    this.output.push(fresh);
    return fresh;
  }

  /** Queues `chunk` by reference (after anything written for the stream so far). */
  private queueStream(streamId: number, chunk: Uint8Array, fin: boolean): void {
    const item = this.pendingItem(streamId);
    if (chunk.length > 0) {
      cutTail(item);
      item.chunks.push(chunk);
    }
    if (fin) item.fin = true;
  }

  /** The arena, replaced first when fewer than `n` bytes are free (a larger write still grows it). */
  private reserveArena(n: number): ByteBuffer {
    const arena = this.arena;
    if (arena.length + n <= arena.bytes.length) return arena;
    this.arena = new ByteBuffer(Math.max(ARENA_SIZE, n));
    return this.arena;
  }

  /** Adds the arena bytes from `start` to the end, just written for `streamId`, to its output. */
  private appendWritten(streamId: number, start: number): void {
    const item = this.pendingItem(streamId);
    const arena = this.arena;
    if (item.tailBuf === arena && item.tailEnd === start) {
      item.tailEnd = arena.length;
      return;
    }
    cutTail(item);
    item.tailBuf = arena;
    item.tailStart = start;
    item.tailEnd = arena.length;
  }

  private dropPending(streamId: number): void {
    const item = this.pendingData.get(streamId);
    if (item === undefined) return;
    item.chunks = [];
    item.fin = false;
    item.tailBuf = null;
    this.pendingData.delete(streamId);
  }

  private flushEncoder(): void {
    const e = this.encoder.takeEncoderStreamBytes();
    if (e !== null) this.queueStream(this.encoderId, e, false);
  }

  private flushDecoder(): void {
    const d = this.decoder.takeDecoderStreamBytes();
    if (d !== null) this.queueStream(this.decoderId, d, false);
  }

  private queueClose(code: number, reason: string): void {
    if (this.closeQueued) return;
    this.closeQueued = true;
    this.output.push({ type: 'close', code, reason });
  }

  private pushEvent(e: Http3Event): void {
    this.events.push(e);
  }

  private assertOpen(): void {
    if (this.state === ConnState.CLOSED) throw new UsageError('ERR_H3_CLOSED', 'connection is closed');
  }

  private isCriticalStream(id: number): boolean {
    return id === this.peerControlId || id === this.peerEncoderId || id === this.peerDecoderId;
  }

  /** Resets both directions of a request stream and reports it. */
  private abortStream(s: RequestStream, code: number, reason: string): void {
    if (s.sendPhase !== SendPhase.CLOSED) {
      s.sendPhase = SendPhase.CLOSED;
      this.dropPending(s.id);
      this.output.push({ type: 'reset', streamId: s.id, code });
    }
    if (!s.isRecvClosed) {
      this.output.push({ type: 'stopSending', streamId: s.id, code });
      if (s.recvPhase === RecvPhase.AWAIT_HEADERS || s.isBlocked) this.decoder.cancelStream(s.id);
      this.closeRecv(s);
    }
    this.pushEvent({ type: 'streamReset', streamId: s.id, code, initiator: 'local', reason });
    this.flushDecoder();
    this.forget(s);
  }

  /** Forgets a stream once both directions are done (acknowledgment tracking is informational). */
  private maybeRelease(s: RequestStream): void {
    if (!s.isRecvClosed || s.sendPhase !== SendPhase.CLOSED || this.pendingData.has(s.id)) return;
    this.forget(s);
  }

  private maybeCloseDrained(): void {
    if (this.state !== ConnState.DRAINING || this.requests.size > 0) return;
    // RFC 9114 §5.2: once every request below the GOAWAY id is done, the connection closes with H3_NO_ERROR.
    if (this.goawaySentId === -1 && this.role === 'client') return; // client keeps going until it says GOAWAY
    if (this.goawaySentId === -1 && this.goawayReceivedId !== -1) return; // peer started: it closes
    this.close(H3ErrorCode.H3_NO_ERROR, 'graceful shutdown');
  }

  /** Stream-scoped errors become a reset; returns false for anything else. */
  private handleStreamError(err: unknown): boolean {
    if (!(err instanceof ProtocolError) || err.scope !== 'stream' || err.streamId === undefined) return false;
    const s = this.requests.get(err.streamId);
    if (s !== undefined) this.abortStream(s, err.wireCode, err.message);
    return true;
  }

  private handleError(err: unknown): void {
    if (this.handleStreamError(err)) {
      this.flushDecoder();
      return;
    }
    if (err instanceof H3Error || err instanceof QpackError) {
      // STYLE §3.3: connection errors queue the close, move to CLOSED, then throw.
      const code = err.wireCode;
      this.queueClose(code, err.message);
      this.state = ConnState.CLOSED;
      this.pushEvent({ type: 'closed', code, initiator: 'local', reason: err.message });
      throw err;
    }
    throw err;
  }
}

/** Moves a stream item's arena bytes into its chunks (as a view: the arena never rewrites them). */
function cutTail(item: StreamItem): void {
  const buf = item.tailBuf;
  if (buf === null) return;
  item.chunks.push(buf.bytes.subarray(item.tailStart, item.tailEnd));
  item.tailBuf = null;
}

/** Builds the H3Error for a wire name; re-exported for callers that report their own errors. */
export function connectionError(name: H3ErrorName, message: string): H3Error {
  return h3Error(name, message);
}
