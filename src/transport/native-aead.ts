/**
 * QUIC packet protection on the addon (native/aead.h): the {@link CryptoProvider} given to hayate/quic by
 * the UDP transports is node:crypto's ({@link nodeCrypto}) with only `createAead` replaced, when the
 * loaded addon has the AEAD functions (`createHeaderProtection` too: node:crypto allocates each mask). node:crypto offers no way to give a cipher a new nonce, so it
 * creates a context (key expansion, GHASH table) and allocates the output for every packet; the addon
 * keeps one context per key and direction and re-keys it with the nonce alone (RFC 9001 §5.3: the nonce
 * is the only per-packet input), seals in place and opens straight into the output array.
 */
import { UsageError } from '../common/errors.js';
import { nodeCrypto } from '../quic/crypto/node.js';
import type { Aead, AeadName, CryptoProvider, HeaderProtection } from '../quic/crypto/provider.js';
import { loadNative } from './binding.js';
import type { NativeAeadHandle, NativeBinding } from './binding.js';

const TAG_LENGTH = 16;
const KIND: Readonly<Record<AeadName, number>> = {
  'aes-128-gcm': 0,
  'aes-256-gcm': 1,
  'chacha20-poly1305': 2,
};

type AeadBinding = Required<Pick<NativeBinding, 'aeadNew' | 'aeadSeal' | 'aeadOpen' | 'hpNew' | 'hpMask'>>;

class NativeAead implements Aead {
  private readonly b: AeadBinding;
  private readonly h: NativeAeadHandle;
  constructor(b: AeadBinding, h: NativeAeadHandle) {
    this.b = b;
    this.h = h;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    out.set(plaintext);
    this.sealInPlace(nonce, aad, out, 0, plaintext.length);
    return out;
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, start: number, end: number): void {
    // Only arguments out of range fail (OpenSSL's GCM and ChaCha20-Poly1305 encryption cannot).
    if (this.b.aeadSeal(this.h, nonce, aad, buf, start, end) !== 0) {
      throw new UsageError('ERR_QUIC_AEAD', `cannot seal [${start}, ${end}) of ${buf.length} bytes`);
    }
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    const n = ciphertext.length - TAG_LENGTH;
    if (n < 0) return null;
    // Lifetime: a fresh array per packet, as Aead.open promises (the connection keeps views of it).
    const out = new Uint8Array(n);
    const r = this.b.aeadOpen(this.h, nonce, aad, ciphertext, 0, ciphertext.length, out, 0);
    return r === n ? out : null;
  }
}

class NativeHeaderProtection implements HeaderProtection {
  private readonly b: AeadBinding;
  private readonly h: NativeAeadHandle;
  /** Lifetime: the mask is valid until the next call (HeaderProtection.mask). */
  private readonly out = new Uint8Array(16);
  private readonly mask5: Uint8Array;
  constructor(b: AeadBinding, h: NativeAeadHandle) {
    this.b = b;
    this.h = h;
    this.mask5 = this.out.subarray(0, 5);
  }

  mask(bytes: Uint8Array, offset: number): Uint8Array {
    if (this.b.hpMask(this.h, bytes, offset, this.out) !== 0) {
      throw new UsageError('ERR_QUIC_AEAD', `no 16-byte sample at ${offset} of ${bytes.length} bytes`);
    }
    return this.mask5;
  }
}

function hasAead(b: NativeBinding): b is NativeBinding & AeadBinding {
  return (
    b.aeadNew !== undefined &&
    b.aeadSeal !== undefined &&
    b.aeadOpen !== undefined &&
    b.hpNew !== undefined &&
    b.hpMask !== undefined
  );
}

function nativeAeadBinding(): AeadBinding | undefined {
  const b = loadNative(true);
  return b !== undefined && hasAead(b) ? b : undefined;
}

/**
 * node:crypto's provider with the addon's AEADs and header protection when it has them (`HAYATE_NATIVE_AEAD=0` or
 * `HAYATE_NATIVE=0` keeps node:crypto's), else {@link nodeCrypto} itself.
 */
export function quicCryptoProvider(): CryptoProvider {
  const b = process.env['HAYATE_NATIVE_AEAD'] === '0' ? undefined : nativeAeadBinding();
  if (b === undefined) return nodeCrypto;
  return {
    ...nodeCrypto,
    createAead(name: AeadName, key: Uint8Array): Aead {
      const h = b.aeadNew(KIND[name], key);
      // -1: this OpenSSL lacks the cipher (or the key length is wrong, which node:crypto reports itself).
      return typeof h === 'number' ? nodeCrypto.createAead(name, key) : new NativeAead(b, h);
    },
    createHeaderProtection(name: AeadName, key: Uint8Array): HeaderProtection {
      const h = b.hpNew(KIND[name], key);
      return typeof h === 'number'
        ? nodeCrypto.createHeaderProtection(name, key)
        : new NativeHeaderProtection(b, h);
    },
  };
}
