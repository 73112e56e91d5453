/**
 * The sending part of a stream, RFC 9000 §3.1 (Figure 2):
 *
 *        o
 *        | Create Stream (Sending)
 *        | Peer Creates Bidirectional Stream
 *        v
 *    +-------+
 *    | Ready | Send RESET_STREAM
 *    |       |-----------------------.
 *    +-------+                       |
 *        |                           |
 *        | Send STREAM /             |
 *        |      STREAM_DATA_BLOCKED  |
 *        v                           |
 *    +-------+                       |
 *    | Send  | Send RESET_STREAM     |
 *    |       |---------------------->|
 *    +-------+                       |
 *        |                           |
 *        | Send STREAM + FIN         |
 *        v                           v
 *    +-------+                   +-------+
 *    | Data  | Send RESET_STREAM | Reset |
 *    | Sent  |------------------>| Sent  |
 *    +-------+                   +-------+
 *        |                           |
 *        | Recv All ACKs             | Recv ACK
 *        v                           v
 *    +-------+                   +-------+
 *    | Data  |                   | Reset |
 *    | Recvd |                   | Recvd |
 *    +-------+                   +-------+
 *
 * Pure bookkeeping: the connection asks `nextFrame` for the next STREAM frame's contents, `takeReset` for a
 * RESET_STREAM, `takeStreamDataBlocked` for a STREAM_DATA_BLOCKED, and reports acknowledgements and losses
 * of what it sent. `transition` is the only place a next state is computed; every input here is a local
 * action or an acknowledgement, so an unlisted pair is the caller's mistake (UsageError).
 */
import { UsageError, assertNever } from '../../common/errors.js';
import { SendCredit, VARINT_BOUND } from './flow-control.js';
import { SendBuffer } from './send-buffer.js';

/** Sending-part states (RFC 9000 §3.1). */
export const SendState = {
  Ready: 0,
  Send: 1,
  DataSent: 2,
  DataRecvd: 3,
  ResetSent: 4,
  ResetRecvd: 5,
} as const;
/** One of {@link SendState}. */
export type SendState = (typeof SendState)[keyof typeof SendState];

/** Inputs of the sending state machine. */
export const SendInput = {
  /** A STREAM frame without FIN, or STREAM_DATA_BLOCKED, goes out (also retransmissions). */
  SendStream: 0,
  /** A STREAM frame with FIN goes out. */
  SendFin: 1,
  /** RESET_STREAM goes out. */
  SendReset: 2,
  /** Every byte and the FIN are acknowledged. */
  RecvAllAcks: 3,
  /** The RESET_STREAM is acknowledged. */
  RecvResetAck: 4,
} as const;
/** One of {@link SendInput}. */
export type SendInput = (typeof SendInput)[keyof typeof SendInput];

const STATE_NAMES = ['Ready', 'Send', 'Data Sent', 'Data Recvd', 'Reset Sent', 'Reset Recvd'];
const INPUT_NAMES = [
  'send STREAM',
  'send STREAM+FIN',
  'send RESET_STREAM',
  'recv all ACKs',
  'recv ACK of reset',
];

/** The next sending state for `input` in `state` (RFC 9000 §3.1), or a UsageError for an unlisted pair. */
export function sendTransition(state: SendState, input: SendInput): SendState {
  const S = SendState;
  const I = SendInput;
  switch (state) {
    case S.Ready:
      if (input === I.SendStream) return S.Send;
      if (input === I.SendReset) return S.ResetSent;
      break;
    case S.Send:
      if (input === I.SendStream) return S.Send;
      if (input === I.SendFin) return S.DataSent;
      if (input === I.SendReset) return S.ResetSent;
      break;
    case S.DataSent:
      // Retransmissions of data and of the FIN keep the state.
      if (input === I.SendStream || input === I.SendFin) return S.DataSent;
      if (input === I.SendReset) return S.ResetSent;
      if (input === I.RecvAllAcks) return S.DataRecvd;
      break;
    case S.ResetSent:
      if (input === I.RecvResetAck) return S.ResetRecvd;
      break;
    case S.DataRecvd:
    case S.ResetRecvd:
      break;
    default:
      return assertNever(state, 'send state');
  }
  throw new UsageError(
    'ERR_QUIC_STREAM_STATE',
    `cannot ${INPUT_NAMES[input]!} in send state ${STATE_NAMES[state]!}`,
  );
}

/** The contents of one STREAM frame: data at `offset` as views into the written chunks, and the FIN bit. */
export interface StreamFrameData {
  /** Stream offset of the first byte. */
  readonly offset: number;
  /** Number of data bytes (sum of `chunks` lengths; 0 for a FIN-only frame). */
  readonly length: number;
  /** Views into the application's chunks, in order. Lifetime: valid until the range is acknowledged. */
  readonly chunks: readonly Uint8Array[];
  readonly fin: boolean;
  /**
   * Bytes never sent before, which consumed connection-level credit; 0 for a retransmission. The caller
   * charges this to the connection's {@link SendCredit}.
   */
  readonly newBytes: number;
}

/** A RESET_STREAM to send (RFC 9000 §19.4). */
export interface ResetStreamData {
  readonly errorCode: number;
  /** RFC 9000 §4.5: the final size is the amount of flow-control credit the stream consumed. */
  readonly finalSize: number;
}

/** The sending part of one stream (RFC 9000 §3.1, §2.2, §4.1, §13.3). */
export class SendStream {
  /** Current state; only `sendTransition` computes the next one. */
  state: SendState = SendState.Ready;
  /** Stream-level send credit from the peer's MAX_STREAM_DATA (RFC 9000 §4.1). */
  readonly credit: SendCredit;
  private readonly buf = new SendBuffer();
  private isFinWritten = false;
  private isFinSent = false;
  private isFinAcked = false;
  /** The FIN was declared lost and must go out again. */
  private isFinLost = false;
  private resetCode = 0;
  private isResetPending = false;
  private finalSizeValue = -1;

  /** `initialMaxStreamData`: the peer's initial_max_stream_data_* transport parameter for this stream. */
  constructor(initialMaxStreamData: number) {
    this.credit = new SendCredit(initialMaxStreamData);
  }

  private go(input: SendInput): void {
    this.state = sendTransition(this.state, input);
  }

  /** True while the application may still write (before FIN and before any reset). */
  get canWrite(): boolean {
    return !this.isFinWritten && (this.state === SendState.Ready || this.state === SendState.Send);
  }

  /** Bytes written and not yet acknowledged in order (what the stream holds). */
  get bufferedBytes(): number {
    return this.buf.bufferedBytes;
  }

  /** Offset after the last written byte. */
  get writtenBytes(): number {
    return this.buf.writtenEnd;
  }

  /** Every byte below this offset is acknowledged. */
  get ackedBytes(): number {
    return this.buf.ackedEnd;
  }

  /** The error code given to `reset` (or taken from STOP_SENDING), when reset. */
  get errorCode(): number | undefined {
    return this.state === SendState.ResetSent || this.state === SendState.ResetRecvd
      ? this.resetCode
      : undefined;
  }

  /**
   * Queues `chunks` by reference (no copy) and, with `fin`, ends the stream. Lifetime: the caller must not
   * mutate a chunk until it is acknowledged (see `ackedBytes`). Writing after FIN or a reset is a UsageError;
   * the connection checks `canWrite` first.
   */
  write(chunks: readonly Uint8Array[], fin: boolean): void {
    if (!this.canWrite) {
      throw new UsageError('ERR_QUIC_STREAM_STATE', `cannot write in send state ${STATE_NAMES[this.state]!}`);
    }
    let total = this.buf.writtenEnd;
    for (const c of chunks) total += c.length;
    // RFC 9000 §4.5, §19.8: a stream's final size cannot exceed 2^62-1.
    if (total >= VARINT_BOUND) {
      throw new UsageError('ERR_QUIC_STREAM_TOO_LONG', `stream would reach ${total} bytes, above 2^62-1`);
    }
    for (const c of chunks) this.buf.push(c);
    if (fin) this.isFinWritten = true;
  }

  /** True when a frame is ready to send now (ignoring connection credit for new bytes). */
  get hasPendingData(): boolean {
    if (!this.isSending) return false;
    if (this.buf.hasLost || this.isFinLost) return true;
    if (this.buf.unsentBytes > 0 && this.credit.available > 0) return true;
    return this.isFinWritten && !this.isFinSent && this.buf.unsentBytes === 0;
  }

  private get isSending(): boolean {
    return (
      this.state === SendState.Ready || this.state === SendState.Send || this.state === SendState.DataSent
    );
  }

  /**
   * The contents of the next STREAM frame with at most `maxDataBytes` data bytes, or null when nothing can
   * be sent. Lost ranges go first (they consume no credit); new data is bounded by the peer's
   * MAX_STREAM_DATA and by `connectionCredit` (RFC 9000 §4.1). A FIN-only frame needs `maxDataBytes` >= 0.
   */
  nextFrame(maxDataBytes: number, connectionCredit: number): StreamFrameData | null {
    if (!this.isSending) return null;
    const buf = this.buf;
    const lost = buf.takeLost(maxDataBytes);
    if (lost !== null) {
      // RFC 9000 §13.3: a lost FIN is resent with the last lost range that reaches the final size.
      const fin = this.isFinLost && lost.end === buf.writtenEnd;
      if (fin) this.isFinLost = false;
      this.go(fin ? SendInput.SendFin : SendInput.SendStream);
      return {
        offset: lost.start,
        length: lost.end - lost.start,
        chunks: buf.views(lost.start, lost.end),
        fin,
        newBytes: 0,
      };
    }
    if (this.isFinLost && !buf.hasLost && buf.unsentBytes === 0) {
      this.isFinLost = false;
      this.go(SendInput.SendFin);
      return { offset: buf.writtenEnd, length: 0, chunks: [], fin: true, newBytes: 0 };
    }
    const n = Math.max(0, Math.min(buf.unsentBytes, this.credit.available, connectionCredit, maxDataBytes));
    const fin = this.isFinWritten && !this.isFinSent && n === buf.unsentBytes;
    if (n === 0 && !fin) return null;
    const start = buf.takeNew(n);
    this.credit.consume(n);
    if (fin) {
      this.isFinSent = true;
      if (this.state === SendState.Ready) this.go(SendInput.SendStream);
      this.go(SendInput.SendFin);
    } else {
      this.go(SendInput.SendStream);
    }
    return { offset: start, length: n, chunks: buf.views(start, start + n), fin, newBytes: n };
  }

  /**
   * The limit for a STREAM_DATA_BLOCKED frame when new data waits on the peer's MAX_STREAM_DATA (RFC 9000
   * §4.1), once per limit value; null otherwise.
   */
  takeStreamDataBlocked(): number | null {
    if (!this.isSending) return null;
    const limit = this.credit.takeBlocked(this.buf.unsentBytes > 0);
    if (limit !== null && this.state === SendState.Ready) this.go(SendInput.SendStream);
    return limit;
  }

  /** A STREAM_DATA_BLOCKED frame carrying `limit` was lost: report it again if still blocked at that limit. */
  onStreamDataBlockedLost(limit: number): void {
    this.credit.onBlockedLost(limit);
  }

  /** Applies the peer's MAX_STREAM_DATA (RFC 9000 §4.1: smaller values are ignored). Answers whether it grew. */
  onMaxStreamData(max: number): boolean {
    return this.credit.onMaxUpdate(max);
  }

  /**
   * A STREAM frame `[offset, offset + length)` (with `fin`) was acknowledged. Answers how many bytes became
   * acknowledged in order (for `streamAcked` events); releases their chunks. When every byte and the FIN
   * are acknowledged the stream reaches Data Recvd (RFC 9000 §3.1).
   */
  onAcked(offset: number, length: number, fin: boolean): number {
    if (!this.isSending) return 0;
    const n = this.buf.onAcked(offset, offset + length);
    if (fin && this.isFinSent) {
      this.isFinAcked = true;
      this.isFinLost = false;
    }
    if (this.isFinAcked && this.buf.ackedEnd === this.buf.writtenEnd) {
      this.go(SendInput.RecvAllAcks);
      this.buf.releaseAll();
    }
    return n;
  }

  /** A STREAM frame `[offset, offset + length)` (with `fin`) was lost: re-queue what is not acknowledged. */
  onLost(offset: number, length: number, fin: boolean): void {
    if (!this.isSending) return;
    this.buf.onLost(offset, offset + length);
    if (fin && this.isFinSent && !this.isFinAcked) this.isFinLost = true;
  }

  /**
   * Abandons the stream with `errorCode` (RFC 9000 §3.1 Send RESET_STREAM): unsent and unacknowledged data
   * is dropped and a RESET_STREAM is queued with the final size (RFC 9000 §4.5: the credit consumed, i.e.
   * the bytes sent). Answers false (and does nothing) when the stream is already reset or fully acknowledged.
   */
  reset(errorCode: number): boolean {
    if (!this.isSending) return false;
    this.go(SendInput.SendReset);
    this.resetCode = errorCode;
    this.finalSizeValue = this.buf.sentEnd;
    this.isResetPending = true;
    this.buf.releaseAll();
    return true;
  }

  /**
   * The peer sent STOP_SENDING (RFC 9000 §3.5): an endpoint SHOULD answer with RESET_STREAM, and may reuse
   * the peer's code, which this does. Answers whether a reset was queued.
   */
  onStopSending(errorCode: number): boolean {
    return this.reset(errorCode);
  }

  /** The RESET_STREAM to send, once (again after `onResetLost`); null when none is due. */
  takeReset(): ResetStreamData | null {
    if (!this.isResetPending || this.state !== SendState.ResetSent) return null;
    this.isResetPending = false;
    return { errorCode: this.resetCode, finalSize: this.finalSizeValue };
  }

  /** The RESET_STREAM was lost (RFC 9000 §13.3: resent until acknowledged). */
  onResetLost(): void {
    if (this.state === SendState.ResetSent) this.isResetPending = true;
  }

  /** The RESET_STREAM was acknowledged: Reset Recvd, a terminal state (RFC 9000 §3.1). */
  onResetAcked(): void {
    if (this.state === SendState.ResetSent) this.go(SendInput.RecvResetAck);
  }

  /**
   * True when nothing written still awaits acknowledgement: every byte and a written FIN were acknowledged,
   * or the stream was reset (its data abandoned, RFC 9000 §3.1). A graceful close waits for this.
   */
  get isSettled(): boolean {
    if (this.state === SendState.ResetSent || this.state === SendState.ResetRecvd) return true;
    return this.buf.ackedEnd === this.buf.writtenEnd && (!this.isFinWritten || this.isFinAcked);
  }

  /** True in a terminal state (Data Recvd or Reset Recvd): the stream's sending part can be forgotten. */
  get isTerminal(): boolean {
    return this.state === SendState.DataRecvd || this.state === SendState.ResetRecvd;
  }
}
