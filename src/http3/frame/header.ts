/**
 * Frame header codec (RFC 9114 §7.1): `Type (i) Length (i)` followed by `Length` payload bytes.
 */
import { varintSize, writeVarint } from '../../common/varint.js';

/** Size of the header for a frame of `type` with a `length`-byte payload. */
export function frameHeaderSize(type: number, length: number): number {
  return varintSize(type) + varintSize(length);
}

/** Writes a frame header at `dst[pos]` and returns the new position. */
export function writeFrameHeader(dst: Uint8Array, pos: number, type: number, length: number): number {
  return writeVarint(dst, writeVarint(dst, pos, type), length);
}

/** Encodes a whole frame (header plus a copy of `payload`) into a fresh array. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameHeaderSize(type, payload.length) + payload.length);
  out.set(payload, writeFrameHeader(out, 0, type, payload.length));
  return out;
}

/** Encodes only the header of a frame, so a payload can follow by reference (writev, STYLE §3.4). */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(frameHeaderSize(type, length));
  writeFrameHeader(out, 0, type, length);
  return out;
}
