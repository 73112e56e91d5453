/**
 * DATA frames (RFC 9113 §6.1).
 *
 *   +---------------+-----------------------------------------------+
 *   |Pad Length? (8)|  Data (*)  ...  |  Padding (*)               |
 *   +---------------+-----------------------------------------------+
 */
import {
  FRAME_HEADER_SIZE,
  FrameFlag,
  FrameType,
  padEnd,
  requireStream,
  writeFrameHeader,
} from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded DATA frame; the data is `bytes[dataStart, dataEnd)`. */
export interface DataFrame {
  readonly type: typeof FrameType.DATA;
  readonly streamId: number;
  readonly endStream: boolean;
  /** Whole payload length including padding: the amount charged to flow control (RFC 9113 §6.9.1). */
  readonly flowLength: number;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly dataStart: number;
  readonly dataEnd: number;
}

/** Decodes a DATA payload `bytes[start, end)`. Stream 0 and bad padding are connection PROTOCOL_ERRORs. */
export function decodeData(header: FrameHeader, bytes: Uint8Array, start: number, end: number): DataFrame {
  // RFC 9113 §6.1: DATA frames MUST be associated with a stream.
  requireStream(header, 'DATA');
  const dataEnd = padEnd(header, bytes, start, end, 0, 'DATA');
  return {
    type: FrameType.DATA,
    streamId: header.streamId,
    endStream: (header.flags & FrameFlag.END_STREAM) !== 0,
    flowLength: end - start,
    bytes,
    dataStart: (header.flags & FrameFlag.PADDED) !== 0 ? start + 1 : start,
    dataEnd,
  };
}

/**
 * Writes the 9-octet header of an unpadded DATA frame carrying `length` octets; the payload itself is
 * passed separately by reference (writev), never copied.
 */
export function writeDataHeader(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  length: number,
  endStream: boolean,
): number {
  return writeFrameHeader(dst, pos, length, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
}

/**
 * Encodes a whole DATA frame as writev-ready chunks: the header (with Pad Length when padded), the data by
 * reference, and the zero padding when `padLength` > 0.
 */
export function encodeData(
  streamId: number,
  data: Uint8Array,
  endStream: boolean,
  padLength?: number,
): Uint8Array[] {
  const padded = padLength !== undefined;
  const head = new Uint8Array(FRAME_HEADER_SIZE + (padded ? 1 : 0));
  const length = data.length + (padded ? 1 + padLength : 0);
  writeFrameHeader(
    head,
    0,
    length,
    FrameType.DATA,
    (endStream ? FrameFlag.END_STREAM : 0) | (padded ? FrameFlag.PADDED : 0),
    streamId,
  );
  if (!padded) return [head, data];
  head[FRAME_HEADER_SIZE] = padLength;
  return padLength > 0 ? [head, data, new Uint8Array(padLength)] : [head, data];
}
