/**
 * The receiving part of a stream, RFC 9000 §3.2 (Figure 3):
 *
 *        o
 *        | Recv STREAM / STREAM_DATA_BLOCKED / RESET_STREAM
 *        | Create Bidirectional Stream (Sending)
 *        | Recv MAX_STREAM_DATA / STOP_SENDING (Bidirectional)
 *        | Create Higher-Numbered Stream
 *        v
 *    +-------+
 *    | Recv  | Recv RESET_STREAM
 *    |       |-----------------------.
 *    +-------+                       |
 *        |                           |
 *        | Recv STREAM + FIN         |
 *        v                           |
 *    +-------+                       |
 *    | Size  | Recv RESET_STREAM     |
 *    | Known |---------------------->|
 *    +-------+                       |
 *        |                           |
 *        | Recv All Data             |
 *        v                           v
 *    +-------+ Recv RESET_STREAM +-------+
 *    | Data  |--- (optional) --->| Reset |
 *    | Recvd |  Recv All Data    | Recvd |
 *    +-------+<-- (optional) ----+-------+
 *        |                           |
 *        | App Read All Data         | App Read Reset
 *        v                           v
 *    +-------+                   +-------+
 *    | Data  |                   | Reset |
 *    | Read  |                   | Read  |
 *    +-------+                   +-------+
 *
 * Of the two optional transitions this takes neither: a RESET_STREAM arriving in Data Recvd is checked and
 * then ignored (every byte is already here, so the application gets the whole stream), and data completing
 * after a reset is dropped. Peer violations (final size, flow control) are checked before `recvTransition`
 * runs, so an unlisted pair there is the caller's mistake (UsageError).
 */
import { UsageError, assertNever } from '../../common/errors.js';
import { quicError } from '../errors.js';
import { RecvCredit, VARINT_BOUND } from './flow-control.js';
import { DEFAULT_MAX_SEGMENTS, Reassembler } from './reassembly.js';

/** Receiving-part states (RFC 9000 §3.2). */
export const RecvState = {
  Recv: 0,
  SizeKnown: 1,
  DataRecvd: 2,
  DataRead: 3,
  ResetRecvd: 4,
  ResetRead: 5,
} as const;
/** One of {@link RecvState}. */
export type RecvState = (typeof RecvState)[keyof typeof RecvState];

/** Inputs of the receiving state machine. */
export const RecvInput = {
  /** A STREAM frame without FIN arrives. */
  RecvStream: 0,
  /** A STREAM frame with FIN arrives. */
  RecvFin: 1,
  /** Every byte up to the final size is here. */
  RecvAllData: 2,
  /** A RESET_STREAM arrives. */
  RecvReset: 3,
  /** The application read the last byte. */
  AppReadAllData: 4,
  /** The application was told about the reset. */
  AppReadReset: 5,
} as const;
/** One of {@link RecvInput}. */
export type RecvInput = (typeof RecvInput)[keyof typeof RecvInput];

const STATE_NAMES = ['Recv', 'Size Known', 'Data Recvd', 'Data Read', 'Reset Recvd', 'Reset Read'];
const INPUT_NAMES = [
  'recv STREAM',
  'recv STREAM+FIN',
  'recv all data',
  'recv RESET_STREAM',
  'read all data',
  'read reset',
];

/** STREAM frame types carry 0x08-0x0f; 0x08 stands for all of them in errors (RFC 9000 §19.8). */
const STREAM_FRAME = 0x08;
const RESET_STREAM_FRAME = 0x04;

/** The next receiving state for `input` in `state` (RFC 9000 §3.2), or a UsageError for an unlisted pair. */
export function recvTransition(state: RecvState, input: RecvInput): RecvState {
  const S = RecvState;
  const I = RecvInput;
  switch (state) {
    case S.Recv:
      if (input === I.RecvStream) return S.Recv;
      if (input === I.RecvFin) return S.SizeKnown;
      if (input === I.RecvReset) return S.ResetRecvd;
      break;
    case S.SizeKnown:
      if (input === I.RecvStream || input === I.RecvFin) return S.SizeKnown;
      if (input === I.RecvAllData) return S.DataRecvd;
      if (input === I.RecvReset) return S.ResetRecvd;
      break;
    case S.DataRecvd:
      // Late duplicates, and a reset we choose to ignore (the optional arrow), keep the state.
      if (input === I.RecvStream || input === I.RecvFin || input === I.RecvReset) return S.DataRecvd;
      if (input === I.AppReadAllData) return S.DataRead;
      break;
    case S.ResetRecvd:
      if (input === I.RecvStream || input === I.RecvFin || input === I.RecvReset) return S.ResetRecvd;
      if (input === I.AppReadReset) return S.ResetRead;
      break;
    case S.DataRead:
    case S.ResetRead:
      if (input === I.RecvStream || input === I.RecvFin || input === I.RecvReset) return state;
      break;
    default:
      return assertNever(state, 'receive state');
  }
  throw new UsageError(
    'ERR_QUIC_STREAM_STATE',
    `cannot ${INPUT_NAMES[input]!} in receive state ${STATE_NAMES[state]!}`,
  );
}

const EMPTY = new Uint8Array(0);

/** The receiving part of one stream (RFC 9000 §3.2, §2.2, §4.1, §4.5). */
export class RecvStream {
  /** Current state; only `recvTransition` computes the next one. */
  state: RecvState = RecvState.Recv;
  /** Stream-level receive credit: the MAX_STREAM_DATA we advertise (RFC 9000 §4.1). */
  readonly credit: RecvCredit;
  private readonly reasm: Reassembler;
  /** Highest offset received (RFC 9000 §4.5: the final size may not go below it). */
  private highest = 0;
  private finalSizeValue = -1;
  private resetCodeValue = -1;
  /** The application stopped reading (or the stream was reset): data is counted, then dropped. */
  private isDiscarding = false;

  /**
   * `window`: the initial_max_stream_data_* we advertised for this stream, kept as the window.
   * `maxSegments`: bound on out-of-order pieces held (see {@link Reassembler}).
   * `maxWindow`: how far auto-tuning may grow the window (see {@link RecvCredit}); none by default.
   */
  constructor(window: number, maxSegments: number = DEFAULT_MAX_SEGMENTS, maxWindow: number = window) {
    this.credit = new RecvCredit(window, maxWindow);
    this.reasm = new Reassembler(maxSegments, STREAM_FRAME);
  }

  private go(input: RecvInput): void {
    this.state = recvTransition(this.state, input);
  }

  /** The final size once known (FIN or RESET_STREAM), else undefined. */
  get finalSize(): number | undefined {
    return this.finalSizeValue < 0 ? undefined : this.finalSizeValue;
  }

  /** Highest offset received so far. */
  get highestOffset(): number {
    return this.highest;
  }

  /** Every byte below this offset has been returned by `read`. */
  get readOffset(): number {
    return this.reasm.readOffset;
  }

  /** Bytes held for reading (in order or not). */
  get bufferedBytes(): number {
    return this.reasm.bufferedBytes;
  }

  /** The peer's RESET_STREAM error code once reset, else undefined. */
  get resetCode(): number | undefined {
    return this.resetCodeValue < 0 ? undefined : this.resetCodeValue;
  }

  /** True once every byte and the end were read, or discarded after `discard` (Data Read). */
  get isFinished(): boolean {
    return this.state === RecvState.DataRead;
  }

  /** True in a terminal state (Data Read or Reset Read): the receiving part can be forgotten. */
  get isTerminal(): boolean {
    return this.state === RecvState.DataRead || this.state === RecvState.ResetRead;
  }

  /**
   * Checks the final-size and flow-control rules for data ending at `end` (with FIN when `fin`) and charges
   * the growth of the highest offset. Answers that growth.
   */
  private account(end: number, fin: boolean, frameType: number): number {
    // RFC 9000 §19.8, §4.5: offsets cannot exceed 2^62-1.
    if (end >= VARINT_BOUND) {
      throw quicError('FRAME_ENCODING_ERROR', `stream data ends at ${end}, above 2^62-1`, { frameType });
    }
    const known = this.finalSizeValue;
    // RFC 9000 §4.5: data beyond a known final size, or a different final size, is a FINAL_SIZE_ERROR.
    if (known >= 0 && (end > known || (fin && end !== known))) {
      throw quicError(
        'FINAL_SIZE_ERROR',
        `final size ${known} known, frame ends at ${end}${fin ? ' with FIN' : ''}`,
        {
          frameType,
        },
      );
    }
    // RFC 9000 §4.5: a final size below data already received is a FINAL_SIZE_ERROR.
    if (fin && end < this.highest) {
      throw quicError('FINAL_SIZE_ERROR', `final size ${end} below received offset ${this.highest}`, {
        frameType,
      });
    }
    const grown = end > this.highest ? end - this.highest : 0;
    // RFC 9000 §4.1: data beyond the advertised MAX_STREAM_DATA is a FLOW_CONTROL_ERROR.
    this.credit.receive(grown, frameType);
    this.highest += grown;
    if (fin) this.finalSizeValue = end;
    return grown;
  }

  /**
   * A STREAM frame: `data` at `offset`, `fin` when it carries FIN. Throws a QuicError for FINAL_SIZE_ERROR,
   * FLOW_CONTROL_ERROR (beyond the window we advertised) or FRAME_ENCODING_ERROR. Answers how far the
   * highest offset grew: the caller charges it to the connection's receive credit (RFC 9000 §4.1, sum of
   * highest offsets), and while `isDiscardingData` also consumes it there at once.
   *
   * Lifetime: `data` may be a view into a reused datagram buffer; new bytes are copied before returning,
   * unless `isOwned` says the caller hands `data` over and never writes it again (it may then be kept as
   * a view and returned by `read`).
   */
  receive(offset: number, data: Uint8Array, fin: boolean, frameType = STREAM_FRAME, isOwned = false): number {
    const grown = this.account(offset + data.length, fin, frameType);
    const s = this.state;
    if (s === RecvState.Recv || s === RecvState.SizeKnown) {
      if (this.isDiscarding) {
        this.credit.consume(grown);
        this.credit.cancelUpdates();
      } else {
        this.reasm.insert(offset, data, isOwned);
      }
      this.go(fin ? RecvInput.RecvFin : RecvInput.RecvStream);
      this.checkAllData();
    } else {
      this.go(fin ? RecvInput.RecvFin : RecvInput.RecvStream);
    }
    return grown;
  }

  private checkAllData(): void {
    if (this.state === RecvState.SizeKnown) {
      // While discarding nothing is kept, so reaching the final size is enough.
      const isComplete = this.isDiscarding
        ? this.highest === this.finalSizeValue
        : this.finalSizeValue === this.reasm.readOffset + this.reasm.bufferedBytes;
      if (isComplete) {
        this.go(RecvInput.RecvAllData);
        this.credit.cancelUpdates();
      }
    }
    // Discarded data counts as read: the stream can reach its terminal state without the application.
    if (this.state === RecvState.DataRecvd && this.isDiscarding) this.go(RecvInput.AppReadAllData);
  }

  /** True after `discard`: the caller consumes `receive`'s growth at the connection level right away. */
  get isDiscardingData(): boolean {
    return this.isDiscarding;
  }

  /**
   * The next contiguous bytes in stream order, or null when the next byte has not arrived. After the last
   * byte the state is Data Read (`isFinished`); when the end arrives with no byte left to return (empty
   * stream, or a FIN-only frame after everything was read) one zero-length array is returned to carry it.
   * Lifetime: the bytes are the stream's own copy; the caller keeps them.
   */
  read(): Uint8Array | null {
    const s = this.state;
    if (s !== RecvState.Recv && s !== RecvState.SizeKnown && s !== RecvState.DataRecvd) return null;
    const bytes = this.reasm.read();
    if (s === RecvState.DataRecvd && this.reasm.readOffset === this.finalSizeValue) {
      this.go(RecvInput.AppReadAllData);
      return bytes ?? EMPTY;
    }
    return bytes;
  }

  /**
   * The application consumed `n` bytes it read: their credit may go back to the peer (STYLE §3.1). The
   * caller consumes them at the connection level too. `nowMs` and `rttMs` feed window auto-tuning.
   */
  consumed(n: number, nowMs = NaN, rttMs = NaN): void {
    // After `discard` every byte already counts as consumed; a late call from the application is harmless.
    if (this.isDiscarding) return;
    if (this.credit.consumed + n > this.reasm.readOffset) {
      throw new UsageError(
        'ERR_QUIC_FLOW_CONTROL',
        `consuming ${n} bytes with ${this.reasm.readOffset - this.credit.consumed} read and not consumed`,
      );
    }
    this.credit.consume(n, nowMs, rttMs);
  }

  /**
   * The new limit for a MAX_STREAM_DATA frame when half the window is used, once; null otherwise or when no
   * more data can come (RFC 9000 §3.2: only in Recv; a known final size needs no more credit).
   */
  maxStreamDataUpdate(): number | null {
    if (this.state !== RecvState.Recv || this.isDiscarding) {
      this.credit.cancelUpdates();
      return null;
    }
    return this.credit.takeUpdate();
  }

  /** A MAX_STREAM_DATA frame carrying `limit` was lost: resend if still current (RFC 9000 §13.3). */
  onMaxStreamDataLost(limit: number): void {
    this.credit.onUpdateLost(limit);
  }

  /**
   * A RESET_STREAM with `errorCode` and `finalSize` (RFC 9000 §3.2, §19.4). Checks the final size
   * (FINAL_SIZE_ERROR) and flow control (FLOW_CONTROL_ERROR) like data does, drops what is buffered, and
   * answers the highest-offset growth for the connection's receive credit. The caller then tells the
   * application (`state` is Reset Recvd), calls `readReset`, and returns the stream's unconsumed credit
   * with `discard`.
   */
  onReset(errorCode: number, finalSize: number, frameType = RESET_STREAM_FRAME): number {
    const known = this.finalSizeValue;
    // RFC 9000 §4.5: RESET_STREAM must repeat a known final size and not go below received data.
    if (known >= 0 && finalSize !== known) {
      throw quicError('FINAL_SIZE_ERROR', `RESET_STREAM final size ${finalSize}, known ${known}`, {
        frameType,
      });
    }
    const grown = this.account(finalSize, true, frameType);
    const before = this.state;
    this.go(RecvInput.RecvReset);
    if (before !== RecvState.ResetRecvd && this.state === RecvState.ResetRecvd) {
      this.resetCodeValue = errorCode;
      this.reasm.clear();
      this.credit.cancelUpdates();
    }
    return grown;
  }

  /** The application was told about the reset: Reset Read (RFC 9000 §3.2). */
  readReset(): void {
    this.go(RecvInput.AppReadReset);
  }

  /**
   * Stops keeping data (after a reset, or when the application sends STOP_SENDING, RFC 9000 §3.5): buffered
   * bytes are dropped and every byte received so far counts as consumed. Answers the credit released, which
   * the caller consumes at the connection level. Later data is still checked and counted, then dropped.
   */
  discard(): number {
    const released = this.highest - this.credit.consumed;
    this.isDiscarding = true;
    this.reasm.clear();
    this.credit.consume(released);
    this.credit.cancelUpdates();
    this.checkAllData();
    return released;
  }
}
