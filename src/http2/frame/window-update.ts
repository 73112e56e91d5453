/**
 * WINDOW_UPDATE frames (RFC 9113 §6.9): a 31-bit window size increment.
 */
import { H2ErrorCode, connectionError, streamError } from '../errors.js';
import { FrameType, readUint32, writeFrameHeader, writeUint31 } from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded WINDOW_UPDATE frame. */
export interface WindowUpdateFrame {
  readonly type: typeof FrameType.WINDOW_UPDATE;
  readonly streamId: number;
  readonly increment: number;
}

/**
 * Decodes a WINDOW_UPDATE payload. A length other than 4 is a connection FRAME_SIZE_ERROR (§6.9); an
 * increment of 0 is a PROTOCOL_ERROR, a stream error on a stream and a connection error on stream 0.
 */
export function decodeWindowUpdate(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): WindowUpdateFrame {
  if (end - start !== 4) {
    throw connectionError(
      H2ErrorCode.FRAME_SIZE_ERROR,
      `WINDOW_UPDATE frame of ${end - start} octets, must be 4`,
    );
  }
  // RFC 9113 §6.9: the reserved bit is ignored.
  const increment = readUint32(bytes, start) & 0x7fffffff;
  if (increment === 0) {
    const message = `WINDOW_UPDATE with increment 0 on stream ${header.streamId}`;
    throw header.streamId === 0
      ? connectionError(H2ErrorCode.PROTOCOL_ERROR, message)
      : streamError(header.streamId, H2ErrorCode.PROTOCOL_ERROR, message);
  }
  return { type: FrameType.WINDOW_UPDATE, streamId: header.streamId, increment };
}

/** Writes a WINDOW_UPDATE frame (13 octets) at `pos`. */
export function writeWindowUpdate(dst: Uint8Array, pos: number, streamId: number, increment: number): number {
  pos = writeFrameHeader(dst, pos, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  writeUint31(dst, pos, increment);
  return pos + 4;
}

/** Encodes a WINDOW_UPDATE frame into a fresh array. */
export function encodeWindowUpdate(streamId: number, increment: number): Uint8Array {
  const out = new Uint8Array(13);
  writeWindowUpdate(out, 0, streamId, increment);
  return out;
}
