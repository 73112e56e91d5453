/**
 * The receiving side of request streams (RFC 9114 §4.1): accepting a peer's new request stream (limits,
 * GOAWAY), reading its frames, QPACK-blocked field sections held and replayed (RFC 9204 §2.1.2), message
 * validation (§4.1.2, §4.2, §4.3) and the receive machine's inputs (recv-state.ts).
 */
import { ByteBuffer } from '../common/bytes.js';
import type { HeaderList } from '../qpack/header-list.js';
import { Http3Control } from './control.js';
import { H3ErrorCode, h3Error } from './errors.js';
import { decodePushPromise } from './frame/push-promise.js';
import { FrameReadResult } from './frame/reader.js';
import { FrameStreamKind, FrameType, isFrameAllowed } from './frame/types.js';
import { SectionKind, validateFieldSection } from './message.js';
import { RecvInput, RecvState } from './recv-state.js';
import { RequestStream, WEBTRANSPORT_BIDI_SIGNAL, isClientInitiated } from './streams.js';
import { readVarint, varintLengthFromFirstByte } from '../common/varint.js';

/** Request-stream receiving on top of {@link Http3Control}. */
export abstract class Http3Recv extends Http3Control {
  protected receiveRequestStream(id: number, bytes: Uint8Array, fin: boolean): void {
    let s = this.requests.get(id);
    if (s === undefined && this.wtMaxSessions > 0) {
      const w = this.wtStreams.get(id);
      if (w !== undefined) {
        this.receiveWtBytes(w, bytes, 0, fin);
        return;
      }
      const routed = this.routeWtBidi(id, bytes, fin);
      if (routed === undefined) return;
      bytes = routed;
    }
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

  /**
   * A new peer bidirectional stream while WebTransport is on: its first varint is either the WebTransport
   * signal 0x41 (draft-ietf-webtrans-http3 §4.2; the stream is routed to the session) or a frame type (an
   * HTTP request). Returns the bytes to read as a request, or undefined when they were taken (or held until
   * the varint completes).
   */
  private routeWtBidi(id: number, bytes: Uint8Array, fin: boolean): Uint8Array | undefined {
    // Our own (WebTransport) bidirectional streams are in wtStreams; only peer-initiated ones reach here.
    if (isClientInitiated(id) === (this.role === 'client')) return bytes;
    const held = this.wtPrefixes.get(id);
    let all = bytes;
    if (held !== undefined) {
      all = new Uint8Array(held.length + bytes.length);
      all.set(held);
      all.set(bytes, held.length);
    }
    if (all.length === 0 || all.length < varintLengthFromFirstByte(all[0]!)) {
      if (fin) this.wtPrefixes.delete(id);
      else this.wtPrefixes.set(id, all.slice());
      return undefined;
    }
    this.wtPrefixes.delete(id);
    if (readVarint(all, 0, all.length) !== WEBTRANSPORT_BIDI_SIGNAL) return all;
    const w = this.acceptWtStream(id);
    if (w !== undefined) this.receiveWtBytes(w, all, varintLengthFromFirstByte(all[0]!), fin);
    return undefined;
  }

  private acceptPeerRequest(id: number): RequestStream | undefined {
    this.nextPeerRequestId = Math.max(this.nextPeerRequestId, id + 4);
    if (this.goawaySentId !== -1 && id >= this.goawaySentId) {
      // RFC 9114 §5.2: requests at or above the GOAWAY id are rejected, never processed.
      this.out.push({ type: 'reset', streamId: id, errorCode: H3ErrorCode.H3_REQUEST_REJECTED });
      this.out.push({ type: 'stopSending', streamId: id, errorCode: H3ErrorCode.H3_REQUEST_REJECTED });
      return undefined;
    }
    if (this.activePeerRequests >= this.limits.maxConcurrentRequestStreams) {
      // STYLE §3.5: a limit breach is H3_EXCESSIVE_LOAD; only this stream is refused.
      this.out.push({ type: 'reset', streamId: id, errorCode: H3ErrorCode.H3_EXCESSIVE_LOAD });
      this.out.push({ type: 'stopSending', streamId: id, errorCode: H3ErrorCode.H3_EXCESSIVE_LOAD });
      this.pushEvent({
        type: 'streamReset',
        streamId: id,
        errorCode: H3ErrorCode.H3_EXCESSIVE_LOAD,
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

  private onHeaders(s: RequestStream, lines: HeaderList): void {
    if (s.recvState !== RecvState.AWAIT_HEADERS) {
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

  private finishRecv(s: RequestStream): void {
    // RFC 9114 §7.1: a stream that ends inside a frame is H3_FRAME_ERROR.
    if (!s.reader.isAtFrameBoundary()) throw h3Error('H3_FRAME_ERROR', `stream ${s.id} ended inside a frame`);
    // RFC 9114 §4.1.2: fewer DATA bytes than content-length is malformed. Checked before FIN moves the
    // stream to ENDED, so the stream error still stops the (finished) receiving side; before the final
    // HEADERS contentLength is -1 and the FIN input below reports the incomplete message instead.
    if (s.contentLength >= 0 && s.dataBytes !== s.contentLength && !this.isBodyless(s) && !s.isConnect) {
      throw h3Error(
        'H3_MESSAGE_ERROR',
        `content-length ${s.contentLength} but ${s.dataBytes} bytes of DATA`,
        'stream',
        s.id,
      );
    }
    this.stepRecv(s, RecvInput.FIN);
    this.pushEvent({ type: 'end', streamId: s.id });
    this.maybeRelease(s);
  }

  /** Resumes streams whose field sections the encoder stream has unblocked. */
  protected resumeUnblocked(): void {
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
}
