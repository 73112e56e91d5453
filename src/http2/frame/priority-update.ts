/**
 * PRIORITY_UPDATE frames (RFC 9218 §7.1): a Priority Field Value for a request stream, sent on stream 0.
 *
 *   +-+-------------------------------------------------------------+
 *   |R|               Prioritized Stream ID (31)                    |
 *   +-+-------------------------------------------------------------+
 *   |                  Priority Field Value (*)                   ...
 *   +---------------------------------------------------------------+
 */
import { H2ErrorCode, connectionError } from '../errors.js';
import { FrameType, readUint32, requireConnection, writeFrameHeader, writeUint31 } from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded PRIORITY_UPDATE frame; the field value (ASCII) is `bytes[valueStart, valueEnd)`. */
export interface PriorityUpdateFrame {
  readonly type: typeof FrameType.PRIORITY_UPDATE;
  readonly prioritizedStreamId: number;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly valueStart: number;
  readonly valueEnd: number;
}

/**
 * Decodes a PRIORITY_UPDATE payload. RFC 9218 §7.1: a non-zero frame stream or a Prioritized Stream ID of 0
 * is a PROTOCOL_ERROR; fewer than 4 octets is a FRAME_SIZE_ERROR.
 */
export function decodePriorityUpdate(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): PriorityUpdateFrame {
  requireConnection(header, 'PRIORITY_UPDATE');
  if (end - start < 4) {
    throw connectionError(
      H2ErrorCode.FRAME_SIZE_ERROR,
      `PRIORITY_UPDATE frame of ${end - start} octets, needs 4`,
    );
  }
  const prioritizedStreamId = readUint32(bytes, start) & 0x7fffffff;
  if (prioritizedStreamId === 0) {
    throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PRIORITY_UPDATE for stream 0');
  }
  return {
    type: FrameType.PRIORITY_UPDATE,
    prioritizedStreamId,
    bytes,
    valueStart: start + 4,
    valueEnd: end,
  };
}

/** Encodes a PRIORITY_UPDATE frame for `streamId` with the ASCII field value `value` (e.g. "u=1, i"). */
export function encodePriorityUpdate(streamId: number, value: string): Uint8Array {
  const out = new Uint8Array(13 + value.length);
  writeFrameHeader(out, 0, 4 + value.length, FrameType.PRIORITY_UPDATE, 0, 0);
  writeUint31(out, 9, streamId);
  for (let i = 0; i < value.length; i++) out[13 + i] = value.charCodeAt(i) & 0xff;
  return out;
}
