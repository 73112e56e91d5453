/**
 * RST_STREAM frames (RFC 9113 §6.4): a 32-bit error code.
 */
import { H2ErrorCode, connectionError } from '../errors.js';
import { FrameType, readUint32, requireStream, writeFrameHeader, writeUint32 } from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded RST_STREAM frame. */
export interface RstStreamFrame {
  readonly type: typeof FrameType.RST_STREAM;
  readonly streamId: number;
  readonly errorCode: number;
}

/** Decodes an RST_STREAM payload: stream 0 is a PROTOCOL_ERROR, a length other than 4 a FRAME_SIZE_ERROR. */
export function decodeRstStream(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): RstStreamFrame {
  requireStream(header, 'RST_STREAM');
  if (end - start !== 4) {
    throw connectionError(
      H2ErrorCode.FRAME_SIZE_ERROR,
      `RST_STREAM frame of ${end - start} octets, must be 4`,
    );
  }
  return { type: FrameType.RST_STREAM, streamId: header.streamId, errorCode: readUint32(bytes, start) };
}

/** Writes an RST_STREAM frame (13 octets) at `pos`. */
export function writeRstStream(dst: Uint8Array, pos: number, streamId: number, errorCode: number): number {
  pos = writeFrameHeader(dst, pos, 4, FrameType.RST_STREAM, 0, streamId);
  writeUint32(dst, pos, errorCode);
  return pos + 4;
}

/** Encodes an RST_STREAM frame into a fresh array. */
export function encodeRstStream(streamId: number, errorCode: number): Uint8Array {
  const out = new Uint8Array(13);
  writeRstStream(out, 0, streamId, errorCode);
  return out;
}
