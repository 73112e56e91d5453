/**
 * HEADERS frames (RFC 9113 §6.2).
 *
 *   +---------------+
 *   |Pad Length? (8)|
 *   +-+-------------+-----------------------------------------------+
 *   |E|                 Stream Dependency? (31)                     |
 *   +-+-------------+-----------------------------------------------+
 *   |  Weight? (8)  |
 *   +-+-------------+-----------------------------------------------+
 *   |                   Field Block Fragment (*)                  ...
 *   +---------------------------------------------------------------+
 *   |                           Padding (*)                       ...
 *   +---------------------------------------------------------------+
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
import { readPriorityFields } from './priority.js';
import type { PriorityFields } from './priority.js';
import { FrameType as FT } from './header.js';

/** A decoded HEADERS frame; the field block fragment is `bytes[blockStart, blockEnd)`. */
export interface HeadersFrame {
  readonly type: typeof FrameType.HEADERS;
  readonly streamId: number;
  readonly endStream: boolean;
  readonly endHeaders: boolean;
  /** Present when the PRIORITY flag was set. Self-dependency is checked by the connection (§5.3.1). */
  readonly priority: PriorityFields | undefined;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly blockStart: number;
  readonly blockEnd: number;
}

/**
 * Decodes a HEADERS payload. Stream 0 and bad padding are connection PROTOCOL_ERRORs; a payload too short
 * for its Pad Length or priority fields is a FRAME_SIZE_ERROR.
 */
export function decodeHeaders(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): HeadersFrame {
  requireStream(header, 'HEADERS');
  const hasPriority = (header.flags & FrameFlag.PRIORITY) !== 0;
  const blockEnd = padEnd(header, bytes, start, end, hasPriority ? 5 : 0, 'HEADERS');
  let pos = (header.flags & FrameFlag.PADDED) !== 0 ? start + 1 : start;
  let priority: PriorityFields | undefined;
  if (hasPriority) {
    priority = readPriorityFields(bytes, pos);
    pos += 5;
  }
  return {
    type: FT.HEADERS,
    streamId: header.streamId,
    endStream: (header.flags & FrameFlag.END_STREAM) !== 0,
    endHeaders: (header.flags & FrameFlag.END_HEADERS) !== 0,
    priority,
    bytes,
    blockStart: pos,
    blockEnd,
  };
}

/** Options for {@link encodeHeaders}. */
export interface EncodeHeadersOptions {
  readonly endStream?: boolean;
  readonly priority?: PriorityFields;
  readonly padLength?: number;
  /** Largest frame payload; blocks above it continue in CONTINUATION frames. Default 16384. */
  readonly maxFrameSize?: number;
}

/**
 * Size in octets of the frames {@link writeHeaders} produces for a block of `blockLength` octets (no padding,
 * no priority).
 */
export function headersFramesSize(blockLength: number, maxFrameSize: number): number {
  const frames = Math.max(1, Math.ceil(blockLength / maxFrameSize));
  return blockLength + frames * FRAME_HEADER_SIZE;
}

/**
 * Writes a HEADERS frame and as many CONTINUATION frames as `block[start, end)` needs at `maxFrameSize`
 * (RFC 9113 §4.3: a field block is sent as one contiguous sequence). Returns the position after them.
 * `dst` must hold {@link headersFramesSize} octets.
 */
export function writeHeaders(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  block: Uint8Array,
  start: number,
  end: number,
  endStream: boolean,
  maxFrameSize: number,
): number {
  let chunk = Math.min(end - start, maxFrameSize);
  let flags = (endStream ? FrameFlag.END_STREAM : 0) | (start + chunk === end ? FrameFlag.END_HEADERS : 0);
  pos = writeFrameHeader(dst, pos, chunk, FrameType.HEADERS, flags, streamId);
  dst.set(block.subarray(start, start + chunk), pos);
  pos += chunk;
  start += chunk;
  while (start < end) {
    chunk = Math.min(end - start, maxFrameSize);
    flags = start + chunk === end ? FrameFlag.END_HEADERS : 0;
    pos = writeFrameHeader(dst, pos, chunk, FrameType.CONTINUATION, flags, streamId);
    dst.set(block.subarray(start, start + chunk), pos);
    pos += chunk;
    start += chunk;
  }
  return pos;
}

/**
 * Encodes a field block as HEADERS (+ CONTINUATION) frames into one fresh array, with optional padding and
 * priority fields on the HEADERS frame.
 */
export function encodeHeaders(
  streamId: number,
  block: Uint8Array,
  options: EncodeHeadersOptions = {},
): Uint8Array {
  const maxFrameSize = options.maxFrameSize ?? 16384;
  const padded = options.padLength !== undefined;
  const padLength = options.padLength ?? 0;
  const extra = (padded ? 1 + padLength : 0) + (options.priority === undefined ? 0 : 5);
  const first = Math.min(block.length, Math.max(0, maxFrameSize - extra));
  const rest = block.length - first;
  const contFrames = rest === 0 ? 0 : Math.ceil(rest / maxFrameSize);
  const out = new Uint8Array(FRAME_HEADER_SIZE + extra + first + rest + contFrames * FRAME_HEADER_SIZE);
  const flags =
    (options.endStream === true ? FrameFlag.END_STREAM : 0) |
    (rest === 0 ? FrameFlag.END_HEADERS : 0) |
    (padded ? FrameFlag.PADDED : 0) |
    (options.priority === undefined ? 0 : FrameFlag.PRIORITY);
  let pos = writeFrameHeader(out, 0, first + extra, FrameType.HEADERS, flags, streamId);
  if (padded) out[pos++] = padLength;
  if (options.priority !== undefined) {
    const p = options.priority;
    const word = ((p.exclusive ? 0x80000000 : 0) | (p.dependency & 0x7fffffff)) >>> 0;
    out[pos] = word >>> 24;
    out[pos + 1] = (word >>> 16) & 0xff;
    out[pos + 2] = (word >>> 8) & 0xff;
    out[pos + 3] = word & 0xff;
    out[pos + 4] = p.weight;
    pos += 5;
  }
  out.set(block.subarray(0, first), pos);
  pos += first + padLength;
  if (rest > 0) writeContinuations(out, pos, streamId, block, first, block.length, maxFrameSize);
  return out;
}

function writeContinuations(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  block: Uint8Array,
  start: number,
  end: number,
  maxFrameSize: number,
): number {
  while (start < end) {
    const chunk = Math.min(end - start, maxFrameSize);
    const flags = start + chunk === end ? FrameFlag.END_HEADERS : 0;
    pos = writeFrameHeader(dst, pos, chunk, FrameType.CONTINUATION, flags, streamId);
    dst.set(block.subarray(start, start + chunk), pos);
    pos += chunk;
    start += chunk;
  }
  return pos;
}
