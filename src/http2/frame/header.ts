/**
 * The 9-octet frame header shared by every frame type (RFC 9113 §4.1), the frame type and flag tables,
 * and the frame-size constants.
 *
 *   +-----------------------------------------------+
 *   |                 Length (24)                   |
 *   +---------------+---------------+---------------+
 *   |   Type (8)    |   Flags (8)   |
 *   +-+-------------+---------------+-------------------------------+
 *   |R|                 Stream Identifier (31)                      |
 *   +=+=============================================================+
 *   |                   Frame Payload (0...)                      ...
 *   +---------------------------------------------------------------+
 */
import { H2ErrorCode, connectionError } from '../errors.js';

/** Frame types of RFC 9113 §6 plus PRIORITY_UPDATE (RFC 9218 §7.1). Other values are extensions. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
  PRIORITY_UPDATE: 0x10,
} as const;
/** A frame type hayate understands. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Flag bits (RFC 9113 §6). ACK and END_STREAM share bit 0x1 on different frame types. */
export const FrameFlag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Size of the frame header in octets (RFC 9113 §4.1). */
export const FRAME_HEADER_SIZE = 9;
/** Initial SETTINGS_MAX_FRAME_SIZE and the smallest allowed value (RFC 9113 §6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
/** Largest allowed SETTINGS_MAX_FRAME_SIZE, 2^24-1 (RFC 9113 §6.5.2). */
export const MAX_ALLOWED_FRAME_SIZE = 16777215;
/** Largest flow-control window and window increment, 2^31-1 (RFC 9113 §6.9.1). */
export const MAX_WINDOW_SIZE = 0x7fffffff;
/** Largest stream identifier, 2^31-1 (RFC 9113 §5.1.1). */
export const MAX_STREAM_ID = 0x7fffffff;
/** The client connection preface (RFC 9113 §3.4). */
export const CONNECTION_PREFACE: Uint8Array = new Uint8Array([
  0x50, 0x52, 0x49, 0x20, 0x2a, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x0d, 0x0a, 0x0d, 0x0a,
  0x53, 0x4d, 0x0d, 0x0a, 0x0d, 0x0a,
]);

/** A decoded frame header. Mutable so a reader can reuse one object for every frame. */
export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

/** A fresh zeroed header object. */
export function newFrameHeader(): FrameHeader {
  return { length: 0, type: 0, flags: 0, streamId: 0 };
}

/**
 * Reads the 9-octet header at `pos` into `out`. The caller guarantees 9 bytes are present.
 * RFC 9113 §4.1: the reserved bit is ignored on receipt.
 */
export function readFrameHeader(bytes: Uint8Array, pos: number, out: FrameHeader): FrameHeader {
  out.length = (bytes[pos]! << 16) | (bytes[pos + 1]! << 8) | bytes[pos + 2]!;
  out.type = bytes[pos + 3]!;
  out.flags = bytes[pos + 4]!;
  out.streamId =
    ((bytes[pos + 5]! & 0x7f) << 24) | (bytes[pos + 6]! << 16) | (bytes[pos + 7]! << 8) | bytes[pos + 8]!;
  return out;
}

/** Writes a frame header at `pos` and returns the position after it. The reserved bit is sent as 0. */
export function writeFrameHeader(
  dst: Uint8Array,
  pos: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): number {
  dst[pos] = (length >>> 16) & 0xff;
  dst[pos + 1] = (length >>> 8) & 0xff;
  dst[pos + 2] = length & 0xff;
  dst[pos + 3] = type;
  dst[pos + 4] = flags;
  writeUint31(dst, pos + 5, streamId);
  return pos + 9;
}

/** Big-endian 32-bit read. */
export function readUint32(bytes: Uint8Array, pos: number): number {
  return ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
}

/** Big-endian 32-bit write. */
export function writeUint32(dst: Uint8Array, pos: number, value: number): void {
  dst[pos] = (value >>> 24) & 0xff;
  dst[pos + 1] = (value >>> 16) & 0xff;
  dst[pos + 2] = (value >>> 8) & 0xff;
  dst[pos + 3] = value & 0xff;
}

/** 31-bit write with the reserved top bit cleared. */
export function writeUint31(dst: Uint8Array, pos: number, value: number): void {
  writeUint32(dst, pos, value & 0x7fffffff);
}

/**
 * RFC 9113 §4.2: a frame longer than SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR. hayate treats it as a
 * connection error for every frame type (allowed for all, required for frames that alter connection state).
 */
export function checkFrameSize(header: FrameHeader, maxFrameSize: number): void {
  if (header.length > maxFrameSize) {
    throw connectionError(
      H2ErrorCode.FRAME_SIZE_ERROR,
      `frame of type 0x${header.type.toString(16)} is ${header.length} octets, above SETTINGS_MAX_FRAME_SIZE ${maxFrameSize}`,
    );
  }
}

/** Throws the connection PROTOCOL_ERROR for a frame that must not be on stream 0. */
export function requireStream(header: FrameHeader, what: string): void {
  if (header.streamId === 0) {
    throw connectionError(H2ErrorCode.PROTOCOL_ERROR, `${what} frame on stream 0`);
  }
}

/** Throws the connection PROTOCOL_ERROR for a frame that must be on stream 0. */
export function requireConnection(header: FrameHeader, what: string): void {
  if (header.streamId !== 0) {
    throw connectionError(
      H2ErrorCode.PROTOCOL_ERROR,
      `${what} frame on stream ${header.streamId}, must be 0`,
    );
  }
}

/**
 * Strips padding (RFC 9113 §6.1, §6.2, §6.6): returns the end of the content, given the start after the
 * Pad Length octet. `fixed` octets (priority, promised id) precede the content.
 */
export function padEnd(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
  fixed: number,
  what: string,
): number {
  if ((header.flags & FrameFlag.PADDED) === 0) {
    if (end - start < fixed) {
      throw connectionError(
        H2ErrorCode.FRAME_SIZE_ERROR,
        `${what} frame of ${end - start} octets is too short`,
      );
    }
    return end;
  }
  if (end - start < 1 + fixed) {
    throw connectionError(
      H2ErrorCode.FRAME_SIZE_ERROR,
      `padded ${what} frame of ${end - start} octets is too short`,
    );
  }
  const padLength = bytes[start]!;
  // RFC 9113 §6.1/§6.2: padding that is the length of the payload or more is a PROTOCOL_ERROR.
  if (padLength > end - start - 1 - fixed) {
    throw connectionError(
      H2ErrorCode.PROTOCOL_ERROR,
      `${what} pad length ${padLength} exceeds the ${end - start - 1 - fixed} octets available`,
    );
  }
  return end - padLength;
}
