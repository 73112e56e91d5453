/**
 * QUIC packet headers without decryption (RFC 9000 §17, RFC 8999): the parser finds the connection IDs,
 * token, packet number offset and end of each packet in a datagram, and drops what RFC 9000 says to drop;
 * writers build long and short headers, Version Negotiation packets (§17.2.1) and stateless resets
 * (§10.3). Retry packets live in retry.ts.
 *
 * Lifetime: every `Uint8Array` in a parsed header is a view into the datagram given to the parser.
 */
import {
  VARINT_INCOMPLETE,
  readVarint,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
} from '../../common/varint.js';
import { writePacketNumber } from './number.js';
import type { PacketNumberLength } from './number.js';
import { MAX_CID_LENGTH, PacketType, QUIC_VERSION_1 } from './types.js';
import type { PacketTypeCode } from './types.js';

/** Length of the Retry integrity tag (RFC 9001 §5.8). */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

/** Length of a stateless reset token (RFC 9000 §10.3). */
export const STATELESS_RESET_TOKEN_LENGTH = 16;

/** Smallest datagram that can be a stateless reset: 5 unpredictable bytes + 16-byte token (§10.3). */
export const MIN_STATELESS_RESET_LENGTH = 21;

/** Why {@link parseHeaderOrReason} dropped a packet. Every one means "discard silently". */
export const HeaderDrop = {
  /** Fewer bytes than the header needs (§12.2: the rest of the datagram is dropped). */
  Truncated: 1,
  /** The fixed bit (0x40) is 0 (RFC 9000 §17.2, §17.3.1). */
  FixedBitZero: 2,
  /** A v1 connection ID longer than 20 bytes (RFC 9000 §17.2). */
  ConnectionIdTooLong: 3,
  /** The Length field runs past the datagram (RFC 9000 §17.2). */
  LengthBeyondDatagram: 4,
  /** A Version Negotiation packet whose version list is empty or not a multiple of 4 bytes (§17.2.1). */
  BadVersionList: 5,
} as const;
/** One of {@link HeaderDrop}. */
export type HeaderDropCode = (typeof HeaderDrop)[keyof typeof HeaderDrop];

/** The fields of one packet header, parsed without removing header protection. */
export interface PacketHeader {
  readonly isLongHeader: boolean;
  readonly packetType: PacketTypeCode;
  /** The long header's version; 0 for Version Negotiation; {@link QUIC_VERSION_1} for short headers. */
  readonly version: number;
  /** Offset of the first byte. The first byte's low bits are still protected. */
  readonly headerStart: number;
  readonly dcid: Uint8Array;
  /** Empty for short headers. */
  readonly scid: Uint8Array;
  /** Initial: the token (possibly empty); Retry: the retry token; otherwise empty. */
  readonly token: Uint8Array;
  /** Offset of the (protected) packet number; -1 for Retry, Version Negotiation, unsupported versions. */
  readonly pnOffset: number;
  /** End of this packet: pnOffset + Length for long headers, the datagram end otherwise. */
  readonly packetEnd: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Parses the packet header at `bytes[offset]`, the datagram ending at `end`. Short headers take their
 * DCID length from `shortDcidLength` (the length of the connection IDs this endpoint issues). Returns
 * `null` for a packet to drop (see {@link parseHeaderOrReason} for the reason).
 */
export function parseHeader(
  bytes: Uint8Array,
  offset: number,
  shortDcidLength: number,
  end: number = bytes.length,
): PacketHeader | null {
  const h = parseHeaderOrReason(bytes, offset, shortDcidLength, end);
  return typeof h === 'number' ? null : h;
}

/** {@link parseHeader} that says why a packet is dropped. */
export function parseHeaderOrReason(
  bytes: Uint8Array,
  offset: number,
  shortDcidLength: number,
  end: number = bytes.length,
): PacketHeader | HeaderDropCode {
  if (offset >= end) return HeaderDrop.Truncated;
  const first = bytes[offset]!;
  if ((first & 0x80) === 0) {
    // RFC 9000 §17.3.1: a short header with the fixed bit 0 is discarded
    if ((first & 0x40) === 0) return HeaderDrop.FixedBitZero;
    const pnOffset = offset + 1 + shortDcidLength;
    if (pnOffset > end) return HeaderDrop.Truncated;
    return {
      isLongHeader: false,
      packetType: PacketType.OneRtt,
      version: QUIC_VERSION_1,
      headerStart: offset,
      dcid: bytes.subarray(offset + 1, pnOffset),
      scid: EMPTY,
      token: EMPTY,
      pnOffset,
      packetEnd: end,
    };
  }
  // RFC 8999 §5.1: version-independent part of a long header
  let pos = offset + 1;
  if (pos + 5 > end) return HeaderDrop.Truncated;
  const version =
    ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
  pos += 4;
  const dcidLength = bytes[pos++]!;
  if (pos + dcidLength + 1 > end) return HeaderDrop.Truncated;
  const dcid = bytes.subarray(pos, pos + dcidLength);
  pos += dcidLength;
  const scidLength = bytes[pos++]!;
  if (pos + scidLength > end) return HeaderDrop.Truncated;
  const scid = bytes.subarray(pos, pos + scidLength);
  pos += scidLength;

  if (version === 0) {
    // RFC 9000 §17.2.1: the rest is a list of 32-bit versions; the fixed bit is unused here
    const listLength = end - pos;
    if (listLength === 0 || listLength % 4 !== 0) return HeaderDrop.BadVersionList;
    return longHeader(
      PacketType.VersionNegotiation,
      version,
      offset,
      dcid,
      scid,
      bytes.subarray(pos, end),
      -1,
      end,
    );
  }
  if (version !== QUIC_VERSION_1) {
    // RFC 9000 §6.1: only the invariant fields are known; the endpoint may answer with VN
    return longHeader(PacketType.UnsupportedVersion, version, offset, dcid, scid, EMPTY, -1, end);
  }
  // RFC 9000 §17.2: the fixed bit must be 1 and v1 connection IDs are at most 20 bytes
  if ((first & 0x40) === 0) return HeaderDrop.FixedBitZero;
  if (dcidLength > MAX_CID_LENGTH || scidLength > MAX_CID_LENGTH) return HeaderDrop.ConnectionIdTooLong;
  const type = ((first >> 4) & 0x03) as 0 | 1 | 2 | 3;
  let token: Uint8Array = EMPTY;
  if (type === PacketType.Retry) {
    // RFC 9000 §17.2.5: Retry Token runs to the 16-byte integrity tag at the end of the datagram
    if (end - pos < RETRY_INTEGRITY_TAG_LENGTH) return HeaderDrop.Truncated;
    token = bytes.subarray(pos, end - RETRY_INTEGRITY_TAG_LENGTH);
    return longHeader(PacketType.Retry, version, offset, dcid, scid, token, -1, end);
  }
  if (type === PacketType.Initial) {
    // RFC 9000 §17.2.2: Token Length and Token
    if (pos >= end) return HeaderDrop.Truncated;
    const tokenLength = readVarint(bytes, pos, end);
    if (tokenLength < 0) return HeaderDrop.Truncated;
    pos += varintLengthFromFirstByte(bytes[pos]!);
    if (tokenLength > end - pos) return HeaderDrop.Truncated;
    token = bytes.subarray(pos, pos + tokenLength);
    pos += tokenLength;
  }
  if (pos >= end) return HeaderDrop.Truncated;
  const length = readVarint(bytes, pos, end);
  if (length === VARINT_INCOMPLETE) return HeaderDrop.Truncated;
  pos += varintLengthFromFirstByte(bytes[pos]!);
  // RFC 9000 §17.2: Length covers the packet number and payload; past the datagram it is malformed
  if (length < 0 || length > end - pos) return HeaderDrop.LengthBeyondDatagram;
  return longHeader(type, version, offset, dcid, scid, token, pos, pos + length);
}

function longHeader(
  packetType: PacketTypeCode,
  version: number,
  headerStart: number,
  dcid: Uint8Array,
  scid: Uint8Array,
  token: Uint8Array,
  pnOffset: number,
  packetEnd: number,
): PacketHeader {
  return { isLongHeader: true, packetType, version, headerStart, dcid, scid, token, pnOffset, packetEnd };
}

/** Fields of a long header packet with a packet number: Initial, 0-RTT or Handshake. */
export interface LongHeaderFields {
  readonly packetType: typeof PacketType.Initial | typeof PacketType.ZeroRtt | typeof PacketType.Handshake;
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Initial packets only; empty when omitted. */
  readonly token?: Uint8Array;
  readonly packetNumber: number;
  readonly pnLength: PacketNumberLength;
  /**
   * The Length field (packet number + payload + AEAD tag). It is always written in 2 bytes, so at most
   * 16383; omit it to write 0 and fill it in later with {@link setLongHeaderLength}.
   */
  readonly length?: number;
}

/** Size of the long header {@link writeLongHeader} writes, packet number included. */
export function longHeaderSize(fields: LongHeaderFields): number {
  const tokenLength = fields.token?.length ?? 0;
  let size = 1 + 4 + 1 + fields.dcid.length + 1 + fields.scid.length + 2 + fields.pnLength;
  if (fields.packetType === PacketType.Initial) size += varintSize(tokenLength) + tokenLength;
  return size;
}

/**
 * Writes a long header with reserved bits 0 (RFC 9000 §17.2) and the packet number in the clear. Returns
 * the position after the packet number (the payload start); the packet number is at that minus
 * `pnLength`.
 */
export function writeLongHeader(dst: Uint8Array, pos: number, fields: LongHeaderFields): number {
  dst[pos++] = 0xc0 | (fields.packetType << 4) | (fields.pnLength - 1);
  dst[pos++] = fields.version >>> 24;
  dst[pos++] = (fields.version >>> 16) & 0xff;
  dst[pos++] = (fields.version >>> 8) & 0xff;
  dst[pos++] = fields.version & 0xff;
  dst[pos++] = fields.dcid.length;
  dst.set(fields.dcid, pos);
  pos += fields.dcid.length;
  dst[pos++] = fields.scid.length;
  dst.set(fields.scid, pos);
  pos += fields.scid.length;
  if (fields.packetType === PacketType.Initial) {
    const token = fields.token ?? EMPTY;
    pos = writeVarint(dst, pos, token.length);
    dst.set(token, pos);
    pos += token.length;
  }
  pos = writeVarint(dst, pos, fields.length ?? 0, 2);
  return writePacketNumber(dst, pos, fields.packetNumber, fields.pnLength);
}

/**
 * Fills in the 2-byte Length field of a long header written by {@link writeLongHeader}: `length` =
 * packet number length + payload + 16-byte tag, at most 16383.
 */
export function setLongHeaderLength(dst: Uint8Array, pnOffset: number, length: number): void {
  if (length > 0x3fff) throw new RangeError(`long header Length ${length} above 16383`);
  writeVarint(dst, pnOffset - 2, length, 2);
}

/**
 * Writes a short header (RFC 9000 §17.3.1): fixed bit, spin bit, reserved bits 0, key phase, packet
 * number length, DCID and the packet number in the clear. Returns the payload start.
 */
export function writeShortHeader(
  dst: Uint8Array,
  pos: number,
  dcid: Uint8Array,
  packetNumber: number,
  pnLength: PacketNumberLength,
  keyPhase: boolean,
  spinBit = false,
): number {
  dst[pos++] = 0x40 | (spinBit ? 0x20 : 0) | (keyPhase ? 0x04 : 0) | (pnLength - 1);
  dst.set(dcid, pos);
  pos += dcid.length;
  return writePacketNumber(dst, pos, packetNumber, pnLength);
}

/**
 * Encodes a Version Negotiation packet (RFC 9000 §17.2.1) answering a client packet: `dcid` is the
 * client's SCID and `scid` the client's DCID. `unusedBits` fills the first byte's low 7 bits; 0x40 is
 * always set so the packet looks like it has a fixed bit (§17.2.1 SHOULD).
 */
export function encodeVersionNegotiation(
  dcid: Uint8Array,
  scid: Uint8Array,
  versions: readonly number[],
  unusedBits = 0,
): Uint8Array {
  const out = new Uint8Array(7 + dcid.length + scid.length + 4 * versions.length);
  let pos = 0;
  out[pos++] = 0xc0 | (unusedBits & 0x3f);
  pos += 4; // version 0
  out[pos++] = dcid.length;
  out.set(dcid, pos);
  pos += dcid.length;
  out[pos++] = scid.length;
  out.set(scid, pos);
  pos += scid.length;
  for (const v of versions) {
    out[pos++] = v >>> 24;
    out[pos++] = (v >>> 16) & 0xff;
    out[pos++] = (v >>> 8) & 0xff;
    out[pos++] = v & 0xff;
  }
  return out;
}

/** The versions listed by a Version Negotiation header (its `token` holds the raw list). */
export function decodeVersionNegotiation(header: PacketHeader): number[] {
  const list = header.token;
  const out: number[] = [];
  for (let i = 0; i + 4 <= list.length; i += 4) {
    out.push(((list[i]! << 24) | (list[i + 1]! << 16) | (list[i + 2]! << 8) | list[i + 3]!) >>> 0);
  }
  return out;
}

/**
 * The trailing 16 bytes of a datagram that may be a stateless reset (RFC 9000 §10.3.1), or `null` when
 * the datagram is too short to be one. The connection checks it when a datagram's packets cannot be
 * routed or decrypted, comparing with every token the peer issued through {@link isStatelessResetToken}.
 */
export function statelessResetCandidate(
  datagram: Uint8Array,
  start = 0,
  end = datagram.length,
): Uint8Array | null {
  // RFC 9000 §10.3.1: detection is datagram-based (the trailing 16 bytes), whatever the first byte says
  if (end - start < MIN_STATELESS_RESET_LENGTH) return null;
  return datagram.subarray(end - STATELESS_RESET_TOKEN_LENGTH, end);
}

/** Compares a candidate with a known token in constant time (RFC 9000 §10.3.1: no timing leaks). */
export function isStatelessResetToken(candidate: Uint8Array, token: Uint8Array): boolean {
  if (candidate.length !== STATELESS_RESET_TOKEN_LENGTH || token.length !== STATELESS_RESET_TOKEN_LENGTH) {
    return false;
  }
  let diff = 0;
  for (let i = 0; i < STATELESS_RESET_TOKEN_LENGTH; i++) diff |= candidate[i]! ^ token[i]!;
  return diff === 0;
}

/**
 * Encodes a stateless reset (RFC 9000 §10.3): `unpredictable` (at least 5 random bytes; its first byte
 * is forced to the short header form 0b01xxxxxx) followed by `token`.
 */
export function encodeStatelessReset(unpredictable: Uint8Array, token: Uint8Array): Uint8Array {
  if (unpredictable.length < MIN_STATELESS_RESET_LENGTH - STATELESS_RESET_TOKEN_LENGTH) {
    throw new RangeError('a stateless reset needs at least 5 unpredictable bytes');
  }
  const out = new Uint8Array(unpredictable.length + STATELESS_RESET_TOKEN_LENGTH);
  out.set(unpredictable, 0);
  out[0] = (out[0]! & 0x3f) | 0x40;
  out.set(token.subarray(0, STATELESS_RESET_TOKEN_LENGTH), unpredictable.length);
  return out;
}
