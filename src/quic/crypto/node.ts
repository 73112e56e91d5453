/**
 * {@link CryptoProvider} over node:crypto: the only file in src/quic that imports node:* (STYLE §2; the
 * lint exemption names it). Everything is synchronous.
 */
import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  constants as cryptoConstants,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';
import type { Cipher, KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type {
  Aead,
  AeadName,
  CertificateCheck,
  CryptoProvider,
  GroupName,
  HashName,
  HeaderProtection,
  KeyShare,
  SigningKey,
  TranscriptHash,
} from './provider.js';
import { SignatureScheme } from './provider.js';

const TAG_LENGTH = 16;
// DER prefix of an X25519 SubjectPublicKeyInfo (RFC 8410 §4) before the 32 raw bytes.
const X25519_SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x03,
  0x21,
  0x00,
);

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

class NodeTranscript implements TranscriptHash {
  private readonly h;
  constructor(name: HashName) {
    this.h = createHash(name);
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Uint8Array {
    return view(this.h.copy().digest());
  }
}

class NodeAead implements Aead {
  private readonly name: AeadName;
  private readonly key: Uint8Array;
  constructor(name: AeadName, key: Uint8Array) {
    this.name = name;
    this.key = key;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = createCipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: TAG_LENGTH });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const head = c.update(plaintext);
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(head.length + tail.length + TAG_LENGTH);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(tag, head.length + tail.length);
    return out;
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, start: number, end: number): void {
    const c = createCipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: TAG_LENGTH });
    c.setAAD(aad, { plaintextLength: end - start });
    // GCM and ChaCha20-Poly1305 are stream modes: update returns every byte, final none.
    const head = c.update(buf.subarray(start, end));
    buf.set(head, start);
    const tail = c.final();
    if (tail.length > 0) buf.set(tail, start + head.length);
    buf.set(c.getAuthTag(), end);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < TAG_LENGTH) return null;
    const body = ciphertext.subarray(0, ciphertext.length - TAG_LENGTH);
    try {
      const d = createDecipheriv(this.name as 'aes-128-gcm', this.key, nonce, { authTagLength: TAG_LENGTH });
      d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
      d.setAAD(aad, { plaintextLength: body.length });
      const head = d.update(body);
      const tail = d.final();
      if (tail.length === 0) return view(head);
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    } catch {
      return null;
    }
  }
}

// RFC 9001 §5.4.3: AES header protection is AES-ECB over the 16-byte sample; ECB keeps no state between
// blocks, so one cipher serves every packet.
class AesHeaderProtection implements HeaderProtection {
  private readonly cipher: Cipher;
  constructor(name: 'aes-128-ecb' | 'aes-256-ecb', key: Uint8Array) {
    this.cipher = createCipheriv(name, key, null);
    this.cipher.setAutoPadding(false);
  }
  mask(bytes: Uint8Array, offset: number): Uint8Array {
    return view(this.cipher.update(bytes.subarray(offset, offset + 16))).subarray(0, 5);
  }
}

// RFC 9001 §5.4.4: ChaCha20 with counter = sample[0..4) little-endian and nonce = sample[4..16), which is
// exactly node's 16-byte chacha20 IV layout; the mask is the keystream over five zero bytes.
const FIVE_ZEROS = new Uint8Array(5);
class ChaChaHeaderProtection implements HeaderProtection {
  private readonly key: Uint8Array;
  constructor(key: Uint8Array) {
    this.key = key;
  }
  mask(bytes: Uint8Array, offset: number): Uint8Array {
    const c = createCipheriv('chacha20', this.key, bytes.subarray(offset, offset + 16));
    return view(c.update(FIVE_ZEROS));
  }
}

class X25519Share implements KeyShare {
  readonly group = 'x25519' as const;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;
  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    this.publicKey = view(spki).slice(spki.length - 32);
    this.privateKey = privateKey;
  }
  computeSecret(peer: Uint8Array): Uint8Array | null {
    if (peer.length !== 32) return null;
    try {
      const der = new Uint8Array(X25519_SPKI_PREFIX.length + 32);
      der.set(X25519_SPKI_PREFIX, 0);
      der.set(peer, X25519_SPKI_PREFIX.length);
      const publicKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
      const secret = view(diffieHellman({ privateKey: this.privateKey, publicKey }));
      // RFC 8446 §7.4.2: an all-zero X25519 shared secret MUST be rejected.
      let acc = 0;
      for (let i = 0; i < secret.length; i++) acc |= secret[i]!;
      return acc === 0 ? null : secret;
    } catch {
      return null;
    }
  }
}

class P256Share implements KeyShare {
  readonly group = 'secp256r1' as const;
  readonly publicKey: Uint8Array;
  private readonly ecdh = createECDH('prime256v1');
  constructor() {
    this.publicKey = view(this.ecdh.generateKeys());
  }
  computeSecret(peer: Uint8Array): Uint8Array | null {
    // RFC 8446 §4.2.8.2: only the uncompressed point form (0x04 || X || Y) is allowed.
    if (peer.length !== 65 || peer[0] !== 4) return null;
    try {
      return view(this.ecdh.computeSecret(peer));
    } catch {
      return null;
    }
  }
}

const HASH_OF_SCHEME = new Map<number, string | null>([
  [SignatureScheme.rsa_pkcs1_sha256, 'sha256'],
  [SignatureScheme.ecdsa_secp256r1_sha256, 'sha256'],
  [SignatureScheme.ecdsa_secp384r1_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_rsae_sha256, 'sha256'],
  [SignatureScheme.rsa_pss_rsae_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_rsae_sha512, 'sha512'],
  [SignatureScheme.rsa_pss_pss_sha256, 'sha256'],
  [SignatureScheme.ed25519, null],
]);

function isPss(scheme: number): boolean {
  return (scheme >= 0x0804 && scheme <= 0x0806) || (scheme >= 0x0809 && scheme <= 0x080b);
}

function signWith(key: KeyObject, scheme: number, data: Uint8Array): Uint8Array {
  const hash = HASH_OF_SCHEME.get(scheme);
  if (hash === undefined) throw new RangeError(`unsupported signature scheme 0x${scheme.toString(16)}`);
  if (isPss(scheme)) {
    return view(
      cryptoSign(hash, data, {
        key,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
      }),
    );
  }
  return view(cryptoSign(hash, data, key));
}

function parseDate(s: string): number {
  return Date.parse(s) / 1000;
}

/** The node:crypto {@link CryptoProvider}. */
export const nodeCrypto: CryptoProvider = {
  randomBytes(length: number): Uint8Array {
    return view(randomBytes(length));
  },
  hash(name: HashName, data: Uint8Array): Uint8Array {
    return view(createHash(name).update(data).digest());
  },
  createTranscript(name: HashName): TranscriptHash {
    return new NodeTranscript(name);
  },
  hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return view(createHmac(name, key).update(data).digest());
  },
  hkdfExtract(name: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt means HashLen zeros, which HMAC pads to anyway.
    return view(createHmac(name, salt).update(ikm).digest());
  },
  hkdfExpand(name: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    // RFC 5869 §2.3 directly: node's hkdfSync always extracts first, which TLS's key schedule must not.
    const out = new Uint8Array(length);
    let t: Uint8Array = new Uint8Array(0);
    let filled = 0;
    for (let i = 1; filled < length; i++) {
      const h = createHmac(name, prk);
      h.update(t);
      h.update(info);
      h.update(Uint8Array.of(i));
      t = view(h.digest());
      const n = Math.min(t.length, length - filled);
      out.set(t.subarray(0, n), filled);
      filled += n;
    }
    return out;
  },
  createAead(name: AeadName, key: Uint8Array): Aead {
    return new NodeAead(name, key);
  },
  createHeaderProtection(name: AeadName, key: Uint8Array): HeaderProtection {
    switch (name) {
      case 'aes-128-gcm':
        return new AesHeaderProtection('aes-128-ecb', key);
      case 'aes-256-gcm':
        return new AesHeaderProtection('aes-256-ecb', key);
      case 'chacha20-poly1305':
        return new ChaChaHeaderProtection(key);
    }
  },
  generateKeyShare(group: GroupName): KeyShare {
    return group === 'x25519' ? new X25519Share() : new P256Share();
  },
  loadSigningKey(pem: string): SigningKey {
    const key = createPrivateKey(pem);
    let schemes: number[];
    const keyType: string = key.asymmetricKeyType ?? '';
    switch (keyType) {
      case 'rsa':
        schemes = [
          SignatureScheme.rsa_pss_rsae_sha256,
          SignatureScheme.rsa_pss_rsae_sha384,
          SignatureScheme.rsa_pss_rsae_sha512,
        ];
        break;
      case 'rsa-pss':
        schemes = [SignatureScheme.rsa_pss_pss_sha256];
        break;
      case 'ec': {
        const curve = key.asymmetricKeyDetails?.namedCurve;
        if (curve === 'prime256v1') schemes = [SignatureScheme.ecdsa_secp256r1_sha256];
        else if (curve === 'secp384r1') schemes = [SignatureScheme.ecdsa_secp384r1_sha384];
        else throw new RangeError(`unsupported EC curve ${String(curve)}`);
        break;
      }
      case 'ed25519':
        schemes = [SignatureScheme.ed25519];
        break;
      default:
        throw new RangeError(`unsupported private key type ${keyType}`);
    }
    return { schemes, sign: (scheme, data) => signWith(key, scheme, data) };
  },
  pemToDer(pem: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
    for (let m = re.exec(pem); m !== null; m = re.exec(pem)) {
      out.push(view(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
    }
    return out;
  },
  verifyCertificateChain(chain: readonly Uint8Array[], check: CertificateCheck): string | null {
    if (chain.length === 0) return 'empty certificate chain';
    let certs: X509Certificate[];
    try {
      certs = chain.map((der) => new X509Certificate(der));
    } catch (err) {
      return `unparseable certificate: ${(err as Error).message}`;
    }
    const now = check.atSeconds ?? Date.now() / 1000;
    for (const c of certs) {
      if (now < parseDate(c.validFrom) || now > parseDate(c.validTo))
        return `certificate ${c.subject} is not valid now`;
    }
    for (let i = 0; i + 1 < certs.length; i++) {
      const child = certs[i]!;
      const parent = certs[i + 1]!;
      if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
        return `certificate ${child.subject} is not signed by ${parent.subject}`;
      }
    }
    const roots = (check.ca ?? rootCertificates).map((pem) => new X509Certificate(pem));
    const last = certs[certs.length - 1]!;
    const anchored = roots.some(
      (root) =>
        root.fingerprint256 === last.fingerprint256 ||
        (last.checkIssued(root) && last.verify(root.publicKey)),
    );
    if (!anchored) return `certificate ${last.subject} does not chain to a trusted root`;
    const name = check.serverName;
    if (name !== undefined && name !== '') {
      const leaf = certs[0]!;
      const ok = isIP(name) !== 0 ? leaf.checkIP(name) !== undefined : leaf.checkHost(name) !== undefined;
      if (!ok) return `certificate is not valid for ${name}`;
    }
    return null;
  },
  verifySignature(leaf: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const hash = HASH_OF_SCHEME.get(scheme);
    if (hash === undefined) return false;
    try {
      const key = new X509Certificate(leaf).publicKey;
      if (isPss(scheme)) {
        return cryptoVerify(
          hash,
          data,
          {
            key,
            padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
            saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
      }
      return cryptoVerify(hash, data, key, signature);
    } catch {
      return false;
    }
  },
};
