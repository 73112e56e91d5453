/**
 * `WebSocketConnection`: the sans-I/O WebSocket endpoint (RFC 6455 §5-§7) for either role, after the opening
 * handshake. Bytes go in with {@link WebSocketConnection.receive}, events come out one at a time with
 * {@link WebSocketConnection.nextEvent}, actions queue frames that {@link WebSocketConnection.takeOutput}
 * hands over (STYLE §3.1). No clock: keep-alive timing belongs to the driver.
 *
 * Failing the connection (RFC 6455 §7.1.7): on any rule broken by the peer, the connection queues a Close
 * frame carrying the close code the RFC names, moves to CLOSED, queues an `error` event, and throws the same
 * `WebSocketError` from `receive` (STYLE §3.3). `takeOutput()` still returns the Close frame.
 */
import { UsageError, WebSocketError } from '../common/errors.js';
import type { ProtocolConnection } from '../common/connection.js';
import { resolveLimits } from '../common/limits.js';
import { CloseCode, isValidWireCloseCode, wsError } from './errors.js';
import type { MessageDeflater } from './extensions.js';
import {
  FrameDecoder,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  RSV1,
  encodeFrameHeader,
  frameHeaderSize,
  maskCopyJs,
  maskInPlace,
  type MaskCopy,
} from './frame.js';
import { DEFAULT_WEBSOCKET_LIMITS } from './limits.js';
import type { WebSocketLimits } from './limits.js';
import { WebSocketInput, WebSocketState, transition } from './state.js';
import { UTF8_ACCEPT, UTF8_REJECT, validateUtf8 } from './utf8.js';

/** Which side of the connection this endpoint is. */
export type WebSocketRole = 'client' | 'server';

/** Options of a {@link WebSocketConnection}. */
export interface WebSocketConnectionOptions {
  readonly role: WebSocketRole;
  readonly limits?: Partial<WebSocketLimits>;
  /** Answer every Ping with a Pong carrying its payload (RFC 6455 §5.5.2); default true. */
  readonly autoPong?: boolean;
  /** The negotiated permessage-deflate codec (RFC 7692); when set, RSV1 is accepted on data frames. */
  readonly deflater?: MessageDeflater;
  /**
   * permessage-deflate (RFC 7692) was negotiated and the caller runs the codec itself (asynchronously, off
   * the event loop): RSV1 is accepted on data frames, each compressed message comes out as a `compressed`
   * event carrying its raw payload, which the caller inflates and hands back, in order, with
   * {@link WebSocketConnection.recvInflated}; {@link WebSocketConnection.sendCompressed} sends a payload the
   * caller compressed. Not together with `deflater`.
   */
  readonly hasDeferredDeflate?: boolean;
  /**
   * Fills `dst` with unpredictable bytes for client masking keys (RFC 6455 §5.3 requires a strong source);
   * defaults to `globalThis.crypto.getRandomValues`. Tests pass a deterministic one.
   */
  readonly randomFill?: (dst: Uint8Array) => void;
  /**
   * Idle time after which {@link WebSocketConnection.handleTimeout} sends a Ping (RFC 6455 §5.5.2 allows it
   * as a keep-alive); 0 (default) disables keep-alive. Any input counts as a sign of life.
   */
  readonly keepAliveIntervalMs?: number;
  /** Time the peer has after our keep-alive Ping to send anything; default the interval. */
  readonly keepAliveTimeoutMs?: number;
  /** The caller's clock at creation, the base of the first keep-alive deadline (default 0). */
  readonly nowMs?: number;
  /**
   * Allocates the buffer of a single-frame message, which the payload then fills completely (so it may
   * skip zero-filling: the server and client bindings pass Node's `Buffer.allocUnsafe`). Default: views
   * into a shared slab for small messages, a fresh `Uint8Array` for larger ones.
   */
  readonly allocate?: (sizeBytes: number) => Uint8Array;
  /**
   * Copies received data-frame payload into the message buffer, unmasking it on a server (RFC 6455 §5.3);
   * see {@link MaskCopy}. Default: `set` then {@link maskInPlace}, in JavaScript. The server and client
   * bindings pass the native addon's one-pass copy when it is loaded.
   */
  readonly maskCopy?: MaskCopy;
}

/** A complete message (RFC 6455 §5.6), reassembled and, when compressed, inflated. */
export class WebSocketMessageEvent {
  readonly type = 'message' as const;
  /** True for a binary message (opcode 0x2), false for text (0x1). */
  readonly isBinary: boolean;
  /**
   * The payload. Lifetime: owned by the event; the connection never touches it again. Small messages are
   * views into a shared slab: use `byteOffset`/`length`, not the whole `buffer`.
   */
  readonly data: Uint8Array;
  private cachedText: string | undefined = undefined;

  constructor(isBinary: boolean, data: Uint8Array) {
    this.isBinary = isBinary;
    this.data = data;
  }

  /** The payload decoded as UTF-8 (already validated for text messages), decoded on first use and cached. */
  get text(): string {
    this.cachedText ??= utf8Decoder.decode(this.data);
    return this.cachedText;
  }
}

/**
 * A compressed message (RSV1, RFC 7692 §6), reassembled but not inflated (option `hasDeferredDeflate`):
 * the caller inflates `data` and passes the result to {@link WebSocketConnection.recvInflated}.
 * Lifetime: `data` is owned by the event.
 */
export interface WebSocketCompressedEvent {
  readonly type: 'compressed';
  readonly isBinary: boolean;
  readonly data: Uint8Array;
}

/** A Ping frame (RFC 6455 §5.5.2); answered automatically unless `autoPong` is false. */
export interface WebSocketPingEvent {
  readonly type: 'ping';
  readonly data: Uint8Array;
}

/** A Pong frame (RFC 6455 §5.5.3), solicited or not. */
export interface WebSocketPongEvent {
  readonly type: 'pong';
  readonly data: Uint8Array;
}

/**
 * The peer's Close frame (RFC 6455 §5.5.1). `code` is 1005 (NO_STATUS_RCVD) when the frame had no body.
 * When we had not sent Close yet, the connection has already queued its answer and is CLOSED.
 */
export interface WebSocketCloseEvent {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
}

/** The connection failed (RFC 6455 §7.1.7); `error.wireCode` is the close code we sent. */
export interface WebSocketErrorEvent {
  readonly type: 'error';
  readonly error: WebSocketError;
}

/** Everything {@link WebSocketConnection.nextEvent} returns. */
export type WebSocketEvent =
  | WebSocketMessageEvent
  | WebSocketCompressedEvent
  | WebSocketPingEvent
  | WebSocketPongEvent
  | WebSocketCloseEvent
  | WebSocketErrorEvent;

/** Options of one sent message or fragment. */
export interface SendOptions {
  /** Compress with the negotiated permessage-deflate (default true when one was negotiated). */
  readonly compress?: boolean;
}

/** Options of {@link WebSocketConnection.sendFragment}. */
export interface SendFragmentOptions extends SendOptions {
  /** Message type, read on the first fragment only. */
  readonly isBinary: boolean;
  /** True on the last fragment of the message. */
  readonly fin: boolean;
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Output arena size: frame headers and small frames are written here and handed out as views. */
const ARENA_BYTES = 16384;
/** Payloads up to this size are copied next to their header (one writev entry instead of two). */
const COALESCE_BYTES = 512;
/** Random bytes fetched per call for masking keys (64 keys). */
const KEY_POOL_BYTES = 256;
/** Longest close reason in bytes: 125 minus the 2-byte code (RFC 6455 §5.5). */
const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/** The sans-I/O WebSocket endpoint. */
export class WebSocketConnection implements ProtocolConnection<WebSocketEvent, Uint8Array[]> {
  readonly role: WebSocketRole;
  readonly limits: Readonly<WebSocketLimits>;
  private state: WebSocketState = WebSocketState.OPEN;
  private readonly decoder: FrameDecoder;
  private readonly autoPong: boolean;
  private readonly deflater: MessageDeflater | null;
  private readonly hasDeferredDeflate: boolean;
  private readonly randomFill: (dst: Uint8Array) => void;
  private readonly allocate: (sizeBytes: number) => Uint8Array;
  private readonly maskCopy: MaskCopy;

  // Receive side: the frame being decoded and the message being reassembled.
  private frameOpcode = 0;
  private frameFin = false;
  private controlBuf: Uint8Array = EMPTY;
  private msgOpcode = 0;
  private isMsgCompressed = false;
  private msgBuf: Uint8Array = EMPTY;
  private msgLen = 0;
  private msgFragments = 0;
  private utf8State = UTF8_ACCEPT;
  private isReceiveDone = false;
  private hasFailed = false;

  // Keep-alive (no clock inside: the driver calls handleTimeout at nextDeadline()).
  private readonly keepAliveIntervalMs: number;
  private readonly keepAliveTimeoutMs: number;
  private deadline: number | undefined;
  private hasInputSinceTick = false;
  private isPingOutstanding = false;

  // Events: a queue with a moving head, so nextEvent() builds no array.
  private events: WebSocketEvent[] = [];
  private eventHead = 0;

  // Send side.
  private chunks: Uint8Array[] = [];
  private arena: Uint8Array = new Uint8Array(ARENA_BYTES);
  private arenaPos = 0;
  private spanStart = 0;
  private controlQueued = 0;
  private sendOpcode = 0;
  private isSendCompressed = false;
  private readonly keyPool: Uint8Array;
  private keyPos: number;

  constructor(options: WebSocketConnectionOptions) {
    const role: string = options.role;
    if (role !== 'client' && role !== 'server') {
      throw new UsageError('ERR_INVALID_ARG', `role must be 'client' or 'server'`);
    }
    this.role = options.role;
    this.limits = resolveLimits('WebSocketLimits', DEFAULT_WEBSOCKET_LIMITS, options.limits);
    this.autoPong = options.autoPong ?? true;
    this.deflater = options.deflater ?? null;
    this.hasDeferredDeflate = options.hasDeferredDeflate === true;
    if (this.hasDeferredDeflate && this.deflater !== null) {
      throw new UsageError('ERR_INVALID_ARG', 'deflater and hasDeferredDeflate are exclusive');
    }
    this.randomFill = options.randomFill ?? defaultRandomFill;
    this.allocate = options.allocate ?? poolAlloc;
    this.maskCopy = options.maskCopy ?? maskCopyJs;
    this.keyPool = new Uint8Array(this.role === 'client' ? KEY_POOL_BYTES : 0);
    this.keyPos = KEY_POOL_BYTES;
    this.decoder = new FrameDecoder(
      {
        expectMasked: this.role === 'server',
        allowedRsv: this.deflater === null && !this.hasDeferredDeflate ? 0 : RSV1,
        maxFrameBytes: this.limits.maxFrameBytes,
      },
      {
        onFrameStart: (fin, rsv, opcode, length) => {
          this.recvFrameStart(fin, rsv, opcode, length);
        },
        onFramePayload: (bytes, start, end, payloadOffset) => {
          this.recvFramePayload(bytes, start, end, payloadOffset);
        },
        onFrameEnd: () => this.recvFrameEnd(),
      },
    );
    this.keepAliveIntervalMs = options.keepAliveIntervalMs ?? 0;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? this.keepAliveIntervalMs;
    if (!(this.keepAliveIntervalMs >= 0) || !(this.keepAliveTimeoutMs >= 0)) {
      throw new UsageError('ERR_INVALID_ARG', 'keep-alive times must be non-negative numbers');
    }
    this.deadline =
      this.keepAliveIntervalMs > 0 ? (options.nowMs ?? 0) + this.keepAliveIntervalMs : undefined;
  }

  /** True once both Close frames were exchanged or the connection failed. */
  get isClosed(): boolean {
    return this.state === WebSocketState.CLOSED;
  }

  /** True once we sent a Close frame: no more messages may be sent. */
  get isCloseSent(): boolean {
    return this.state !== WebSocketState.OPEN;
  }

  /** The closing-handshake state ({@link WebSocketState}). */
  get closeState(): WebSocketState {
    return this.state;
  }

  // ---- input ----------------------------------------------------------------------------------------

  /**
   * Consumes `chunk[start, end)`. Input after the peer's Close frame, or after a failure, is ignored
   * (RFC 6455 §5.5.1: nothing follows a Close). Throws the `WebSocketError` that failed the connection.
   * Lifetime: nothing in `chunk` is retained; payloads are copied (and unmasked) once into message buffers.
   */
  receive(chunk: Uint8Array, start = 0, end = chunk.length): void {
    if (this.isReceiveDone) return;
    if (end > start) this.hasInputSinceTick = true;
    try {
      this.decoder.decode(chunk, start, end);
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      this.fail(err);
      throw err;
    }
  }

  /** The next event, or null when more input is needed. */
  nextEvent(): WebSocketEvent | null {
    if (this.eventHead === this.events.length) {
      if (this.eventHead !== 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return null;
    }
    return this.events[this.eventHead++]!;
  }

  private recvFrameStart(fin: boolean, rsv: number, opcode: number, length: number): void {
    this.frameOpcode = opcode;
    this.frameFin = fin;
    if (opcode >= 0x8) {
      // RFC 6455 §5.5.1: a Close body is empty or starts with a 2-byte code.
      if (opcode === Opcode.CLOSE && length === 1) {
        throw this.error(
          CloseCode.PROTOCOL_ERROR,
          'ERR_WS_CLOSE_PAYLOAD',
          'Close frame with a 1-byte payload',
        );
      }
      this.controlBuf = length === 0 ? EMPTY : new Uint8Array(length);
      return;
    }
    if (opcode === Opcode.CONTINUATION) {
      // RFC 6455 §5.4: a continuation frame needs a started message.
      if (this.msgOpcode === 0) {
        throw this.error(
          CloseCode.PROTOCOL_ERROR,
          'ERR_WS_CONTINUATION',
          'continuation frame without a message',
        );
      }
      // RFC 7692 §6.1: RSV1 is set on the first frame of a compressed message only.
      if (rsv !== 0) {
        throw this.error(
          CloseCode.PROTOCOL_ERROR,
          'ERR_WS_RESERVED_BITS',
          'RSV1 set on a continuation frame',
        );
      }
      if (++this.msgFragments > this.limits.maxFragmentsPerMessage) {
        throw this.error(
          CloseCode.POLICY_VIOLATION,
          'ERR_WS_TOO_MANY_FRAGMENTS',
          `message in more than maxFragmentsPerMessage ${this.limits.maxFragmentsPerMessage} frames`,
        );
      }
    } else {
      // RFC 6455 §5.4: data frames of one message are not interleaved with another message's.
      if (this.msgOpcode !== 0) {
        throw this.error(
          CloseCode.PROTOCOL_ERROR,
          'ERR_WS_CONTINUATION',
          'new data frame while a fragmented message is in progress',
        );
      }
      this.msgOpcode = opcode;
      this.isMsgCompressed = (rsv & RSV1) !== 0;
      this.msgLen = 0;
      this.msgFragments = 1;
      this.utf8State = UTF8_ACCEPT;
      this.msgBuf = EMPTY;
    }
    const total = this.msgLen + length;
    if (total > this.limits.maxMessageBytes) {
      throw this.error(
        CloseCode.MESSAGE_TOO_BIG,
        'ERR_WS_MESSAGE_TOO_BIG',
        `message of at least ${total} bytes above maxMessageBytes ${this.limits.maxMessageBytes}`,
      );
    }
    if (fin && this.msgLen === 0) {
      // Exactly the payload's size, so every byte is overwritten before anyone sees the buffer: an
      // allocator that skips zero-filling is safe here (and only here).
      this.msgBuf = this.allocate(total);
    } else if (total > this.msgBuf.length) {
      // A single-frame message gets an exact buffer; a fragmented one grows geometrically.
      const cap =
        fin && this.msgLen === 0
          ? total
          : Math.min(Math.max(total, this.msgBuf.length * 2, 1024), this.limits.maxMessageBytes);
      const next = new Uint8Array(Math.max(cap, total));
      if (this.msgLen > 0) next.set(this.msgBuf.subarray(0, this.msgLen));
      this.msgBuf = next;
    }
  }

  private recvFramePayload(bytes: Uint8Array, start: number, end: number, payloadOffset: number): void {
    const n = end - start;
    const isControl = this.frameOpcode >= 0x8;
    const dst = isControl ? this.controlBuf : this.msgBuf;
    const at = isControl ? payloadOffset : this.msgLen;
    // RFC 6455 §5.3: a server unmasks what it receives (one pass with the copy); a client's input is plain.
    if (this.role === 'server')
      this.maskCopy(dst, at, bytes, start, end, this.decoder.maskKey, payloadOffset);
    else dst.set(bytes.subarray(start, end), at);
    if (isControl) return;
    this.msgLen = at + n;
    if (this.msgOpcode === Opcode.TEXT && !this.isMsgCompressed) {
      // RFC 6455 §8.1: fail as soon as the text cannot be valid UTF-8, even mid-message.
      this.utf8State = validateUtf8(this.msgBuf, at, at + n, this.utf8State);
      if (this.utf8State === UTF8_REJECT) {
        throw this.error(
          CloseCode.INVALID_FRAME_PAYLOAD_DATA,
          'ERR_WS_INVALID_UTF8',
          'text message is not valid UTF-8',
        );
      }
    }
  }

  private recvFrameEnd(): boolean {
    switch (this.frameOpcode) {
      case Opcode.PING:
        this.recvPing(this.controlBuf);
        return true;
      case Opcode.PONG:
        this.pushEvent({ type: 'pong', data: this.controlBuf });
        return true;
      case Opcode.CLOSE:
        this.recvClose(this.controlBuf);
        return false;
      default:
        if (this.frameFin) this.endMessage();
        return true;
    }
  }

  private endMessage(): void {
    let data = this.msgLen === this.msgBuf.length ? this.msgBuf : this.msgBuf.subarray(0, this.msgLen);
    const isText = this.msgOpcode === Opcode.TEXT;
    if (this.isMsgCompressed && this.hasDeferredDeflate) {
      this.msgOpcode = 0;
      this.msgBuf = EMPTY;
      this.msgLen = 0;
      this.pushEvent({ type: 'compressed', isBinary: !isText, data });
      return;
    }
    if (this.isMsgCompressed) {
      const deflater = this.deflater!;
      let inflated: Uint8Array | null;
      try {
        inflated = deflater.decompress(data, true, this.limits.maxMessageBytes);
      } catch (cause) {
        throw this.error(
          CloseCode.INVALID_FRAME_PAYLOAD_DATA,
          'ERR_WS_INFLATE',
          `cannot inflate message: ${String(cause)}`,
        );
      }
      // A codec that overshoots the bound is treated like one that reported it.
      if (inflated === null || inflated.length > this.limits.maxMessageBytes) {
        throw this.error(
          CloseCode.MESSAGE_TOO_BIG,
          'ERR_WS_MESSAGE_TOO_BIG',
          `inflated message above maxMessageBytes ${this.limits.maxMessageBytes}`,
        );
      }
      data = inflated;
      if (isText) this.utf8State = validateUtf8(data, 0, data.length, UTF8_ACCEPT);
    }
    // RFC 6455 §8.1: the message must end on a code-point boundary.
    if (isText && this.utf8State !== UTF8_ACCEPT) {
      throw this.error(
        CloseCode.INVALID_FRAME_PAYLOAD_DATA,
        'ERR_WS_INVALID_UTF8',
        'text message is not valid UTF-8',
      );
    }
    this.msgOpcode = 0;
    this.msgBuf = EMPTY;
    this.msgLen = 0;
    this.pushEvent(new WebSocketMessageEvent(!isText, data));
  }

  /**
   * The caller's inflation of a `compressed` event (option `hasDeferredDeflate`), in the order the events
   * came: `data` null means the inflater stopped because the output passed `maxMessageBytes`, which fails
   * the connection with 1009 (RFC 6455 §7.4.1); an `Error` means corrupt DEFLATE data, 1007. Returns the
   * message event for the caller to deliver, or null when the connection had already failed; throws the
   * `WebSocketError` that failed it (STYLE §3.3), after queueing the Close frame and the `error` event.
   */
  recvInflated(isBinary: boolean, data: Uint8Array | Error | null): WebSocketMessageEvent | null {
    if (this.hasFailed) return null;
    let err: WebSocketError | null = null;
    if (data instanceof Error) {
      err = this.error(
        CloseCode.INVALID_FRAME_PAYLOAD_DATA,
        'ERR_WS_INFLATE',
        `cannot inflate message: ${data.message.slice(0, 64)}`,
      );
    } else if (data === null || data.length > this.limits.maxMessageBytes) {
      err = this.error(
        CloseCode.MESSAGE_TOO_BIG,
        'ERR_WS_MESSAGE_TOO_BIG',
        `inflated message above maxMessageBytes ${this.limits.maxMessageBytes}`,
      );
    } else if (!isBinary && validateUtf8(data, 0, data.length, UTF8_ACCEPT) !== UTF8_ACCEPT) {
      // RFC 6455 §8.1 (after RFC 7692 §6.2 inflation): text must be valid UTF-8.
      err = this.error(
        CloseCode.INVALID_FRAME_PAYLOAD_DATA,
        'ERR_WS_INVALID_UTF8',
        'text message is not valid UTF-8',
      );
    }
    if (err !== null) {
      this.fail(err);
      throw err;
    }
    return new WebSocketMessageEvent(isBinary, data as Uint8Array);
  }

  private recvPing(data: Uint8Array): void {
    this.pushEvent({ type: 'ping', data });
    // RFC 6455 §5.5.2: answer with a Pong "as soon as is practical", unless we already sent Close.
    if (this.autoPong && this.state === WebSocketState.OPEN) {
      this.queueControl(Opcode.PONG, data, 0, data.length);
    }
  }

  private recvClose(body: Uint8Array): void {
    let code: number = CloseCode.NO_STATUS_RCVD;
    let reason = '';
    if (body.length >= 2) {
      code = (body[0]! << 8) | body[1]!;
      // RFC 6455 §7.4.1-§7.4.2: reserved or unassigned codes are a protocol error.
      if (!isValidWireCloseCode(code)) {
        throw this.error(CloseCode.PROTOCOL_ERROR, 'ERR_WS_CLOSE_CODE', `invalid close code ${code}`);
      }
      // RFC 6455 §5.5.1: the reason is UTF-8.
      if (validateUtf8(body, 2, body.length, UTF8_ACCEPT) !== UTF8_ACCEPT) {
        throw this.error(
          CloseCode.INVALID_FRAME_PAYLOAD_DATA,
          'ERR_WS_INVALID_UTF8',
          'close reason is not valid UTF-8',
        );
      }
      reason = utf8Decoder.decode(body.subarray(2));
    }
    this.isReceiveDone = true;
    const wasOpen = this.state === WebSocketState.OPEN;
    this.state = transition(this.state, WebSocketInput.RECV_CLOSE);
    // RFC 6455 §5.5.1: answer a Close with a Close, "typically echoing the status code it received".
    if (wasOpen) this.writeClose(code === CloseCode.NO_STATUS_RCVD ? -1 : code, EMPTY);
    this.pushEvent({ type: 'close', code, reason });
  }

  private error(closeCode: number, code: string, message: string): WebSocketError {
    return wsError(closeCode, code, message, this.decoder.offset);
  }

  /** RFC 6455 §7.1.7: send Close with the error's code (unless Close was sent already) and stop. */
  private fail(err: WebSocketError): void {
    this.decoder.stop();
    this.hasFailed = true;
    this.isReceiveDone = true;
    if (this.state === WebSocketState.CLOSED) return;
    if (this.state === WebSocketState.OPEN) this.writeClose(err.wireCode, EMPTY);
    this.state = transition(this.state, WebSocketInput.FAIL);
    this.pushEvent({ type: 'error', error: err });
  }

  private pushEvent(ev: WebSocketEvent): void {
    this.events.push(ev);
  }

  // ---- time -----------------------------------------------------------------------------------------

  /** The next keep-alive deadline on the caller's clock, or undefined when keep-alive is off or closed. */
  nextDeadline(): number | undefined {
    return this.state === WebSocketState.CLOSED ? undefined : this.deadline;
  }

  /**
   * Runs keep-alive at `nowMs`: after an idle interval it sends a Ping; when the peer then stays silent for
   * the timeout the connection fails with 1001 (GOING_AWAY, ERR_WS_KEEPALIVE_TIMEOUT), thrown like a
   * receive error. While we are closing, silence is the driver's close timeout to handle.
   */
  handleTimeout(nowMs: number): void {
    if (this.deadline === undefined || nowMs < this.deadline || this.state === WebSocketState.CLOSED) return;
    const isAlive = this.hasInputSinceTick;
    this.hasInputSinceTick = false;
    if (isAlive || this.state !== WebSocketState.OPEN) {
      this.isPingOutstanding = false;
      this.deadline = nowMs + this.keepAliveIntervalMs;
      return;
    }
    if (this.isPingOutstanding) {
      const err = wsError(
        CloseCode.GOING_AWAY,
        'ERR_WS_KEEPALIVE_TIMEOUT',
        `no data from the peer within ${this.keepAliveTimeoutMs} ms of a keep-alive Ping`,
      );
      this.fail(err);
      throw err;
    }
    this.isPingOutstanding = true;
    this.writeFrame(true, 0, Opcode.PING, EMPTY, 0, 0);
    this.deadline = nowMs + this.keepAliveTimeoutMs;
  }

  // ---- actions --------------------------------------------------------------------------------------

  /** Sends a text message; a string is encoded as UTF-8, bytes are sent as given (the caller vouches). */
  sendText(text: string | Uint8Array, options?: SendOptions): void {
    const data = typeof text === 'string' ? utf8Encoder.encode(text) : text;
    this.sendMessage(Opcode.TEXT, data, options);
  }

  /**
   * Sends a binary message. Lifetime: an uncompressed server payload above 512 bytes is queued by reference;
   * do not modify it until it has been written.
   */
  sendBinary(data: Uint8Array, options?: SendOptions): void {
    this.sendMessage(Opcode.BINARY, data, options);
  }

  /**
   * Sends one fragment of a streamed message (RFC 6455 §5.4): the first call picks the type, later calls send
   * continuation frames, `fin` ends the message. Control frames may be sent between fragments; another
   * message may not. Same lifetime rule as {@link sendBinary}.
   */
  sendFragment(data: Uint8Array | string, options: SendFragmentOptions): void {
    this.checkCanSend();
    const bytes = typeof data === 'string' ? utf8Encoder.encode(data) : data;
    let opcode: number = Opcode.CONTINUATION;
    let rsv = 0;
    if (this.sendOpcode === 0) {
      opcode = options.isBinary ? Opcode.BINARY : Opcode.TEXT;
      this.sendOpcode = opcode;
      this.isSendCompressed = this.deflater !== null && options.compress !== false;
      if (this.isSendCompressed) rsv = RSV1;
    }
    const payload = this.isSendCompressed ? this.deflater!.compress(bytes, options.fin) : bytes;
    if (options.fin) this.sendOpcode = 0;
    this.writeFrame(options.fin, rsv, opcode, payload, 0, payload.length);
  }

  /**
   * Sends a message, or one fragment of one, whose payload the caller compressed with the negotiated
   * permessage-deflate (option `hasDeferredDeflate`): RFC 7692 §7.2.1 output of a sync flush, with the
   * trailing 0x00 0x00 0xff 0xff removed at `fin`. RSV1 goes on the first frame only (RFC 7692 §6.1).
   * `isBinary` is read on the first fragment. Lifetime: as {@link sendBinary}.
   */
  sendCompressed(payload: Uint8Array, isBinary: boolean, fin: boolean): void {
    this.checkCanSend();
    if (!this.hasDeferredDeflate) {
      throw new UsageError('ERR_WS_NO_DEFLATE', 'permessage-deflate is not run by the caller');
    }
    let opcode: number = Opcode.CONTINUATION;
    let rsv = 0;
    if (this.sendOpcode === 0) {
      opcode = isBinary ? Opcode.BINARY : Opcode.TEXT;
      rsv = RSV1;
      this.isSendCompressed = true;
      if (!fin) this.sendOpcode = opcode;
    } else if (!this.isSendCompressed) {
      throw new UsageError('ERR_WS_FRAGMENT_IN_PROGRESS', 'an uncompressed message is being sent');
    } else if (fin) {
      this.sendOpcode = 0;
    }
    this.writeFrame(fin, rsv, opcode, payload, 0, payload.length);
  }

  /** Sends a Ping (RFC 6455 §5.5.2) with at most 125 bytes of application data. */
  ping(data: Uint8Array = EMPTY): void {
    this.checkControl(data);
    this.writeFrame(true, 0, Opcode.PING, data, 0, data.length);
  }

  /** Sends a Pong (RFC 6455 §5.5.3), solicited or as a unidirectional heartbeat. */
  pong(data: Uint8Array = EMPTY): void {
    this.checkControl(data);
    this.writeFrame(true, 0, Opcode.PONG, data, 0, data.length);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code` (1000, 1001-1003, 1007-1014 or 3000-4999) and a
   * reason of at most 123 UTF-8 bytes; `code` null sends an empty Close body. A no-op once Close was sent.
   */
  close(code: number | null = CloseCode.NORMAL_CLOSURE, reason = ''): void {
    if (this.state !== WebSocketState.OPEN) return;
    if (code !== null && !isValidWireCloseCode(code)) {
      throw new UsageError('ERR_WS_INVALID_CLOSE_CODE', `close code ${code} may not be sent`);
    }
    const reasonBytes = reason === '' ? EMPTY : utf8Encoder.encode(reason);
    if (reasonBytes.length > MAX_CLOSE_REASON || (code === null && reasonBytes.length > 0)) {
      throw new UsageError('ERR_WS_INVALID_CLOSE_REASON', 'close reason above 123 bytes or without a code');
    }
    this.writeClose(code ?? -1, reasonBytes);
    this.state = transition(this.state, WebSocketInput.SEND_CLOSE);
  }

  /**
   * The frames queued since the last call, writev-ready. Lifetime: the connection never modifies a returned
   * chunk; payloads passed by reference stay the caller's.
   */
  takeOutput(): Uint8Array[] {
    this.flushSpan();
    this.controlQueued = 0;
    if (this.chunks.length === 0) return [];
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  /** True when {@link takeOutput} has something. */
  get hasOutput(): boolean {
    return this.chunks.length > 0 || this.arenaPos > this.spanStart;
  }

  private sendMessage(opcode: number, data: Uint8Array, options: SendOptions | undefined): void {
    this.checkCanSend();
    if (this.sendOpcode !== 0) {
      throw new UsageError(
        'ERR_WS_FRAGMENT_IN_PROGRESS',
        'a fragmented message is being sent; finish it first',
      );
    }
    if (this.deflater !== null && options?.compress !== false) {
      const payload = this.deflater.compress(data, true);
      this.writeFrame(true, RSV1, opcode, payload, 0, payload.length);
    } else {
      this.writeFrame(true, 0, opcode, data, 0, data.length);
    }
  }

  private checkCanSend(): void {
    // RFC 6455 §5.5.1: after sending a Close frame the endpoint sends no more data.
    if (this.state !== WebSocketState.OPEN) {
      throw new UsageError('ERR_WS_CLOSED', 'the connection is closing or closed');
    }
  }

  private checkControl(data: Uint8Array): void {
    this.checkCanSend();
    if (data.length > MAX_CONTROL_PAYLOAD) {
      throw new UsageError('ERR_WS_CONTROL_TOO_BIG', `control payload of ${data.length} bytes above 125`);
    }
  }

  /** `code` -1: empty body. */
  private writeClose(code: number, reason: Uint8Array): void {
    if (code < 0) {
      this.queueControl(Opcode.CLOSE, EMPTY, 0, 0);
      return;
    }
    const body = new Uint8Array(2 + reason.length);
    body[0] = code >>> 8;
    body[1] = code & 0xff;
    body.set(reason, 2);
    this.queueControl(Opcode.CLOSE, body, 0, body.length);
  }

  /** Control frames the connection queues on its own count against maxControlQueue. */
  private queueControl(opcode: number, data: Uint8Array, start: number, end: number): void {
    if (++this.controlQueued > this.limits.maxControlQueue && opcode === Opcode.PONG) {
      throw this.error(
        CloseCode.POLICY_VIOLATION,
        'ERR_WS_CONTROL_FLOOD',
        `more than maxControlQueue ${this.limits.maxControlQueue} control frames queued`,
      );
    }
    this.writeFrame(true, 0, opcode, data, start, end);
  }

  /**
   * Writes one frame. Headers go to the arena; small payloads and every client payload (masking copies once,
   * RFC 6455 §5.3) are copied after the header; large server payloads are queued by reference.
   */
  private writeFrame(
    fin: boolean,
    rsv: number,
    opcode: number,
    data: Uint8Array,
    start: number,
    end: number,
  ): void {
    const len = end - start;
    const isMasked = this.role === 'client';
    const headerLen = frameHeaderSize(len, isMasked);
    let key: Uint8Array | null = null;
    let keyStart = 0;
    if (isMasked) {
      if (this.keyPos === KEY_POOL_BYTES) {
        this.randomFill(this.keyPool);
        this.keyPos = 0;
      }
      key = this.keyPool;
      keyStart = this.keyPos;
      this.keyPos += 4;
    }
    if (!isMasked && len > COALESCE_BYTES) {
      this.reserve(headerLen);
      this.arenaPos = encodeFrameHeader(this.arena, this.arenaPos, fin, rsv, opcode, len, null);
      this.flushSpan();
      this.chunks.push(start === 0 && end === data.length ? data : data.subarray(start, end));
      return;
    }
    const total = headerLen + len;
    if (total > ARENA_BYTES) {
      // Too big for the arena: one exact buffer for header and (masked) payload.
      this.flushSpan();
      const buf = new Uint8Array(total);
      const p = encodeFrameHeader(buf, 0, fin, rsv, opcode, len, key, keyStart);
      buf.set(data.subarray(start, end), p);
      if (key !== null) maskInPlace(buf, p, total, key, keyStart, 0);
      this.chunks.push(buf);
      return;
    }
    this.reserve(total);
    const p = encodeFrameHeader(this.arena, this.arenaPos, fin, rsv, opcode, len, key, keyStart);
    this.arena.set(start === 0 && end === data.length ? data : data.subarray(start, end), p);
    if (key !== null) maskInPlace(this.arena, p, p + len, key, keyStart, 0);
    this.arenaPos = p + len;
  }

  /** Makes room for `n` bytes in the arena; a full arena is handed out and replaced, never reused. */
  private reserve(n: number): void {
    if (this.arenaPos + n <= this.arena.length) return;
    this.flushSpan();
    this.arena = new Uint8Array(ARENA_BYTES);
    this.arenaPos = 0;
    this.spanStart = 0;
  }

  /** Turns the arena bytes written since the last flush into one output chunk. */
  private flushSpan(): void {
    if (this.arenaPos > this.spanStart) {
      this.chunks.push(this.arena.subarray(this.spanStart, this.arenaPos));
      this.spanStart = this.arenaPos;
    }
  }
}

/**
 * The default allocator of single-frame messages: up to POOL_MAX_MESSAGE bytes they are carved from a
 * shared slab (as Node's Buffer pool does) instead of one zero-filled ArrayBuffer each, which on small-message
 * echo traffic was the core's largest cost. A slab region is never reused, so a message's bytes stay valid
 * as long as the application holds them; regions start on 8-byte boundaries so unmasking takes the 32-bit
 * word path. The slab stays below glibc's 128 KiB mmap threshold (a larger one costs page faults on each).
 */
const POOL_BYTES = 64 * 1024;
const POOL_MAX_MESSAGE = 4 * 1024;
let pool = new Uint8Array(POOL_BYTES);
let poolPos = 0;

function poolAlloc(n: number): Uint8Array {
  if (n > POOL_MAX_MESSAGE) return new Uint8Array(n);
  if (poolPos + n > POOL_BYTES) {
    pool = new Uint8Array(POOL_BYTES);
    poolPos = 0;
  }
  const out = pool.subarray(poolPos, poolPos + n);
  poolPos = (poolPos + n + 7) & ~7;
  return out;
}

function defaultRandomFill(dst: Uint8Array): void {
  globalThis.crypto.getRandomValues(dst);
}
