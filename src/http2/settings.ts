/**
 * SETTINGS parameters (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1): identifiers, initial values, the
 * validity rule of each, and the settings record a connection keeps for each side.
 */
import { H2ErrorCode, connectionError } from './errors.js';

/** Setting identifiers. Unknown identifiers are ignored on receipt (RFC 9113 §6.5.2). */
export const SettingsId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
} as const;
/** A known setting identifier. */
export type SettingsId = (typeof SettingsId)[keyof typeof SettingsId];

/** One side's settings. `undefined`-free: unlimited values are `Infinity` (RFC 9113 §6.5.2 initial values). */
export interface Http2Settings {
  headerTableSize: number;
  enablePush: boolean;
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  maxHeaderListSize: number;
  enableConnectProtocol: boolean;
  noRfc7540Priorities: boolean;
}

/** The values in force before any SETTINGS frame arrives (RFC 9113 §6.5.2). */
export const INITIAL_SETTINGS: Readonly<Http2Settings> = Object.freeze({
  headerTableSize: 4096,
  enablePush: true,
  maxConcurrentStreams: Infinity,
  initialWindowSize: 65535,
  maxFrameSize: 16384,
  maxHeaderListSize: Infinity,
  enableConnectProtocol: false,
  noRfc7540Priorities: false,
});

/**
 * Checks one received setting value and raises the connection error its RFC names.
 * Returns true when the identifier is known.
 */
export function validateSetting(id: number, value: number): boolean {
  switch (id) {
    case SettingsId.HEADER_TABLE_SIZE:
    case SettingsId.MAX_CONCURRENT_STREAMS:
    case SettingsId.MAX_HEADER_LIST_SIZE:
      return true;
    case SettingsId.ENABLE_PUSH:
    case SettingsId.ENABLE_CONNECT_PROTOCOL:
    case SettingsId.NO_RFC7540_PRIORITIES:
      // RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1: any value other than 0 or 1 is a PROTOCOL_ERROR.
      if (value > 1) {
        throw connectionError(
          H2ErrorCode.PROTOCOL_ERROR,
          `setting 0x${id.toString(16)} has value ${value}, must be 0 or 1`,
        );
      }
      return true;
    case SettingsId.INITIAL_WINDOW_SIZE:
      // RFC 9113 §6.5.2: above 2^31-1 is a FLOW_CONTROL_ERROR.
      if (value > 0x7fffffff) {
        throw connectionError(
          H2ErrorCode.FLOW_CONTROL_ERROR,
          `SETTINGS_INITIAL_WINDOW_SIZE ${value} above 2^31-1`,
        );
      }
      return true;
    case SettingsId.MAX_FRAME_SIZE:
      // RFC 9113 §6.5.2: outside 2^14..2^24-1 is a PROTOCOL_ERROR.
      if (value < 16384 || value > 16777215) {
        throw connectionError(
          H2ErrorCode.PROTOCOL_ERROR,
          `SETTINGS_MAX_FRAME_SIZE ${value} outside 16384..16777215`,
        );
      }
      return true;
    default:
      return false;
  }
}

/** Applies one validated setting to `s`. Unknown identifiers are ignored; returns false for them. */
export function applySetting(s: Http2Settings, id: number, value: number): boolean {
  switch (id) {
    case SettingsId.HEADER_TABLE_SIZE:
      s.headerTableSize = value;
      break;
    case SettingsId.ENABLE_PUSH:
      s.enablePush = value === 1;
      break;
    case SettingsId.MAX_CONCURRENT_STREAMS:
      s.maxConcurrentStreams = value;
      break;
    case SettingsId.INITIAL_WINDOW_SIZE:
      s.initialWindowSize = value;
      break;
    case SettingsId.MAX_FRAME_SIZE:
      s.maxFrameSize = value;
      break;
    case SettingsId.MAX_HEADER_LIST_SIZE:
      s.maxHeaderListSize = value;
      break;
    case SettingsId.ENABLE_CONNECT_PROTOCOL:
      s.enableConnectProtocol = value === 1;
      break;
    case SettingsId.NO_RFC7540_PRIORITIES:
      s.noRfc7540Priorities = value === 1;
      break;
    default:
      return false;
  }
  return true;
}

/**
 * The (identifier, value) pairs that announce `local` (only those differing from the initial values, plus
 * the ones a peer must see explicitly). Infinite values are not sent.
 */
export function settingsToPairs(local: Readonly<Http2Settings>, isServer: boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const init = INITIAL_SETTINGS;
  if (local.headerTableSize !== init.headerTableSize)
    out.push([SettingsId.HEADER_TABLE_SIZE, local.headerTableSize]);
  // RFC 9113 §8.4: a server's ENABLE_PUSH must be 0 if sent at all; clients say 0 when they refuse push.
  if (!isServer && !local.enablePush) out.push([SettingsId.ENABLE_PUSH, 0]);
  if (Number.isFinite(local.maxConcurrentStreams))
    out.push([SettingsId.MAX_CONCURRENT_STREAMS, local.maxConcurrentStreams]);
  if (local.initialWindowSize !== init.initialWindowSize)
    out.push([SettingsId.INITIAL_WINDOW_SIZE, local.initialWindowSize]);
  if (local.maxFrameSize !== init.maxFrameSize) out.push([SettingsId.MAX_FRAME_SIZE, local.maxFrameSize]);
  if (Number.isFinite(local.maxHeaderListSize))
    out.push([SettingsId.MAX_HEADER_LIST_SIZE, local.maxHeaderListSize]);
  if (isServer && local.enableConnectProtocol) out.push([SettingsId.ENABLE_CONNECT_PROTOCOL, 1]);
  if (local.noRfc7540Priorities) out.push([SettingsId.NO_RFC7540_PRIORITIES, 1]);
  return out;
}
