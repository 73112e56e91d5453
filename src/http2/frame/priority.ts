/**
 * PRIORITY frames (RFC 9113 §6.3). The RFC 7540 priority tree is deprecated (RFC 9113 §5.3.2): hayate parses
 * and validates these frames and otherwise ignores them.
 *
 *   +-+-------------------------------------------------------------+
 *   |E|                  Stream Dependency (31)                     |
 *   +-+-------------+-----------------------------------------------+
 *   | Weight (8)    |
 *   +---------------+
 */
import { H2ErrorCode, streamError } from '../errors.js';
import { FrameType, readUint32, requireStream, writeFrameHeader, writeUint32 } from './header.js';
import type { FrameHeader } from './header.js';

/** RFC 7540 priority fields, as carried by PRIORITY and by HEADERS with the PRIORITY flag. */
export interface PriorityFields {
  readonly exclusive: boolean;
  readonly dependency: number;
  /** Weight on the wire (0-255); the effective weight is one more. */
  readonly weight: number;
}

/** A decoded PRIORITY frame. */
export interface PriorityFrame extends PriorityFields {
  readonly type: typeof FrameType.PRIORITY;
  readonly streamId: number;
}

/** Reads the 5-octet priority fields at `pos`. */
export function readPriorityFields(bytes: Uint8Array, pos: number): PriorityFields {
  const word = readUint32(bytes, pos);
  return { exclusive: word >= 0x80000000, dependency: word & 0x7fffffff, weight: bytes[pos + 4]! };
}

/**
 * Decodes a PRIORITY payload. Stream 0 is a connection PROTOCOL_ERROR; a length other than 5 is a stream
 * FRAME_SIZE_ERROR (RFC 9113 §6.3); a stream depending on itself is a stream PROTOCOL_ERROR (§5.3.1).
 */
export function decodePriority(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): PriorityFrame {
  requireStream(header, 'PRIORITY');
  if (end - start !== 5) {
    throw streamError(
      header.streamId,
      H2ErrorCode.FRAME_SIZE_ERROR,
      `PRIORITY frame of ${end - start} octets, must be 5`,
    );
  }
  const fields = readPriorityFields(bytes, start);
  if (fields.dependency === header.streamId) {
    throw streamError(
      header.streamId,
      H2ErrorCode.PROTOCOL_ERROR,
      `stream ${header.streamId} depends on itself`,
    );
  }
  return { type: FrameType.PRIORITY, streamId: header.streamId, ...fields };
}

/** Writes a PRIORITY frame (14 octets) at `pos`. */
export function writePriority(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  fields: PriorityFields,
): number {
  pos = writeFrameHeader(dst, pos, 5, FrameType.PRIORITY, 0, streamId);
  writeUint32(dst, pos, ((fields.exclusive ? 0x80000000 : 0) | (fields.dependency & 0x7fffffff)) >>> 0);
  dst[pos + 4] = fields.weight;
  return pos + 5;
}

/** Encodes a PRIORITY frame into a fresh array. */
export function encodePriority(streamId: number, fields: PriorityFields): Uint8Array {
  const out = new Uint8Array(14);
  writePriority(out, 0, streamId, fields);
  return out;
}
