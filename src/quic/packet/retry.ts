/**
 * Retry packets (RFC 9000 §17.2.5) and their integrity tag (RFC 9001 §5.8): AES-128-GCM over the Retry
 * pseudo-packet (the original DCID prefixed to the Retry packet without its tag) with an empty
 * plaintext, under the fixed QUIC v1 key and nonce.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { RETRY_INTEGRITY_TAG_LENGTH } from './header.js';
import { QUIC_VERSION_1 } from './types.js';

/** The QUIC v1 Retry integrity key (RFC 9001 §5.8). */
export const RETRY_KEY_V1: Uint8Array = Uint8Array.from([
  0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
]);

/** The QUIC v1 Retry integrity nonce (RFC 9001 §5.8). */
export const RETRY_NONCE_V1: Uint8Array = Uint8Array.from([
  0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
]);

const EMPTY = new Uint8Array(0);

/** The integrity tag of `retryWithoutTag` answering a client whose first DCID was `odcid` (RFC 9001 §5.8). */
export function retryIntegrityTag(
  crypto: CryptoProvider,
  odcid: Uint8Array,
  retryWithoutTag: Uint8Array,
): Uint8Array {
  const pseudo = new Uint8Array(1 + odcid.length + retryWithoutTag.length);
  pseudo[0] = odcid.length;
  pseudo.set(odcid, 1);
  pseudo.set(retryWithoutTag, 1 + odcid.length);
  return crypto.createAead('aes-128-gcm', RETRY_KEY_V1).seal(RETRY_NONCE_V1, pseudo, EMPTY);
}

/**
 * Encodes a QUIC v1 Retry packet with its integrity tag (RFC 9000 §17.2.5). `dcid` is the client's
 * SCID, `scid` the server's new connection ID, `odcid` the DCID of the client's Initial. `unusedBits`
 * fills the low 4 bits of the first byte.
 */
export function encodeRetry(
  crypto: CryptoProvider,
  dcid: Uint8Array,
  scid: Uint8Array,
  token: Uint8Array,
  odcid: Uint8Array,
  unusedBits = 0,
): Uint8Array {
  const length = 7 + dcid.length + scid.length + token.length;
  const out = new Uint8Array(length + RETRY_INTEGRITY_TAG_LENGTH);
  let pos = 0;
  out[pos++] = 0xf0 | (unusedBits & 0x0f);
  out[pos++] = QUIC_VERSION_1 >>> 24;
  out[pos++] = (QUIC_VERSION_1 >>> 16) & 0xff;
  out[pos++] = (QUIC_VERSION_1 >>> 8) & 0xff;
  out[pos++] = QUIC_VERSION_1 & 0xff;
  out[pos++] = dcid.length;
  out.set(dcid, pos);
  pos += dcid.length;
  out[pos++] = scid.length;
  out.set(scid, pos);
  pos += scid.length;
  out.set(token, pos);
  pos += token.length;
  out.set(retryIntegrityTag(crypto, odcid, out.subarray(0, pos)), pos);
  return out;
}

/**
 * Checks the integrity tag of the Retry packet `bytes[start..end)` against the DCID the client sent
 * first (RFC 9001 §5.8). A client discards a Retry that fails (RFC 9000 §17.2.5.2).
 */
export function isRetryIntegrityValid(
  crypto: CryptoProvider,
  bytes: Uint8Array,
  start: number,
  end: number,
  odcid: Uint8Array,
): boolean {
  if (end - start < RETRY_INTEGRITY_TAG_LENGTH) return false;
  const tagStart = end - RETRY_INTEGRITY_TAG_LENGTH;
  const expected = retryIntegrityTag(crypto, odcid, bytes.subarray(start, tagStart));
  let diff = 0;
  for (let i = 0; i < RETRY_INTEGRITY_TAG_LENGTH; i++) diff |= expected[i]! ^ bytes[tagStart + i]!;
  return diff === 0;
}
