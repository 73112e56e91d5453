/**
 * PUSH_PROMISE payload (RFC 9114 §7.2.5): `Push ID (i)` followed by an encoded field section.
 */
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  varintLengthFromFirstByte,
} from '../../common/varint.js';
import { h3Error } from '../errors.js';

/** The push id and where the field section starts in the payload. */
export interface PushPromiseHead {
  readonly pushId: number;
  readonly fieldSectionStart: number;
}

/** Decodes the push id of a PUSH_PROMISE payload; a truncated id is H3_FRAME_ERROR (§7.1). */
export function decodePushPromise(payload: Uint8Array, start = 0, end = payload.length): PushPromiseHead {
  if (start >= end) throw h3Error('H3_FRAME_ERROR', 'PUSH_PROMISE payload is empty');
  const v = readVarint(payload, start, end);
  if (v === VARINT_INCOMPLETE) throw h3Error('H3_FRAME_ERROR', 'PUSH_PROMISE push id truncated');
  return {
    pushId: v === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : v,
    fieldSectionStart: start + varintLengthFromFirstByte(payload[start]!),
  };
}
