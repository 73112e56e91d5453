/**
 * Frames whose payload is exactly one varint: CANCEL_PUSH (§7.2.3), GOAWAY (§7.2.6), MAX_PUSH_ID (§7.2.7).
 */
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  varintLengthFromFirstByte,
} from '../../common/varint.js';
import { h3Error } from '../errors.js';
import { encodeFrame } from './header.js';
import { encodeVarint } from '../../common/varint.js';

/**
 * Decodes the single varint payload of CANCEL_PUSH, GOAWAY or MAX_PUSH_ID. RFC 9114 §7.1: a payload that
 * is shorter or longer than the identifier is a connection error of type H3_FRAME_ERROR. Identifiers above
 * 2^53-1 are returned as `Number.MAX_SAFE_INTEGER` (no stream or push id of this implementation can reach it).
 */
export function decodeIdPayload(name: string, payload: Uint8Array, start = 0, end = payload.length): number {
  if (start >= end) throw h3Error('H3_FRAME_ERROR', `${name} payload is empty`);
  const len = varintLengthFromFirstByte(payload[start]!);
  if (start + len !== end) {
    throw h3Error('H3_FRAME_ERROR', `${name} payload is ${end - start} bytes, identifier needs ${len}`);
  }
  const v = readVarint(payload, start, end);
  if (v === VARINT_INCOMPLETE) throw h3Error('H3_FRAME_ERROR', `${name} payload truncated`);
  return v === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : v;
}

/** Encodes a whole single-identifier frame (`type` is CANCEL_PUSH, GOAWAY or MAX_PUSH_ID). */
export function encodeIdFrame(type: number, id: number): Uint8Array {
  return encodeFrame(type, encodeVarint(id));
}
