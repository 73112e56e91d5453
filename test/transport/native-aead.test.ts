/**
 * The addon's QUIC AEADs (native/aead.cc through src/transport/native-aead.ts) against node:crypto, the
 * reference: same ciphertext and tag, opens what node:crypto sealed, refuses anything altered.
 */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import type { AeadName } from '../../src/quic/crypto/provider.js';
import { loadNative } from '../../src/transport/binding.js';
import { quicCryptoProvider } from '../../src/transport/native-aead.js';

const NAMES: readonly [AeadName, number][] = [
  ['aes-128-gcm', 16],
  ['aes-256-gcm', 32],
  ['chacha20-poly1305', 32],
];

function reference(
  name: AeadName,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  p: Uint8Array,
): Buffer {
  const c = createCipheriv(name as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: p.length });
  return Buffer.concat([c.update(p), c.final(), c.getAuthTag()]);
}

test('the addon has the AEAD functions and the UDP transports use them', () => {
  const b = loadNative(true);
  assert.ok(b !== undefined, 'native addon not loaded');
  assert.equal(typeof b.aeadNew, 'function');
  assert.notEqual(quicCryptoProvider(), nodeCrypto);
});

for (const [name, keyBytes] of NAMES) {
  test(`${name}: seals like node:crypto, in place at any offset, and opens node:crypto's output`, () => {
    const provider = quicCryptoProvider();
    const key = randomBytes(keyBytes);
    const aead = provider.createAead(name, key);
    for (const size of [0, 1, 15, 16, 17, 1200, 1452, 65000]) {
      const nonce = randomBytes(12);
      const aad = randomBytes(1 + (size % 40));
      const plain = randomBytes(size);
      const want = reference(name, key, nonce, aad, plain);
      assert.deepEqual(Buffer.from(aead.seal(nonce, aad, plain)), want);
      // In place inside a larger buffer, at an odd offset of an offset view.
      const backing = new Uint8Array(size + 64);
      const buf = backing.subarray(5);
      buf.set(plain, 7);
      aead.sealInPlace!(nonce, aad, buf, 7, 7 + size);
      assert.deepEqual(Buffer.from(buf.subarray(7, 7 + size + 16)), want);
      // Opening node:crypto's ciphertext, itself a view at an offset.
      const wire = new Uint8Array(want.length + 3);
      wire.set(want, 3);
      const opened = aead.open(nonce, aad, wire.subarray(3));
      assert.ok(opened !== null);
      assert.deepEqual(Buffer.from(opened), plain);
      // A fresh array (Aead.open's lifetime promise): not a view of the ciphertext.
      assert.notEqual(opened.buffer, wire.buffer);
    }
  });

  test(`${name}: open refuses a changed byte, tag, AAD or nonce, and short input`, () => {
    const key = randomBytes(keyBytes);
    const aead = quicCryptoProvider().createAead(name, key);
    const nonce = randomBytes(12);
    const aad = randomBytes(20);
    const sealed = reference(name, key, nonce, aad, randomBytes(300));
    for (const at of [0, 150, sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[at]! ^= 1;
      assert.equal(aead.open(nonce, aad, bad), null);
    }
    const badAad = Uint8Array.from(aad);
    badAad[0]! ^= 0x80;
    assert.equal(aead.open(nonce, badAad, sealed), null);
    const badNonce = Uint8Array.from(nonce);
    badNonce[11]! ^= 1;
    assert.equal(aead.open(badNonce, aad, sealed), null);
    assert.equal(aead.open(nonce, aad, sealed.subarray(0, 15)), null);
    // The context is re-keyed per call: a failure leaves the next open working.
    assert.ok(aead.open(nonce, aad, sealed) !== null);
  });
}

test('sealing past the end of the buffer is a UsageError', () => {
  const aead = quicCryptoProvider().createAead('aes-128-gcm', randomBytes(16));
  const buf = new Uint8Array(100);
  assert.throws(() => {
    aead.sealInPlace!(randomBytes(12), new Uint8Array(0), buf, 0, 90);
  }, UsageError);
  assert.throws(() => {
    aead.sealInPlace!(randomBytes(8), new Uint8Array(0), buf, 0, 10);
  }, UsageError);
});

for (const [name, keyBytes] of NAMES) {
  test(`${name}: header protection masks equal node:crypto's`, () => {
    const key = randomBytes(keyBytes);
    const native = quicCryptoProvider().createHeaderProtection(name, key);
    const reference = nodeCrypto.createHeaderProtection(name, key);
    const packet = randomBytes(1200);
    for (const offset of [0, 5, 21, 1184]) {
      assert.deepEqual(Buffer.from(native.mask(packet, offset)), Buffer.from(reference.mask(packet, offset)));
    }
    assert.throws(() => native.mask(packet, 1190), UsageError);
  });
}
