/**
 * Incremental frame reader for one HTTP/3 stream (RFC 9114 §7.1). Accepts any split of the stream's bytes:
 * one `switch (state)` in one loop, with a small scratch for varints that straddle chunks and a carry buffer
 * for non-DATA payloads (bounded by the limits given to the constructor). DATA payloads are never buffered:
 * they are handed out as views into the caller's chunk.
 *
 *   TYPE --varint--> LENGTH --varint--> DATA_PAYLOAD   (DATA: views handed out as they arrive)
 *                                   \-> BUFFER_PAYLOAD (known frames: whole payload, then FRAME)
 *                                   \-> SKIP_PAYLOAD   (unknown and reserved types, §9: ignored)
 */
import { ByteBuffer } from '../../common/bytes.js';
import { VARINT_TOO_LARGE, readVarint, varintLengthFromFirstByte } from '../../common/varint.js';
import { assertNever } from '../../common/errors.js';
import { h3Error } from '../errors.js';
import { FrameType, isHttp2OnlyFrameType } from './types.js';

/** Reader states (see the diagram above). */
export const FrameReaderState = {
  TYPE: 0,
  LENGTH: 1,
  DATA_PAYLOAD: 2,
  BUFFER_PAYLOAD: 3,
  SKIP_PAYLOAD: 4,
} as const;
type FrameReaderStateCode = (typeof FrameReaderState)[keyof typeof FrameReaderState];

/** What the last {@link FrameReader.read} call produced. */
export const FrameReadResult = {
  /** Input exhausted; nothing complete. */
  NEED_MORE: 0,
  /** A complete non-DATA frame of a known type: `frameType`, payload in `payload[payloadStart, payloadEnd)`. */
  FRAME: 1,
  /** A piece of DATA payload in `payload[payloadStart, payloadEnd)` (may be empty for a zero-length frame). */
  DATA: 2,
} as const;
/** One of the {@link FrameReadResult} codes. */
export type FrameReadResultCode = (typeof FrameReadResult)[keyof typeof FrameReadResult];

/** Type value reported for unknown types above 2^53-1 (they are skipped like any unknown type). */
export const FRAME_TYPE_UNKNOWN_LARGE = -1;

const EMPTY = new Uint8Array(0);

/** Largest payload of CANCEL_PUSH, GOAWAY and MAX_PUSH_ID: one 8-byte varint (§7.2.3, §7.2.6, §7.2.7). */
const MAX_ID_PAYLOAD = 8;

/** Streaming HTTP/3 frame reader; one per stream. */
export class FrameReader {
  /** Type of the current frame (valid after FRAME or DATA). */
  frameType: number;
  /** Payload length of the current frame. */
  frameLength: number;
  /**
   * Lifetime: `payload` is either the chunk passed to `read` or the reader's carry buffer; valid until the
   * next `read` call. Copy (`slice`) anything kept longer.
   */
  payload: Uint8Array;
  payloadStart: number;
  payloadEnd: number;
  /** Total bytes consumed so far (for error offsets). */
  offset: number;
  private state: FrameReaderStateCode;
  private remaining: number;
  // Allocated on first use: most frames arrive whole, and a reader is created per request stream.
  private scratch: Uint8Array | null;
  private scratchLength: number;
  private carry: ByteBuffer | null;
  private readonly maxFieldSectionBytes: number;
  private readonly maxOtherPayloadBytes: number;

  /**
   * @param maxFieldSectionBytes largest HEADERS / PUSH_PROMISE payload buffered (H3_EXCESSIVE_LOAD above it)
   * @param maxOtherPayloadBytes largest SETTINGS payload buffered (H3_EXCESSIVE_LOAD above it)
   */
  constructor(maxFieldSectionBytes: number, maxOtherPayloadBytes: number) {
    this.frameType = 0;
    this.frameLength = 0;
    this.payload = EMPTY;
    this.payloadStart = 0;
    this.payloadEnd = 0;
    this.offset = 0;
    this.state = FrameReaderState.TYPE;
    this.remaining = 0;
    this.scratch = null;
    this.scratchLength = 0;
    this.carry = null;
    this.maxFieldSectionBytes = maxFieldSectionBytes;
    this.maxOtherPayloadBytes = maxOtherPayloadBytes;
  }

  /** True between frames (no partial frame pending): a FIN here ends the stream cleanly (§7.1). */
  isAtFrameBoundary(): boolean {
    return this.state === FrameReaderState.TYPE && this.scratchLength === 0;
  }

  /** Bytes held for an incomplete frame (scratch plus carry), for buffer limits. */
  bufferedBytes(): number {
    return this.scratchLength + (this.carry === null ? 0 : this.carry.length);
  }

  /**
   * Reads from `bytes[pos, end)` until one result is ready or the input is exhausted. Returns the new position;
   * the outcome is {@link result}. Call again with the returned position until it equals `end` and the result
   * is NEED_MORE.
   */
  read(bytes: Uint8Array, pos: number, end: number): number {
    this.result = FrameReadResult.NEED_MORE;
    while (pos < end) {
      switch (this.state) {
        case FrameReaderState.TYPE:
        case FrameReaderState.LENGTH: {
          // Varints that straddle chunks are gathered in `scratch`.
          let v: number;
          if (this.scratchLength === 0) {
            const len = varintLengthFromFirstByte(bytes[pos]!);
            if (pos + len > end) {
              this.scratch ??= new Uint8Array(8);
              this.scratch.set(bytes.subarray(pos, end), 0);
              this.scratchLength = end - pos;
              this.offset += end - pos;
              return end;
            }
            v = readVarint(bytes, pos, end);
            pos += len;
            this.offset += len;
          } else {
            const scratch = this.scratch!;
            const len = varintLengthFromFirstByte(scratch[0]!);
            const take = Math.min(len - this.scratchLength, end - pos);
            scratch.set(bytes.subarray(pos, pos + take), this.scratchLength);
            this.scratchLength += take;
            pos += take;
            this.offset += take;
            if (this.scratchLength < len) return pos;
            v = readVarint(scratch, 0, len);
            this.scratchLength = 0;
          }
          if (this.state === FrameReaderState.TYPE) {
            this.frameType = v === VARINT_TOO_LARGE ? FRAME_TYPE_UNKNOWN_LARGE : v;
            this.state = FrameReaderState.LENGTH;
          } else {
            // A length above 2^53-1 can never complete; treat it as the largest length.
            this.frameLength = v === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : v;
            if (this.startPayload()) {
              this.payload = bytes;
              this.payloadStart = pos;
              this.payloadEnd = pos;
              return pos;
            }
          }
          break;
        }
        case FrameReaderState.DATA_PAYLOAD: {
          const take = Math.min(this.remaining, end - pos);
          this.payload = bytes;
          this.payloadStart = pos;
          this.payloadEnd = pos + take;
          this.remaining -= take;
          this.offset += take;
          if (this.remaining === 0) this.state = FrameReaderState.TYPE;
          this.result = FrameReadResult.DATA;
          return pos + take;
        }
        case FrameReaderState.BUFFER_PAYLOAD: {
          const take = Math.min(this.remaining, end - pos);
          if (take === this.remaining && (this.carry === null || this.carry.length === 0)) {
            // Whole payload in this chunk: hand out a view, no copy.
            this.payload = bytes;
            this.payloadStart = pos;
            this.payloadEnd = pos + take;
          } else {
            // Not 0: ByteBuffer.ensure grows by doubling, which never leaves 0.
            const carry = (this.carry ??= new ByteBuffer(64));
            carry.append(bytes, pos, pos + take);
            if (take < this.remaining) {
              this.remaining -= take;
              this.offset += take;
              return end;
            }
            this.payload = carry.bytes;
            this.payloadStart = 0;
            this.payloadEnd = carry.length;
            carry.clear();
          }
          this.offset += take;
          this.remaining = 0;
          this.state = FrameReaderState.TYPE;
          this.result = FrameReadResult.FRAME;
          return pos + take;
        }
        case FrameReaderState.SKIP_PAYLOAD: {
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          this.offset += take;
          pos += take;
          if (this.remaining === 0) this.state = FrameReaderState.TYPE;
          break;
        }
        default:
          assertNever(this.state, 'frame reader state');
      }
    }
    return pos;
  }

  /** Outcome of the last `read` call. */
  result: FrameReadResultCode = FrameReadResult.NEED_MORE;

  /**
   * Chooses how to read the payload once the header is known. Returns true when a result (an empty DATA, a
   * complete zero-length frame, or an HTTP/2-only type) is ready now.
   */
  private startPayload(): boolean {
    const type = this.frameType;
    const length = this.frameLength;
    this.remaining = length;
    switch (type) {
      case FrameType.DATA:
        if (length > 0) {
          this.state = FrameReaderState.DATA_PAYLOAD;
          return false;
        }
        this.result = FrameReadResult.DATA;
        this.state = FrameReaderState.TYPE;
        return true;
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        // RFC 9114 §4.2.2 / STYLE §3.5: a field section larger than we will ever accept is not buffered.
        if (length > this.maxFieldSectionBytes) {
          throw h3Error(
            'H3_EXCESSIVE_LOAD',
            `field section frame of ${length} bytes exceeds the limit of ${this.maxFieldSectionBytes}`,
          );
        }
        break;
      case FrameType.CANCEL_PUSH:
      case FrameType.GOAWAY:
      case FrameType.MAX_PUSH_ID:
        // RFC 9114 §7.1: a payload longer than its one identifier is an H3_FRAME_ERROR.
        if (length > MAX_ID_PAYLOAD) {
          throw h3Error('H3_FRAME_ERROR', `frame 0x${type.toString(16)} has length ${length}`);
        }
        break;
      case FrameType.SETTINGS:
        if (length > this.maxOtherPayloadBytes) {
          throw h3Error(
            'H3_EXCESSIVE_LOAD',
            `SETTINGS of ${length} bytes exceeds ${this.maxOtherPayloadBytes}`,
          );
        }
        break;
      default:
        if (isHttp2OnlyFrameType(type)) {
          // Reported at its header; the caller raises H3_FRAME_UNEXPECTED (§7.2.8) without the payload.
          this.state = length === 0 ? FrameReaderState.TYPE : FrameReaderState.SKIP_PAYLOAD;
          this.result = FrameReadResult.FRAME;
          return true;
        }
        // RFC 9114 §9: unknown and reserved frame types are ignored; their payload is skipped, not kept.
        this.state = length === 0 ? FrameReaderState.TYPE : FrameReaderState.SKIP_PAYLOAD;
        return false;
    }
    if (length === 0) {
      this.state = FrameReaderState.TYPE;
      this.result = FrameReadResult.FRAME;
      return true;
    }
    this.state = FrameReaderState.BUFFER_PAYLOAD;
    return false;
  }
}
