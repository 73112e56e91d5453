/**
 * Http2Connection: one HTTP/2 connection (RFC 9113), either role, without I/O (STYLE §3.1).
 *
 * Feed received bytes to {@link Http2Connection.receive}, pull events with {@link Http2Connection.nextEvent},
 * act with `request`/`respond`/`sendData`/`sendTrailers`/`resetStream`/`ping`/`goAway`, and hand the chunks
 * of {@link Http2Connection.takeOutput} to the socket (writev-ready; DATA payloads are passed by reference).
 * Time comes in as arguments (`receive(chunk, nowMs)`, `handleTimeout(nowMs)`); credit for received DATA goes
 * back to the peer only when the application calls {@link Http2Connection.consumed}.
 *
 * Errors (RFC 9113 §5.4): a stream error never escapes `receive`; it queues RST_STREAM and emits a
 * `streamReset` event. A connection error queues GOAWAY, closes the connection and is thrown; `takeOutput`
 * still returns the GOAWAY so it reaches the peer.
 *
 * Layout, after hyperium/h2's `proto/streams`: this file is the public API; recv.ts handles received
 * frames, send.ts sending and flow control, connection-core.ts the shared state, stream store and errors;
 * frame-reader.ts, field-block.ts, shutdown.ts, window-tuner.ts and output.ts hold one concern each, and
 * events.ts the public types.
 */
import type { ProtocolConnection } from '../common/connection.js';
import { UsageError } from '../common/errors.js';
import { EMPTY, asciiBytes } from './connection-core.js';
import { H2ErrorCode, connectionError } from './errors.js';
import { FieldArray } from './events.js';
import type { Http2Event, Http2Field, RequestOptions } from './events.js';
import { MAX_STREAM_ID, FrameType, newFrameHeader } from './frame/header.js';
import { decodeSettings } from './frame/settings.js';
import { Http2Recv } from './recv.js';
import { ShutdownInput, ShutdownState } from './shutdown.js';
import { CloseReason, StreamInput, StreamState, canReceiveData } from './stream.js';

export type {
  DataEvent,
  DrainEvent,
  EndEvent,
  GoawayEvent,
  Http2ConnectionOptions,
  Http2Event,
  Http2Field,
  Http2Fields,
  Http2Role,
  InformationalEvent,
  PingEvent,
  RequestEvent,
  RequestOptions,
  ResponseEvent,
  SettingsAckEvent,
  SettingsEvent,
  StreamResetEvent,
  TrailersEvent,
} from './events.js';

/** Queued bytes per stream above which `sendData` answers false (asks the caller to wait for `drain`). */
const STREAM_HIGH_WATER = 65536;

/** One HTTP/2 connection, client or server, without I/O: the HTTP/2 {@link ProtocolConnection}. */
export class Http2Connection extends Http2Recv implements ProtocolConnection<Http2Event, Uint8Array[]> {
  /** True once the connection is closed (after a connection error, or `close()`). */
  get isClosed(): boolean {
    return this.isClosedFlag;
  }

  /**
   * True when nothing more will happen: closed, or GOAWAY exchanged/sent and every stream finished.
   * The caller flushes `takeOutput()` and closes the socket.
   */
  get isFinished(): boolean {
    if (this.isClosedFlag) return true;
    const draining = this.shutdownState === ShutdownState.GoawaySent || this.isGoawayReceived;
    return draining && this.streams.size === 0 && this.output.isEmpty;
  }

  /** Number of open streams (any state but idle and closed). */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** True when a new stream may be opened now (peer's SETTINGS_MAX_CONCURRENT_STREAMS, GOAWAY, ids left). */
  get canOpenStream(): boolean {
    return (
      !this.isClosedFlag &&
      !this.isGoawayReceived &&
      this.shutdownState === ShutdownState.Open &&
      this.nextLocalStreamId <= MAX_STREAM_ID &&
      this.activeLocal < this.remoteSettings.maxConcurrentStreams
    );
  }

  /** The highest stream id the peer opened. */
  get lastStreamId(): number {
    return this.lastPeerStreamId;
  }

  /** The current receive window target of new streams (grows with auto-tuning). */
  get streamWindowTarget(): number {
    return this.streamRecvTarget;
  }

  /** True while `streamId` is open (neither idle nor closed). */
  hasStream(streamId: number): boolean {
    return this.streams.has(streamId);
  }

  /** True when we have sent END_STREAM on `streamId` and the peer has not (half-closed local, §5.1). */
  isLocalEnded(streamId: number): boolean {
    return this.streams.get(streamId)?.state === StreamState.HalfClosedLocal;
  }

  /** Octets queued on `streamId` and not yet written to the output. */
  bufferedAmount(streamId: number): number {
    return this.streams.get(streamId)?.queuedBytes ?? 0;
  }

  /** The send window of `streamId` (0 when unknown) and of the connection. */
  sendWindow(streamId = 0): number {
    if (streamId === 0) return this.connSendWindow;
    return this.streams.get(streamId)?.sendWindow ?? 0;
  }

  /**
   * Consumes received bytes. Any split works. Events become available through `nextEvent()`; views they
   * carry stay valid until the next call. Throws the H2Error of a connection error (after queuing GOAWAY).
   */
  receive(chunk: Uint8Array, nowMs?: number): void {
    if (this.isClosedFlag) return;
    if (nowMs !== undefined) this.setNow(nowMs);
    try {
      this.reader.read(chunk);
    } catch (e) {
      throw this.failWith(e);
    }
  }

  /** The next event, or null when more input (or an action) is needed. */
  nextEvent(): Http2Event | null {
    if (this.eventHead >= this.events.length) {
      if (this.events.length > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return null;
    }
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as Http2Event;
    return e;
  }

  /**
   * Returns `bytes` of DATA received on `streamId` as processed: the credit goes back to the peer in
   * WINDOW_UPDATE frames (RFC 9113 §6.9). Unknown or finished streams credit only the connection.
   */
  consumed(streamId: number, bytes: number): void {
    if (this.isClosedFlag || bytes <= 0) return;
    const s = this.streams.get(streamId);
    if (s === undefined) {
      const reason = this.closedReasons.get(streamId);
      // A reset stream already gave its unconsumed bytes back (see dropStream).
      if (reason === CloseReason.ResetSent || reason === CloseReason.ResetReceived) return;
    } else {
      const n = Math.min(bytes, s.unconsumed);
      s.unconsumed -= n;
      if (canReceiveData(s.state)) {
        const inc = s.recv.consume(n);
        if (inc > 0) this.output.writeWindowUpdate(s.id, inc);
      }
    }
    const inc = this.connRecv.consume(bytes);
    if (inc > 0) this.output.writeWindowUpdate(0, inc);
  }

  /** Advances time: settings timeout, graceful-shutdown second GOAWAY, flow-control stalls. May throw. */
  handleTimeout(nowMs: number): void {
    if (this.isClosedFlag) return;
    this.setNow(nowMs);
    try {
      if (this.settingsDeadline !== undefined && nowMs >= this.settingsDeadline) {
        // RFC 9113 §6.5.3: no ACK in time is a connection error SETTINGS_TIMEOUT.
        throw connectionError(
          H2ErrorCode.SETTINGS_TIMEOUT,
          `SETTINGS not acknowledged within ${this.limits.settingsTimeoutMs} ms`,
        );
      }
      if (this.shutdownDeadline !== undefined && nowMs >= this.shutdownDeadline)
        this.stepShutdown(ShutdownInput.ShutdownTimeout, H2ErrorCode.NO_ERROR, EMPTY);
      if (this.stallSince !== undefined && nowMs >= this.stallSince + this.limits.flowControlStallTimeoutMs) {
        this.stallSince = undefined;
        if (this.connSendWindow <= 0) {
          throw connectionError(
            H2ErrorCode.ENHANCE_YOUR_CALM,
            `connection flow-control window closed for ${this.limits.flowControlStallTimeoutMs} ms`,
          );
        }
        for (const s of [...this.blocked]) {
          this.resetLocal(s, H2ErrorCode.CANCEL, undefined);
        }
      }
    } catch (e) {
      throw this.failWith(e);
    }
  }

  /** The earliest time `handleTimeout` has work to do, or undefined. */
  nextDeadline(): number | undefined {
    if (this.isClosedFlag) return undefined;
    let d: number | undefined = this.settingsDeadline;
    if (this.shutdownDeadline !== undefined && (d === undefined || this.shutdownDeadline < d))
      d = this.shutdownDeadline;
    if (this.stallSince !== undefined) {
      const s = this.stallSince + this.limits.flowControlStallTimeoutMs;
      if (d === undefined || s < d) d = s;
    }
    return d;
  }

  /** True when `takeOutput()` would return something. */
  get hasOutput(): boolean {
    if (!this.output.isEmpty) return true;
    if (this.isClosedFlag) return false;
    return this.scheduler.size > 0 || this.shutdownState === ShutdownState.Queued;
  }

  /**
   * Hands over everything queued: control frames, headers, and as much DATA as the flow-control windows
   * allow, in priority order (RFC 9218). The connection never touches a returned chunk again.
   */
  takeOutput(): Uint8Array[] {
    if (!this.isClosedFlag) {
      // A graceful GOAWAY decided since the last call goes out now (shutdown.ts, state Queued).
      if (this.shutdownState === ShutdownState.Queued)
        this.stepShutdown(ShutdownInput.TakeOutput, H2ErrorCode.NO_ERROR, EMPTY);
      this.flushData();
    }
    return this.output.take();
  }

  /** Client: opens a stream with a request head. Returns the stream id. */
  request(fields: ReadonlyArray<Http2Field>, options: RequestOptions = {}): number {
    if (this.isServer) throw new UsageError('ERR_H2_INVALID_ROLE', 'request() is for clients');
    this.checkOpen();
    if (this.isGoawayReceived || this.shutdownState !== ShutdownState.Open) {
      throw new UsageError('ERR_H2_GOAWAY', 'no new streams after GOAWAY');
    }
    if (this.nextLocalStreamId > MAX_STREAM_ID) {
      throw new UsageError(
        'ERR_H2_STREAM_ID_EXHAUSTED',
        'stream identifiers exhausted; open a new connection',
      );
    }
    if (this.activeLocal >= this.remoteSettings.maxConcurrentStreams) {
      throw new UsageError(
        'ERR_H2_STREAM_LIMIT',
        `peer allows ${this.remoteSettings.maxConcurrentStreams} concurrent streams`,
      );
    }
    let method = '';
    let hasProtocol = false;
    for (const f of fields) {
      if (f[0] === ':method') method = f[1];
      else if (f[0] === ':protocol') hasProtocol = true;
    }
    if (hasProtocol && !this.remoteSettings.enableConnectProtocol) {
      throw new UsageError('ERR_H2_CONNECT_PROTOCOL', 'peer did not enable extended CONNECT (RFC 8441)');
    }
    const id = this.nextLocalStreamId;
    this.nextLocalStreamId += 2;
    const s = this.newStream(id, true);
    s.isHead = method === 'HEAD';
    if (options.urgency !== undefined) s.urgency = Math.max(0, Math.min(7, options.urgency | 0));
    if (options.incremental !== undefined) s.incremental = options.incremental;
    s.apply(StreamInput.SendHeaders);
    const endStream = options.endStream === true;
    this.writeHeaderBlock(id, fields, endStream);
    if (endStream) this.endLocal(s);
    this.announceGrowth(s);
    return id;
  }

  /**
   * Sends a response head (server) on `streamId`: interim (1xx, any number, never ending the stream) or
   * final. With `endStream` the response has no body.
   */
  respond(streamId: number, fields: ReadonlyArray<Http2Field>, endStream = false): void {
    const s = this.sendableStream(streamId);
    let status = '';
    for (const f of fields) {
      if (f[0] === ':status') {
        status = f[1];
        break;
      }
    }
    const interim = status.length === 3 && status.charCodeAt(0) === 0x31;
    if (s.hasSentFinalHead)
      throw new UsageError('ERR_H2_HEADERS_SENT', `response already sent on stream ${streamId}`);
    if (interim && endStream)
      throw new UsageError('ERR_H2_INVALID_STATUS', '1xx responses cannot end the stream');
    if (!interim) s.hasSentFinalHead = true;
    s.apply(StreamInput.SendHeaders);
    this.writeHeaderBlock(streamId, fields, endStream);
    if (endStream) this.endLocal(s);
  }

  /**
   * Queues DATA on `streamId` (by reference: do not modify `data` until it has been taken with takeOutput).
   * Returns false when the stream's queue is above its high-water mark; a `drain` event follows once it empties.
   */
  sendData(streamId: number, data: Uint8Array, endStream = false): boolean {
    const s = this.sendableStream(streamId);
    if (s.isEndQueued) throw new UsageError('ERR_H2_STREAM_ENDED', `stream ${streamId} already ended`);
    s.apply(StreamInput.SendData);
    if (data.length > 0) {
      s.queue.push(data);
      s.queuedBytes += data.length;
    }
    if (endStream) s.isEndQueued = true;
    this.schedule(s);
    const ok = s.queuedBytes < STREAM_HIGH_WATER;
    if (!ok) s.wantsDrain = true;
    return ok;
  }

  /** Queues a trailer section that ends the stream after its queued DATA (RFC 9113 §8.1). */
  sendTrailers(streamId: number, fields: ReadonlyArray<Http2Field>): void {
    const s = this.sendableStream(streamId);
    if (s.isEndQueued) throw new UsageError('ERR_H2_STREAM_ENDED', `stream ${streamId} already ended`);
    for (const f of fields) {
      if (f[0].charCodeAt(0) === 0x3a)
        throw new UsageError('ERR_H2_INVALID_HEADER', 'pseudo-header in trailers');
    }
    s.trailers = fields;
    s.isEndQueued = true;
    this.schedule(s);
  }

  /** Resets `streamId` with `errorCode` (default CANCEL). No-op for unknown or closed streams. */
  resetStream(streamId: number, errorCode: number = H2ErrorCode.CANCEL): void {
    if (this.isClosedFlag) return;
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    this.output.writeRst(streamId, errorCode);
    s.apply(StreamInput.SendReset);
    this.dropStream(s, CloseReason.ResetSent);
  }

  /** Changes the scheduling priority of one of our outgoing streams (RFC 9218). */
  setPriority(streamId: number, urgency: number, incremental: boolean): void {
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    this.scheduler.reprioritize(s, Math.max(0, Math.min(7, urgency | 0)), incremental);
  }

  /** Sends PING with 8 octets of `payload` (zeros when omitted); a `pingAck` event follows. */
  ping(payload: Uint8Array = new Uint8Array(8)): void {
    this.checkOpen();
    if (payload.length !== 8) throw new UsageError('ERR_H2_INVALID_PING', 'PING payload must be 8 octets');
    this.output.writePing(false, payload, 0);
  }

  /**
   * Starts shutdown with GOAWAY (RFC 9113 §6.8). With NO_ERROR a server first announces 2^31-1, waits one
   * round trip (a PING) and then sends the real last stream id, so requests in flight are not lost; open
   * streams are finished. Other codes (and clients) send one GOAWAY at once. The first GOAWAY goes out with
   * the next `takeOutput()`; calling `goAway()` again ends the round trip at once, and before that output
   * was taken, only the final GOAWAY is sent. Once it is out, further calls are ignored (shutdown.ts).
   */
  goAway(errorCode: number = H2ErrorCode.NO_ERROR, debug: string = ''): void {
    if (this.isClosedFlag) return;
    const isGraceful = errorCode === H2ErrorCode.NO_ERROR && this.isServer;
    const input = isGraceful ? ShutdownInput.SendGraceful : ShutdownInput.SendGoaway;
    this.stepShutdown(input, errorCode, isGraceful ? EMPTY : asciiBytes(debug));
  }

  /**
   * Closes at once: sends GOAWAY with `errorCode` and the real last stream id unless one was sent, drops
   * every stream. `takeOutput()` still returns what is queued.
   */
  close(errorCode: number = H2ErrorCode.NO_ERROR): void {
    if (this.isClosedFlag) return;
    this.stepShutdown(ShutdownInput.SendGoaway, errorCode, EMPTY);
    this.flushData();
    this.shutdown();
  }

  /**
   * Server, h2c upgrade (RFC 7540 §3.2, kept by RFC 9113 §3.1 for compatibility): applies the client's
   * HTTP2-Settings payload and opens stream 1, half-closed (remote), for the HTTP/1.1 request that asked
   * for the upgrade. Emits its `request` event. Call before the first `receive`.
   */
  acceptUpgrade(
    settingsPayload: Uint8Array,
    request: {
      readonly method: string;
      readonly scheme: string;
      readonly authority: string | undefined;
      readonly path: string;
      readonly fields: ReadonlyArray<readonly [string, string]>;
    },
  ): void {
    if (!this.isServer || this.lastPeerStreamId !== 0) {
      throw new UsageError('ERR_H2_INVALID_UPGRADE', 'acceptUpgrade() is for a fresh server connection');
    }
    try {
      const h = newFrameHeader();
      h.type = FrameType.SETTINGS;
      h.length = settingsPayload.length;
      const f = decodeSettings(h, settingsPayload, 0, settingsPayload.length);
      this.applyRemoteSettings(f.pairs);
    } catch (e) {
      throw this.failWith(e);
    }
    this.lastPeerStreamId = 1;
    const s = this.newStream(1, false);
    s.apply(StreamInput.RecvHeaders);
    s.apply(StreamInput.RecvEndStream);
    s.hasFinalHead = true;
    this.emit({
      type: 'request',
      streamId: 1,
      method: request.method,
      scheme: request.scheme,
      authority: request.authority,
      path: request.path,
      protocol: undefined,
      headers: new FieldArray(request.fields),
      endStream: true,
      contentLength: -1,
    });
    this.emitEnd(1);
  }
}
