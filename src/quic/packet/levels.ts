/**
 * Encryption levels and packet number spaces (RFC 9001 §4, RFC 9000 §12.3). 0-RTT is not implemented, so
 * every level maps to the packet number space of the same number.
 */

/** The encryption level a handshake message or packet belongs to (RFC 9001 §4). */
export const EncryptionLevel = {
  Initial: 0,
  Handshake: 1,
  OneRtt: 2,
} as const;
/** One of {@link EncryptionLevel}. */
export type EncryptionLevelCode = (typeof EncryptionLevel)[keyof typeof EncryptionLevel];

/** Packet number spaces (RFC 9000 §12.3); the space of a level is the same number. */
export const PacketNumberSpace = {
  Initial: 0,
  Handshake: 1,
  Application: 2,
} as const;
/** One of {@link PacketNumberSpace}. */
export type PacketNumberSpaceCode = (typeof PacketNumberSpace)[keyof typeof PacketNumberSpace];
