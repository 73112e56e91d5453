/**
 * Field blocks (RFC 9113 §4.3, §6.2, §6.10): a HEADERS frame and the CONTINUATION frames that follow it
 * until END_HEADERS carry one HPACK-encoded block. Its disposition is decided from the stream's state when
 * the HEADERS frame arrives, but the block is always decoded, to keep the HPACK context in sync (§4.3).
 *
 *                  HEADERS, stream open or new (§5.1)       +-----------+
 *            ,--------------------------------------------> |  deliver  |---.
 *            |     HEADERS, stream we reset (§5.1)          +-----------+   |
 *       +--------+ -----------------------------------> +-----------+       | END_HEADERS (on the HEADERS
 *       |  idle  |                                      |  ignore   |------>| frame or the last
 *       +--------+                                      +-----------+       | CONTINUATION)
 *          |  ^   HEADERS, stream the peer reset, or one  +-----------+     |
 *          |  |   forgotten (§5.1: STREAM_CLOSED)  -----> |  reject   |---->|
 *          |  |                                           +-----------+     |
 *          |  `-------------------------------------------------------------'
 *          `-- HEADERS on an idle stream it may not open, or after END_STREAM was received: connection
 *              error, decided before decoding (recv.ts, classifyHeaders)
 *
 * While a block is open (not idle), any frame other than CONTINUATION on the same stream is a connection
 * error PROTOCOL_ERROR (§6.10); the connection checks that before dispatching.
 */
import { H2ErrorCode, connectionError } from './errors.js';
import { assertNever, HpackError } from '../common/errors.js';
import type { HpackDecoder, HpackHeaderList } from '../hpack/index.js';
import type { PriorityFields } from './frame/priority.js';

/** What happens to the field block being received. */
export const FieldBlockState = {
  /** No field block in progress. */
  Idle: 0,
  /** Decode and deliver (request, response, interim response or trailers). */
  Deliver: 1,
  /** Decode and drop: we reset the stream (RFC 9113 §5.1: frames after RST_STREAM sent are ignored). */
  Ignore: 2,
  /** Decode, then answer with a stream error STREAM_CLOSED (RFC 9113 §5.1: the peer reset the stream). */
  Reject: 3,
} as const;
/** One of {@link FieldBlockState}. */
export type FieldBlockState = (typeof FieldBlockState)[keyof typeof FieldBlockState];

/** Inputs of the field-block machine: HEADERS classified by the state of its stream, then END_HEADERS. */
export const FieldBlockInput = {
  RecvHeadersDeliver: 0,
  RecvHeadersIgnore: 1,
  RecvHeadersReject: 2,
  RecvEndHeaders: 3,
} as const;
/** One of {@link FieldBlockInput}. */
export type FieldBlockInput = (typeof FieldBlockInput)[keyof typeof FieldBlockInput];

/**
 * The only function that computes the next field-block state. A HEADERS frame inside an open block is a
 * connection error PROTOCOL_ERROR (RFC 9113 §6.10), as is END_HEADERS with no block open.
 */
export function transition(state: FieldBlockState, input: FieldBlockInput): FieldBlockState {
  switch (state) {
    case FieldBlockState.Idle:
      switch (input) {
        case FieldBlockInput.RecvHeadersDeliver:
          return FieldBlockState.Deliver;
        case FieldBlockInput.RecvHeadersIgnore:
          return FieldBlockState.Ignore;
        case FieldBlockInput.RecvHeadersReject:
          return FieldBlockState.Reject;
        case FieldBlockInput.RecvEndHeaders:
          throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'END_HEADERS without a field block');
        default:
          return assertNever(input, 'field-block input');
      }
    case FieldBlockState.Deliver:
    case FieldBlockState.Ignore:
    case FieldBlockState.Reject:
      switch (input) {
        case FieldBlockInput.RecvEndHeaders:
          return FieldBlockState.Idle;
        case FieldBlockInput.RecvHeadersDeliver:
        case FieldBlockInput.RecvHeadersIgnore:
        case FieldBlockInput.RecvHeadersReject:
          throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'HEADERS inside an unfinished field block');
        default:
          return assertNever(input, 'field-block input');
      }
    default:
      return assertNever(state, 'field-block state');
  }
}

/** Limits that bound one field block. */
export interface FieldBlockLimits {
  readonly maxContinuationFrames: number;
  readonly maxHeaderBlockSize: number;
}

/** The field block being received on a connection, and its HPACK decoding. */
export class FieldBlock {
  /** Only `transition` computes it. */
  state: FieldBlockState = FieldBlockState.Idle;
  /** Stream of a block continued by CONTINUATION frames (0 while the block fits its HEADERS frame). */
  streamId = 0;
  endStream = false;
  priority: PriorityFields | undefined = undefined;
  private frames = 0;
  private size = 0;
  private readonly decoder: HpackDecoder;
  private readonly limits: FieldBlockLimits;

  constructor(decoder: HpackDecoder, limits: FieldBlockLimits) {
    this.decoder = decoder;
    this.limits = limits;
  }

  /** True while CONTINUATION frames are expected. */
  get isOpen(): boolean {
    return this.state !== FieldBlockState.Idle;
  }

  /** A HEADERS frame opens a block. Without END_HEADERS, CONTINUATION frames on `streamId` must follow. */
  begin(
    input: FieldBlockInput,
    streamId: number,
    endStream: boolean,
    priority: PriorityFields | undefined,
    endHeaders: boolean,
    fragmentLength: number,
  ): void {
    this.state = transition(this.state, input);
    this.endStream = endStream;
    this.priority = priority;
    if (endHeaders) return;
    this.streamId = streamId;
    this.frames = 0;
    this.size = fragmentLength;
    this.checkSize();
  }

  /** A CONTINUATION frame adds `fragmentLength` octets (bounded: CVE-2024-27316 CONTINUATION flood). */
  continueWith(fragmentLength: number): void {
    this.frames++;
    this.size += fragmentLength;
    if (this.frames > this.limits.maxContinuationFrames) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.limits.maxContinuationFrames} CONTINUATION frames in one field block`,
      );
    }
    this.checkSize();
  }

  /** END_HEADERS: closes the block and returns what to do with it. */
  finish(): FieldBlockState {
    const disposition = this.state;
    this.state = transition(this.state, FieldBlockInput.RecvEndHeaders);
    this.streamId = 0;
    return disposition;
  }

  /** Feeds a fragment to HPACK; returns the list when `last`. HPACK failures are COMPRESSION_ERRORs (§4.3). */
  decode(bytes: Uint8Array, start: number, end: number, last: true): HpackHeaderList;
  decode(bytes: Uint8Array, start: number, end: number, last: false): undefined;
  decode(bytes: Uint8Array, start: number, end: number, last: boolean): HpackHeaderList | undefined {
    try {
      if (last && this.streamId === 0) return this.decoder.decode(bytes, start, end);
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

  private checkSize(): void {
    if (this.size > this.limits.maxHeaderBlockSize) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `field block of ${this.size} octets exceeds the limit ${this.limits.maxHeaderBlockSize}`,
      );
    }
  }
}
