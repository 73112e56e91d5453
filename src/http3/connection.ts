/**
 * Sans-I/O HTTP/3 connection for both roles (RFC 9114), with QPACK (RFC 9204), extended CONNECT (RFC 9220)
 * and HTTP Datagrams (RFC 9297). No QUIC inside: the caller feeds per-stream bytes (`receiveStream`), stream
 * resets, STOP_SENDING and datagrams, and drains `takeOutput()` into its QUIC connection (STYLE §3.1). It
 * implements the core contract of src/common/connection.ts ({@link ProtocolConnection}).
 *
 * Stream ids are allocated here in QUIC order (RFC 9000 §2.1) and reach the output in increasing order per
 * type, so a provider that numbers streams itself ends up with the same ids.
 *
 * Layout, as src/http2/: this file is the public API and the sending side; recv.ts reads request streams,
 * control.ts the control and other unidirectional streams, connection-core.ts holds the shared state, the
 * machines' assignment points and error handling; send-state.ts, recv-state.ts and shutdown.ts are the
 * three machines, output.ts the output queue and arena, events.ts the public types.
 */
import { UsageError } from '../common/errors.js';
import type { ProtocolConnection } from '../common/connection.js';
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
} from '../common/varint.js';
import { MAX_FRAME_HEADER } from './connection-core.js';
import { H3ErrorCode, h3Error, h3ErrorName } from './errors.js';
import type { H3Error } from '../common/errors.js';
import type { H3ErrorName } from './errors.js';
import type { Field, Http3Event, Http3Output } from './events.js';
import { writeFrameHeader } from './frame/header.js';
import { encodeIdFrame } from './frame/id-frames.js';
import { FrameType } from './frame/types.js';
import { RecvInput } from './recv-state.js';
import { Http3Recv } from './recv.js';
import { SendInput } from './send-state.js';
import { ConnInput, ConnState } from './shutdown.js';
import {
  RequestStream,
  UniStreamType,
  WEBTRANSPORT_BIDI_SIGNAL,
  WtStreamRecord,
  isBidirectional,
  isClientInitiated,
} from './streams.js';

export type {
  Field,
  Http3ClosedEvent,
  Http3ConnectionOptions,
  Http3DataEvent,
  Http3DatagramEvent,
  Http3EndEvent,
  Http3Event,
  Http3GoawayEvent,
  Http3Output,
  Http3RequestEvent,
  Http3ResponseEvent,
  Http3SettingsEvent,
  Http3StopSendingEvent,
  Http3StreamResetEvent,
  Http3TrailersEvent,
  Http3WebTransportDataEvent,
  Http3WebTransportEvent,
  Http3WebTransportStreamEvent,
} from './events.js';

/** RFC 9297 §2.1: the Quarter Stream ID is at most 2^60-1 (stream ids end at 2^62-1). */
const MAX_QUARTER_STREAM_ID = 2 ** 60 - 1;

/** One HTTP/3 connection, client or server. */
export class Http3Connection extends Http3Recv implements ProtocolConnection<Http3Event, Http3Output | null> {
  /** True once the connection is closed: no more input is processed and actions throw `ERR_H3_CLOSED`. */
  get isClosed(): boolean {
    return this.connState === ConnState.CLOSED;
  }

  /** Request streams still tracked: open in either direction, or with output not yet taken. */
  get activeStreams(): number {
    return this.requests.size;
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Consumes bytes of stream `streamId` (in order, as QUIC delivers them); `fin` marks the end of the stream.
   * Stream errors reset the stream and emit `streamReset`; connection errors queue a `close` output, emit
   * `closed` and throw the {@link H3Error} or QpackError.
   */
  receiveStream(streamId: number, bytes: Uint8Array, fin: boolean): void {
    if (this.connState === ConnState.CLOSED) return;
    try {
      // Decoder stream bytes (acknowledgments, increments) are coalesced and queued by takeOutput.
      if (isBidirectional(streamId)) this.receiveRequestStream(streamId, bytes, fin);
      else this.receiveUniStream(streamId, bytes, fin);
    } catch (err) {
      this.handleError(err);
    }
  }

  /** The peer reset its sending side of `streamId` (QUIC RESET_STREAM) with application error `errorCode`. */
  receiveStreamReset(streamId: number, errorCode: number): void {
    if (this.connState === ConnState.CLOSED) return;
    try {
      const w = this.wtStreams.get(streamId);
      if (w !== undefined) {
        if (w.isRecvDone) return;
        this.releaseWt(w, true, false);
        this.pushEvent({
          type: 'streamReset',
          streamId,
          errorCode,
          initiator: 'remote',
          reason: 'WebTransport stream reset',
        });
        return;
      }
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
      this.stepRecv(s, RecvInput.RESET);
      this.decoder.cancelStream(streamId);
      this.pushEvent({
        type: 'streamReset',
        streamId,
        errorCode,
        initiator: 'remote',
        reason: h3ErrorName(errorCode),
      });
      this.flushDecoder();
      this.maybeRelease(s);
    } catch (err) {
      this.handleError(err);
    }
  }

  /** The peer asked us to stop sending on `streamId` (QUIC STOP_SENDING). Our side of it is reset. */
  receiveStopSending(streamId: number, errorCode: number): void {
    if (this.connState === ConnState.CLOSED) return;
    try {
      if (streamId === this.controlId || streamId === this.encoderId || streamId === this.decoderId) {
        throw h3Error('H3_CLOSED_CRITICAL_STREAM', `peer sent STOP_SENDING for critical stream ${streamId}`);
      }
      const w = this.wtStreams.get(streamId);
      if (w !== undefined) {
        if (w.isSendDone) return;
        this.out.dropPending(streamId);
        // RFC 9000 §3.5: STOP_SENDING is answered with RESET_STREAM carrying the same code.
        this.out.push({ type: 'reset', streamId, errorCode });
        this.releaseWt(w, false, true);
        this.pushEvent({ type: 'stopSending', streamId, errorCode });
        return;
      }
      const s = this.requests.get(streamId);
      if (s === undefined) return;
      if (!s.isSendClosed) {
        this.stepSend(s, SendInput.RESET);
        this.out.dropPending(streamId);
        // RFC 9000 §3.5: STOP_SENDING is answered with RESET_STREAM; H3_REQUEST_CANCELLED unless told otherwise.
        this.out.push({
          type: 'reset',
          streamId,
          errorCode: errorCode === 0 ? H3ErrorCode.H3_REQUEST_CANCELLED : errorCode,
        });
      }
      this.pushEvent({ type: 'stopSending', streamId, errorCode });
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
    if (this.connState === ConnState.CLOSED) return;
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

  /** The QUIC connection closed (peer's CONNECTION_CLOSE, idle timeout...) with application `errorCode`. */
  receiveClose(errorCode: number, reason = ''): void {
    if (this.connState === ConnState.CLOSED) return;
    this.stepConn(ConnInput.CLOSE);
    this.pushEvent({ type: 'closed', errorCode, initiator: 'remote', reason });
  }

  /** HTTP/3 itself keeps no timers: always undefined (STYLE §3.1). */
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
    if (this.connState !== ConnState.OPEN || this.goawayReceivedId !== -1) {
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
    this.stepSend(s, SendInput.HEADERS_FINAL);
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
    const s = this.streamForSend(streamId);
    let status = 0;
    for (const [n, v] of fields) if (n === ':status') status = Number(v);
    if (!(status >= 100 && status <= 599)) throw new UsageError('ERR_H3_STATUS', `invalid :status ${status}`);
    const input = status < 200 ? SendInput.HEADERS_INFORMATIONAL : SendInput.HEADERS_FINAL;
    this.nextSendState(s, input);
    if (input === SendInput.HEADERS_INFORMATIONAL && endStream) {
      throw new UsageError('ERR_H3_STATE', 'a 1xx response cannot end the stream');
    }
    this.writeHeaders(s, fields);
    this.stepSend(s, input);
    if (endStream) this.finish(s);
  }

  /**
   * Sends a DATA frame. `data` is passed through by reference (not copied); the caller must not change it
   * until the QUIC provider has taken it.
   */
  sendData(streamId: number, data: Uint8Array, endStream = false): void {
    this.assertOpen();
    const s = this.streamForSend(streamId);
    this.stepSend(s, SendInput.DATA);
    if (data.length > 0) {
      // The frame header joins the stream's arena bytes (often right behind its HEADERS frame).
      const arena = this.out.reserveArena(MAX_FRAME_HEADER);
      const start = arena.length;
      arena.length = writeFrameHeader(arena.bytes, start, FrameType.DATA, data.length);
      s.sentBytes += arena.length - start + data.length;
      this.out.appendWritten(streamId, start);
      this.out.queueStream(streamId, data, false);
    }
    if (endStream) this.finish(s);
  }

  /** Sends trailers and ends the stream (RFC 9114 §4.1). */
  sendTrailers(streamId: number, fields: readonly Field[]): void {
    this.assertOpen();
    const s = this.streamForSend(streamId);
    this.nextSendState(s, SendInput.TRAILERS);
    this.writeHeaders(s, fields);
    this.stepSend(s, SendInput.TRAILERS);
    this.finish(s);
  }

  /** Ends the stream (FIN) without more data. */
  endStream(streamId: number): void {
    this.assertOpen();
    this.finish(this.streamForSend(streamId));
  }

  /**
   * Abandons a request stream both ways: RESET_STREAM and STOP_SENDING with `errorCode`
   * (default H3_REQUEST_CANCELLED, RFC 9114 §4.1.1).
   */
  resetStream(streamId: number, errorCode: number = H3ErrorCode.H3_REQUEST_CANCELLED): void {
    this.assertOpen();
    const s = this.requests.get(streamId);
    if (s === undefined) return;
    this.abortStream(s, errorCode, 'reset by application');
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
    this.out.push({ type: 'datagram', payload: out });
  }

  /**
   * Opens a WebTransport stream of session `sessionId` (its CONNECT stream id) and queues its header:
   * type 0x54 for unidirectional, signal 0x41 for bidirectional (draft-ietf-webtrans-http3 §4). Returns the
   * new stream id. Needs `webTransportMaxSessions`; stream limits are QUIC's (MAX_STREAMS) and the session's.
   */
  openWebTransportStream(sessionId: number, bidirectional: boolean): number {
    this.assertOpen();
    if (this.wtMaxSessions === 0) {
      throw new UsageError('ERR_H3_WEBTRANSPORT', 'WebTransport is not enabled (webTransportMaxSessions)');
    }
    let id: number;
    if (!bidirectional) {
      id = this.nextLocalUniId;
      this.nextLocalUniId += 4;
    } else if (this.role === 'client') {
      id = this.nextRequestId;
      this.nextRequestId += 4;
    } else {
      id = this.nextServerBidiId;
      this.nextServerBidiId += 4;
    }
    const w = new WtStreamRecord(id, true, sessionId);
    this.wtStreams.set(id, w);
    const type = bidirectional ? WEBTRANSPORT_BIDI_SIGNAL : UniStreamType.WEBTRANSPORT_STREAM;
    const head = new Uint8Array(varintSize(type) + varintSize(sessionId));
    const pos = writeVarint(head, 0, type);
    writeVarint(head, pos, sessionId);
    this.out.queueStream(id, head, false);
    return id;
  }

  /** Queues bytes (by reference) on a WebTransport stream; `fin` ends our side. */
  sendWebTransportData(streamId: number, data: Uint8Array, fin = false): void {
    this.assertOpen();
    const w = this.wtStreams.get(streamId);
    if (w === undefined || w.isSendDone) {
      throw new UsageError('ERR_H3_STREAM_CLOSED', `WebTransport stream ${streamId} is not open for sending`);
    }
    this.out.queueStream(streamId, data, fin);
    if (fin) this.releaseWt(w, false, true);
  }

  /** Resets our side of a WebTransport stream (RESET_STREAM) with an HTTP/3 code (see webtransportCodeToHttp3). */
  resetWebTransportStream(streamId: number, errorCode: number): void {
    this.assertOpen();
    const w = this.wtStreams.get(streamId);
    if (w === undefined || w.isSendDone) return;
    this.out.dropPending(streamId);
    this.out.push({ type: 'reset', streamId, errorCode });
    this.releaseWt(w, false, true);
  }

  /** Asks the peer to stop sending on a WebTransport stream (STOP_SENDING); later bytes are dropped. */
  stopWebTransportStream(streamId: number, errorCode: number): void {
    this.assertOpen();
    const w = this.wtStreams.get(streamId);
    if (w === undefined || w.isRecvDone) return;
    this.out.push({ type: 'stopSending', streamId, errorCode });
    this.releaseWt(w, true, false);
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
      this.out.queueStream(this.controlId, encodeIdFrame(FrameType.GOAWAY, id), false);
    }
    this.stepConn(ConnInput.SEND_GOAWAY);
    this.maybeCloseDrained();
  }

  /** Closes the connection at once with `errorCode` (default H3_NO_ERROR). */
  close(errorCode: number = H3ErrorCode.H3_NO_ERROR, reason = ''): void {
    this.closeLocally(errorCode, reason);
  }

  /**
   * Next output for the QUIC provider, or null. Stream chunks are handed over for good: the connection
   * never touches them again (STYLE §3.1).
   */
  takeOutput(): Http3Output | null {
    this.flushEncoder();
    this.flushDecoder();
    const item = this.out.take();
    if (item !== null && item.type === 'stream' && item.fin) {
      const s = this.requests.get(item.streamId);
      if (s !== undefined) this.maybeRelease(s);
    }
    return item;
  }
}

/** Builds the H3Error for a wire name; re-exported for callers that report their own errors. */
export function connectionError(name: H3ErrorName, message: string): H3Error {
  return h3Error(name, message);
}
