/**
 * SETTINGS frames (RFC 9113 §6.5): a list of (16-bit identifier, 32-bit value) pairs, or an empty ACK.
 */
import { H2ErrorCode, connectionError } from '../errors.js';
import { validateSetting } from '../settings.js';
import {
  FrameFlag,
  FrameType,
  readUint32,
  requireConnection,
  writeFrameHeader,
  writeUint32,
} from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded SETTINGS frame. `pairs` holds identifier, value, identifier, value... in wire order. */
export interface SettingsFrame {
  readonly type: typeof FrameType.SETTINGS;
  readonly ack: boolean;
  readonly pairs: readonly number[];
}

/**
 * Decodes a SETTINGS payload. RFC 9113 §6.5: a non-zero stream is a PROTOCOL_ERROR; an ACK with a payload
 * or a length not a multiple of 6 is a FRAME_SIZE_ERROR; each value is checked by `validateSetting`.
 */
export function decodeSettings(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): SettingsFrame {
  requireConnection(header, 'SETTINGS');
  const ack = (header.flags & FrameFlag.ACK) !== 0;
  const length = end - start;
  if (ack) {
    if (length !== 0) {
      throw connectionError(H2ErrorCode.FRAME_SIZE_ERROR, `SETTINGS ACK with ${length} octets of payload`);
    }
    return { type: FrameType.SETTINGS, ack, pairs: [] };
  }
  if (length % 6 !== 0) {
    throw connectionError(
      H2ErrorCode.FRAME_SIZE_ERROR,
      `SETTINGS frame of ${length} octets, not a multiple of 6`,
    );
  }
  const pairs: number[] = [];
  for (let pos = start; pos < end; pos += 6) {
    const id = (bytes[pos]! << 8) | bytes[pos + 1]!;
    const value = readUint32(bytes, pos + 2);
    validateSetting(id, value);
    pairs.push(id, value);
  }
  return { type: FrameType.SETTINGS, ack, pairs };
}

/** Size of a SETTINGS frame with `count` parameters. */
export function settingsSize(count: number): number {
  return 9 + 6 * count;
}

/** Writes a SETTINGS frame with the given pairs at `pos`. */
export function writeSettings(
  dst: Uint8Array,
  pos: number,
  pairs: ReadonlyArray<readonly [number, number]>,
): number {
  pos = writeFrameHeader(dst, pos, 6 * pairs.length, FrameType.SETTINGS, 0, 0);
  for (const [id, value] of pairs) {
    dst[pos] = (id >>> 8) & 0xff;
    dst[pos + 1] = id & 0xff;
    writeUint32(dst, pos + 2, value);
    pos += 6;
  }
  return pos;
}

/** Writes an empty SETTINGS frame with the ACK flag (9 octets). */
export function writeSettingsAck(dst: Uint8Array, pos: number): number {
  return writeFrameHeader(dst, pos, 0, FrameType.SETTINGS, FrameFlag.ACK, 0);
}

/** Encodes a SETTINGS frame (or an ACK when `ack`) into a fresh array. */
export function encodeSettings(pairs: ReadonlyArray<readonly [number, number]>, ack = false): Uint8Array {
  if (ack) {
    const out = new Uint8Array(9);
    writeSettingsAck(out, 0);
    return out;
  }
  const out = new Uint8Array(settingsSize(pairs.length));
  writeSettings(out, 0, pairs);
  return out;
}
