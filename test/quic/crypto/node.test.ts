/** nodeCrypto, the CryptoProvider over node:crypto: RFC vectors, tamper detection, key exchange, certificates. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import { SignatureScheme } from '../../../src/quic/crypto/provider.js';
import { skipWithoutOpenssl, testPki } from '../tls/pki.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('RFC 9001 A.1: HKDF-Extract of the v1 Initial salt and DCID', () => {
  const prk = nodeCrypto.hkdfExtract(
    'sha256',
    hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
    hex('8394c8f03e515708'),
  );
  assert.equal(toHex(prk), '7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44');
});

test('RFC 5869 A.1: HKDF-Expand test case 1', () => {
  const prk = hex('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
  const okm = nodeCrypto.hkdfExpand('sha256', prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42);
  assert.equal(
    toHex(okm),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

test('RFC 9001 A.2 / A.5: AES and ChaCha20 header protection masks', () => {
  const aes = nodeCrypto.createHeaderProtection('aes-128-gcm', hex('9f50449e04a0e810283a1e9933adedd2'));
  const sample = hex('00d1b1c98dd7689fb8ec11d242b123dc9b');
  assert.equal(toHex(aes.mask(sample, 1)), '437b9aec36');
  // The same cipher serves the next packet (ECB keeps no state between blocks).
  assert.equal(toHex(aes.mask(sample, 1)), '437b9aec36');
  const chacha = nodeCrypto.createHeaderProtection(
    'chacha20-poly1305',
    hex('25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4'),
  );
  assert.equal(toHex(chacha.mask(hex('5e5cd55c41f69080575d7999c25a5bfb'), 0)), 'aefefe7d03');
});

test('AEADs seal and open; any tampering, wrong AAD or short input opens to null', () => {
  for (const [name, keyLength] of [
    ['aes-128-gcm', 16],
    ['aes-256-gcm', 32],
    ['chacha20-poly1305', 32],
  ] as const) {
    const aead = nodeCrypto.createAead(name, nodeCrypto.randomBytes(keyLength));
    const nonce = nodeCrypto.randomBytes(12);
    const aad = Uint8Array.of(1, 2, 3);
    const plain = nodeCrypto.randomBytes(100);
    const sealed = aead.seal(nonce, aad, plain);
    assert.equal(sealed.length, plain.length + 16, name);
    assert.deepEqual(aead.open(nonce, aad, sealed), plain, name);
    const bad = sealed.slice();
    bad[5] = bad[5]! ^ 1;
    assert.equal(aead.open(nonce, aad, bad), null, `${name}: flipped bit`);
    assert.equal(aead.open(nonce, Uint8Array.of(1, 2), sealed), null, `${name}: other AAD`);
    assert.equal(aead.open(nonce, aad, sealed.subarray(0, 15)), null, `${name}: shorter than a tag`);
    assert.deepEqual(aead.open(nonce, aad, aead.seal(nonce, aad, new Uint8Array(0))), new Uint8Array(0));
    // sealInPlace writes exactly what seal returns, at an offset, tag after, bytes around untouched.
    const buf = new Uint8Array(7 + plain.length + 16 + 5).fill(0xee);
    buf.set(plain, 7);
    assert.ok(aead.sealInPlace !== undefined);
    aead.sealInPlace(nonce, aad, buf, 7, 7 + plain.length);
    assert.deepEqual(buf.subarray(7, 7 + sealed.length), sealed, `${name}: sealInPlace`);
    assert.deepEqual(buf.subarray(0, 7), new Uint8Array(7).fill(0xee));
    assert.deepEqual(buf.subarray(7 + sealed.length), new Uint8Array(5).fill(0xee));
  }
});

test('key shares agree; invalid peer values give null (RFC 8446 §4.2.8.2, §7.4.2)', () => {
  for (const group of ['x25519', 'secp256r1'] as const) {
    const a = nodeCrypto.generateKeyShare(group);
    const b = nodeCrypto.generateKeyShare(group);
    assert.deepEqual(a.computeSecret(b.publicKey), b.computeSecret(a.publicKey), group);
    assert.equal(a.computeSecret(new Uint8Array(3)), null, `${group}: wrong length`);
  }
  // All-zero X25519 point: the shared secret is all zeros, which MUST be rejected.
  assert.equal(nodeCrypto.generateKeyShare('x25519').computeSecret(new Uint8Array(32)), null);
  // P-256: compressed form and a point off the curve are refused.
  const p = nodeCrypto.generateKeyShare('secp256r1');
  const compressed = new Uint8Array(65);
  compressed[0] = 2;
  assert.equal(p.computeSecret(compressed), null);
  const offCurve = new Uint8Array(65);
  offCurve[0] = 4;
  offCurve[64] = 1;
  assert.equal(p.computeSecret(offCurve), null);
});

test('transcript digests keep running', () => {
  const t = nodeCrypto.createTranscript('sha256');
  t.update(Uint8Array.of(1));
  const first = t.digest();
  assert.deepEqual(first, nodeCrypto.hash('sha256', Uint8Array.of(1)));
  t.update(Uint8Array.of(2));
  assert.deepEqual(t.digest(), nodeCrypto.hash('sha256', Uint8Array.of(1, 2)));
});

test('signatures and certificate chains', { skip: skipWithoutOpenssl }, () => {
  const pki = testPki();
  const data = nodeCrypto.randomBytes(64);
  for (const [keyPem, certPem] of [
    [pki.leafKeyPem, pki.leafPem],
    [pki.rsaKeyPem, pki.rsaLeafPem],
    [pki.ed25519KeyPem, pki.ed25519LeafPem],
  ] as const) {
    const key = nodeCrypto.loadSigningKey(keyPem);
    const leaf = nodeCrypto.pemToDer(certPem)[0]!;
    const scheme = key.schemes[0]!;
    const sig = key.sign(scheme, data);
    assert.ok(nodeCrypto.verifySignature(leaf, scheme, data, sig), `scheme 0x${scheme.toString(16)}`);
    const other = data.slice();
    other[0] = other[0]! ^ 1;
    assert.ok(!nodeCrypto.verifySignature(leaf, scheme, other, sig));
    assert.ok(!nodeCrypto.verifySignature(leaf, 0x0000, data, sig), 'unknown scheme');
  }
  assert.deepEqual(nodeCrypto.loadSigningKey(pki.rsaKeyPem).schemes[0], SignatureScheme.rsa_pss_rsae_sha256);

  const leaf = nodeCrypto.pemToDer(pki.leafPem);
  assert.equal(nodeCrypto.verifyCertificateChain(leaf, { ca: [pki.caPem], serverName: 'localhost' }), null);
  assert.equal(nodeCrypto.verifyCertificateChain(leaf, { ca: [pki.caPem], serverName: '127.0.0.1' }), null);
  assert.match(
    nodeCrypto.verifyCertificateChain(leaf, { ca: [pki.caPem], serverName: 'example.com' }) ?? '',
    /not valid for example\.com/,
  );
  assert.match(nodeCrypto.verifyCertificateChain(leaf, { ca: [pki.otherCaPem] }) ?? '', /trusted root/);
  assert.match(
    nodeCrypto.verifyCertificateChain(nodeCrypto.pemToDer(pki.expiredLeafPem), { ca: [pki.caPem] }) ?? '',
    /not valid now/,
  );
  assert.equal(
    nodeCrypto.verifyCertificateChain(nodeCrypto.pemToDer(pki.chainPem), {
      ca: [pki.caPem],
      serverName: 'localhost',
    }),
    null,
  );
  assert.equal(nodeCrypto.verifyCertificateChain([], {}), 'empty certificate chain');
  assert.match(nodeCrypto.verifyCertificateChain([Uint8Array.of(1, 2, 3)], {}) ?? '', /unparseable/);
});
