/**
 * Frame decoder over one decrypted packet payload (RFC 9000 §12.4, §19; RFC 9221 §4).
 *
 * A payload is always complete, so a frame cut short is malformed: every failure is a
 * FRAME_ENCODING_ERROR QuicError carrying the frame type and the frame's offset in the payload.
 *
 * Integers: fields are varints up to 2^62-1 but decode to `number`. A value above 2^53-1 saturates to
 * `Number.MAX_SAFE_INTEGER` (deliberate: every such value is a stream id, offset, limit, sequence number
 * or packet number that already breaks a limit the connection enforces, or an opaque error code; covered
 * by "large varints saturate" in test/quic/frame/reader.test.ts). Offset + length overflow (§19.6, §19.8)
 * is checked exactly.
 */
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  readVarintBig,
  varintLengthFromFirstByte,
} from '../../common/varint.js';
import type { QuicError } from '../../common/errors.js';
import { quicError } from '../errors.js';
import { MAX_CID_LENGTH } from '../packet/types.js';
import { FrameType, MAX_STREAM_COUNT, StreamFlag } from './types.js';
import type { AckFrame, Frame } from './types.js';

const MAX_OFFSET_BIG = BigInt('4611686018427387903'); // 2^62-1
const MAX_STREAM_COUNT_BIG = BigInt(MAX_STREAM_COUNT);

/** Reads frames one at a time from `payload[start..end)`. */
export class FrameReader {
  private readonly bytes: Uint8Array;
  private readonly end: number;
  private pos: number;
  // Type and start of the frame being decoded, for error reports.
  private frameType: number;
  private frameStart: number;

  /** Lifetime: decoded frames hold views into `payload`; the caller keeps it unchanged while they live. */
  constructor(payload: Uint8Array, start = 0, end: number = payload.length) {
    this.bytes = payload;
    this.pos = start;
    this.end = end;
    this.frameType = 0;
    this.frameStart = start;
  }

  /** Offset of the next unread byte. */
  get offset(): number {
    return this.pos;
  }

  /**
   * The next frame, or `null` at the end of the payload. Throws a FRAME_ENCODING_ERROR QuicError for an
   * unknown type or a malformed frame (RFC 9000 §12.4).
   */
  next(): Frame | null {
    if (this.pos >= this.end) return null;
    this.frameStart = this.pos;
    this.frameType = 0;
    const first = this.bytes[this.pos]!;
    if (first === FrameType.PADDING) {
      let i = this.pos + 1;
      while (i < this.end && this.bytes[i] === 0) i++;
      const length = i - this.pos;
      this.pos = i;
      return { type: FrameType.PADDING, length };
    }
    // RFC 9000 §12.4: the type is a varint. A non-minimal encoding of a known type is accepted (the RFC's
    // "MAY treat as PROTOCOL_VIOLATION" is not exercised).
    const type = readVarint(this.bytes, this.pos, this.end);
    if (type < 0) throw this.fail('frame type truncated or out of range');
    this.frameType = type;
    this.pos += varintLengthFromFirstByte(first);
    switch (type) {
      case FrameType.PING:
        return { type: FrameType.PING };
      case FrameType.ACK:
      case FrameType.ACK_ECN:
        return this.readAck(type);
      case FrameType.RESET_STREAM: {
        const streamId = this.varint();
        const errorCode = this.varint();
        const finalSize = this.varint();
        return { type: FrameType.RESET_STREAM, streamId, errorCode, finalSize };
      }
      case FrameType.STOP_SENDING: {
        const streamId = this.varint();
        const errorCode = this.varint();
        return { type: FrameType.STOP_SENDING, streamId, errorCode };
      }
      case FrameType.CRYPTO: {
        const offsetPos = this.pos;
        const offset = this.varint();
        const length = this.varint();
        const data = this.take(length);
        // RFC 9000 §19.6: offset + length above 2^62-1 is a FRAME_ENCODING_ERROR (or CRYPTO_BUFFER_EXCEEDED)
        this.checkOffsetSum(offsetPos, offset, length);
        return { type: FrameType.CRYPTO, offset, data };
      }
      case FrameType.NEW_TOKEN: {
        const length = this.varint();
        // RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR
        if (length === 0) throw this.fail('NEW_TOKEN with an empty token');
        return { type: FrameType.NEW_TOKEN, token: this.take(length) };
      }
      case 0x08:
      case 0x09:
      case 0x0a:
      case 0x0b:
      case 0x0c:
      case 0x0d:
      case 0x0e:
      case 0x0f: {
        const streamId = this.varint();
        let offset = 0;
        let offsetPos = -1;
        if ((type & StreamFlag.OFF) !== 0) {
          offsetPos = this.pos;
          offset = this.varint();
        }
        const length = (type & StreamFlag.LEN) !== 0 ? this.varint() : this.end - this.pos;
        const data = this.take(length);
        // RFC 9000 §19.8: offset + length above 2^62-1 is a FRAME_ENCODING_ERROR
        if (offsetPos >= 0) this.checkOffsetSum(offsetPos, offset, length);
        return { type: FrameType.STREAM, streamId, offset, data, fin: (type & StreamFlag.FIN) !== 0 };
      }
      case FrameType.MAX_DATA:
        return { type: FrameType.MAX_DATA, maximum: this.varint() };
      case FrameType.MAX_STREAM_DATA: {
        const streamId = this.varint();
        return { type: FrameType.MAX_STREAM_DATA, streamId, maximum: this.varint() };
      }
      case FrameType.MAX_STREAMS_BIDI:
      case FrameType.MAX_STREAMS_UNI: {
        // RFC 9000 §19.11: a count above 2^60 is a FRAME_ENCODING_ERROR
        return { type, maximum: this.streamCount() };
      }
      case FrameType.DATA_BLOCKED:
        return { type: FrameType.DATA_BLOCKED, limit: this.varint() };
      case FrameType.STREAM_DATA_BLOCKED: {
        const streamId = this.varint();
        return { type: FrameType.STREAM_DATA_BLOCKED, streamId, limit: this.varint() };
      }
      case FrameType.STREAMS_BLOCKED_BIDI:
      case FrameType.STREAMS_BLOCKED_UNI: {
        // RFC 9000 §19.14: a count above 2^60 is a FRAME_ENCODING_ERROR
        return { type, limit: this.streamCount() };
      }
      case FrameType.NEW_CONNECTION_ID: {
        const sequenceNumber = this.varint();
        const retirePriorTo = this.varint();
        // RFC 9000 §19.15: Retire Prior To greater than Sequence Number is a FRAME_ENCODING_ERROR
        if (retirePriorTo > sequenceNumber) {
          throw this.fail(`retire_prior_to ${retirePriorTo} above sequence number ${sequenceNumber}`);
        }
        if (this.pos >= this.end) throw this.fail('NEW_CONNECTION_ID truncated');
        const cidLength = this.bytes[this.pos++]!;
        // RFC 9000 §19.15: a length of 0 or above 20 is a FRAME_ENCODING_ERROR
        if (cidLength === 0 || cidLength > MAX_CID_LENGTH) {
          throw this.fail(`connection ID length ${cidLength} not in 1..20`);
        }
        const connectionId = this.take(cidLength);
        const statelessResetToken = this.take(16);
        return {
          type: FrameType.NEW_CONNECTION_ID,
          sequenceNumber,
          retirePriorTo,
          connectionId,
          statelessResetToken,
        };
      }
      case FrameType.RETIRE_CONNECTION_ID:
        return { type: FrameType.RETIRE_CONNECTION_ID, sequenceNumber: this.varint() };
      case FrameType.PATH_CHALLENGE:
      case FrameType.PATH_RESPONSE:
        return { type, data: this.take(8) };
      case FrameType.CONNECTION_CLOSE:
      case FrameType.CONNECTION_CLOSE_APP: {
        const errorCode = this.varint();
        const frameType = type === FrameType.CONNECTION_CLOSE ? this.varint() : 0;
        const reason = this.take(this.varint());
        return { type, errorCode, frameType, reason };
      }
      case FrameType.HANDSHAKE_DONE:
        return { type: FrameType.HANDSHAKE_DONE };
      case FrameType.DATAGRAM:
        // RFC 9221 §4: 0x30 has no length and extends to the end of the packet
        return { type: FrameType.DATAGRAM, data: this.take(this.end - this.pos) };
      case FrameType.DATAGRAM_LEN:
        return { type: FrameType.DATAGRAM, data: this.take(this.varint()) };
      default:
        // RFC 9000 §12.4: an unknown frame type is a FRAME_ENCODING_ERROR
        throw this.fail(`unknown frame type 0x${type.toString(16)}`);
    }
  }

  private readAck(type: typeof FrameType.ACK | typeof FrameType.ACK_ECN): AckFrame {
    const largest = this.varint();
    const ackDelay = this.varint();
    const count = this.varint();
    const firstRange = this.varint();
    // Each further range takes at least two bytes; checking first bounds the array by the payload.
    if (count > (this.end - this.pos) / 2) throw this.fail(`ACK range count ${count} exceeds the frame`);
    let low = largest - firstRange;
    // RFC 9000 §19.3.1: a range reaching below packet number 0 is a FRAME_ENCODING_ERROR
    if (low < 0) throw this.fail(`ACK first range ${firstRange} above largest ${largest}`);
    const ranges: number[] = [largest, low];
    for (let i = 0; i < count; i++) {
      const gap = this.varint();
      const length = this.varint();
      const high = low - gap - 2;
      low = high - length;
      if (high < 0 || low < 0) throw this.fail('ACK range below packet number 0');
      ranges.push(high, low);
    }
    let ecn = null;
    if (type === FrameType.ACK_ECN) {
      const ect0 = this.varint();
      const ect1 = this.varint();
      const ce = this.varint();
      ecn = { ect0, ect1, ce };
    }
    return { type, largest, ackDelay, ranges, ecn };
  }

  private varint(): number {
    if (this.pos >= this.end) throw this.fail('frame truncated');
    const first = this.bytes[this.pos]!;
    let v = readVarint(this.bytes, this.pos, this.end);
    if (v === VARINT_INCOMPLETE) throw this.fail('frame truncated inside an integer');
    if (v === VARINT_TOO_LARGE) v = Number.MAX_SAFE_INTEGER;
    this.pos += varintLengthFromFirstByte(first);
    return v;
  }

  // A stream count, checked exactly against 2^60 (it may lie above 2^53).
  private streamCount(): number {
    const at = this.pos;
    const v = this.varint();
    if (v < Number.MAX_SAFE_INTEGER) return v;
    const exact = readVarintBig(this.bytes, at, this.end)!;
    if (exact > MAX_STREAM_COUNT_BIG) throw this.fail(`stream count ${exact} above 2^60`);
    return Number(exact);
  }

  private take(length: number): Uint8Array {
    if (length > this.end - this.pos) {
      throw this.fail(`length ${length} exceeds the ${this.end - this.pos} bytes left`);
    }
    const start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, this.pos);
  }

  private checkOffsetSum(offsetPos: number, offset: number, length: number): void {
    if (offset < Number.MAX_SAFE_INTEGER) return; // the sum of two numbers below 2^53 is below 2^62
    const exact = readVarintBig(this.bytes, offsetPos, this.end)!;
    if (exact + BigInt(length) > MAX_OFFSET_BIG) throw this.fail('offset + length above 2^62-1');
  }

  private fail(message: string): QuicError {
    return quicError('FRAME_ENCODING_ERROR', message, {
      frameType: this.frameType,
      offset: this.frameStart,
    });
  }
}

/** Decodes every frame of `payload[start..end)` (tests and tooling; the connection iterates instead). */
export function decodeFrames(payload: Uint8Array, start = 0, end: number = payload.length): Frame[] {
  const reader = new FrameReader(payload, start, end);
  const out: Frame[] = [];
  for (let f = reader.next(); f !== null; f = reader.next()) out.push(f);
  return out;
}
