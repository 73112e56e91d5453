import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultCertDir, loadOrCreateCertificate, spkiSha256 } from '../../src/demo/cert-cache.js';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { requirePeer } from '../support/peers.js';

let root = '';
let openssl: string | undefined;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'hayate-cert-cache-'));
  openssl = requirePeer('openssl', 'apt-get install openssl');
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A maker that counts its calls. */
function counting(): { make: () => { key: string; cert: string }; calls: () => number } {
  let n = 0;
  return {
    make: () => {
      n++;
      return selfSignedCertificate();
    },
    calls: () => n,
  };
}

test('defaultCertDir follows XDG_CACHE_HOME when absolute and falls back to ~/.cache', () => {
  assert.equal(defaultCertDir({ XDG_CACHE_HOME: '/x/cache' }, '/home/u'), '/x/cache/hayate');
  // XDG Base Directory Specification: a relative path is invalid and must be ignored.
  assert.equal(defaultCertDir({ XDG_CACHE_HOME: 'rel/cache' }, '/home/u'), '/home/u/.cache/hayate');
  assert.equal(defaultCertDir({ XDG_CACHE_HOME: '' }, '/home/u'), '/home/u/.cache/hayate');
  assert.equal(defaultCertDir({}, '/home/u'), '/home/u/.cache/hayate');
});

test('the certificate is made once, stored privately and kept on the next call', (t) => {
  if (openssl === undefined) {
    t.skip('openssl missing');
    return;
  }
  const dir = join(root, 'keep', 'hayate');
  const m = counting();
  const first = loadOrCreateCertificate(dir, { make: m.make });
  assert.equal(first.created, true);
  assert.equal(m.calls(), 1);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'key.pem')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, 'cert.pem'), 'utf8'), first.cert);
  const second = loadOrCreateCertificate(dir, { make: m.make });
  assert.equal(second.created, false);
  assert.equal(m.calls(), 1);
  assert.equal(second.spkiSha256, first.spkiSha256);
  assert.equal(second.key, first.key);
});

test('an expiring, corrupt or mismatched cached certificate is replaced', (t) => {
  if (openssl === undefined) {
    t.skip('openssl missing');
    return;
  }
  const dir = join(root, 'replace');
  const m = counting();
  const first = loadOrCreateCertificate(dir, { make: m.make });
  // Within the last hour of validity (selfSignedCertificate makes one-day certificates): replaced.
  const late = loadOrCreateCertificate(dir, { make: m.make, now: first.validTo.getTime() - 60_000 });
  assert.equal(late.created, true);
  assert.notEqual(late.spkiSha256, first.spkiSha256);
  assert.equal(m.calls(), 2);
  // Another key beside the certificate: checkPrivateKey fails, so both are replaced.
  writeFileSync(join(dir, 'key.pem'), selfSignedCertificate().key);
  const mismatched = loadOrCreateCertificate(dir, { make: m.make });
  assert.equal(mismatched.created, true);
  assert.equal(m.calls(), 3);
  writeFileSync(
    join(dir, 'cert.pem'),
    '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n',
  );
  const corrupt = loadOrCreateCertificate(dir, { make: m.make });
  assert.equal(corrupt.created, true);
  assert.equal(m.calls(), 4);
  assert.equal(loadOrCreateCertificate(dir, { make: m.make }).created, false);
});

test('a cache folder that cannot be written is an ERR_CERT_CACHE UsageError', (t) => {
  if (openssl === undefined) {
    t.skip('openssl missing');
    return;
  }
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => loadOrCreateCertificate(join(file, 'hayate')), {
    name: 'UsageError',
    code: 'ERR_CERT_CACHE',
  });
});

test('spkiSha256 matches the openssl pipeline Chromium documents for --ignore-certificate-errors-spki-list', (t) => {
  if (openssl === undefined) {
    t.skip('openssl missing');
    return;
  }
  const { cert } = selfSignedCertificate();
  const pub = execFileSync(openssl, ['x509', '-noout', '-pubkey'], { input: cert });
  const der = execFileSync(openssl, ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const digest = execFileSync(openssl, ['dgst', '-sha256', '-binary'], { input: der });
  assert.equal(spkiSha256(cert), digest.toString('base64'));
  assert.match(spkiSha256(cert), /^[A-Za-z0-9+/]{43}=$/);
});
