/**
 * QUIC packet protection (RFC 9001 §5): packet keys from a traffic secret (§5.1), Initial keys from the
 * client's Destination Connection ID (§5.2), AEAD payload protection (§5.3), header protection (§5.4),
 * key update secrets (§6.1) and the AEAD usage limits (§6.6). All cryptography goes through
 * {@link CryptoProvider}.
 */
import { hkdfExpandLabel, updateTrafficSecret } from '../crypto/hkdf-label.js';
import type { Aead, AeadName, CryptoProvider, HashName, HeaderProtection } from '../crypto/provider.js';
import { decodePacketNumber, writePacketNumber } from './number.js';
import type { PacketNumberLength } from './number.js';

/** The AEAD tag length of every QUIC v1 AEAD (RFC 9001 §5.3). */
export const AEAD_TAG_LENGTH = 16;

/** Header protection sample length (RFC 9001 §5.4.2). */
export const HP_SAMPLE_LENGTH = 16;

/**
 * PADDING bytes to add to a payload of `payloadLength` bytes so header protection can sample it: the
 * sample starts 4 bytes after the packet number and takes 16, counting the tag (RFC 9001 §5.4.2).
 */
export function paddingForSample(pnLength: PacketNumberLength, payloadLength: number): number {
  return Math.max(0, 4 - pnLength - payloadLength);
}

/** The QUIC v1 Initial salt (RFC 9001 §5.2). */
export const INITIAL_SALT_V1: Uint8Array = Uint8Array.from([
  0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb,
  0x7f, 0x0a,
]);

/**
 * AEAD usage limits (RFC 9001 §6.6), in packets. Confidentiality: packets protected with one key before
 * a key update is due. Integrity: packets failing authentication across all keys before the connection
 * closes with AEAD_LIMIT_REACHED.
 */
export const AEAD_LIMITS: Readonly<
  Record<AeadName, { readonly confidentiality: number; readonly integrity: number }>
> = Object.freeze({
  'aes-128-gcm': Object.freeze({ confidentiality: 2 ** 23, integrity: 2 ** 52 }),
  'aes-256-gcm': Object.freeze({ confidentiality: 2 ** 23, integrity: 2 ** 52 }),
  // RFC 9001 §6.6: ChaCha20-Poly1305's confidentiality limit exceeds 2^62, the packet number limit
  'chacha20-poly1305': Object.freeze({ confidentiality: 2 ** 62, integrity: 2 ** 36 }),
});

/** The keys protecting one direction at one encryption level and key phase (RFC 9001 §5.1). */
export interface PacketKeys {
  readonly aeadName: AeadName;
  readonly hash: HashName;
  /** The traffic secret these keys come from (kept for the next key update). */
  readonly secret: Uint8Array;
  readonly aead: Aead;
  /** The 12-byte IV, XORed with the packet number to form the nonce (RFC 9001 §5.3). */
  readonly iv: Uint8Array;
  readonly hp: HeaderProtection;
}

/** Key length in bytes of an AEAD (also its header protection key length, RFC 9001 §5.4). */
export function aeadKeyLength(aead: AeadName): number {
  return aead === 'aes-128-gcm' ? 16 : 32;
}

export { hkdfExpandLabel } from '../crypto/hkdf-label.js';

const EMPTY = new Uint8Array(0);

/**
 * Secret, IV and AEAD key of one key set copied into one buffer: a connection holds its keys for its whole
 * life, and one backing store instead of three keeps an idle connection small (issue 14).
 */
function packKeyMaterial(
  secret: Uint8Array,
  iv: Uint8Array,
  key: Uint8Array,
): { secret: Uint8Array; iv: Uint8Array; key: Uint8Array } {
  const packed = new Uint8Array(secret.length + iv.length + key.length);
  packed.set(secret, 0);
  packed.set(iv, secret.length);
  packed.set(key, secret.length + iv.length);
  const ivEnd = secret.length + iv.length;
  return {
    secret: packed.subarray(0, secret.length),
    iv: packed.subarray(secret.length, ivEnd),
    key: packed.subarray(ivEnd),
  };
}

/** Derives packet protection keys ("quic key", "quic iv", "quic hp") from a traffic secret (RFC 9001 §5.1). */
export function derivePacketKeys(
  crypto: CryptoProvider,
  aeadName: AeadName,
  hash: HashName,
  secret: Uint8Array,
): PacketKeys {
  const keyLength = aeadKeyLength(aeadName);
  const m = packKeyMaterial(
    secret,
    hkdfExpandLabel(crypto, hash, secret, 'quic iv', EMPTY, 12),
    hkdfExpandLabel(crypto, hash, secret, 'quic key', EMPTY, keyLength),
  );
  const hpKey = hkdfExpandLabel(crypto, hash, secret, 'quic hp', EMPTY, keyLength);
  return {
    aeadName,
    hash,
    secret: m.secret,
    aead: crypto.createAead(aeadName, m.key),
    iv: m.iv,
    hp: crypto.createHeaderProtection(aeadName, hpKey),
  };
}

export { updateTrafficSecret } from '../crypto/hkdf-label.js';

/**
 * The next key phase's keys (RFC 9001 §6.1): AEAD key and IV from the updated secret; the header
 * protection key is not updated, so `hp` is carried over.
 */
export function nextGenerationKeys(crypto: CryptoProvider, keys: PacketKeys): PacketKeys {
  const secret = updateTrafficSecret(crypto, keys.hash, keys.secret);
  const keyLength = aeadKeyLength(keys.aeadName);
  const m = packKeyMaterial(
    secret,
    hkdfExpandLabel(crypto, keys.hash, secret, 'quic iv', EMPTY, 12),
    hkdfExpandLabel(crypto, keys.hash, secret, 'quic key', EMPTY, keyLength),
  );
  return {
    aeadName: keys.aeadName,
    hash: keys.hash,
    secret: m.secret,
    aead: crypto.createAead(keys.aeadName, m.key),
    iv: m.iv,
    hp: keys.hp,
  };
}

/** The Initial secrets of both directions for the client's first Destination Connection ID (RFC 9001 §5.2). */
export function deriveInitialSecrets(
  crypto: CryptoProvider,
  dcid: Uint8Array,
): { readonly client: Uint8Array; readonly server: Uint8Array } {
  const initial = crypto.hkdfExtract('sha256', INITIAL_SALT_V1, dcid);
  return {
    client: hkdfExpandLabel(crypto, 'sha256', initial, 'client in', EMPTY, 32),
    server: hkdfExpandLabel(crypto, 'sha256', initial, 'server in', EMPTY, 32),
  };
}

/** Initial packet keys of both directions, AEAD_AES_128_GCM with SHA-256 (RFC 9001 §5.2). */
export function deriveInitialKeys(
  crypto: CryptoProvider,
  dcid: Uint8Array,
): { readonly client: PacketKeys; readonly server: PacketKeys } {
  const s = deriveInitialSecrets(crypto, dcid);
  return {
    client: derivePacketKeys(crypto, 'aes-128-gcm', 'sha256', s.client),
    server: derivePacketKeys(crypto, 'aes-128-gcm', 'sha256', s.server),
  };
}

/** The AEAD nonce: the IV XORed with the packet number, left-padded to 12 bytes (RFC 9001 §5.3). */
export function packetNonce(iv: Uint8Array, pn: number): Uint8Array {
  const nonce = Uint8Array.from(iv);
  let v = pn;
  for (let i = 11; i >= 4 && v > 0; i--) {
    nonce[i] = nonce[i]! ^ (v % 256);
    v = Math.floor(v / 256);
  }
  return nonce;
}

/**
 * Protects a packet in place (RFC 9001 §5.3, §5.4). `buf[headerStart..pnOffset+pnLength)` holds the
 * header with the packet number `pn` written in the clear, the plaintext payload follows up to
 * `payloadEnd`, and `buf` has 16 bytes of room after it for the tag. A long header's Length field must
 * already count the tag. Returns the packet end (`payloadEnd + 16`).
 *
 * Throws RangeError when the packet is too short for the header protection sample: the caller pads so
 * that pnLength + payload is at least 4 bytes (RFC 9001 §5.4.2).
 */
export function protectPacket(
  keys: PacketKeys,
  buf: Uint8Array,
  headerStart: number,
  pnOffset: number,
  pnLength: PacketNumberLength,
  pn: number,
  payloadEnd: number,
): number {
  const payloadStart = pnOffset + pnLength;
  const packetEnd = payloadEnd + AEAD_TAG_LENGTH;
  const sampleOffset = pnOffset + 4;
  if (sampleOffset + HP_SAMPLE_LENGTH > packetEnd) {
    throw new RangeError(`packet too short for a header protection sample: ${packetEnd - pnOffset} bytes`);
  }
  const aead = keys.aead;
  const nonce = packetNonce(keys.iv, pn);
  const aad = buf.subarray(headerStart, payloadStart);
  if (aead.sealInPlace !== undefined) {
    aead.sealInPlace(nonce, aad, buf, payloadStart, payloadEnd);
  } else {
    buf.set(aead.seal(nonce, aad, buf.subarray(payloadStart, payloadEnd)), payloadStart);
  }
  // RFC 9001 §5.4.1: 4 low bits of a long header's first byte, 5 of a short header's
  const mask = keys.hp.mask(buf, sampleOffset);
  const isLong = (buf[headerStart]! & 0x80) !== 0;
  buf[headerStart] = buf[headerStart]! ^ (mask[0]! & (isLong ? 0x0f : 0x1f));
  for (let i = 0; i < pnLength; i++) buf[pnOffset + i] = buf[pnOffset + i]! ^ mask[1 + i]!;
  return packetEnd;
}

/** What header protection removal reveals (RFC 9001 §5.4). */
export interface UnmaskedHeader {
  /** The first byte with its protected bits restored. */
  readonly firstByte: number;
  readonly pnLength: PacketNumberLength;
  /** The full packet number, recovered against the largest received (RFC 9000 §17.1). */
  readonly packetNumber: number;
  /** The Key Phase bit of a short header (RFC 9001 §6); false for long headers. */
  readonly keyPhase: boolean;
  /**
   * False when the reserved bits are not 0. RFC 9000 §17.2, §17.3.1: that is a PROTOCOL_VIOLATION, but
   * only once the packet authenticates (the connection checks it after {@link decryptPayload}).
   */
  readonly reservedBitsValid: boolean;
}

/**
 * Removes header protection without changing `bytes` (RFC 9001 §5.4.2): the sample is taken at
 * `pnOffset + 4`. Returns `null` when the packet is too short to hold a sample (drop it).
 * `largestPn` is the largest packet number received in the space, -1 when none.
 */
export function removeHeaderProtection(
  hp: HeaderProtection,
  bytes: Uint8Array,
  headerStart: number,
  pnOffset: number,
  packetEnd: number,
  largestPn: number,
): UnmaskedHeader | null {
  if (pnOffset + 4 + HP_SAMPLE_LENGTH > packetEnd) return null;
  const mask = hp.mask(bytes, pnOffset + 4);
  const isLong = (bytes[headerStart]! & 0x80) !== 0;
  const firstByte = bytes[headerStart]! ^ (mask[0]! & (isLong ? 0x0f : 0x1f));
  const pnLength = ((firstByte & 0x03) + 1) as PacketNumberLength;
  let truncated = 0;
  for (let i = 0; i < pnLength; i++) truncated = truncated * 256 + (bytes[pnOffset + i]! ^ mask[1 + i]!);
  return {
    firstByte,
    pnLength,
    packetNumber: decodePacketNumber(largestPn, truncated, pnLength),
    keyPhase: !isLong && (firstByte & 0x04) !== 0,
    reservedBitsValid: (firstByte & (isLong ? 0x0c : 0x18)) === 0,
  };
}

/**
 * Decrypts the payload of a packet whose header protection was removed by
 * {@link removeHeaderProtection} (RFC 9001 §5.3). `bytes` is not changed: the header used as AAD is
 * rebuilt in a copy. Returns the plaintext (a fresh array) or `null` when authentication fails (RFC
 * 9000 §12.2: drop the packet).
 */
export function decryptPayload(
  keys: PacketKeys,
  bytes: Uint8Array,
  headerStart: number,
  pnOffset: number,
  header: UnmaskedHeader,
  packetEnd: number,
): Uint8Array | null {
  const payloadStart = pnOffset + header.pnLength;
  if (packetEnd - payloadStart < AEAD_TAG_LENGTH) return null;
  const aad = bytes.slice(headerStart, payloadStart);
  aad[0] = header.firstByte;
  writePacketNumber(aad, pnOffset - headerStart, header.packetNumber, header.pnLength);
  return keys.aead.open(
    packetNonce(keys.iv, header.packetNumber),
    aad,
    bytes.subarray(payloadStart, packetEnd),
  );
}

/** The result of {@link unprotectPacket}. */
export interface UnprotectedPacket extends UnmaskedHeader {
  /** Lifetime: a fresh array owned by the caller. */
  readonly payload: Uint8Array;
  /** Header length in bytes, packet number included. */
  readonly headerLength: number;
}

/**
 * Removes header protection and decrypts in one step, with one set of keys. Returns `null` when the
 * packet is too short or fails authentication (drop it, RFC 9000 §12.2). For 1-RTT packets during a
 * key update, use {@link removeHeaderProtection} first to read the key phase and pick the keys.
 */
export function unprotectPacket(
  keys: PacketKeys,
  bytes: Uint8Array,
  headerStart: number,
  pnOffset: number,
  packetEnd: number,
  largestPn: number,
): UnprotectedPacket | null {
  const header = removeHeaderProtection(keys.hp, bytes, headerStart, pnOffset, packetEnd, largestPn);
  if (header === null) return null;
  const payload = decryptPayload(keys, bytes, headerStart, pnOffset, header, packetEnd);
  if (payload === null) return null;
  return {
    firstByte: header.firstByte,
    pnLength: header.pnLength,
    packetNumber: header.packetNumber,
    keyPhase: header.keyPhase,
    reservedBitsValid: header.reservedBitsValid,
    payload,
    headerLength: pnOffset + header.pnLength - headerStart,
  };
}
