/** Throwaway PKI for the TLS tests, generated with the openssl CLI into a temporary folder once per process. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from '../../support/peers.js';

const openssl = requirePeer('openssl', 'apt-get install openssl');

/** node:test `skip` option for tests that need the test PKI: a reason when openssl is missing. */
export const skipWithoutOpenssl: string | false = openssl === undefined ? 'openssl not installed' : false;

/** PEM material: a CA, an unrelated CA, an ECDSA P-256 leaf and an RSA leaf for localhost / 127.0.0.1. */
export interface TestPki {
  readonly caPem: string;
  readonly otherCaPem: string;
  readonly leafPem: string;
  readonly leafKeyPem: string;
  readonly rsaLeafPem: string;
  readonly rsaKeyPem: string;
  /** A leaf signed by the CA whose notAfter lies before its notBefore, so it is never valid. */
  readonly expiredLeafPem: string;
  readonly expiredKeyPem: string;
  readonly ed25519LeafPem: string;
  readonly ed25519KeyPem: string;
  /** A leaf issued by an intermediate CA (itself issued by the CA), then the intermediate. */
  readonly chainPem: string;
  readonly chainKeyPem: string;
}

let cached: TestPki | undefined;

function run(dir: string, args: string[]): void {
  execFileSync(openssl ?? 'openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  run(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '3',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
}

function makeLeaf(
  dir: string,
  name: string,
  keyArgs: string[],
  { days = '2', issuer = 'ca', ext = 'leaf.ext' }: { days?: string; issuer?: string; ext?: string } = {},
): void {
  run(dir, [
    'req',
    '-newkey',
    ...keyArgs,
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    '/CN=localhost',
  ]);
  run(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${issuer}.pem`,
    '-CAkey',
    `${issuer}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    days,
    '-extfile',
    ext,
  ]);
}

/** The test PKI (generated on first use). */
export function testPki(): TestPki {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'hayate-tls-'));
  try {
    writeFileSync(
      join(dir, 'leaf.ext'),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n',
    );
    makeCa(dir, 'ca');
    makeCa(dir, 'other');
    makeLeaf(dir, 'leaf', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
    makeLeaf(dir, 'rsa', ['rsa:2048']);
    makeLeaf(dir, 'expired', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], { days: '-1' });
    makeLeaf(dir, 'ed25519', ['ed25519']);
    writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
    makeLeaf(dir, 'intermediate', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], { ext: 'ca.ext' });
    makeLeaf(dir, 'chained', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], { issuer: 'intermediate' });
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    cached = {
      caPem: read('ca.pem'),
      otherCaPem: read('other.pem'),
      leafPem: read('leaf.pem'),
      leafKeyPem: read('leaf.key'),
      rsaLeafPem: read('rsa.pem'),
      rsaKeyPem: read('rsa.key'),
      expiredLeafPem: read('expired.pem'),
      expiredKeyPem: read('expired.key'),
      ed25519LeafPem: read('ed25519.pem'),
      ed25519KeyPem: read('ed25519.key'),
      chainPem: read('chained.pem') + read('intermediate.pem'),
      chainKeyPem: read('chained.key'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
