/**
 * GOAWAY frames (RFC 9113 §6.8).
 *
 *   +-+-------------------------------------------------------------+
 *   |R|                  Last-Stream-ID (31)                        |
 *   +-+-------------------------------------------------------------+
 *   |                      Error Code (32)                          |
 *   +---------------------------------------------------------------+
 *   |                  Additional Debug Data (*)                    |
 *   +---------------------------------------------------------------+
 */
import { H2ErrorCode, connectionError } from '../errors.js';
import {
  FrameType,
  readUint32,
  requireConnection,
  writeFrameHeader,
  writeUint31,
  writeUint32,
} from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded GOAWAY frame; debug data is `bytes[debugStart, debugEnd)`. */
export interface GoawayFrame {
  readonly type: typeof FrameType.GOAWAY;
  readonly lastStreamId: number;
  readonly errorCode: number;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly debugStart: number;
  readonly debugEnd: number;
}

/** Decodes a GOAWAY payload: a non-zero stream is a PROTOCOL_ERROR, fewer than 8 octets a FRAME_SIZE_ERROR. */
export function decodeGoaway(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): GoawayFrame {
  requireConnection(header, 'GOAWAY');
  if (end - start < 8) {
    throw connectionError(H2ErrorCode.FRAME_SIZE_ERROR, `GOAWAY frame of ${end - start} octets, needs 8`);
  }
  return {
    type: FrameType.GOAWAY,
    lastStreamId: readUint32(bytes, start) & 0x7fffffff,
    errorCode: readUint32(bytes, start + 4),
    bytes,
    debugStart: start + 8,
    debugEnd: end,
  };
}

/** Size of a GOAWAY frame with `debugLength` octets of debug data. */
export function goawaySize(debugLength: number): number {
  return 17 + debugLength;
}

/** Writes a GOAWAY frame at `pos`. */
export function writeGoaway(
  dst: Uint8Array,
  pos: number,
  lastStreamId: number,
  errorCode: number,
  debug: Uint8Array,
): number {
  pos = writeFrameHeader(dst, pos, 8 + debug.length, FrameType.GOAWAY, 0, 0);
  writeUint31(dst, pos, lastStreamId);
  writeUint32(dst, pos + 4, errorCode);
  dst.set(debug, pos + 8);
  return pos + 8 + debug.length;
}

/** Encodes a GOAWAY frame into a fresh array. */
export function encodeGoaway(
  lastStreamId: number,
  errorCode: number,
  debug: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(goawaySize(debug.length));
  writeGoaway(out, 0, lastStreamId, errorCode, debug);
  return out;
}
