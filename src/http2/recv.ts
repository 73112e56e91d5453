/**
 * The receiving side of a connection: every frame the reader cuts is checked against the connection and
 * stream state and becomes events, answers or errors (RFC 9113 §5.4: stream errors never escape; they
 * queue RST_STREAM and emit `streamReset`). Field blocks go through field-block.ts, received DATA feeds
 * window auto-tuning (window-tuner.ts), and our shutdown PING's ACK drives shutdown.ts.
 */
import { H2Error, assertNever } from '../common/errors.js';
import type { HpackHeaderList } from '../hpack/index.js';
import { EMPTY, PING_SHUTDOWN } from './connection-core.js';
import { H2ErrorCode, connectionError, h2ErrorName, remoteError, streamError } from './errors.js';
import { FieldBlockInput, FieldBlockState } from './field-block.js';
import { canIncreaseSendWindow } from './flow-control.js';
import { decodeContinuation } from './frame/continuation.js';
import { decodeData } from './frame/data.js';
import { decodeGoaway } from './frame/goaway.js';
import { FrameFlag, FrameType, requireStream } from './frame/header.js';
import type { FrameHeader } from './frame/header.js';
import { decodeHeaders } from './frame/headers.js';
import { decodePing } from './frame/ping.js';
import { decodePriority } from './frame/priority.js';
import { decodePriorityUpdate } from './frame/priority-update.js';
import { decodePushPromise } from './frame/push-promise.js';
import { decodeRstStream } from './frame/rst-stream.js';
import { decodeSettings } from './frame/settings.js';
import { decodeWindowUpdate } from './frame/window-update.js';
import { validateRequest, validateResponse, validateTrailers } from './message.js';
import { DEFAULT_URGENCY, parsePriority } from './priority/scheduler.js';
import { Http2Send } from './send.js';
import { SettingsId, applySetting } from './settings.js';
import { ShutdownInput, ShutdownState } from './shutdown.js';
import type { StreamRecord } from './stream-record.js';
import {
  ClosedAction,
  CloseReason,
  StreamInput,
  StreamState,
  canReceiveData,
  closedStreamAction,
} from './stream.js';
import { grownTarget } from './window-tuner.js';

/** Frame handlers on top of {@link Http2Send}. */
export abstract class Http2Recv extends Http2Send {
  protected processFrame(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    this.checkFrameOrder(h);
    try {
      this.dispatch(h, bytes, start, end);
    } catch (e) {
      if (e instanceof H2Error && e.scope === 'stream' && e.streamId !== undefined) {
        this.onStreamError(e);
        return;
      }
      throw e;
    }
  }

  protected processDataPart(
    h: FrameHeader,
    bytes: Uint8Array,
    start: number,
    end: number,
    offset: number,
  ): void {
    if (offset === 0) this.checkFrameOrder(h);
    try {
      this.onDataPart(h, bytes, start, end, offset);
    } catch (e) {
      if (e instanceof H2Error && e.scope === 'stream' && e.streamId !== undefined) {
        this.onStreamError(e);
        return;
      }
      throw e;
    }
  }

  /** Checks that may reject a frame whatever its type, at its first octet. */
  protected checkFrameOrder(h: FrameHeader): void {
    // RFC 9113 §6.10 / §4.3: a field block is contiguous; anything else in between is a PROTOCOL_ERROR.
    const block = this.fieldBlock;
    if (block.isOpen && (h.type !== FrameType.CONTINUATION || h.streamId !== block.streamId)) {
      throw connectionError(
        H2ErrorCode.PROTOCOL_ERROR,
        `frame type 0x${h.type.toString(16)} on stream ${h.streamId} inside a field block of stream ${block.streamId}`,
      );
    }
    // RFC 9113 §3.4: the first frame from the peer is SETTINGS (without ACK).
    if (!this.hasReceivedSettings) {
      if (h.type !== FrameType.SETTINGS || (h.flags & 0x1) !== 0) {
        throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'first frame of the peer is not SETTINGS');
      }
      this.hasReceivedSettings = true;
    }
  }

  protected dispatch(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    switch (h.type) {
      case FrameType.DATA:
        this.onData(h, bytes, start, end);
        return;
      case FrameType.HEADERS:
        this.onHeaders(h, bytes, start, end);
        return;
      case FrameType.PRIORITY:
        this.spendControl('PRIORITY');
        decodePriority(h, bytes, start, end);
        return;
      case FrameType.RST_STREAM:
        this.onRstStream(h, bytes, start, end);
        return;
      case FrameType.SETTINGS:
        this.onSettings(h, bytes, start, end);
        return;
      case FrameType.PUSH_PROMISE:
        decodePushPromise(h, bytes, start, end);
        // RFC 9113 §8.4: servers never receive PUSH_PROMISE, and we announce ENABLE_PUSH 0 as a client.
        throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE received but push is disabled');
      case FrameType.PING:
        this.onPing(h, bytes, start, end);
        return;
      case FrameType.GOAWAY:
        this.onGoaway(h, bytes, start, end);
        return;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(h, bytes, start, end);
        return;
      case FrameType.CONTINUATION:
        this.onContinuation(h, bytes, start, end);
        return;
      case FrameType.PRIORITY_UPDATE:
        this.onPriorityUpdate(h, bytes, start, end);
        return;
      default:
        // RFC 9113 §5.5: unknown frame types are ignored (they still count against the flood budget).
        this.spendControl('unknown-type');
        return;
    }
  }

  /** A whole DATA frame: in place in the received chunk, or (padded and cut) in the reader's carry. */
  protected onData(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeData(h, bytes, start, end);
    const s = this.beginData(f.streamId, f.flowLength, f.dataEnd - f.dataStart, f.endStream);
    if (s === undefined) return;
    // Lifetime: a padded frame cut across chunks sits in the reader's one carry buffer, which the next cut
    // frame overwrites (maybe within this receive), and an application may keep DATA (src/client/http2.ts
    // does): such a payload gets a private copy. Unpadded cut frames never get here (onDataPart).
    const data =
      bytes === this.reader.carry
        ? bytes.slice(f.dataStart, f.dataEnd)
        : bytes.subarray(f.dataStart, f.dataEnd);
    this.recvData(s, data, f.endStream);
  }

  /**
   * A part of an unpadded DATA frame cut across reads (frame-reader.ts), delivered without a copy: one
   * `data` event per part, END_STREAM on the last. The whole frame is charged to flow control at its first
   * part, as if it had arrived at once.
   */
  protected onDataPart(h: FrameHeader, bytes: Uint8Array, start: number, end: number, offset: number): void {
    const n = end - start;
    const isLast = offset + n === h.length;
    const endStream = isLast && (h.flags & FrameFlag.END_STREAM) !== 0;
    let s: StreamRecord | undefined;
    if (offset === 0) {
      // RFC 9113 §6.1: DATA frames MUST be associated with a stream.
      requireStream(h, 'DATA');
      // Stays set when the frame is refused or beginData throws: the whole frame was credited back.
      this.isDataSkipped = true;
      s = this.beginData(h.streamId, h.length, h.length, (h.flags & FrameFlag.END_STREAM) !== 0);
      if (s === undefined) return;
      this.isDataSkipped = false;
    } else {
      if (this.isDataSkipped) return;
      s = this.streams.get(h.streamId);
      if (s === undefined || !canReceiveData(s.state)) {
        // Reset since the frame began (by the application, or a stream error on an earlier part): these
        // octets were charged to the connection window at the first part and go back now.
        this.creditConnection(n);
        return;
      }
    }
    this.recvData(s, bytes.subarray(start, end), endStream);
  }

  /**
   * Flow control and stream checks of a DATA frame of `flowLength` octets (`dataLength` without padding).
   * Returns the stream its data goes to, or undefined when the frame is dropped (already credited back).
   */
  protected beginData(
    id: number,
    flowLength: number,
    dataLength: number,
    endStream: boolean,
  ): StreamRecord | undefined {
    // RFC 9113 §6.9: DATA counts against the connection window whatever the stream's state.
    if (!this.connRecv.receive(flowLength)) {
      throw connectionError(
        H2ErrorCode.FLOW_CONTROL_ERROR,
        `DATA of ${flowLength} octets exceeds the connection window ${this.connRecv.window}`,
      );
    }
    const s = this.streams.get(id);
    if (s === undefined || !canReceiveData(s.state)) {
      this.creditConnection(flowLength);
      if (s !== undefined) s.apply(StreamInput.RecvData);
      this.rejectClosed(id, 'DATA');
      return undefined;
    }
    if (!s.recv.receive(flowLength)) {
      this.creditConnection(flowLength);
      throw streamError(
        id,
        H2ErrorCode.FLOW_CONTROL_ERROR,
        `DATA of ${flowLength} octets exceeds the window ${s.recv.window} of stream ${id}`,
      );
    }
    // Padding is discarded here, so its credit goes back at once.
    const padding = flowLength - dataLength;
    if (padding > 0) {
      this.creditConnection(padding);
      const inc = s.recv.consume(padding);
      if (inc > 0 && !endStream) this.output.writeWindowUpdate(id, inc);
    }
    if (dataLength === 0 && !endStream) this.spendEmpty('empty DATA');
    return s;
  }

  /** Delivers DATA (a whole frame's, or a part's) on `s`; `endStream` on the frame's last octets. */
  protected recvData(s: StreamRecord, data: Uint8Array, endStream: boolean): void {
    const id = s.id;
    const n = data.length;
    s.receivedLength += n;
    if (s.expectedLength >= 0) {
      // RFC 9113 §8.1.1: DATA beyond content-length, or ending short of it, makes the message malformed.
      if (s.receivedLength > s.expectedLength || (endStream && s.receivedLength !== s.expectedLength)) {
        this.creditConnection(n);
        throw streamError(
          id,
          H2ErrorCode.PROTOCOL_ERROR,
          `malformed message: ${s.receivedLength} octets of DATA for content-length ${s.expectedLength}`,
        );
      }
    }
    s.unconsumed += n;
    if (n > 0) this.probeBandwidth(n);
    if (endStream) s.apply(StreamInput.RecvEndStream);
    this.emit({ type: 'data', streamId: id, data, endStream });
    if (endStream) this.emitEnd(id);
    if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
  }

  protected onHeaders(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeHeaders(h, bytes, start, end);
    const id = f.streamId;
    const input = this.classifyHeaders(id);
    const blockLength = f.blockEnd - f.blockStart;
    if (blockLength === 0 && !f.endHeaders) this.spendEmpty('empty HEADERS');
    const block = this.fieldBlock;
    block.begin(input, id, f.endStream, f.priority, f.endHeaders, blockLength);
    if (f.endHeaders) {
      const list = block.decode(bytes, f.blockStart, f.blockEnd, true);
      this.onFieldBlock(id, block.finish(), list);
      return;
    }
    block.decode(bytes, f.blockStart, f.blockEnd, false);
  }

  protected onContinuation(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeContinuation(h, bytes, start, end);
    const block = this.fieldBlock;
    if (!block.isOpen) {
      // RFC 9113 §6.10: CONTINUATION must follow HEADERS, PUSH_PROMISE or CONTINUATION without END_HEADERS.
      throw connectionError(
        H2ErrorCode.PROTOCOL_ERROR,
        `CONTINUATION on stream ${f.streamId} without a field block`,
      );
    }
    block.continueWith(f.blockEnd - f.blockStart);
    if (f.blockEnd === f.blockStart && !f.endHeaders) this.spendEmpty('empty CONTINUATION');
    if (!f.endHeaders) {
      block.decode(bytes, f.blockStart, f.blockEnd, false);
      return;
    }
    const list = block.decode(bytes, f.blockStart, f.blockEnd, true);
    const id = block.streamId;
    this.onFieldBlock(id, block.finish(), list);
  }

  /**
   * Decides, before HPACK decoding, what a HEADERS frame on `id` means. Connection errors are thrown now
   * (no need to decode); otherwise the block is decoded to keep HPACK state in sync (RFC 9113 §4.3) and then
   * delivered, ignored or answered with a stream error STREAM_CLOSED (field-block.ts).
   */
  protected classifyHeaders(id: number): FieldBlockInput {
    if (this.streams.has(id)) return FieldBlockInput.RecvHeadersDeliver;
    const peerInitiated = this.isPeerStreamId(id);
    if (peerInitiated && id > this.lastPeerStreamId) {
      if (this.isServer) return FieldBlockInput.RecvHeadersDeliver;
      // RFC 9113 §8.4: a server opens streams only with PUSH_PROMISE, which we disable.
      throw connectionError(H2ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id} opened by the server`);
    }
    if (!peerInitiated && id >= this.nextLocalStreamId) {
      // RFC 9113 §5.1.1: a client must use odd identifiers; HEADERS on our idle stream is a PROTOCOL_ERROR.
      throw connectionError(H2ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
    }
    const reason = this.closedReasons.get(id);
    if (reason === undefined && peerInitiated) {
      // RFC 9113 §5.1.1: a new stream must use an identifier above every one the peer used before.
      throw connectionError(
        H2ErrorCode.PROTOCOL_ERROR,
        `HEADERS on stream ${id}, not above ${this.lastPeerStreamId}`,
      );
    }
    const action = closedStreamAction(reason);
    switch (action) {
      case ClosedAction.Ignore:
        return FieldBlockInput.RecvHeadersIgnore;
      case ClosedAction.StreamError:
        return FieldBlockInput.RecvHeadersReject;
      case ClosedAction.ConnectionError:
        throw connectionError(H2ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
      default:
        return assertNever(action, 'closed-stream action');
    }
  }

  /** A complete field block on `id`, with the disposition decided at its HEADERS frame. */
  protected onFieldBlock(id: number, disposition: FieldBlockState, list: HpackHeaderList): void {
    switch (disposition) {
      case FieldBlockState.Deliver:
        break;
      case FieldBlockState.Ignore:
        return;
      case FieldBlockState.Reject:
        throw streamError(id, H2ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
      case FieldBlockState.Idle:
        // finish() returns the state the block was in, never Idle.
        throw connectionError(H2ErrorCode.INTERNAL_ERROR, `field block on stream ${id} was not open`);
      default:
        assertNever(disposition, 'field-block state');
    }
    const endStream = this.fieldBlock.endStream;
    const s = this.streams.get(id);
    if (s === undefined) {
      this.onRequestHead(id, list, endStream);
      return;
    }
    const priority = this.fieldBlock.priority;
    if (priority !== undefined && priority.dependency === id) {
      throw streamError(id, H2ErrorCode.PROTOCOL_ERROR, `stream ${id} depends on itself`);
    }
    s.apply(StreamInput.RecvHeaders);
    if (!this.isServer && !s.hasFinalHead) {
      const head = validateResponse(list, id);
      if (head.status < 200) {
        // RFC 9113 §8.1: an interim response never ends the stream; 101 is not used in HTTP/2 (§8.6).
        if (endStream || head.status === 101) {
          throw streamError(
            id,
            H2ErrorCode.PROTOCOL_ERROR,
            `malformed message: interim status ${head.status}`,
          );
        }
        this.emit({ type: 'informational', streamId: id, status: head.status, headers: list });
        return;
      }
      s.hasFinalHead = true;
      const noBody = s.isHead || head.status === 204 || head.status === 304;
      s.expectedLength = noBody ? -1 : head.contentLength;
      if (endStream) this.endRemote(s);
      this.emit({ type: 'response', streamId: id, status: head.status, headers: list, endStream });
      if (endStream) this.emitEnd(id);
      if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
      return;
    }
    // RFC 9113 §8.1: a second field section is a trailer section and must end the stream.
    if (!endStream)
      throw streamError(id, H2ErrorCode.PROTOCOL_ERROR, 'malformed message: trailers without END_STREAM');
    validateTrailers(list, id);
    this.endRemote(s);
    this.emit({ type: 'trailers', streamId: id, headers: list });
    this.emitEnd(id);
    if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
  }

  protected onRequestHead(id: number, list: HpackHeaderList, endStream: boolean): void {
    this.lastPeerStreamId = id;
    // RFC 9113 §6.8: streams above the last id of our GOAWAY are ignored.
    if (this.shutdownState === ShutdownState.GoawaySent && id > this.goawayLastStreamId) {
      this.rememberClosed(id, CloseReason.ResetSent);
      return;
    }
    const priority = this.fieldBlock.priority;
    if (priority !== undefined && priority.dependency === id) {
      throw streamError(id, H2ErrorCode.PROTOCOL_ERROR, `stream ${id} depends on itself`);
    }
    // RFC 9113 §5.1.2: above our SETTINGS_MAX_CONCURRENT_STREAMS, refuse the stream (safe to retry).
    if (this.activePeer >= this.localSettings.maxConcurrentStreams) {
      throw streamError(
        id,
        H2ErrorCode.REFUSED_STREAM,
        `more than ${this.localSettings.maxConcurrentStreams} concurrent streams`,
      );
    }
    const head = validateRequest(list, id, this.localSettings.enableConnectProtocol);
    const s = this.newStream(id, false);
    s.apply(StreamInput.RecvHeaders);
    s.hasFinalHead = true;
    s.expectedLength = head.contentLength;
    const pending = this.pendingPriorities.get(id);
    if (pending !== undefined) {
      this.pendingPriorities.delete(id);
      s.urgency = pending.urgency;
      s.incremental = pending.incremental;
    } else if (head.priority !== undefined) {
      const p = parsePriority(head.priority, { urgency: DEFAULT_URGENCY, incremental: false });
      s.urgency = p.urgency;
      s.incremental = p.incremental;
    }
    if (endStream) this.endRemote(s);
    this.announceGrowth(s);
    this.emit({
      type: 'request',
      streamId: id,
      method: head.method,
      scheme: head.scheme,
      authority: head.authority,
      path: head.path,
      protocol: head.protocol,
      headers: list,
      endStream,
      contentLength: head.contentLength,
    });
    if (endStream) this.emitEnd(id);
  }

  /** Applies END_STREAM from the peer, checking content-length (RFC 9113 §8.1.1). */
  protected endRemote(s: StreamRecord): void {
    if (s.expectedLength >= 0 && s.receivedLength !== s.expectedLength) {
      throw streamError(
        s.id,
        H2ErrorCode.PROTOCOL_ERROR,
        `malformed message: ${s.receivedLength} octets of DATA for content-length ${s.expectedLength}`,
      );
    }
    s.apply(StreamInput.RecvEndStream);
  }

  protected onRstStream(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeRstStream(h, bytes, start, end);
    const s = this.streams.get(f.streamId);
    if (s === undefined) {
      // RFC 9113 §6.4: RST_STREAM on an idle stream is a connection PROTOCOL_ERROR; on closed ones, ignored.
      if (this.isIdle(f.streamId)) {
        throw connectionError(H2ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${f.streamId}`);
      }
      return;
    }
    // CVE-2023-44487 (rapid reset): the peer may cancel only so many streams it opened.
    if (!s.isLocal) this.spendReset('RST_STREAM');
    s.apply(StreamInput.RecvReset);
    this.dropStream(s, CloseReason.ResetReceived);
    this.emit({
      type: 'streamReset',
      streamId: f.streamId,
      errorCode: f.errorCode,
      initiator: 'remote',
      error: undefined,
    });
  }

  protected onSettings(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeSettings(h, bytes, start, end);
    if (f.ack) {
      if (this.isSettingsAcked) return;
      this.isSettingsAcked = true;
      this.settingsDeadline = undefined;
      // Our SETTINGS are in force now: shrink stream windows announced below the 65535 default (§6.9.2).
      const delta =
        this.localSettings.initialWindowSize - Math.max(this.localSettings.initialWindowSize, 65535);
      if (delta !== 0) {
        for (const s of this.streams.values()) s.recv.adjust(delta);
        this.streamRecvTarget = this.localSettings.initialWindowSize;
      }
      if (this.localSettings.headerTableSize !== 4096)
        this.decoder.setMaxTableSize(this.localSettings.headerTableSize);
      this.emit({ type: 'settingsAck' });
      return;
    }
    this.spendControl('SETTINGS');
    this.applyRemoteSettings(f.pairs);
    this.output.writeSettingsAck();
    this.emit({ type: 'settings', settings: { ...this.remoteSettings } });
  }

  protected applyRemoteSettings(pairs: readonly number[]): void {
    const r = this.remoteSettings;
    for (let i = 0; i < pairs.length; i += 2) {
      const id = pairs[i]!;
      const value = pairs[i + 1]!;
      if (id === SettingsId.INITIAL_WINDOW_SIZE) {
        // RFC 9113 §6.9.2: the change applies to every stream's send window; overflow is a FLOW_CONTROL_ERROR.
        const delta = value - r.initialWindowSize;
        for (const s of this.streams.values()) {
          if (delta > 0 && !canIncreaseSendWindow(s.sendWindow, delta)) {
            throw connectionError(
              H2ErrorCode.FLOW_CONTROL_ERROR,
              `SETTINGS_INITIAL_WINDOW_SIZE ${value} overflows the window of stream ${s.id}`,
            );
          }
          s.sendWindow += delta;
          if (delta > 0) this.unblock(s);
        }
      } else if (id === SettingsId.HEADER_TABLE_SIZE) {
        this.encoder.setMaxTableSize(value);
      } else if (id === SettingsId.ENABLE_PUSH && !this.isServer && value !== 0) {
        // RFC 9113 §6.5.2: a server must not send ENABLE_PUSH 1.
        throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'server sent SETTINGS_ENABLE_PUSH 1');
      } else if (id === SettingsId.ENABLE_CONNECT_PROTOCOL && r.enableConnectProtocol && value === 0) {
        // RFC 8441 §3: once enabled it must not be disabled.
        throw connectionError(
          H2ErrorCode.PROTOCOL_ERROR,
          'SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 to 0',
        );
      }
      if (!applySetting(r, id, value)) this.remoteExtraSettings.set(id, value);
    }
  }

  protected onPing(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodePing(h, bytes, start, end);
    const payload = bytes.slice(f.dataStart, f.dataStart + 8);
    if (f.ack) {
      if (this.tuner.isProbeAck(payload)) {
        this.onBdpAck();
        return;
      }
      if (payload[0] === PING_SHUTDOWN && this.shutdownState === ShutdownState.Draining) {
        this.stepShutdown(ShutdownInput.RecvShutdownPingAck, H2ErrorCode.NO_ERROR, EMPTY);
        return;
      }
      this.emit({ type: 'pingAck', payload });
      return;
    }
    // CVE-2019-9512 (ping flood): a budget of PINGs, and a bound on unanswered ACKs.
    this.spendControl('PING');
    this.output.queueControl();
    this.output.writePing(true, bytes, f.dataStart);
    this.emit({ type: 'ping', payload });
  }

  protected onGoaway(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeGoaway(h, bytes, start, end);
    // RFC 9113 §6.8: the last stream id must not increase across GOAWAY frames.
    if (f.lastStreamId > this.remoteLastStreamId) {
      throw connectionError(
        H2ErrorCode.PROTOCOL_ERROR,
        `GOAWAY last stream id rose from ${this.remoteLastStreamId} to ${f.lastStreamId}`,
      );
    }
    this.isGoawayReceived = true;
    this.remoteLastStreamId = f.lastStreamId;
    for (const s of [...this.streams.values()]) {
      if (s.isLocal && s.id > f.lastStreamId) {
        // Not processed by the peer: safe to retry elsewhere (RFC 9113 §6.8).
        this.dropStream(s, CloseReason.ResetReceived);
        this.emit({
          type: 'streamReset',
          streamId: s.id,
          errorCode: H2ErrorCode.REFUSED_STREAM,
          initiator: 'remote',
          error: undefined,
        });
      }
    }
    this.emit({
      type: 'goaway',
      lastStreamId: f.lastStreamId,
      errorCode: f.errorCode,
      debugData: bytes.slice(f.debugStart, Math.min(f.debugEnd, f.debugStart + 256)),
    });
    if (f.errorCode !== H2ErrorCode.NO_ERROR) {
      this.closeError = remoteError(
        f.errorCode,
        'connection',
        undefined,
        `peer sent GOAWAY ${h2ErrorName(f.errorCode)}`,
      );
    }
  }

  protected onWindowUpdate(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeWindowUpdate(h, bytes, start, end);
    if (f.streamId === 0) {
      // RFC 9113 §6.9.1: a window above 2^31-1 is a FLOW_CONTROL_ERROR.
      if (!canIncreaseSendWindow(this.connSendWindow, f.increment)) {
        throw connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, `connection window overflow by ${f.increment}`);
      }
      this.connSendWindow += f.increment;
      if (this.connSendWindow > 0) this.stallSince = undefined;
      return;
    }
    const s = this.streams.get(f.streamId);
    if (s === undefined) {
      if (this.isIdle(f.streamId)) {
        throw connectionError(H2ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${f.streamId}`);
      }
      return;
    }
    if (!canIncreaseSendWindow(s.sendWindow, f.increment)) {
      throw streamError(
        s.id,
        H2ErrorCode.FLOW_CONTROL_ERROR,
        `stream ${s.id} window overflow by ${f.increment}`,
      );
    }
    s.sendWindow += f.increment;
    this.unblock(s);
  }

  protected onPriorityUpdate(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodePriorityUpdate(h, bytes, start, end);
    // RFC 9218 §7.1: only clients send PRIORITY_UPDATE.
    if (!this.isServer)
      throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PRIORITY_UPDATE received by a client');
    this.spendControl('PRIORITY_UPDATE');
    const id = f.prioritizedStreamId;
    let value = '';
    for (let i = f.valueStart; i < f.valueEnd && i < f.valueStart + 256; i++)
      value += String.fromCharCode(bytes[i]!);
    const s = this.streams.get(id);
    if (s !== undefined) {
      const p = parsePriority(value, { urgency: s.urgency, incremental: s.incremental });
      this.scheduler.reprioritize(s, p.urgency, p.incremental);
      return;
    }
    if (this.isPeerStreamId(id) && id > this.lastPeerStreamId) {
      // RFC 9218 §7.1: remember it for the stream to come, within the concurrency bound.
      if (this.pendingPriorities.size < this.localSettings.maxConcurrentStreams) {
        this.pendingPriorities.set(
          id,
          parsePriority(value, { urgency: DEFAULT_URGENCY, incremental: false }),
        );
      }
    }
  }

  /** Window auto-tuning (window-tuner.ts): counts DATA octets, probing once per round trip. */
  protected probeBandwidth(n: number): void {
    const max = this.limits.maxReceiveWindowSize;
    const canGrow = this.streamRecvTarget < max || this.connRecv.target < max;
    const probe = this.tuner.countData(n, canGrow, this.nowMs);
    if (probe !== undefined) this.output.writePing(false, probe, 0);
  }

  protected onBdpAck(): void {
    const bdp = this.tuner.onProbeAck(this.nowMs);
    this.rttMs = this.tuner.rttMs;
    const max = this.limits.maxReceiveWindowSize;
    // Grow only while the application keeps up: data it has not consumed is buffering, not bandwidth.
    const c = this.connRecv;
    if ((c.target - c.window - c.pending) * 2 > c.target) {
      this.tuner.onProbeResult(false);
      return;
    }
    const target = grownTarget(bdp, this.streamRecvTarget, max);
    const connTarget = grownTarget(bdp, c.target, max);
    this.tuner.onProbeResult(target !== this.streamRecvTarget || connTarget !== c.target);
    if (target !== this.streamRecvTarget) {
      this.streamRecvTarget = target;
      for (const s of this.streams.values()) {
        if (!canReceiveData(s.state)) continue;
        const inc = s.recv.grow(target);
        if (inc > 0) this.output.writeWindowUpdate(s.id, inc);
      }
    }
    if (connTarget !== c.target) {
      const inc = c.grow(connTarget);
      if (inc > 0) this.output.writeWindowUpdate(0, inc);
    }
  }
}
