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
 */
import { H2Error, HpackError, UsageError } from '../common/errors.js';
import { resolveLimits } from '../common/limits.js';
import { HpackDecoder, HpackEncoder } from '../hpack/index.js';
import type { HpackEncoderOptions, HpackField, HpackHeaderList } from '../hpack/index.js';
import { H2ErrorCode, connectionError, h2ErrorName, remoteError, streamError } from './errors.js';
import { decodeContinuation } from './frame/continuation.js';
import { decodeData, writeDataHeader } from './frame/data.js';
import { decodeGoaway, goawaySize, writeGoaway } from './frame/goaway.js';
import {
  CONNECTION_PREFACE,
  FRAME_HEADER_SIZE,
  FrameType,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  checkFrameSize,
  newFrameHeader,
  readFrameHeader,
} from './frame/header.js';
import type { FrameHeader } from './frame/header.js';
import { decodeHeaders, headersFramesSize, writeHeaders } from './frame/headers.js';
import { decodePing, writePing } from './frame/ping.js';
import { decodePriority } from './frame/priority.js';
import type { PriorityFields } from './frame/priority.js';
import { decodePriorityUpdate } from './frame/priority-update.js';
import { decodePushPromise } from './frame/push-promise.js';
import { decodeRstStream, writeRstStream } from './frame/rst-stream.js';
import { decodeSettings, settingsSize, writeSettings, writeSettingsAck } from './frame/settings.js';
import { decodeWindowUpdate, writeWindowUpdate } from './frame/window-update.js';
import { RecvWindow, canIncreaseSendWindow } from './flow-control.js';
import { DEFAULT_HTTP2_LIMITS } from './limits.js';
import type { Http2Limits } from './limits.js';
import { validateRequest, validateResponse, validateTrailers } from './message.js';
import { DEFAULT_URGENCY, PriorityScheduler, parsePriority } from './priority/scheduler.js';
import type { PriorityParams, Schedulable } from './priority/scheduler.js';
import { INITIAL_SETTINGS, SettingsId, applySetting, settingsToPairs } from './settings.js';
import type { Http2Settings } from './settings.js';
import {
  ClosedAction,
  CloseReason,
  StreamInput,
  StreamState,
  canReceiveData,
  canSendData,
  closedStreamAction,
  transition,
} from './stream.js';

/** Which end of the connection this is. */
export type Http2Role = 'client' | 'server';

/** A header field to send: `[name, value]` or `[name, value, sensitive]` (sensitive: never indexed). */
export type Http2Field = HpackField;

/** Read access to a received field section (an HPACK header list, or the fields of an h2c upgrade request). */
export interface Http2Fields {
  readonly length: number;
  name(i: number): string;
  value(i: number): string;
  toArray(): Array<[string, string]>;
}

/** Options of {@link Http2Connection}. */
export interface Http2ConnectionOptions {
  readonly role: Http2Role;
  readonly limits?: Partial<Http2Limits>;
  /** Server: announce SETTINGS_ENABLE_CONNECT_PROTOCOL and accept extended CONNECT (RFC 8441). */
  readonly enableConnectProtocol?: boolean;
  /** Server: announce SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1). Default true. */
  readonly noRfc7540Priorities?: boolean;
  /** HPACK encoder options (Huffman mode, sensitivity hooks). */
  readonly hpack?: HpackEncoderOptions;
  /** Current time; arms the settings timeout at once. Otherwise the first timestamp received arms it. */
  readonly nowMs?: number;
}

/** Server: a request's head arrived (RFC 9113 §8.3.1). */
export interface RequestEvent {
  readonly type: 'request';
  readonly streamId: number;
  readonly method: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string | undefined;
  /** Extended CONNECT protocol (RFC 8441 §4), e.g. `websocket`. */
  readonly protocol: string | undefined;
  readonly headers: Http2Fields;
  readonly endStream: boolean;
  /** Parsed content-length, or -1. */
  readonly contentLength: number;
}
/** Client: the final response head arrived. */
export interface ResponseEvent {
  readonly type: 'response';
  readonly streamId: number;
  readonly status: number;
  readonly headers: Http2Fields;
  readonly endStream: boolean;
}
/** Client: an interim (1xx) response arrived, e.g. 103 Early Hints. */
export interface InformationalEvent {
  readonly type: 'informational';
  readonly streamId: number;
  readonly status: number;
  readonly headers: Http2Fields;
}
/** A trailer section arrived; it always ends the stream. */
export interface TrailersEvent {
  readonly type: 'trailers';
  readonly streamId: number;
  readonly headers: Http2Fields;
}
/** DATA arrived. Call `consumed(streamId, data.length)` once it has been processed. */
export interface DataEvent {
  readonly type: 'data';
  readonly streamId: number;
  // Lifetime: a view into the chunk given to receive() (or a private copy); valid until the next receive().
  readonly data: Uint8Array;
  readonly endStream: boolean;
}
/** A stream was reset, by the peer (`remote`) or by us after a stream error (`local`). */
export interface StreamResetEvent {
  readonly type: 'streamReset';
  readonly streamId: number;
  readonly errorCode: number;
  readonly initiator: 'local' | 'remote';
  /** The local error behind a `local` reset. */
  readonly error: H2Error | undefined;
}
/** The peer's SETTINGS were applied and acknowledged. */
export interface SettingsEvent {
  readonly type: 'settings';
  readonly settings: Readonly<Http2Settings>;
}
/** The peer acknowledged our SETTINGS. */
export interface SettingsAckEvent {
  readonly type: 'settingsAck';
}
/** The peer sent PING (already answered) or answered ours. */
export interface PingEvent {
  readonly type: 'ping' | 'pingAck';
  readonly payload: Uint8Array;
}
/** The peer sent GOAWAY. Our streams above `lastStreamId` were reset with REFUSED_STREAM (safe to retry). */
export interface GoawayEvent {
  readonly type: 'goaway';
  readonly lastStreamId: number;
  readonly errorCode: number;
  readonly debugData: Uint8Array;
}
/** Data queued on a stream after `sendData` returned false has all been written to the output. */
export interface DrainEvent {
  readonly type: 'drain';
  readonly streamId: number;
}

/** Everything {@link Http2Connection.nextEvent} returns. */
export type Http2Event =
  | RequestEvent
  | ResponseEvent
  | InformationalEvent
  | TrailersEvent
  | DataEvent
  | StreamResetEvent
  | SettingsEvent
  | SettingsAckEvent
  | PingEvent
  | GoawayEvent
  | DrainEvent;

/** Options of {@link Http2Connection.request}. */
export interface RequestOptions {
  readonly endStream?: boolean;
  /** RFC 9218 urgency 0-7 used by our own scheduler for this stream's DATA. */
  readonly urgency?: number;
  readonly incremental?: boolean;
}

const EMPTY = new Uint8Array(0);
const OUT_ARENA_SIZE = 65536;
/** DATA payloads up to this size are copied beside their frame header instead of passed by reference. */
const SMALL_PAYLOAD = 512;
/** Queued bytes per stream above which `sendData` answers false (asks the caller to wait for `drain`). */
const STREAM_HIGH_WATER = 65536;
/** PING payload prefixes that mark our own PINGs (bandwidth-delay probe, graceful shutdown). */
const PING_BDP = 0x62;
const PING_SHUTDOWN = 0x67;

const FORBIDDEN_SEND = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
]);

/** Token bucket for flood budgets: `burst` tokens, refilled at `perSecond` when time is known. */
class Budget {
  tokens: number;
  lastMs: number | undefined = undefined;
  readonly burst: number;
  readonly perSecond: number;
  constructor(burst: number, perSecond: number) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
  }
  take(nowMs: number | undefined): boolean {
    if (nowMs !== undefined) {
      if (this.lastMs !== undefined && nowMs > this.lastMs) {
        this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
      }
      this.lastMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Per-stream record. Monomorphic: every field set in the constructor. */
class Stream implements Schedulable {
  state: StreamState = StreamState.Idle;
  urgency = DEFAULT_URGENCY;
  incremental = false;
  isScheduled = false;
  isBlocked = false;
  sendWindow: number;
  readonly recv: RecvWindow;
  /** Delivered to the application and not yet consumed. */
  unconsumed = 0;
  /** Queued outgoing DATA (references to caller buffers). */
  queue: Uint8Array[] = [];
  queueHead = 0;
  queueOffset = 0;
  queuedBytes = 0;
  isEndQueued = false;
  trailers: ReadonlyArray<Http2Field> | null = null;
  wantsDrain = false;
  /** Peer's announced content-length for the message it sends, or -1. */
  expectedLength = -1;
  receivedLength = 0;
  /** Client: the request was HEAD (response content-length does not describe a body). */
  isHead = false;
  /** Remote side: a final (non-1xx) head was received. */
  hasFinalHead = false;
  /** Local side: a final (non-1xx) head was sent. */
  hasSentFinalHead = false;
  readonly id: number;
  readonly isLocal: boolean;

  constructor(id: number, isLocal: boolean, sendWindow: number, recvWindow: number, recvTarget: number) {
    this.id = id;
    this.isLocal = isLocal;
    this.sendWindow = sendWindow;
    this.recv = new RecvWindow(recvWindow, recvTarget);
  }

  /** The only assignment of `state` (STYLE §3.2). */
  apply(input: StreamInput): void {
    this.state = transition(this.state, input, this.id);
  }
}

/** Field section of an h2c upgrade request (RFC 7540 §3.2), as {@link Http2Fields}. */
class FieldArray implements Http2Fields {
  private readonly fields: ReadonlyArray<readonly [string, string]>;
  constructor(fields: ReadonlyArray<readonly [string, string]>) {
    this.fields = fields;
  }
  get length(): number {
    return this.fields.length;
  }
  name(i: number): string {
    return this.fields[i]![0];
  }
  value(i: number): string {
    return this.fields[i]![1];
  }
  toArray(): Array<[string, string]> {
    return this.fields.map(([n, v]) => [n, v]);
  }
}

/** One HTTP/2 connection, client or server, without I/O. */
export class Http2Connection {
  readonly role: Http2Role;
  readonly limits: Readonly<Http2Limits>;
  /** Settings we announced. */
  readonly localSettings: Readonly<Http2Settings>;
  /** The peer's settings in force. */
  readonly remoteSettings: Http2Settings;

  private readonly isServer: boolean;
  private readonly decoder: HpackDecoder;
  private readonly encoder: HpackEncoder;
  private readonly streams = new Map<number, Stream>();
  private readonly closedReasons = new Map<number, CloseReason>();
  private readonly scheduler = new PriorityScheduler<Stream>();
  private readonly blocked = new Set<Stream>();
  /** Priorities signalled by PRIORITY_UPDATE for streams not yet open (RFC 9218 §7.1). */
  private readonly pendingPriorities = new Map<number, PriorityParams>();

  // Reader state.
  private prefaceRemaining: number;
  private readonly header: FrameHeader = newFrameHeader();
  private readonly headScratch = new Uint8Array(FRAME_HEADER_SIZE);
  private headFill = 0;
  private partial: Uint8Array | null = null;
  private partialFill = 0;
  private hasReceivedSettings = false;
  /** Stream whose field block is being continued (0: none) and its bookkeeping. */
  private blockStream = 0;
  private blockFrames = 0;
  private blockSize = 0;
  private blockEndStream = false;
  private blockPriority: PriorityFields | undefined = undefined;
  /** What to do once the current block is decoded: 0 deliver, 1 ignore, 2 stream error STREAM_CLOSED. */
  private blockDisposition = 0;
  private receivedOctets = 0;

  // Stream bookkeeping.
  private lastPeerStreamId = 0;
  private nextLocalStreamId: number;
  private activeLocal = 0;
  private activePeer = 0;

  // Flow control.
  private connSendWindow = 65535;
  private readonly connRecv: RecvWindow;
  private streamRecvTarget: number;
  private isSettingsAcked = false;

  // Output.
  private out = new Uint8Array(OUT_ARENA_SIZE);
  private outStart = 0;
  private outPos = 0;
  private chunks: Uint8Array[] = [];
  private pendingControl = 0;

  // Events.
  private events: Http2Event[] = [];
  private eventHead = 0;

  // Time and deadlines.
  private nowMs: number | undefined;
  private settingsDeadline: number | undefined = undefined;
  private stallSince: number | undefined = undefined;
  private shutdownDeadline: number | undefined = undefined;

  // Budgets.
  private readonly resetBudget: Budget;
  private readonly controlBudget: Budget;
  private readonly emptyBudget: Budget;

  // BDP probe (receive-window auto-tuning).
  private bdpBytes = 0;
  private isBdpPingOutstanding = false;
  private bdpSentAtMs: number | undefined = undefined;
  private bdpCount = 0;
  /** Smoothed round-trip time measured by our PINGs, in ms (undefined without timestamps). */
  rttMs: number | undefined = undefined;

  // Shutdown.
  private isClosedFlag = false;
  private goawayPhase = 0;
  private goawayLastStreamId = MAX_STREAM_ID;
  private isGoawayReceived = false;
  private remoteLastStreamId = MAX_STREAM_ID;
  /** The error that closed the connection, if any. */
  closeError: H2Error | undefined = undefined;

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
    this.prefaceRemaining = this.isServer ? CONNECTION_PREFACE.length : 0;
    this.nextLocalStreamId = this.isServer ? 2 : 1;
    this.connRecv = new RecvWindow(65535, 65535);
    this.streamRecvTarget = Math.max(l.initialWindowSize, 65535);
    this.resetBudget = new Budget(l.maxResetBurst, l.resetRefillPerSecond);
    this.controlBudget = new Budget(l.maxControlFrameBurst, l.controlFrameRefillPerSecond);
    this.emptyBudget = new Budget(l.maxEmptyFrameBurst, l.emptyFrameRefillPerSecond);
    this.nowMs = options.nowMs;

    // RFC 9113 §3.4: the client sends the preface then SETTINGS; the server's preface is its SETTINGS.
    if (!this.isServer) this.pushRef(CONNECTION_PREFACE);
    const pairs = settingsToPairs(this.localSettings, this.isServer);
    if (this.isServer) pairs.push([SettingsId.ENABLE_PUSH, 0]);
    this.reserve(settingsSize(pairs.length));
    this.outPos = writeSettings(this.out, this.outPos, pairs);
    const extra = l.connectionWindowSize - 65535;
    if (extra > 0) {
      this.connRecv.grow(l.connectionWindowSize);
      this.writeWindowUpdate(0, extra);
    }
    if (this.nowMs !== undefined) this.settingsDeadline = this.nowMs + l.settingsTimeoutMs;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Public state.

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
    const draining = this.goawayPhase === 2 || this.isGoawayReceived;
    return draining && this.streams.size === 0 && this.chunks.length === 0 && this.outPos === this.outStart;
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
      this.goawayPhase === 0 &&
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

  // ---------------------------------------------------------------------------------------------------------
  // Input.

  /**
   * Consumes received bytes. Any split works. Events become available through `nextEvent()`; views they
   * carry stay valid until the next call. Throws the H2Error of a connection error (after queuing GOAWAY).
   */
  receive(chunk: Uint8Array, nowMs?: number): void {
    if (this.isClosedFlag) return;
    if (nowMs !== undefined) this.setNow(nowMs);
    try {
      this.receiveBytes(chunk);
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
        if (inc > 0) this.writeWindowUpdate(s.id, inc);
      }
    }
    const inc = this.connRecv.consume(bytes);
    if (inc > 0) this.writeWindowUpdate(0, inc);
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
      if (this.shutdownDeadline !== undefined && nowMs >= this.shutdownDeadline) this.sendFinalGoaway();
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

  // ---------------------------------------------------------------------------------------------------------
  // Output.

  /** True when `takeOutput()` would return something. */
  get hasOutput(): boolean {
    if (this.chunks.length > 0 || this.outPos > this.outStart) return true;
    return this.scheduler.size > 0 && !this.isClosedFlag;
  }

  /**
   * Hands over everything queued: control frames, headers, and as much DATA as the flow-control windows
   * allow, in priority order (RFC 9218). The connection never touches a returned chunk again.
   */
  takeOutput(): Uint8Array[] {
    if (!this.isClosedFlag) this.flushData();
    this.seal();
    this.pendingControl = 0;
    const c = this.chunks;
    if (c.length === 0) return c;
    this.chunks = [];
    return c;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Actions.

  /** Client: opens a stream with a request head. Returns the stream id. */
  request(fields: ReadonlyArray<Http2Field>, options: RequestOptions = {}): number {
    if (this.isServer) throw new UsageError('ERR_H2_INVALID_ROLE', 'request() is for clients');
    this.checkOpen();
    if (this.isGoawayReceived || this.goawayPhase !== 0) {
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
    this.writeRst(streamId, errorCode);
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
    this.reserve(17);
    this.outPos = writePing(this.out, this.outPos, false, payload, 0);
  }

  /**
   * Starts shutdown with GOAWAY (RFC 9113 §6.8). With NO_ERROR a server first announces 2^31-1, waits one
   * round trip (a PING) and then sends the real last stream id, so requests in flight are not lost; open
   * streams are finished. Other codes send one GOAWAY at once.
   */
  goAway(errorCode: number = H2ErrorCode.NO_ERROR, debug: string = ''): void {
    if (this.isClosedFlag || this.goawayPhase === 2) return;
    const debugBytes = asciiBytes(debug);
    if (errorCode === H2ErrorCode.NO_ERROR && this.isServer && this.goawayPhase === 0) {
      this.goawayPhase = 1;
      this.reserve(goawaySize(0));
      this.outPos = writeGoaway(this.out, this.outPos, MAX_STREAM_ID, H2ErrorCode.NO_ERROR, EMPTY);
      const p = new Uint8Array(8);
      p[0] = PING_SHUTDOWN;
      this.reserve(17);
      this.outPos = writePing(this.out, this.outPos, false, p, 0);
      if (this.nowMs !== undefined)
        this.shutdownDeadline = this.nowMs + this.limits.gracefulShutdownTimeoutMs;
      return;
    }
    this.goawayPhase = 2;
    this.shutdownDeadline = undefined;
    this.goawayLastStreamId = this.lastPeerStreamId;
    this.reserve(goawaySize(debugBytes.length));
    this.outPos = writeGoaway(this.out, this.outPos, this.lastPeerStreamId, errorCode, debugBytes);
  }

  /**
   * Closes at once: sends GOAWAY with `errorCode` unless one was sent, drops every stream. `takeOutput()`
   * still returns what is queued.
   */
  close(errorCode: number = H2ErrorCode.NO_ERROR): void {
    if (this.isClosedFlag) return;
    if (this.goawayPhase !== 2) this.goAway(errorCode);
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
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reader.

  private receiveBytes(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    if (this.prefaceRemaining > 0) {
      const off = CONNECTION_PREFACE.length - this.prefaceRemaining;
      const n = Math.min(this.prefaceRemaining, end);
      for (let i = 0; i < n; i++) {
        if (chunk[i] !== CONNECTION_PREFACE[off + i]) {
          // RFC 9113 §3.4: an invalid preface is a connection error PROTOCOL_ERROR.
          throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'invalid connection preface');
        }
      }
      this.prefaceRemaining -= n;
      pos = n;
    }
    // Finish a frame split across chunks.
    if (this.headFill > 0) {
      const n = Math.min(FRAME_HEADER_SIZE - this.headFill, end - pos);
      this.headScratch.set(chunk.subarray(pos, pos + n), this.headFill);
      this.headFill += n;
      pos += n;
      if (this.headFill < FRAME_HEADER_SIZE) return;
      this.headFill = 0;
      readFrameHeader(this.headScratch, 0, this.header);
      checkFrameSize(this.header, this.localSettings.maxFrameSize);
      this.partial = new Uint8Array(FRAME_HEADER_SIZE + this.header.length);
      this.partial.set(this.headScratch, 0);
      this.partialFill = FRAME_HEADER_SIZE;
    }
    if (this.partial !== null) {
      const p = this.partial;
      const n = Math.min(p.length - this.partialFill, end - pos);
      p.set(chunk.subarray(pos, pos + n), this.partialFill);
      this.partialFill += n;
      pos += n;
      if (this.partialFill < p.length) return;
      this.partial = null;
      readFrameHeader(p, 0, this.header);
      this.processFrame(this.header, p, FRAME_HEADER_SIZE, p.length);
      if (this.isClosedFlag) return;
    }
    while (pos < end) {
      const avail = end - pos;
      if (avail < FRAME_HEADER_SIZE) {
        this.headScratch.set(chunk.subarray(pos, end), 0);
        this.headFill = avail;
        return;
      }
      const h = readFrameHeader(chunk, pos, this.header);
      checkFrameSize(h, this.localSettings.maxFrameSize);
      const total = FRAME_HEADER_SIZE + h.length;
      if (avail < total) {
        const p = new Uint8Array(total);
        p.set(chunk.subarray(pos, end), 0);
        this.partial = p;
        this.partialFill = avail;
        return;
      }
      this.processFrame(h, chunk, pos + FRAME_HEADER_SIZE, pos + total);
      pos += total;
      if (this.isClosedFlag) return;
    }
  }

  private processFrame(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    this.receivedOctets += end - start + FRAME_HEADER_SIZE;
    // RFC 9113 §6.10 / §4.3: a field block is contiguous; anything else in between is a PROTOCOL_ERROR.
    if (this.blockStream !== 0 && (h.type !== FrameType.CONTINUATION || h.streamId !== this.blockStream)) {
      throw connectionError(
        H2ErrorCode.PROTOCOL_ERROR,
        `frame type 0x${h.type.toString(16)} on stream ${h.streamId} inside a field block of stream ${this.blockStream}`,
      );
    }
    // RFC 9113 §3.4: the first frame from the peer is SETTINGS (without ACK).
    if (!this.hasReceivedSettings) {
      if (h.type !== FrameType.SETTINGS || (h.flags & 0x1) !== 0) {
        throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'first frame of the peer is not SETTINGS');
      }
      this.hasReceivedSettings = true;
    }
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

  private dispatch(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
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

  // ---------------------------------------------------------------------------------------------------------
  // Frame handlers.

  private onData(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeData(h, bytes, start, end);
    const id = f.streamId;
    // RFC 9113 §6.9: DATA counts against the connection window whatever the stream's state.
    if (!this.connRecv.receive(f.flowLength)) {
      throw connectionError(
        H2ErrorCode.FLOW_CONTROL_ERROR,
        `DATA of ${f.flowLength} octets exceeds the connection window ${this.connRecv.window}`,
      );
    }
    const s = this.streams.get(id);
    if (s === undefined || !canReceiveData(s.state)) {
      this.creditConnection(f.flowLength);
      if (s !== undefined) s.apply(StreamInput.RecvData);
      this.rejectClosed(id, 'DATA');
      return;
    }
    const dataLength = f.dataEnd - f.dataStart;
    if (!s.recv.receive(f.flowLength)) {
      this.creditConnection(f.flowLength);
      throw streamError(
        id,
        H2ErrorCode.FLOW_CONTROL_ERROR,
        `DATA of ${f.flowLength} octets exceeds the window ${s.recv.window} of stream ${id}`,
      );
    }
    // Padding is discarded here, so its credit goes back at once.
    const padding = f.flowLength - dataLength;
    if (padding > 0) {
      this.creditConnection(padding);
      const inc = s.recv.consume(padding);
      if (inc > 0 && !f.endStream) this.writeWindowUpdate(id, inc);
    }
    if (dataLength === 0 && !f.endStream) this.spendEmpty('empty DATA');
    s.receivedLength += dataLength;
    if (s.expectedLength >= 0) {
      // RFC 9113 §8.1.1: DATA beyond content-length, or ending short of it, makes the message malformed.
      if (s.receivedLength > s.expectedLength || (f.endStream && s.receivedLength !== s.expectedLength)) {
        this.creditConnection(dataLength);
        throw streamError(
          id,
          H2ErrorCode.PROTOCOL_ERROR,
          `malformed message: ${s.receivedLength} octets of DATA for content-length ${s.expectedLength}`,
        );
      }
    }
    s.unconsumed += dataLength;
    if (dataLength > 0) this.probeBandwidth(dataLength);
    if (f.endStream) s.apply(StreamInput.RecvEndStream);
    this.emit({
      type: 'data',
      streamId: id,
      data: bytes.subarray(f.dataStart, f.dataEnd),
      endStream: f.endStream,
    });
    if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
  }

  private onHeaders(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeHeaders(h, bytes, start, end);
    const id = f.streamId;
    this.blockDisposition = this.classifyHeaders(id);
    this.blockEndStream = f.endStream;
    this.blockPriority = f.priority;
    const blockLength = f.blockEnd - f.blockStart;
    if (blockLength === 0 && !f.endHeaders) this.spendEmpty('empty HEADERS');
    if (f.endHeaders) {
      const list = this.decodeBlock(bytes, f.blockStart, f.blockEnd, true);
      this.onFieldBlock(id, list);
      return;
    }
    this.blockStream = id;
    this.blockFrames = 0;
    this.blockSize = blockLength;
    this.checkBlockSize();
    this.decodeBlock(bytes, f.blockStart, f.blockEnd, false);
  }

  private onContinuation(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodeContinuation(h, bytes, start, end);
    if (this.blockStream === 0) {
      // RFC 9113 §6.10: CONTINUATION must follow HEADERS, PUSH_PROMISE or CONTINUATION without END_HEADERS.
      throw connectionError(
        H2ErrorCode.PROTOCOL_ERROR,
        `CONTINUATION on stream ${f.streamId} without a field block`,
      );
    }
    this.blockFrames++;
    this.blockSize += f.blockEnd - f.blockStart;
    if (this.blockFrames > this.limits.maxContinuationFrames) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.limits.maxContinuationFrames} CONTINUATION frames in one field block`,
      );
    }
    this.checkBlockSize();
    if (f.blockEnd === f.blockStart && !f.endHeaders) this.spendEmpty('empty CONTINUATION');
    if (!f.endHeaders) {
      this.decodeBlock(bytes, f.blockStart, f.blockEnd, false);
      return;
    }
    const list = this.decodeBlock(bytes, f.blockStart, f.blockEnd, true);
    const id = this.blockStream;
    this.blockStream = 0;
    this.onFieldBlock(id, list);
  }

  private checkBlockSize(): void {
    if (this.blockSize > this.limits.maxHeaderBlockSize) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `field block of ${this.blockSize} octets exceeds the limit ${this.limits.maxHeaderBlockSize}`,
      );
    }
  }

  /** Feeds a fragment to HPACK; returns the list when `last`. HPACK failures are COMPRESSION_ERRORs (§4.3). */
  private decodeBlock(bytes: Uint8Array, start: number, end: number, last: true): HpackHeaderList;
  private decodeBlock(bytes: Uint8Array, start: number, end: number, last: false): undefined;
  private decodeBlock(
    bytes: Uint8Array,
    start: number,
    end: number,
    last: boolean,
  ): HpackHeaderList | undefined {
    try {
      if (last && this.blockStream === 0) return this.decoder.decode(bytes, start, end);
      this.decoder.write(bytes, start, end);
      return last ? this.decoder.end() : undefined;
    } catch (e) {
      if (e instanceof HpackError) {
        const err = connectionError(
          H2ErrorCode.COMPRESSION_ERROR,
          `field block decoding failed: ${e.message}`,
        );
        (err as { cause?: unknown }).cause = e;
        throw err;
      }
      throw e;
    }
  }

  /**
   * Decides, before HPACK decoding, what a HEADERS frame on `id` means. Connection errors are thrown now
   * (no need to decode); otherwise the block is decoded to keep HPACK state in sync (RFC 9113 §4.3) and then
   * delivered (0), ignored (1) or answered with a stream error STREAM_CLOSED (2).
   */
  private classifyHeaders(id: number): number {
    if (this.streams.has(id)) return 0;
    const peerInitiated = this.isPeerStreamId(id);
    if (peerInitiated && id > this.lastPeerStreamId) {
      if (this.isServer) return 0;
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
    switch (closedStreamAction(reason)) {
      case ClosedAction.Ignore:
        return 1;
      case ClosedAction.StreamError:
        return 2;
      case ClosedAction.ConnectionError:
        throw connectionError(H2ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
      default:
        return 2;
    }
  }

  private onFieldBlock(id: number, list: HpackHeaderList): void {
    const disposition = this.blockDisposition;
    if (disposition === 1) return;
    if (disposition === 2) throw streamError(id, H2ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    const endStream = this.blockEndStream;
    const s = this.streams.get(id);
    if (s === undefined) {
      this.onRequestHead(id, list, endStream);
      return;
    }
    if (this.blockPriority !== undefined && this.blockPriority.dependency === id) {
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
      if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
      return;
    }
    // RFC 9113 §8.1: a second field section is a trailer section and must end the stream.
    if (!endStream)
      throw streamError(id, H2ErrorCode.PROTOCOL_ERROR, 'malformed message: trailers without END_STREAM');
    validateTrailers(list, id);
    this.endRemote(s);
    this.emit({ type: 'trailers', streamId: id, headers: list });
    if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
  }

  private onRequestHead(id: number, list: HpackHeaderList, endStream: boolean): void {
    this.lastPeerStreamId = id;
    // RFC 9113 §6.8: streams above the last id of our GOAWAY are ignored.
    if (this.goawayPhase === 2 && id > this.goawayLastStreamId) {
      this.rememberClosed(id, CloseReason.ResetSent);
      return;
    }
    if (this.blockPriority !== undefined && this.blockPriority.dependency === id) {
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
  }

  /** Applies END_STREAM from the peer, checking content-length (RFC 9113 §8.1.1). */
  private endRemote(s: Stream): void {
    if (s.expectedLength >= 0 && s.receivedLength !== s.expectedLength) {
      throw streamError(
        s.id,
        H2ErrorCode.PROTOCOL_ERROR,
        `malformed message: ${s.receivedLength} octets of DATA for content-length ${s.expectedLength}`,
      );
    }
    s.apply(StreamInput.RecvEndStream);
  }

  private onRstStream(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
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

  private onSettings(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
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
    this.queueControl();
    this.reserve(FRAME_HEADER_SIZE);
    this.outPos = writeSettingsAck(this.out, this.outPos);
    this.emit({ type: 'settings', settings: { ...this.remoteSettings } });
  }

  private applyRemoteSettings(pairs: readonly number[]): void {
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
      applySetting(r, id, value);
    }
  }

  private onPing(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
    const f = decodePing(h, bytes, start, end);
    const payload = bytes.slice(f.dataStart, f.dataStart + 8);
    if (f.ack) {
      if (payload[0] === PING_BDP && payload[1] === 0x64 && this.isBdpPingOutstanding) {
        this.onBdpAck();
        return;
      }
      if (payload[0] === PING_SHUTDOWN && this.goawayPhase === 1) {
        this.sendFinalGoaway();
        return;
      }
      this.emit({ type: 'pingAck', payload });
      return;
    }
    // CVE-2019-9512 (ping flood): a budget of PINGs, and a bound on unanswered ACKs.
    this.spendControl('PING');
    this.queueControl();
    this.reserve(17);
    this.outPos = writePing(this.out, this.outPos, true, bytes, f.dataStart);
    this.emit({ type: 'ping', payload });
  }

  private onGoaway(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
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

  private onWindowUpdate(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
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

  private onPriorityUpdate(h: FrameHeader, bytes: Uint8Array, start: number, end: number): void {
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

  // ---------------------------------------------------------------------------------------------------------
  // Errors, budgets.

  private onStreamError(e: H2Error): void {
    const id = e.streamId!;
    const s = this.streams.get(id);
    if (s === undefined && this.isIdle(id)) {
      // RFC 9113 §6.4: no RST_STREAM on an idle stream; the error becomes a connection error.
      throw connectionError(e.wireCode as H2ErrorCode, e.message);
    }
    // MadeYouReset class: resets the peer provokes count against the same budget as its own.
    this.spendReset('stream error');
    if (s === undefined) {
      this.writeRst(id, e.wireCode);
      this.rememberClosed(id, CloseReason.ResetSent);
      this.emit({ type: 'streamReset', streamId: id, errorCode: e.wireCode, initiator: 'local', error: e });
      return;
    }
    this.resetLocal(s, e.wireCode, e);
  }

  private resetLocal(s: Stream, code: number, error: H2Error | undefined): void {
    this.writeRst(s.id, code);
    s.apply(StreamInput.SendReset);
    this.dropStream(s, CloseReason.ResetSent);
    this.emit({ type: 'streamReset', streamId: s.id, errorCode: code, initiator: 'local', error });
  }

  private spendReset(what: string): void {
    if (!this.resetBudget.take(this.nowMs)) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `too many stream resets (${what}); budget ${this.limits.maxResetBurst}`,
      );
    }
  }

  private spendControl(what: string): void {
    if (!this.controlBudget.take(this.nowMs)) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `too many ${what} frames; budget ${this.limits.maxControlFrameBurst}`,
      );
    }
  }

  private spendEmpty(what: string): void {
    if (!this.emptyBudget.take(this.nowMs)) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `too many ${what} frames; budget ${this.limits.maxEmptyFrameBurst}`,
      );
    }
  }

  /** Counts a queued control answer; too many not taken by the caller is a flood (CVE-2019-9512/9515). */
  private queueControl(): void {
    if (++this.pendingControl > this.limits.maxPendingControlFrames) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.limits.maxPendingControlFrames} control frames queued for a peer that does not read`,
      );
    }
  }

  /** Turns any error thrown while handling input into the connection's failure; returns what to throw. */
  private failWith(e: unknown): unknown {
    if (e instanceof H2Error) {
      if (!this.isClosedFlag) {
        const debug = asciiBytes(e.message.slice(0, 120));
        this.seal();
        this.reserve(goawaySize(debug.length));
        this.outPos = writeGoaway(this.out, this.outPos, this.lastPeerStreamId, e.wireCode, debug);
        this.goawayPhase = 2;
        this.closeError = e;
        this.shutdown();
      }
      return e;
    }
    if (!this.isClosedFlag) {
      this.reserve(goawaySize(0));
      this.outPos = writeGoaway(
        this.out,
        this.outPos,
        this.lastPeerStreamId,
        H2ErrorCode.INTERNAL_ERROR,
        EMPTY,
      );
      this.shutdown();
    }
    return e;
  }

  private shutdown(): void {
    this.isClosedFlag = true;
    this.settingsDeadline = undefined;
    this.shutdownDeadline = undefined;
    this.stallSince = undefined;
    for (const s of this.streams.values()) this.scheduler.remove(s);
    this.streams.clear();
    this.blocked.clear();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Stream bookkeeping.

  private isPeerStreamId(id: number): boolean {
    return this.isServer ? (id & 1) === 1 : (id & 1) === 0;
  }

  /** True when `id` has never been used (RFC 9113 §5.1.1: ids above the highest used are idle). */
  private isIdle(id: number): boolean {
    if (this.streams.has(id)) return false;
    return this.isPeerStreamId(id) ? id > this.lastPeerStreamId : id >= this.nextLocalStreamId;
  }

  private rejectClosed(id: number, what: string): void {
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

  private newStream(id: number, isLocal: boolean): Stream {
    const recvInitial = this.isSettingsAcked ? this.localSettings.initialWindowSize : this.streamRecvTarget;
    const s = new Stream(id, isLocal, this.remoteSettings.initialWindowSize, recvInitial, recvInitial);
    this.streams.set(id, s);
    if (isLocal) this.activeLocal++;
    else this.activePeer++;
    return s;
  }

  /** Auto-tuned windows: a new stream gets the grown target, announced once the peer knows the stream. */
  private announceGrowth(s: Stream): void {
    if (this.streamRecvTarget <= s.recv.target || !canReceiveData(s.state)) return;
    const inc = s.recv.grow(this.streamRecvTarget);
    if (inc > 0) this.writeWindowUpdate(s.id, inc);
  }

  private dropStream(s: Stream, reason: CloseReason): void {
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

  private rememberClosed(id: number, reason: CloseReason): void {
    this.closedReasons.set(id, reason);
    if (this.closedReasons.size > this.limits.closedStreamMemory) {
      const oldest = this.closedReasons.keys().next().value;
      if (oldest !== undefined) this.closedReasons.delete(oldest);
    }
  }

  private creditConnection(n: number): void {
    if (n <= 0) return;
    const inc = this.connRecv.consume(n);
    if (inc > 0) this.writeWindowUpdate(0, inc);
  }

  private checkOpen(): void {
    if (this.isClosedFlag) throw new UsageError('ERR_H2_CLOSED', 'connection is closed');
  }

  private sendableStream(streamId: number): Stream {
    this.checkOpen();
    const s = this.streams.get(streamId);
    if (s === undefined) throw new UsageError('ERR_H2_INVALID_STREAM', `stream ${streamId} is not open`);
    return s;
  }

  private endLocal(s: Stream): void {
    s.apply(StreamInput.SendEndStream);
    if (s.state === StreamState.Closed) this.dropStream(s, CloseReason.EndStream);
  }

  private emit(e: Http2Event): void {
    this.events.push(e);
  }

  private setNow(nowMs: number): void {
    this.nowMs = nowMs;
    if (this.settingsDeadline === undefined && !this.isSettingsAcked && !this.isClosedFlag) {
      this.settingsDeadline = nowMs + this.limits.settingsTimeoutMs;
    }
    if (this.goawayPhase === 1 && this.shutdownDeadline === undefined) {
      this.shutdownDeadline = nowMs + this.limits.gracefulShutdownTimeoutMs;
    }
  }

  private sendFinalGoaway(): void {
    this.goawayPhase = 2;
    this.shutdownDeadline = undefined;
    this.goawayLastStreamId = this.lastPeerStreamId;
    this.reserve(goawaySize(0));
    this.outPos = writeGoaway(this.out, this.outPos, this.lastPeerStreamId, H2ErrorCode.NO_ERROR, EMPTY);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Receive-window auto-tuning (bandwidth-delay product probe).

  private probeBandwidth(n: number): void {
    if (this.isBdpPingOutstanding) {
      this.bdpBytes += n;
      return;
    }
    if (
      this.streamRecvTarget >= this.limits.maxReceiveWindowSize &&
      this.connRecv.target >= this.limits.maxReceiveWindowSize
    ) {
      return;
    }
    // One probe per round trip: PING now, count DATA octets until its ACK.
    this.isBdpPingOutstanding = true;
    this.bdpBytes = n;
    this.bdpSentAtMs = this.nowMs;
    const p = new Uint8Array(8);
    p[0] = PING_BDP;
    p[1] = 0x64;
    p[7] = ++this.bdpCount & 0xff;
    this.reserve(17);
    this.outPos = writePing(this.out, this.outPos, false, p, 0);
  }

  private onBdpAck(): void {
    this.isBdpPingOutstanding = false;
    if (this.nowMs !== undefined && this.bdpSentAtMs !== undefined) {
      const rtt = Math.max(0, this.nowMs - this.bdpSentAtMs);
      this.rttMs = this.rttMs === undefined ? rtt : (this.rttMs * 7 + rtt) / 8;
    }
    const bdp = this.bdpBytes;
    const max = this.limits.maxReceiveWindowSize;
    // Grow only while the application keeps up: data it has not consumed is buffering, not bandwidth.
    const c = this.connRecv;
    if ((c.target - c.window - c.pending) * 2 > c.target) return;
    // The window limited throughput if the peer delivered close to a full window within one round trip.
    if (bdp * 3 >= this.streamRecvTarget * 2 && this.streamRecvTarget < max) {
      const target = Math.min(max, Math.max(this.streamRecvTarget * 2, bdp * 2));
      this.streamRecvTarget = target;
      for (const s of this.streams.values()) {
        if (!canReceiveData(s.state)) continue;
        const inc = s.recv.grow(target);
        if (inc > 0) this.writeWindowUpdate(s.id, inc);
      }
    }
    if (bdp * 3 >= this.connRecv.target * 2 && this.connRecv.target < max) {
      const inc = this.connRecv.grow(Math.min(max, Math.max(this.connRecv.target * 2, bdp * 2)));
      if (inc > 0) this.writeWindowUpdate(0, inc);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Writers.

  private reserve(n: number): void {
    if (this.outPos + n <= this.out.length) return;
    this.seal();
    this.out = new Uint8Array(Math.max(OUT_ARENA_SIZE, n));
    this.outStart = 0;
    this.outPos = 0;
  }

  private seal(): void {
    if (this.outPos > this.outStart) {
      this.chunks.push(this.out.subarray(this.outStart, this.outPos));
      this.outStart = this.outPos;
    }
  }

  private pushRef(bytes: Uint8Array): void {
    this.seal();
    this.chunks.push(bytes);
  }

  private writeWindowUpdate(streamId: number, increment: number): void {
    this.reserve(13);
    this.outPos = writeWindowUpdate(this.out, this.outPos, streamId, increment);
  }

  private writeRst(streamId: number, code: number): void {
    this.queueControl();
    this.reserve(13);
    this.outPos = writeRstStream(this.out, this.outPos, streamId, code);
  }

  private writeHeaderBlock(streamId: number, fields: ReadonlyArray<Http2Field>, endStream: boolean): void {
    for (const f of fields) {
      if (FORBIDDEN_SEND.has(f[0])) {
        throw new UsageError(
          'ERR_H2_INVALID_HEADER',
          `connection-specific field ${f[0]} is not allowed in HTTP/2`,
        );
      }
    }
    const block = this.encoder.encode(fields);
    const max = this.remoteSettings.maxFrameSize;
    this.reserve(headersFramesSize(block.length, max));
    this.outPos = writeHeaders(this.out, this.outPos, streamId, block, 0, block.length, endStream, max);
  }

  private schedule(s: Stream): void {
    if (s.isBlocked) return;
    this.scheduler.add(s);
  }

  private unblock(s: Stream): void {
    if (!s.isBlocked || s.sendWindow <= 0) return;
    s.isBlocked = false;
    this.blocked.delete(s);
    if (this.blocked.size === 0 && this.connSendWindow > 0) this.stallSince = undefined;
    this.scheduler.add(s);
  }

  /** Writes DATA (and deferred trailers) in priority order while windows allow. */
  private flushData(): void {
    let progressed = false;
    for (;;) {
      const s = this.scheduler.next();
      if (s === undefined) break;
      if (s.queuedBytes > 0) {
        if (s.sendWindow <= 0) {
          this.scheduler.remove(s);
          s.isBlocked = true;
          this.blocked.add(s);
          continue;
        }
        if (this.connSendWindow <= 0) break;
        this.writeDataFrame(s);
        progressed = true;
      } else if (s.trailers !== null) {
        const t = s.trailers;
        s.trailers = null;
        this.scheduler.remove(s);
        this.writeHeaderBlock(s.id, t, true);
        this.endLocal(s);
        progressed = true;
      } else {
        this.scheduler.remove(s);
        if (s.isEndQueued && canSendData(s.state)) {
          this.reserve(FRAME_HEADER_SIZE);
          this.outPos = writeDataHeader(this.out, this.outPos, s.id, 0, true);
          this.endLocal(s);
          progressed = true;
        }
      }
    }
    if (progressed) this.stallSince = undefined;
    const stalled = this.blocked.size > 0 || (this.scheduler.size > 0 && this.connSendWindow <= 0);
    if (stalled && this.stallSince === undefined && this.nowMs !== undefined) this.stallSince = this.nowMs;
  }

  private writeDataFrame(s: Stream): void {
    let n = Math.min(s.queuedBytes, s.sendWindow, this.connSendWindow, this.remoteSettings.maxFrameSize);
    const last = n === s.queuedBytes;
    const endStream = last && s.isEndQueued && s.trailers === null;
    this.reserve(FRAME_HEADER_SIZE + (n <= SMALL_PAYLOAD ? n : 0));
    this.outPos = writeDataHeader(this.out, this.outPos, s.id, n, endStream);
    s.sendWindow -= n;
    this.connSendWindow -= n;
    s.queuedBytes -= n;
    const copy = n <= SMALL_PAYLOAD;
    while (n > 0) {
      const chunk = s.queue[s.queueHead]!;
      const avail = chunk.length - s.queueOffset;
      const take = Math.min(avail, n);
      const piece =
        s.queueOffset === 0 && take === chunk.length
          ? chunk
          : chunk.subarray(s.queueOffset, s.queueOffset + take);
      if (copy) {
        this.out.set(piece, this.outPos);
        this.outPos += take;
      } else {
        this.pushRef(piece);
      }
      n -= take;
      if (take === avail) {
        s.queue[s.queueHead] = EMPTY;
        s.queueHead++;
        s.queueOffset = 0;
      } else {
        s.queueOffset += take;
      }
    }
    if (s.queueHead === s.queue.length) {
      s.queue.length = 0;
      s.queueHead = 0;
    }
    if (s.queuedBytes === 0) {
      if (s.wantsDrain) {
        s.wantsDrain = false;
        this.emit({ type: 'drain', streamId: s.id });
      }
      if (endStream) {
        this.scheduler.remove(s);
        this.endLocal(s);
      } else if (s.trailers === null) {
        this.scheduler.remove(s);
      }
    }
  }
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0x3f;
  }
  return out;
}
