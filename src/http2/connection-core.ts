/**
 * The shared core of {@link Http2Connection}: its state, construction, stream bookkeeping (the store of
 * hyperium/h2's `proto/streams`), flood budgets, error handling (RFC 9113 §5.4) and the shutdown machine's
 * side effects. The layers on top add sending and flow control (send.ts), the frame handlers (recv.ts) and
 * the public API (connection.ts); the pieces with their own state live in their own files: frame-reader.ts,
 * field-block.ts, output.ts, shutdown.ts, window-tuner.ts.
 *
 * The layers are subclasses (ConnectionCore <- Http2Send <- Http2Recv <- Http2Connection) of one object
 * rather than separate objects passing each other around: every field is set in this constructor, so the
 * connection keeps one monomorphic shape (STYLE §3.4), and members shared between layers are `protected`.
 */
import { H2Error, UsageError, assertNever } from '../common/errors.js';
import { resolveLimits } from '../common/limits.js';
import { HpackDecoder, HpackEncoder } from '../hpack/index.js';
import { Budget } from './budget.js';
import { H2ErrorCode, connectionError, streamError } from './errors.js';
import type { Http2ConnectionOptions, Http2Event, Http2Role } from './events.js';
import { FieldBlock } from './field-block.js';
import { RecvWindow } from './flow-control.js';
import { FrameReader } from './frame-reader.js';
import { CONNECTION_PREFACE, MAX_STREAM_ID, MAX_WINDOW_SIZE } from './frame/header.js';
import type { FrameHeader } from './frame/header.js';
import { settingsSize, writeSettings } from './frame/settings.js';
import { DEFAULT_HTTP2_LIMITS } from './limits.js';
import type { Http2Limits } from './limits.js';
import { FrameOutput } from './output.js';
import { PriorityScheduler } from './priority/scheduler.js';
import type { PriorityParams } from './priority/scheduler.js';
import { INITIAL_SETTINGS, SettingsId, settingsToPairs } from './settings.js';
import type { Http2Settings } from './settings.js';
import {
  ShutdownAction,
  ShutdownInput,
  ShutdownState,
  transition as shutdownTransition,
} from './shutdown.js';
import { StreamRecord } from './stream-record.js';
import {
  ClosedAction,
  CloseReason,
  StreamInput,
  StreamState,
  canReceiveData,
  closedStreamAction,
} from './stream.js';
import { WindowTuner } from './window-tuner.js';

/** Shared empty payload (GOAWAY debug data, drained DATA queue slots). */
export const EMPTY = new Uint8Array(0);
/** First octet of our graceful-shutdown PING payload; its ACK releases the final GOAWAY. */
export const PING_SHUTDOWN = 0x67;

/** State and bookkeeping shared by every layer of a connection. */
export abstract class ConnectionCore {
  readonly role: Http2Role;
  readonly limits: Readonly<Http2Limits>;
  /** Settings we announced. */
  readonly localSettings: Readonly<Http2Settings>;
  /** The peer's settings in force. */
  readonly remoteSettings: Http2Settings;
  /**
   * The peer's extension settings: identifiers this core does not know, with their latest values
   * (RFC 9113 §6.5.2 says to ignore them, which we do; extensions such as WebTransport read them here).
   */
  readonly remoteExtraSettings = new Map<number, number>();

  protected readonly isServer: boolean;
  protected readonly decoder: HpackDecoder;
  protected readonly encoder: HpackEncoder;
  protected readonly streams = new Map<number, StreamRecord>();
  protected readonly closedReasons = new Map<number, CloseReason>();
  protected readonly scheduler = new PriorityScheduler<StreamRecord>();
  protected readonly blocked = new Set<StreamRecord>();
  /** Priorities signalled by PRIORITY_UPDATE for streams not yet open (RFC 9218 §7.1). */
  protected readonly pendingPriorities = new Map<number, PriorityParams>();

  // Input: framing, field blocks.
  protected readonly reader: FrameReader;
  protected readonly fieldBlock: FieldBlock;
  protected hasReceivedSettings = false;
  /** The rest of the DATA frame being streamed is dropped: its octets were already credited back. */
  protected isDataSkipped = false;

  // Stream bookkeeping.
  protected lastPeerStreamId = 0;
  protected nextLocalStreamId: number;
  protected activeLocal = 0;
  protected activePeer = 0;

  // Flow control.
  protected connSendWindow = 65535;
  protected readonly connRecv: RecvWindow;
  protected streamRecvTarget: number;
  protected isSettingsAcked = false;
  protected readonly tuner = new WindowTuner();

  // Output and events.
  protected readonly output: FrameOutput;
  protected events: Http2Event[] = [];
  protected eventHead = 0;

  // Time and deadlines.
  protected nowMs: number | undefined;
  protected settingsDeadline: number | undefined = undefined;
  protected stallSince: number | undefined = undefined;
  protected shutdownDeadline: number | undefined = undefined;

  // Budgets.
  protected readonly resetBudget: Budget;
  protected readonly controlBudget: Budget;
  protected readonly emptyBudget: Budget;

  // Shutdown.
  protected isClosedFlag = false;
  /** Only `stepShutdown` assigns it, through shutdown.ts `transition`. */
  protected shutdownState: ShutdownState = ShutdownState.Open;
  protected goawayLastStreamId = MAX_STREAM_ID;
  protected isGoawayReceived = false;
  protected remoteLastStreamId = MAX_STREAM_ID;
  /** The error that closed the connection, if any. */
  closeError: H2Error | undefined = undefined;

  /** Smoothed round-trip time measured by our PINGs, in ms (undefined without timestamps). */
  rttMs: number | undefined = undefined;

  constructor(options: Http2ConnectionOptions) {
    this.role = options.role;
    if ((this.role as string) !== 'client' && (this.role as string) !== 'server') {
      throw new UsageError('ERR_H2_INVALID_OPTION', `role must be 'client' or 'server'`);
    }
    this.isServer = this.role === 'server';
    this.limits = resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, options.limits);
    const l = this.limits;
    if (l.maxFrameSize < 16384 || l.maxFrameSize > 16777215) {
      throw new UsageError('ERR_INVALID_LIMIT', 'Http2Limits.maxFrameSize must be within 16384..16777215');
    }
    if (l.initialWindowSize > MAX_WINDOW_SIZE || l.connectionWindowSize > MAX_WINDOW_SIZE) {
      throw new UsageError('ERR_INVALID_LIMIT', 'Http2Limits window sizes must not exceed 2^31-1');
    }
    this.localSettings = Object.freeze({
      ...INITIAL_SETTINGS,
      headerTableSize: l.headerTableSize,
      enablePush: false,
      maxConcurrentStreams: l.maxConcurrentStreams,
      initialWindowSize: l.initialWindowSize,
      maxFrameSize: l.maxFrameSize,
      maxHeaderListSize: l.maxHeaderListSize,
      enableConnectProtocol: this.isServer && options.enableConnectProtocol === true,
      noRfc7540Priorities: this.isServer && options.noRfc7540Priorities !== false,
    });
    this.remoteSettings = { ...INITIAL_SETTINGS };
    this.decoder = new HpackDecoder({
      maxHeaderListSize: l.maxHeaderListSize,
      headerTableSize: 4096,
      maxTableSize: Math.max(4096, l.headerTableSize),
    });
    this.encoder = new HpackEncoder(options.hpack ?? {});
    this.reader = new FrameReader(
      l.maxFrameSize,
      this.isServer,
      (h, bytes, start, end) => {
        this.processFrame(h, bytes, start, end);
        return !this.isClosedFlag;
      },
      (h, bytes, start, end, offset) => {
        this.processDataPart(h, bytes, start, end, offset);
        return !this.isClosedFlag;
      },
    );
    this.fieldBlock = new FieldBlock(this.decoder, l);
    this.output = new FrameOutput(l.maxPendingControlFrames);
    this.nextLocalStreamId = this.isServer ? 2 : 1;
    this.connRecv = new RecvWindow(65535, 65535);
    this.streamRecvTarget = Math.max(l.initialWindowSize, 65535);
    this.resetBudget = new Budget(l.maxResetBurst, l.resetRefillPerSecond);
    this.controlBudget = new Budget(l.maxControlFrameBurst, l.controlFrameRefillPerSecond);
    this.emptyBudget = new Budget(l.maxEmptyFrameBurst, l.emptyFrameRefillPerSecond);
    this.nowMs = options.nowMs;

    // RFC 9113 §3.4: the client sends the preface then SETTINGS; the server's preface is its SETTINGS.
    if (!this.isServer) this.output.pushRef(CONNECTION_PREFACE);
    const pairs = settingsToPairs(this.localSettings, this.isServer);
    if (this.isServer) pairs.push([SettingsId.ENABLE_PUSH, 0]);
    for (const [id, value] of options.extraSettings ?? []) {
      if (id <= SettingsId.NO_RFC7540_PRIORITIES || id > 0xffff || value < 0 || value > 0xffffffff) {
        throw new UsageError(
          'ERR_INVALID_ARG',
          `extraSettings: (0x${id.toString(16)}, ${value}) not allowed`,
        );
      }
      pairs.push([id, value]);
    }
    this.output.reserve(settingsSize(pairs.length));
    this.output.pos = writeSettings(this.output.out, this.output.pos, pairs);
    const extra = l.connectionWindowSize - 65535;
    if (extra > 0) {
      this.connRecv.grow(l.connectionWindowSize);
      this.output.writeWindowUpdate(0, extra);
    }
    if (this.nowMs !== undefined) this.settingsDeadline = this.nowMs + l.settingsTimeoutMs;
  }

  protected onStreamError(e: H2Error): void {
    const id = e.streamId!;
    const s = this.streams.get(id);
    if (s === undefined && this.isIdle(id)) {
      // RFC 9113 §6.4: no RST_STREAM on an idle stream; the error becomes a connection error.
      throw connectionError(e.wireCode as H2ErrorCode, e.message);
    }
    // MadeYouReset class: resets the peer provokes count against the same budget as its own.
    this.spendReset('stream error');
    if (s === undefined) {
      this.output.writeRst(id, e.wireCode);
      this.rememberClosed(id, CloseReason.ResetSent);
      this.emit({ type: 'streamReset', streamId: id, errorCode: e.wireCode, initiator: 'local', error: e });
      return;
    }
    this.resetLocal(s, e.wireCode, e);
  }

  protected resetLocal(s: StreamRecord, code: number, error: H2Error | undefined): void {
    this.output.writeRst(s.id, code);
    s.apply(StreamInput.SendReset);
    this.dropStream(s, CloseReason.ResetSent);
    this.emit({ type: 'streamReset', streamId: s.id, errorCode: code, initiator: 'local', error });
  }

  protected spendReset(what: string): void {
    if (!this.resetBudget.take(this.nowMs)) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `too many stream resets (${what}); budget ${this.limits.maxResetBurst}`,
      );
    }
  }

  protected spendControl(what: string): void {
    if (!this.controlBudget.take(this.nowMs)) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `too many ${what} frames; budget ${this.limits.maxControlFrameBurst}`,
      );
    }
  }

  protected spendEmpty(what: string): void {
    if (!this.emptyBudget.take(this.nowMs)) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `too many ${what} frames; budget ${this.limits.maxEmptyFrameBurst}`,
      );
    }
  }

  /** Turns any error thrown while handling input into the connection's failure; returns what to throw. */
  protected failWith(e: unknown): unknown {
    if (this.isClosedFlag) return e;
    if (e instanceof H2Error) {
      this.output.seal();
      this.stepShutdown(ShutdownInput.ConnectionError, e.wireCode, asciiBytes(e.message.slice(0, 120)));
      this.closeError = e;
    } else {
      this.stepShutdown(ShutdownInput.ConnectionError, H2ErrorCode.INTERNAL_ERROR, EMPTY);
    }
    this.shutdown();
    return e;
  }

  protected shutdown(): void {
    this.isClosedFlag = true;
    this.settingsDeadline = undefined;
    this.shutdownDeadline = undefined;
    this.stallSince = undefined;
    for (const s of this.streams.values()) this.scheduler.remove(s);
    this.streams.clear();
    this.blocked.clear();
  }

  protected isPeerStreamId(id: number): boolean {
    return this.isServer ? (id & 1) === 1 : (id & 1) === 0;
  }

  /** True when `id` has never been used (RFC 9113 §5.1.1: ids above the highest used are idle). */
  protected isIdle(id: number): boolean {
    if (this.streams.has(id)) return false;
    return this.isPeerStreamId(id) ? id > this.lastPeerStreamId : id >= this.nextLocalStreamId;
  }

  protected rejectClosed(id: number, what: string): void {
    if (this.isIdle(id)) throw connectionError(H2ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
    switch (closedStreamAction(this.closedReasons.get(id))) {
      case ClosedAction.Ignore:
        return;
      case ClosedAction.StreamError:
        throw streamError(id, H2ErrorCode.STREAM_CLOSED, `${what} on closed stream ${id}`);
      case ClosedAction.ConnectionError:
        throw connectionError(H2ErrorCode.STREAM_CLOSED, `${what} on closed stream ${id}`);
      default:
        return;
    }
  }

  protected newStream(id: number, isLocal: boolean): StreamRecord {
    const recvInitial = this.isSettingsAcked ? this.localSettings.initialWindowSize : this.streamRecvTarget;
    const s = new StreamRecord(id, isLocal, this.remoteSettings.initialWindowSize, recvInitial, recvInitial);
    this.streams.set(id, s);
    if (isLocal) this.activeLocal++;
    else this.activePeer++;
    return s;
  }

  /** Auto-tuned windows: a new stream gets the grown target, announced once the peer knows the stream. */
  protected announceGrowth(s: StreamRecord): void {
    if (this.streamRecvTarget <= s.recv.target || !canReceiveData(s.state)) return;
    const inc = s.recv.grow(this.streamRecvTarget);
    if (inc > 0) this.output.writeWindowUpdate(s.id, inc);
  }

  protected dropStream(s: StreamRecord, reason: CloseReason): void {
    if (!this.streams.delete(s.id)) return;
    if (s.isLocal) this.activeLocal--;
    else this.activePeer--;
    this.scheduler.remove(s);
    this.blocked.delete(s);
    s.queue = [];
    s.queuedBytes = 0;
    if (reason !== CloseReason.EndStream && s.unconsumed > 0) {
      // The application will not consume a reset stream's data: give the connection credit back now.
      this.creditConnection(s.unconsumed);
      s.unconsumed = 0;
    }
    this.rememberClosed(s.id, reason);
  }

  protected rememberClosed(id: number, reason: CloseReason): void {
    this.closedReasons.set(id, reason);
    if (this.closedReasons.size > this.limits.closedStreamMemory) {
      const oldest = this.closedReasons.keys().next().value;
      if (oldest !== undefined) this.closedReasons.delete(oldest);
    }
  }

  protected creditConnection(n: number): void {
    if (n <= 0) return;
    const inc = this.connRecv.consume(n);
    if (inc > 0) this.output.writeWindowUpdate(0, inc);
  }

  protected checkOpen(): void {
    if (this.isClosedFlag) throw new UsageError('ERR_H2_CLOSED', 'connection is closed');
  }

  protected sendableStream(streamId: number): StreamRecord {
    this.checkOpen();
    const s = this.streams.get(streamId);
    if (s === undefined) throw new UsageError('ERR_H2_INVALID_STREAM', `stream ${streamId} is not open`);
    return s;
  }

  protected endLocal(s: StreamRecord): void {
    s.apply(StreamInput.SendEndStream);
    if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
  }

  protected emit(e: Http2Event): void {
    this.events.push(e);
  }

  /** The peer's END_STREAM on `streamId`, after the event of the frame that carried it (events.ts). */
  protected emitEnd(streamId: number): void {
    this.events.push({ type: 'end', streamId });
  }

  protected setNow(nowMs: number): void {
    this.nowMs = nowMs;
    if (this.settingsDeadline === undefined && !this.isSettingsAcked && !this.isClosedFlag) {
      this.settingsDeadline = nowMs + this.limits.settingsTimeoutMs;
    }
    if (this.shutdownState === ShutdownState.Draining && this.shutdownDeadline === undefined) {
      this.shutdownDeadline = nowMs + this.limits.gracefulShutdownTimeoutMs;
    }
  }

  /** Feeds the shutdown machine (shutdown.ts) and writes what it asks for. */
  protected stepShutdown(input: ShutdownInput, errorCode: number, debug: Uint8Array): void {
    const step = shutdownTransition(this.shutdownState, input);
    this.shutdownState = step.next;
    switch (step.action) {
      case ShutdownAction.None:
        return;
      case ShutdownAction.WriteGraceful: {
        this.output.writeGoaway(MAX_STREAM_ID, H2ErrorCode.NO_ERROR, EMPTY);
        const p = new Uint8Array(8);
        p[0] = PING_SHUTDOWN;
        this.output.writePing(false, p, 0);
        if (this.nowMs !== undefined)
          this.shutdownDeadline = this.nowMs + this.limits.gracefulShutdownTimeoutMs;
        return;
      }
      case ShutdownAction.WriteFinal:
        this.shutdownDeadline = undefined;
        this.goawayLastStreamId = this.lastPeerStreamId;
        this.output.writeGoaway(this.lastPeerStreamId, errorCode, debug);
        return;
      default:
        assertNever(step.action, 'shutdown action');
    }
  }

  /** Handles one complete frame (recv.ts). */
  protected abstract processFrame(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void;
  /** Handles one part of a DATA frame cut across reads (recv.ts, frame-reader.ts). */
  protected abstract processDataPart(
    h: FrameHeader,
    bytes: Uint8Array,
    start: number,
    end: number,
    offset: number,
  ): void;
}

/** Debug text for GOAWAY: ASCII only, other characters become '?'. */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0x3f;
  }
  return out;
}
