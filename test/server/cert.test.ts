/**
 * src/server/cert.ts: the self-signed certificate (key type, validity days) and the WebTransport
 * `serverCertificateHashes` entry with its checks (X.509 v3, ECDSA P-256, at most 14 days, valid now).
 * Certificates that break one rule each are made with the openssl command, as the module itself does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  WEBTRANSPORT_CERT_MAX_VALIDITY_MS,
  selfSignedCertificate,
  webTransportCertificateHash,
} from '../../src/server/cert.js';

/** Runs openssl commands in a fresh folder and returns `cert.pem` from it. */
function opensslCert(commands: readonly (readonly string[])[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-cert-test-'));
  try {
    for (const args of commands) {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// prettier-ignore
const req = (key: readonly string[], extra: readonly string[] = []): string[] =>
  ['req', '-x509', ...key, '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1',
    '-subj', '/CN=localhost', ...extra];

test('the default certificate is EC P-256, X.509 v3, one day: its hash is the SHA-256 of its DER', () => {
  const { cert } = selfSignedCertificate();
  const x509 = new X509Certificate(cert);
  assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const days = (new Date(x509.validTo).getTime() - new Date(x509.validFrom).getTime()) / 86_400_000;
  assert.equal(days, 1);
  const h = webTransportCertificateHash(cert);
  assert.equal(h.algorithm, 'sha-256');
  assert.deepEqual(Buffer.from(h.value), createHash('sha256').update(x509.raw).digest());
});

test('validity: 14 days are accepted, 15 refused; outside its validity a certificate is refused', () => {
  const fourteen = selfSignedCertificate({ days: 14 }).cert;
  assert.equal(webTransportCertificateHash(fourteen).value.length, 32);
  assert.throws(() => webTransportCertificateHash(selfSignedCertificate({ days: 15 }).cert), {
    code: 'ERR_WT_CERTIFICATE',
    message: /valid for 15\.0 days; at most 14/,
  });
  const validTo = new Date(new X509Certificate(fourteen).validTo).getTime();
  assert.throws(() => webTransportCertificateHash(fourteen, validTo + 1000), {
    code: 'ERR_WT_CERTIFICATE',
    message: /not valid now/,
  });
  assert.throws(() => webTransportCertificateHash(fourteen, Date.now() - 3_600_000), /not valid now/);
  assert.equal(WEBTRANSPORT_CERT_MAX_VALIDITY_MS, 14 * 86_400_000);
});

test('key type: RSA and P-384 are refused (ECDSA P-256 only)', () => {
  const rsa = opensslCert([req(['-newkey', 'rsa:2048'])]);
  assert.throws(() => webTransportCertificateHash(rsa), {
    code: 'ERR_WT_CERTIFICATE',
    message: /ECDSA P-256 key is required, got rsa/,
  });
  const p384 = opensslCert([req(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'])]);
  assert.throws(() => webTransportCertificateHash(p384), /got ec secp384r1/);
});

test('version: an X.509 v1 certificate is refused', () => {
  // prettier-ignore
  const v1 = opensslCert([
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
      'key.pem', '-out', 'req.csr', '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', 'req.csr', '-signkey', 'key.pem', '-days', '1', '-out', 'cert.pem'],
  ]);
  assert.equal(new X509Certificate(v1).subject, 'CN=localhost');
  assert.throws(() => webTransportCertificateHash(v1), {
    code: 'ERR_WT_CERTIFICATE',
    message: /X\.509 v3 required, got v1/,
  });
});

test('misuse: a non-certificate and a bad day count throw at the call', () => {
  assert.throws(() => webTransportCertificateHash('not a certificate'), { code: 'ERR_WT_CERTIFICATE' });
  for (const days of [0, 1.5, 4000]) {
    assert.throws(() => selfSignedCertificate({ days }), { code: 'ERR_INVALID_ARG' });
  }
});
