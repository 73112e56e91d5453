/** Test TLS material for HTTP/3 over real QUIC. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from '../support/peers.js';

/** A throwaway self-signed P-256 certificate for localhost / 127.0.0.1. */
export function selfSignedCert(): { key: string; cert: string; dir: string } | undefined {
  const openssl = requirePeer('openssl', 'apt-get install openssl');
  if (openssl === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hayate-h3-'));
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    dir,
  };
}
