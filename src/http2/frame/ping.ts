/**
 * PING frames (RFC 9113 §6.7): 8 octets of opaque data, echoed with the ACK flag.
 */
import { H2ErrorCode, connectionError } from '../errors.js';
import { FrameFlag, FrameType, requireConnection, writeFrameHeader } from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded PING frame; the opaque data is `bytes[dataStart, dataStart + 8)`. */
export interface PingFrame {
  readonly type: typeof FrameType.PING;
  readonly ack: boolean;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly dataStart: number;
}

/** Decodes a PING payload: a non-zero stream is a PROTOCOL_ERROR, a length other than 8 a FRAME_SIZE_ERROR. */
export function decodePing(header: FrameHeader, bytes: Uint8Array, start: number, end: number): PingFrame {
  requireConnection(header, 'PING');
  if (end - start !== 8) {
    throw connectionError(H2ErrorCode.FRAME_SIZE_ERROR, `PING frame of ${end - start} octets, must be 8`);
  }
  return { type: FrameType.PING, ack: (header.flags & FrameFlag.ACK) !== 0, bytes, dataStart: start };
}

/** Writes a PING frame (17 octets) at `pos` with the 8 octets `data[dataStart, dataStart + 8)`. */
export function writePing(
  dst: Uint8Array,
  pos: number,
  ack: boolean,
  data: Uint8Array,
  dataStart: number,
): number {
  pos = writeFrameHeader(dst, pos, 8, FrameType.PING, ack ? FrameFlag.ACK : 0, 0);
  for (let i = 0; i < 8; i++) dst[pos + i] = data[dataStart + i] ?? 0;
  return pos + 8;
}

/** Encodes a PING frame into a fresh array. */
export function encodePing(data: Uint8Array, ack = false): Uint8Array {
  const out = new Uint8Array(17);
  writePing(out, 0, ack, data, 0);
  return out;
}
