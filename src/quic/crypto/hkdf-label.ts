/**
 * HKDF-Expand-Label (RFC 8446 §7.1), shared by the TLS key schedule and QUIC packet protection
 * (RFC 9001 §5.1 "quic key" / "quic iv" / "quic hp", §6.1 "quic ku").
 */
import type { CryptoProvider, HashName } from './provider.js';

const LABEL_PREFIX = 'tls13 ';
const EMPTY = new Uint8Array(0);

/** Output length in bytes of `hash`. */
export function hashLength(hash: HashName): number {
  return hash === 'sha256' ? 32 : 48;
}

/**
 * HKDF-Expand-Label: HKDF-Expand(secret, HkdfLabel, length) where HkdfLabel is uint16 length,
 * opaque label<7..255> = "tls13 " + label (ASCII), opaque context<0..255>.
 */
export function hkdfExpandLabel(
  crypto: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const full = LABEL_PREFIX + label;
  const info = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  // Labels are ASCII constants of this package's callers.
  for (let i = 0; i < full.length; i++) info[3 + i] = full.charCodeAt(i);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  return crypto.hkdfExpand(hash, secret, info, length);
}

/** RFC 9001 §6.1: the next generation of a 1-RTT traffic secret, HKDF-Expand-Label(secret, "quic ku", "", Hash.length). */
export function updateTrafficSecret(crypto: CryptoProvider, hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(crypto, hash, secret, 'quic ku', EMPTY, hashLength(hash));
}
