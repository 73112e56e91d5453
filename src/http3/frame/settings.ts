/**
 * SETTINGS frame payload (RFC 9114 §7.2.4): a sequence of `Identifier (i) Value (i)` pairs.
 */
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  readVarintBig,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
} from '../../common/varint.js';
import { h3Error } from '../errors.js';
import { isReservedType } from './types.js';

/** Setting identifiers used by hayate (RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220 §3, RFC 9297 §2.1.1). */
export const SettingsId = {
  SETTINGS_QPACK_MAX_TABLE_CAPACITY: 0x01,
  SETTINGS_MAX_FIELD_SECTION_SIZE: 0x06,
  SETTINGS_QPACK_BLOCKED_STREAMS: 0x07,
  SETTINGS_ENABLE_CONNECT_PROTOCOL: 0x08,
  SETTINGS_H3_DATAGRAM: 0x33,
  /** draft-ietf-webtrans-http3-02..-06 §3.1 (Chromium still sends it); kept in `unknown` on receipt. */
  SETTINGS_ENABLE_WEBTRANSPORT: 0x2b603742,
  /** draft-ietf-webtrans-http3-07 and later; kept in `unknown` on receipt. */
  SETTINGS_WEBTRANSPORT_MAX_SESSIONS: 0xc671706a,
} as const;

/** Decoded settings. Values above 2^53-1 are clamped to `Number.MAX_SAFE_INTEGER` (no limit can be that high). */
export interface Http3Settings {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY, default 0 (RFC 9204 §5). */
  readonly qpackMaxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS, default 0 (RFC 9204 §5). */
  readonly qpackBlockedStreams: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE, default unlimited (RFC 9114 §7.2.4.1). */
  readonly maxFieldSectionSize: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 9220 §3). */
  readonly enableConnectProtocol: boolean;
  /** SETTINGS_H3_DATAGRAM = 1 (RFC 9297 §2.1.1). */
  readonly h3Datagram: boolean;
  /** Other identifiers, unknown or reserved, kept for the caller (they must be ignored, §7.2.4). */
  readonly unknown: ReadonlyArray<readonly [id: number | bigint, value: number | bigint]>;
}

/** The values in force before a peer's SETTINGS arrives (RFC 9114 §7.2.4.2). */
export const DEFAULT_PEER_SETTINGS: Http3Settings = Object.freeze({
  qpackMaxTableCapacity: 0,
  qpackBlockedStreams: 0,
  maxFieldSectionSize: Number.MAX_SAFE_INTEGER,
  enableConnectProtocol: false,
  h3Datagram: false,
  unknown: Object.freeze([]),
});

function readOne(payload: Uint8Array, pos: number, end: number): [number | bigint, number] {
  if (pos >= end) throw h3Error('H3_FRAME_ERROR', 'SETTINGS payload ends inside a setting');
  const len = varintLengthFromFirstByte(payload[pos]!);
  const v = readVarint(payload, pos, end);
  if (v === VARINT_INCOMPLETE) throw h3Error('H3_FRAME_ERROR', 'SETTINGS payload ends inside a varint');
  if (v === VARINT_TOO_LARGE) return [readVarintBig(payload, pos, end)!, pos + len];
  return [v, pos + len];
}

function flag(id: string, value: number | bigint): boolean {
  // RFC 9220 §3 and RFC 9297 §2.1.1: only 0 and 1 are valid; anything else is H3_SETTINGS_ERROR.
  if (value === 0) return false;
  if (value === 1) return true;
  throw h3Error('H3_SETTINGS_ERROR', `${id} must be 0 or 1, got ${value}`);
}

function num(value: number | bigint): number {
  return typeof value === 'bigint' ? Number.MAX_SAFE_INTEGER : value;
}

/** Decodes a SETTINGS payload, enforcing RFC 9114 §7.2.4 (duplicates, HTTP/2 identifiers). */
export function decodeSettings(payload: Uint8Array, start = 0, end = payload.length): Http3Settings {
  let qpackMaxTableCapacity = 0;
  let qpackBlockedStreams = 0;
  let maxFieldSectionSize = Number.MAX_SAFE_INTEGER;
  let enableConnectProtocol = false;
  let h3Datagram = false;
  const unknown: Array<readonly [number | bigint, number | bigint]> = [];
  const seen = new Set<number | string>();
  let pos = start;
  while (pos < end) {
    const [id, p1] = readOne(payload, pos, end);
    const [value, p2] = readOne(payload, p1, end);
    pos = p2;
    const key = typeof id === 'bigint' ? id.toString() + 'n' : id;
    // RFC 9114 §7.2.4: the same identifier MUST NOT occur more than once.
    if (seen.has(key)) throw h3Error('H3_SETTINGS_ERROR', `duplicate setting 0x${id.toString(16)}`);
    seen.add(key);
    switch (id) {
      case SettingsId.SETTINGS_QPACK_MAX_TABLE_CAPACITY:
        qpackMaxTableCapacity = num(value);
        break;
      case SettingsId.SETTINGS_MAX_FIELD_SECTION_SIZE:
        maxFieldSectionSize = num(value);
        break;
      case SettingsId.SETTINGS_QPACK_BLOCKED_STREAMS:
        qpackBlockedStreams = num(value);
        break;
      case SettingsId.SETTINGS_ENABLE_CONNECT_PROTOCOL:
        enableConnectProtocol = flag('SETTINGS_ENABLE_CONNECT_PROTOCOL', value);
        break;
      case SettingsId.SETTINGS_H3_DATAGRAM:
        h3Datagram = flag('SETTINGS_H3_DATAGRAM', value);
        break;
      case 0x02:
      case 0x03:
      case 0x04:
      case 0x05:
        // RFC 9114 §7.2.4.1: HTTP/2 setting identifiers are a connection error of type H3_SETTINGS_ERROR.
        throw h3Error(
          'H3_SETTINGS_ERROR',
          `HTTP/2 setting identifier 0x${id.toString(16)} in HTTP/3 SETTINGS`,
        );
      default:
        unknown.push([id, value]);
    }
  }
  return {
    qpackMaxTableCapacity,
    qpackBlockedStreams,
    maxFieldSectionSize,
    enableConnectProtocol,
    h3Datagram,
    unknown,
  };
}

/** What {@link encodeSettings} writes; omitted fields are left at their protocol default (not sent). */
export interface SettingsToSend {
  readonly qpackMaxTableCapacity?: number;
  readonly qpackBlockedStreams?: number;
  readonly maxFieldSectionSize?: number;
  readonly enableConnectProtocol?: boolean;
  readonly h3Datagram?: boolean;
  /** Extra pairs, e.g. a reserved identifier to exercise the peer's "ignore unknown" rule (§7.2.4.1). */
  readonly extra?: ReadonlyArray<readonly [id: number, value: number]>;
}

/** Encodes a SETTINGS payload (not the frame header). Zero/false values equal to the defaults are omitted. */
export function encodeSettings(s: SettingsToSend): Uint8Array {
  const pairs: Array<[number, number]> = [];
  if (s.qpackMaxTableCapacity !== undefined && s.qpackMaxTableCapacity > 0)
    pairs.push([SettingsId.SETTINGS_QPACK_MAX_TABLE_CAPACITY, s.qpackMaxTableCapacity]);
  if (s.maxFieldSectionSize !== undefined && Number.isFinite(s.maxFieldSectionSize))
    pairs.push([SettingsId.SETTINGS_MAX_FIELD_SECTION_SIZE, s.maxFieldSectionSize]);
  if (s.qpackBlockedStreams !== undefined && s.qpackBlockedStreams > 0)
    pairs.push([SettingsId.SETTINGS_QPACK_BLOCKED_STREAMS, s.qpackBlockedStreams]);
  if (s.enableConnectProtocol === true) pairs.push([SettingsId.SETTINGS_ENABLE_CONNECT_PROTOCOL, 1]);
  if (s.h3Datagram === true) pairs.push([SettingsId.SETTINGS_H3_DATAGRAM, 1]);
  for (const [id, v] of s.extra ?? []) {
    if (!isReservedType(id) && pairs.some((p) => p[0] === id)) continue;
    pairs.push([id, v]);
  }
  let size = 0;
  for (const [id, v] of pairs) size += varintSize(id) + varintSize(v);
  const out = new Uint8Array(size);
  let pos = 0;
  for (const [id, v] of pairs) pos = writeVarint(out, writeVarint(out, pos, id), v);
  return out;
}
