/**
 * A throwaway self-signed certificate for demos and tests, made with the `openssl` command (Node has no
 * API that creates certificates). Valid for `localhost` and 127.0.0.1 for one day.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../common/errors.js';

/** PEM key and certificate. */
export interface SelfSignedCertificate {
  readonly key: string;
  readonly cert: string;
}

/**
 * Creates an EC P-256 key and a self-signed certificate for localhost. Throws `ERR_OPENSSL_UNAVAILABLE`
 * when the openssl command is missing or fails.
 */
export function selfSignedCertificate(openssl = 'openssl'): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const r = spawnSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      const why = r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${String(r.status)}`;
      throw new UsageError('ERR_OPENSSL_UNAVAILABLE', `cannot make a self-signed certificate: ${why}`);
    }
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
