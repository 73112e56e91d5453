/**
 * Packet kinds (RFC 9000 §17). Shared by the header codec and the frame module's per-packet frame rules
 * (RFC 9000 §12.4, Table 3).
 */

/**
 * Packet types. Initial, ZeroRtt, Handshake and Retry equal the two long-header type bits of QUIC v1
 * (RFC 9000 §17.2, Table 5); OneRtt is the short header (§17.3) and VersionNegotiation the long header with
 * version 0 (§17.2.1). UnsupportedVersion is not an RFC packet type: a long header of a version other than
 * 0 and 1, of which only the version-independent fields (RFC 8999 §5.1) are parsed, so the endpoint can
 * answer with Version Negotiation (RFC 9000 §6.1).
 */
export const PacketType = {
  Initial: 0,
  ZeroRtt: 1,
  Handshake: 2,
  Retry: 3,
  OneRtt: 4,
  VersionNegotiation: 5,
  UnsupportedVersion: 6,
} as const;
/** One of {@link PacketType}. */
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType];

/** QUIC version 1 (RFC 9000 §15). */
export const QUIC_VERSION_1 = 0x00000001;

/** Largest connection ID length QUIC v1 allows (RFC 9000 §17.2). */
export const MAX_CID_LENGTH = 20;
