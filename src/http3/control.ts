/**
 * Unidirectional streams of a connection (RFC 9114 §6.2, RFC 9204 §4.2): binding a peer's stream to its
 * type, the control stream's frames (SETTINGS, GOAWAY, MAX_PUSH_ID, CANCEL_PUSH; §7.2), and the QPACK
 * encoder and decoder streams, whose bytes go straight to the QPACK decoder and encoder.
 */
import { VARINT_TOO_LARGE, readVarint, varintLengthFromFirstByte } from '../common/varint.js';
import { Http3Core } from './connection-core.js';
import { H3ErrorCode, h3Error } from './errors.js';
import { decodeIdPayload } from './frame/id-frames.js';
import { FrameReadResult, FrameReader } from './frame/reader.js';
import { decodeSettings } from './frame/settings.js';
import type { Http3Settings } from './frame/settings.js';
import { FrameStreamKind, FrameType, isFrameAllowed, isHttp2OnlyFrameType } from './frame/types.js';
import { ConnInput } from './shutdown.js';
import { UniStream, UniStreamType, isClientInitiated } from './streams.js';

/** Unidirectional and control-stream handling on top of {@link Http3Core}. */
export abstract class Http3Control extends Http3Core {
  protected receiveUniStream(id: number, bytes: Uint8Array, fin: boolean): void {
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
    if (u.type === UniStreamType.WEBTRANSPORT_STREAM) {
      const w = this.wtStreams.get(id);
      if (w !== undefined) this.receiveWtBytes(w, bytes, pos, fin);
      else if (fin) this.unis.delete(id);
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
      case UniStreamType.WEBTRANSPORT_STREAM:
        if (this.wtMaxSessions > 0) {
          if (this.acceptWtStream(u.id) === undefined) u.isIgnored = true;
          return;
        }
        this.ignoreUniStream(u);
        return;
      default:
        this.ignoreUniStream(u);
        return;
    }
  }

  private ignoreUniStream(u: UniStream): void {
    // RFC 9114 §6.2: unknown (and reserved) stream types are ignored; STOP_SENDING asks the peer to
    // stop, with H3_STREAM_CREATION_ERROR as §6.2 suggests.
    u.isIgnored = true;
    this.out.push({
      type: 'stopSending',
      streamId: u.id,
      errorCode: H3ErrorCode.H3_STREAM_CREATION_ERROR,
    });
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
    this.stepConn(ConnInput.RECV_GOAWAY);
    // The common vocabulary's lastStreamId (events.ts, Http3GoawayEvent): from a server, the last id below
    // the first one not processed; from a client (a push id, which says nothing about requests), the
    // highest request the client opened, all of which may still be processed.
    const lastStreamId = Math.max((this.role === 'client' ? id : this.nextPeerRequestId) - 4, -1);
    this.pushEvent({ type: 'goaway', lastStreamId, id });
    if (this.role === 'client') {
      // Requests at or above the id were not and will not be processed: safe to retry elsewhere.
      for (const s of this.requests.entries()) {
        if (s.id >= id) this.abortStream(s, H3ErrorCode.H3_REQUEST_REJECTED, 'rejected by GOAWAY');
      }
    }
    this.maybeCloseDrained();
  }
}
