/**
 * QUIC transport parameters (RFC 9000 §18), carried in the TLS quic_transport_parameters extension
 * (0x39, RFC 9001 §8.2), plus max_datagram_frame_size (RFC 9221 §3) and grease_quic_bit (RFC 9287).
 *
 * Decoding validates everything §7.4 and §18.2 say a receiver must reject as TRANSPORT_PARAMETER_ERROR;
 * whether the connection ID parameters match the handshake (§7.3) is {@link checkConnectionIdParameters}.
 * Integer values above 2^53-1 saturate to `Number.MAX_SAFE_INTEGER` (every one is a limit or a timeout, so
 * the saturated value grants the same in practice); stream counts are checked exactly against 2^60.
 */
import {
  VARINT_INCOMPLETE,
  VARINT_TOO_LARGE,
  readVarint,
  readVarintBig,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
  writeVarintBig,
} from '../common/varint.js';
import { bytesEqual } from '../common/bytes.js';
import { UsageError, assertNever } from '../common/errors.js';
import type { QuicError } from '../common/errors.js';
import { quicError } from './errors.js';

/** Transport parameter ids (RFC 9000 §18.2, RFC 9221 §3, RFC 9287 §3). */
export const TransportParameterId = {
  original_destination_connection_id: 0x00,
  max_idle_timeout: 0x01,
  stateless_reset_token: 0x02,
  max_udp_payload_size: 0x03,
  initial_max_data: 0x04,
  initial_max_stream_data_bidi_local: 0x05,
  initial_max_stream_data_bidi_remote: 0x06,
  initial_max_stream_data_uni: 0x07,
  initial_max_streams_bidi: 0x08,
  initial_max_streams_uni: 0x09,
  ack_delay_exponent: 0x0a,
  max_ack_delay: 0x0b,
  disable_active_migration: 0x0c,
  preferred_address: 0x0d,
  active_connection_id_limit: 0x0e,
  initial_source_connection_id: 0x0f,
  retry_source_connection_id: 0x10,
  max_datagram_frame_size: 0x20,
  grease_quic_bit: 0x2ab2,
} as const;

/** The server's preferred address (RFC 9000 §18.2, §9.6). */
export interface PreferredAddress {
  /** 4 bytes; all zero when the server offers no IPv4 address. */
  readonly ipv4Address: Uint8Array;
  readonly ipv4Port: number;
  /** 16 bytes; all zero when the server offers no IPv6 address. */
  readonly ipv6Address: Uint8Array;
  readonly ipv6Port: number;
  /** 1 to 20 bytes. */
  readonly connectionId: Uint8Array;
  /** 16 bytes. */
  readonly statelessResetToken: Uint8Array;
}

/**
 * Every transport parameter. Absent optional fields were not sent; integer fields hold the §18.2
 * default when not sent. Lifetime: decoded byte fields are copies, safe to keep.
 */
export interface TransportParameters {
  /** Server only (§18.2). */
  readonly originalDestinationConnectionId?: Uint8Array | undefined;
  /** Milliseconds; 0 = no idle timeout from this side. */
  readonly maxIdleTimeoutMs: number;
  /** Server only; 16 bytes. */
  readonly statelessResetToken?: Uint8Array | undefined;
  /** At least 1200; default 65527. */
  readonly maxUdpPayloadSize: number;
  readonly initialMaxData: number;
  readonly initialMaxStreamDataBidiLocal: number;
  readonly initialMaxStreamDataBidiRemote: number;
  readonly initialMaxStreamDataUni: number;
  /** At most 2^60. */
  readonly initialMaxStreamsBidi: number;
  /** At most 2^60. */
  readonly initialMaxStreamsUni: number;
  /** At most 20; default 3. */
  readonly ackDelayExponent: number;
  /** Milliseconds, below 2^14; default 25. */
  readonly maxAckDelayMs: number;
  readonly disableActiveMigration: boolean;
  /** Server only. */
  readonly preferredAddress?: PreferredAddress | undefined;
  /** At least 2; default 2. */
  readonly activeConnectionIdLimit: number;
  readonly initialSourceConnectionId?: Uint8Array | undefined;
  /** Server only, after a Retry. */
  readonly retrySourceConnectionId?: Uint8Array | undefined;
  /** RFC 9221 §3: absent = DATAGRAM frames not accepted; 0 is not a valid value to act on, see there. */
  readonly maxDatagramFrameSize?: number | undefined;
  /** RFC 9287: the sender accepts packets with the fixed bit cleared (parsed; this stack never clears it). */
  readonly greaseQuicBit: boolean;
}

/** The values a peer's parameters take when not sent (RFC 9000 §18.2). */
export const DEFAULT_TRANSPORT_PARAMETERS: TransportParameters = Object.freeze({
  maxIdleTimeoutMs: 0,
  maxUdpPayloadSize: 65527,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  ackDelayExponent: 3,
  maxAckDelayMs: 25,
  disableActiveMigration: false,
  activeConnectionIdLimit: 2,
  greaseQuicBit: false,
});

const MAX_STREAMS_BIG = BigInt(2 ** 60);
const MAX_CID = 20;

type IntegerKey =
  | 'maxIdleTimeoutMs'
  | 'maxUdpPayloadSize'
  | 'initialMaxData'
  | 'initialMaxStreamDataBidiLocal'
  | 'initialMaxStreamDataBidiRemote'
  | 'initialMaxStreamDataUni'
  | 'initialMaxStreamsBidi'
  | 'initialMaxStreamsUni'
  | 'ackDelayExponent'
  | 'maxAckDelayMs'
  | 'activeConnectionIdLimit';

const INTEGER_PARAMS: readonly (readonly [number, IntegerKey])[] = [
  [TransportParameterId.max_idle_timeout, 'maxIdleTimeoutMs'],
  [TransportParameterId.max_udp_payload_size, 'maxUdpPayloadSize'],
  [TransportParameterId.initial_max_data, 'initialMaxData'],
  [TransportParameterId.initial_max_stream_data_bidi_local, 'initialMaxStreamDataBidiLocal'],
  [TransportParameterId.initial_max_stream_data_bidi_remote, 'initialMaxStreamDataBidiRemote'],
  [TransportParameterId.initial_max_stream_data_uni, 'initialMaxStreamDataUni'],
  [TransportParameterId.initial_max_streams_bidi, 'initialMaxStreamsBidi'],
  [TransportParameterId.initial_max_streams_uni, 'initialMaxStreamsUni'],
  [TransportParameterId.ack_delay_exponent, 'ackDelayExponent'],
  [TransportParameterId.max_ack_delay, 'maxAckDelayMs'],
  [TransportParameterId.active_connection_id_limit, 'activeConnectionIdLimit'],
];

/**
 * Encodes `tp` as the extension body. Integer parameters equal to their default are omitted (the
 * receiver assumes the default, §18.2); `role` is the sender, and a client passing a server-only
 * parameter is a UsageError.
 */
export function encodeTransportParameters(tp: TransportParameters, role: 'client' | 'server'): Uint8Array {
  if (role === 'client') {
    if (
      tp.originalDestinationConnectionId !== undefined ||
      tp.statelessResetToken !== undefined ||
      tp.preferredAddress !== undefined ||
      tp.retrySourceConnectionId !== undefined
    ) {
      throw new UsageError(
        'ERR_QUIC_TRANSPORT_PARAMETERS',
        'a client cannot send server-only transport parameters',
      );
    }
  }
  const parts: Uint8Array[] = [];
  const bytesParam = (id: number, value: Uint8Array | undefined): void => {
    if (value === undefined) return;
    const out = new Uint8Array(varintSize(id) + varintSize(value.length) + value.length);
    let pos = writeVarint(out, 0, id);
    pos = writeVarint(out, pos, value.length);
    out.set(value, pos);
    parts.push(out);
  };
  const intParam = (id: number, value: number): void => {
    bytesParam(id, encodeInt(value));
  };
  bytesParam(TransportParameterId.original_destination_connection_id, tp.originalDestinationConnectionId);
  bytesParam(TransportParameterId.stateless_reset_token, tp.statelessResetToken);
  for (const [id, key] of INTEGER_PARAMS) {
    if (tp[key] !== DEFAULT_TRANSPORT_PARAMETERS[key]) intParam(id, tp[key]);
  }
  if (tp.disableActiveMigration) bytesParam(TransportParameterId.disable_active_migration, new Uint8Array(0));
  if (tp.preferredAddress !== undefined) {
    bytesParam(TransportParameterId.preferred_address, encodePreferredAddress(tp.preferredAddress));
  }
  bytesParam(TransportParameterId.initial_source_connection_id, tp.initialSourceConnectionId);
  bytesParam(TransportParameterId.retry_source_connection_id, tp.retrySourceConnectionId);
  if (tp.maxDatagramFrameSize !== undefined)
    intParam(TransportParameterId.max_datagram_frame_size, tp.maxDatagramFrameSize);
  if (tp.greaseQuicBit) bytesParam(TransportParameterId.grease_quic_bit, new Uint8Array(0));
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function encodeInt(value: number): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  // stream counts up to 2^60 are not safe integers; they take the bigint writer
  if (Number.isSafeInteger(value)) writeVarint(out, 0, value);
  else writeVarintBig(out, 0, BigInt(value));
  return out;
}

function encodePreferredAddress(pa: PreferredAddress): Uint8Array {
  const out = new Uint8Array(4 + 2 + 16 + 2 + 1 + pa.connectionId.length + 16);
  out.set(pa.ipv4Address.subarray(0, 4), 0);
  out[4] = pa.ipv4Port >>> 8;
  out[5] = pa.ipv4Port & 0xff;
  out.set(pa.ipv6Address.subarray(0, 16), 6);
  out[22] = pa.ipv6Port >>> 8;
  out[23] = pa.ipv6Port & 0xff;
  out[24] = pa.connectionId.length;
  out.set(pa.connectionId, 25);
  out.set(pa.statelessResetToken.subarray(0, 16), 25 + pa.connectionId.length);
  return out;
}

function fail(message: string): QuicError {
  return quicError('TRANSPORT_PARAMETER_ERROR', message);
}

/**
 * Decodes and validates the peer's transport parameters; `senderRole` is the peer's role. Throws a
 * TRANSPORT_PARAMETER_ERROR QuicError for a malformed or invalid parameter, a duplicate (§7.4), or a
 * server-only parameter from a client (§18.2). Unknown ids (GREASE 31*N+27 included) are ignored.
 */
export function decodeTransportParameters(
  bytes: Uint8Array,
  senderRole: 'client' | 'server',
): TransportParameters {
  const tp: { -readonly [K in keyof TransportParameters]: TransportParameters[K] } = {
    ...DEFAULT_TRANSPORT_PARAMETERS,
  };
  const seen = new Set<number>();
  const end = bytes.length;
  let pos = 0;
  while (pos < end) {
    const id = readVarint(bytes, pos, end);
    if (id === VARINT_INCOMPLETE) throw fail('transport parameter id truncated');
    pos += varintLengthFromFirstByte(bytes[pos]!);
    if (pos >= end) throw fail('transport parameter length missing');
    const length = readVarint(bytes, pos, end);
    if (length < 0) throw fail('transport parameter length truncated');
    pos += varintLengthFromFirstByte(bytes[pos]!);
    if (length > end - pos) throw fail(`transport parameter 0x${id.toString(16)} longer than the extension`);
    const value = bytes.subarray(pos, pos + length);
    pos += length;
    if (id === VARINT_TOO_LARGE) continue; // an unknown id beyond 2^53
    // RFC 9000 §7.4: a repeated parameter is a TRANSPORT_PARAMETER_ERROR
    if (seen.has(id)) throw fail(`duplicate transport parameter 0x${id.toString(16)}`);
    seen.add(id);
    decodeOne(tp, id, value, senderRole);
  }
  return tp;
}

function decodeOne(
  tp: { -readonly [K in keyof TransportParameters]: TransportParameters[K] },
  id: number,
  value: Uint8Array,
  senderRole: 'client' | 'server',
): void {
  const name = `0x${id.toString(16)}`;
  switch (id) {
    case TransportParameterId.original_destination_connection_id:
    case TransportParameterId.stateless_reset_token:
    case TransportParameterId.preferred_address:
    case TransportParameterId.retry_source_connection_id:
      // RFC 9000 §18.2: a client sending a server-only parameter is a TRANSPORT_PARAMETER_ERROR
      if (senderRole === 'client') throw fail(`client sent server-only transport parameter ${name}`);
      break;
    default:
      break;
  }
  switch (id) {
    case TransportParameterId.original_destination_connection_id:
      tp.originalDestinationConnectionId = cid(value, name);
      return;
    case TransportParameterId.stateless_reset_token:
      if (value.length !== 16) throw fail(`stateless_reset_token of ${value.length} bytes`);
      tp.statelessResetToken = value.slice();
      return;
    case TransportParameterId.disable_active_migration:
      if (value.length !== 0) throw fail('disable_active_migration with a value');
      tp.disableActiveMigration = true;
      return;
    case TransportParameterId.grease_quic_bit:
      if (value.length !== 0) throw fail('grease_quic_bit with a value');
      tp.greaseQuicBit = true;
      return;
    case TransportParameterId.preferred_address:
      tp.preferredAddress = decodePreferredAddress(value);
      return;
    case TransportParameterId.initial_source_connection_id:
      tp.initialSourceConnectionId = cid(value, name);
      return;
    case TransportParameterId.retry_source_connection_id:
      tp.retrySourceConnectionId = cid(value, name);
      return;
    case TransportParameterId.max_datagram_frame_size:
      tp.maxDatagramFrameSize = integer(value, name);
      return;
    default:
      break;
  }
  const entry = INTEGER_PARAMS.find((p) => p[0] === id);
  if (entry === undefined) return; // RFC 9000 §18.1: unknown parameters are ignored
  const key = entry[1];
  const v = integer(value, name);
  switch (key) {
    case 'maxUdpPayloadSize':
      // RFC 9000 §18.2: values below 1200 are invalid
      if (v < 1200) throw fail(`max_udp_payload_size ${v} below 1200`);
      break;
    case 'ackDelayExponent':
      // RFC 9000 §18.2: values above 20 are invalid
      if (v > 20) throw fail(`ack_delay_exponent ${v} above 20`);
      break;
    case 'maxAckDelayMs':
      // RFC 9000 §18.2: values of 2^14 or greater are invalid
      if (v >= 2 ** 14) throw fail(`max_ack_delay ${v} not below 2^14`);
      break;
    case 'activeConnectionIdLimit':
      // RFC 9000 §18.2: a value below 2 is a TRANSPORT_PARAMETER_ERROR
      if (v < 2) throw fail(`active_connection_id_limit ${v} below 2`);
      break;
    case 'initialMaxStreamsBidi':
    case 'initialMaxStreamsUni':
      // RFC 9000 §18.2: a stream count above 2^60 is a TRANSPORT_PARAMETER_ERROR (checked exactly)
      if (v >= Number.MAX_SAFE_INTEGER) {
        const exact = readVarintBig(value, 0, value.length)!;
        if (exact > MAX_STREAMS_BIG) throw fail(`${name} above 2^60`);
        tp[key] = Number(exact);
        return;
      }
      break;
    case 'maxIdleTimeoutMs':
    case 'initialMaxData':
    case 'initialMaxStreamDataBidiLocal':
    case 'initialMaxStreamDataBidiRemote':
    case 'initialMaxStreamDataUni':
      break;
    default:
      return assertNever(key, 'transport parameter');
  }
  tp[key] = v;
}

// A varint filling exactly the parameter value (RFC 9000 §18.1).
function integer(value: Uint8Array, name: string): number {
  if (value.length === 0 || varintLengthFromFirstByte(value[0]!) !== value.length) {
    throw fail(`transport parameter ${name}: integer does not fill its ${value.length}-byte value`);
  }
  const v = readVarint(value, 0, value.length);
  return v === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : v;
}

function cid(value: Uint8Array, name: string): Uint8Array {
  // RFC 9000 §17.2: connection IDs are at most 20 bytes in QUIC v1
  if (value.length > MAX_CID)
    throw fail(`transport parameter ${name}: connection ID of ${value.length} bytes`);
  return value.slice();
}

function decodePreferredAddress(value: Uint8Array): PreferredAddress {
  if (value.length < 25) throw fail('preferred_address truncated');
  const cidLength = value[24]!;
  // RFC 9000 §18.2: a zero-length connection ID in preferred_address is a TRANSPORT_PARAMETER_ERROR
  if (cidLength === 0 || cidLength > MAX_CID)
    throw fail(`preferred_address connection ID of ${cidLength} bytes`);
  if (value.length !== 25 + cidLength + 16) throw fail(`preferred_address of ${value.length} bytes`);
  return {
    ipv4Address: value.slice(0, 4),
    ipv4Port: (value[4]! << 8) | value[5]!,
    ipv6Address: value.slice(6, 22),
    ipv6Port: (value[22]! << 8) | value[23]!,
    connectionId: value.slice(25, 25 + cidLength),
    statelessResetToken: value.slice(25 + cidLength),
  };
}

/** What the connection IDs of the handshake were, for {@link checkConnectionIdParameters}. */
export interface HandshakeConnectionIds {
  /** The SCID of the peer's first Initial packet. */
  readonly peerInitialScid: Uint8Array;
  /** Client only: the DCID of its first Initial. */
  readonly originalDcid?: Uint8Array | undefined;
  /** Client only: the SCID of the Retry it accepted, if any. */
  readonly retryScid?: Uint8Array | undefined;
}

/**
 * Authenticates the connection IDs of the handshake (RFC 9000 §7.3): initial_source_connection_id must
 * match the peer's Initial SCID, and a server's original_destination_connection_id and
 * retry_source_connection_id must match what the client sent and received. `senderRole` is the peer's
 * role. Throws TRANSPORT_PARAMETER_ERROR on absence or mismatch.
 */
export function checkConnectionIdParameters(
  tp: TransportParameters,
  senderRole: 'client' | 'server',
  ids: HandshakeConnectionIds,
): void {
  if (!equalBytes(tp.initialSourceConnectionId, ids.peerInitialScid)) {
    throw fail('initial_source_connection_id missing or not the Initial SCID');
  }
  if (senderRole === 'server') {
    if (ids.originalDcid !== undefined && !equalBytes(tp.originalDestinationConnectionId, ids.originalDcid)) {
      throw fail('original_destination_connection_id missing or mismatched');
    }
    if (ids.retryScid !== undefined) {
      if (!equalBytes(tp.retrySourceConnectionId, ids.retryScid)) {
        throw fail('retry_source_connection_id missing or mismatched');
      }
    } else if (tp.retrySourceConnectionId !== undefined) {
      throw fail('retry_source_connection_id without a Retry');
    }
  }
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && bytesEqual(a, 0, a.length, b, 0, b.length);
}

/**
 * RFC 9001 §4.6.3 / RFC 9000 §7.4.1: 0-RTT may be accepted only when none of the limits a client
 * remembered from the previous connection shrank (the client already spent them). True when every limit
 * in `current` is at least the `remembered` one.
 */
export function isZeroRttCompatible(remembered: TransportParameters, current: TransportParameters): boolean {
  return (
    current.activeConnectionIdLimit >= remembered.activeConnectionIdLimit &&
    current.initialMaxData >= remembered.initialMaxData &&
    current.initialMaxStreamDataBidiLocal >= remembered.initialMaxStreamDataBidiLocal &&
    current.initialMaxStreamDataBidiRemote >= remembered.initialMaxStreamDataBidiRemote &&
    current.initialMaxStreamDataUni >= remembered.initialMaxStreamDataUni &&
    current.initialMaxStreamsBidi >= remembered.initialMaxStreamsBidi &&
    current.initialMaxStreamsUni >= remembered.initialMaxStreamsUni &&
    (current.maxDatagramFrameSize ?? 0) >= (remembered.maxDatagramFrameSize ?? 0)
  );
}
