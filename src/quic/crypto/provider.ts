/**
 * The one interface through which the QUIC core reaches cryptography (STYLE §2): hashes, HKDF, AEADs,
 * header protection, key exchange, signatures and certificate checks. Everything is synchronous and works
 * on `Uint8Array`s, so the core stays sans-I/O and tests can substitute fixed keys and randomness.
 * `node.ts` implements it over node:crypto; nothing else in src/quic imports node:*.
 */

/** Hash of a TLS 1.3 cipher suite (RFC 8446 §B.4). */
export type HashName = 'sha256' | 'sha384';

/** AEAD of a TLS 1.3 cipher suite, also used for QUIC packet protection (RFC 9001 §5.3). */
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** Key exchange groups offered and accepted (RFC 8446 §4.2.7). */
export type GroupName = 'x25519' | 'secp256r1';

/** An incremental hash whose running digest can be read any number of times (the TLS transcript). */
export interface TranscriptHash {
  update(data: Uint8Array): void;
  /** The digest of everything so far; the hash keeps running. */
  digest(): Uint8Array;
}

/** An AEAD bound to one key (RFC 5116). Tags are 16 bytes for every AEAD here. */
export interface Aead {
  /** Encrypts `plaintext`, returning ciphertext followed by the 16-byte tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Optional fast path of {@link seal}: encrypts `buf[start, end)` in place and writes the 16-byte tag at
   * `buf[end, end + 16)` (the caller leaves that room), so a packet is sealed without an output array.
   */
  sealInPlace?(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, start: number, end: number): void;
  /**
   * Decrypts `ciphertext` (tag last); `null` when authentication fails. Never throws on bad input.
   * Lifetime: the result is a fresh array owned by the caller, never a view of `ciphertext` (the connection
   * keeps views of decrypted STREAM data without copying them).
   */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
}

/** Header protection bound to one key (RFC 9001 §5.4). */
export interface HeaderProtection {
  /**
   * The 5-byte mask for the 16-byte sample at `bytes[offset..offset+16)`. Lifetime: valid until the next
   * call (an implementation may reuse one scratch array).
   */
  mask(bytes: Uint8Array, offset: number): Uint8Array;
}

/** An ephemeral key share for one group. */
export interface KeyShare {
  readonly group: GroupName;
  /** The public value as sent in key_share (RFC 8446 §4.2.8.2): 32 bytes for X25519, 65 for P-256. */
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's public value; `null` when the value is invalid. */
  computeSecret(peerPublicKey: Uint8Array): Uint8Array | null;
}

/** A private key loaded for CertificateVerify (RFC 8446 §4.4.3). */
export interface SigningKey {
  /** Signature schemes (RFC 8446 §4.2.3 code points) this key can produce, most preferred first. */
  readonly schemes: readonly number[];
  sign(scheme: number, data: Uint8Array): Uint8Array;
}

/** What certificate verification needs to know. */
export interface CertificateCheck {
  /** Host name (or IP literal) the leaf must be valid for; skipped when undefined. */
  readonly serverName?: string | undefined;
  /** Trusted roots as PEM; `undefined` means the system's roots. */
  readonly ca?: readonly string[] | undefined;
  /** Seconds since the epoch to check validity at (a test hook); now when undefined. */
  readonly atSeconds?: number | undefined;
}

/** The crypto a QUIC endpoint needs. */
export interface CryptoProvider {
  randomBytes(length: number): Uint8Array;
  hash(name: HashName, data: Uint8Array): Uint8Array;
  createTranscript(name: HashName): TranscriptHash;
  hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2). */
  hkdfExtract(name: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3). */
  hkdfExpand(name: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  createAead(name: AeadName, key: Uint8Array): Aead;
  createHeaderProtection(name: AeadName, key: Uint8Array): HeaderProtection;
  generateKeyShare(group: GroupName): KeyShare;
  /** Loads a PEM private key (RSA, ECDSA P-256/P-384 or Ed25519). Throws on a key it cannot use. */
  loadSigningKey(pem: string): SigningKey;
  /** Splits PEM certificates into DER (leaf first, as given). */
  pemToDer(pem: string): Uint8Array[];
  /**
   * Checks `chain` (DER, leaf first) against `check`: chain to a trusted root, validity dates, and the
   * server name. Returns `null` when it holds, or the reason it does not.
   */
  verifyCertificateChain(chain: readonly Uint8Array[], check: CertificateCheck): string | null;
  /** Verifies `signature` over `data` with the public key of certificate `leaf` under `scheme`. */
  verifySignature(leaf: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean;
}

/** TLS 1.3 signature schemes (RFC 8446 §4.2.3) the provider implements. */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  rsa_pss_pss_sha256: 0x0809,
} as const;
