/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) and the QUIC key update derivation (RFC 9001 §6.1), over the
 * {@link CryptoProvider}. Pure functions: every secret goes in and comes out as bytes.
 */
import { hashLength, hkdfExpandLabel } from '../crypto/hkdf-label.js';
import type { AeadName, CryptoProvider, HashName } from '../crypto/provider.js';

/** TLS 1.3 cipher suites usable with QUIC (RFC 8446 §B.4; RFC 9001 §5.3 excludes CCM_8). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;

/** The AEAD and hash a cipher suite names. */
export interface CipherSuiteInfo {
  readonly id: number;
  readonly aead: AeadName;
  readonly hash: HashName;
  /** Output length of `hash` in bytes (Hash.length in RFC 8446). */
  readonly hashLength: number;
}

const SUITES: readonly CipherSuiteInfo[] = [
  { id: CipherSuite.TLS_AES_128_GCM_SHA256, aead: 'aes-128-gcm', hash: 'sha256', hashLength: 32 },
  { id: CipherSuite.TLS_AES_256_GCM_SHA384, aead: 'aes-256-gcm', hash: 'sha384', hashLength: 48 },
  { id: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, aead: 'chacha20-poly1305', hash: 'sha256', hashLength: 32 },
];

/** The AEAD and hash of cipher suite `id`, or `undefined` for a suite this implementation lacks. */
export function cipherSuiteInfo(id: number): CipherSuiteInfo | undefined {
  for (const s of SUITES) if (s.id === id) return s;
  return undefined;
}

export { hashLength };

export { hkdfExpandLabel } from '../crypto/hkdf-label.js';

/** Derive-Secret(secret, label, messages) with the transcript hash already computed (RFC 8446 §7.1). */
export function deriveSecret(
  crypto: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(crypto, hash, secret, label, transcriptHash, hashLength(hash));
}

export { updateTrafficSecret } from '../crypto/hkdf-label.js';

/** Secrets of the handshake stage (RFC 8446 §7.1). */
export interface HandshakeSecrets {
  readonly handshakeSecret: Uint8Array;
  readonly clientHandshakeTrafficSecret: Uint8Array;
  readonly serverHandshakeTrafficSecret: Uint8Array;
}

/** Secrets of the application stage (RFC 8446 §7.1). */
export interface ApplicationSecrets {
  readonly masterSecret: Uint8Array;
  readonly clientApplicationTrafficSecret: Uint8Array;
  readonly serverApplicationTrafficSecret: Uint8Array;
}

/** RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK), with a zero PSK when none is used. */
export function deriveEarlySecret(crypto: CryptoProvider, hash: HashName, psk?: Uint8Array): Uint8Array {
  const zeros = new Uint8Array(hashLength(hash));
  return crypto.hkdfExtract(hash, zeros, psk ?? zeros);
}

/** RFC 8446 §4.2.11.2 / §7.1: binder_key = Derive-Secret(Early Secret, "res binder", ""). */
export function deriveBinderKey(crypto: CryptoProvider, hash: HashName, earlySecret: Uint8Array): Uint8Array {
  return deriveSecret(crypto, hash, earlySecret, 'res binder', crypto.hash(hash, new Uint8Array(0)));
}

/** RFC 8446 §7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello). */
export function deriveClientEarlyTrafficSecret(
  crypto: CryptoProvider,
  hash: HashName,
  earlySecret: Uint8Array,
  clientHelloHash: Uint8Array,
): Uint8Array {
  return deriveSecret(crypto, hash, earlySecret, 'c e traffic', clientHelloHash);
}

/**
 * RFC 8446 §7.1, §4.6.1: resumption_master_secret = Derive-Secret(Master Secret, "res master",
 * ClientHello..client Finished); the PSK of one ticket = HKDF-Expand-Label(that, "resumption", nonce).
 */
export function deriveResumptionPsk(
  crypto: CryptoProvider,
  hash: HashName,
  masterSecret: Uint8Array,
  clientFinishedHash: Uint8Array,
  ticketNonce: Uint8Array,
): Uint8Array {
  const rms = deriveSecret(crypto, hash, masterSecret, 'res master', clientFinishedHash);
  return hkdfExpandLabel(crypto, hash, rms, 'resumption', ticketNonce, hashLength(hash));
}

/**
 * RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK or 0), Handshake Secret =
 * HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE), then the two handshake traffic secrets over
 * the transcript hash of ClientHello..ServerHello.
 */
export function deriveHandshakeSecrets(
  crypto: CryptoProvider,
  hash: HashName,
  sharedSecret: Uint8Array,
  helloHash: Uint8Array,
  psk?: Uint8Array,
): HandshakeSecrets {
  const early = deriveEarlySecret(crypto, hash, psk);
  const derived = deriveSecret(crypto, hash, early, 'derived', crypto.hash(hash, new Uint8Array(0)));
  const handshakeSecret = crypto.hkdfExtract(hash, derived, sharedSecret);
  return {
    handshakeSecret,
    clientHandshakeTrafficSecret: deriveSecret(crypto, hash, handshakeSecret, 'c hs traffic', helloHash),
    serverHandshakeTrafficSecret: deriveSecret(crypto, hash, handshakeSecret, 's hs traffic', helloHash),
  };
}

/**
 * RFC 8446 §7.1: Master Secret = HKDF-Extract(Derive-Secret(Handshake, "derived", ""), 0), then the
 * application traffic secrets over the transcript hash of ClientHello..server Finished.
 */
export function deriveApplicationSecrets(
  crypto: CryptoProvider,
  hash: HashName,
  handshakeSecret: Uint8Array,
  serverFinishedHash: Uint8Array,
): ApplicationSecrets {
  const zeros = new Uint8Array(hashLength(hash));
  const derived = deriveSecret(
    crypto,
    hash,
    handshakeSecret,
    'derived',
    crypto.hash(hash, new Uint8Array(0)),
  );
  const masterSecret = crypto.hkdfExtract(hash, derived, zeros);
  return {
    masterSecret,
    clientApplicationTrafficSecret: deriveSecret(
      crypto,
      hash,
      masterSecret,
      'c ap traffic',
      serverFinishedHash,
    ),
    serverApplicationTrafficSecret: deriveSecret(
      crypto,
      hash,
      masterSecret,
      's ap traffic',
      serverFinishedHash,
    ),
  };
}

/** RFC 8446 §4.4.4: verify_data = HMAC(HKDF-Expand-Label(BaseKey, "finished", "", Hash.length), hash). */
export function finishedVerifyData(
  crypto: CryptoProvider,
  hash: HashName,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  const finishedKey = hkdfExpandLabel(crypto, hash, baseKey, 'finished', new Uint8Array(0), hashLength(hash));
  return crypto.hmac(hash, finishedKey, transcriptHash);
}
