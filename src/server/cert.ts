/**
 * A throwaway self-signed certificate for demos, tests and benchmarks, made with the `openssl` command
 * (Node has no API that creates certificates). EC P-256, valid for `localhost` and 127.0.0.1 for one day.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../common/errors.js';

/** PEM key and certificate; `dir` holds `key.pem` and `cert.pem` when the caller asked to keep them. */
export interface SelfSignedCertificate {
  readonly key: string;
  readonly cert: string;
  readonly dir: string | undefined;
}

/** Options of {@link selfSignedCertificate}. */
export interface SelfSignedOptions {
  /** The openssl command (default `openssl` from PATH). */
  readonly openssl?: string;
  /** Keep `key.pem` and `cert.pem` in a fresh folder (for tools that take file paths); default false. */
  readonly keepFiles?: boolean;
}

/**
 * Creates an EC P-256 key and a self-signed certificate for localhost. Throws `ERR_OPENSSL_UNAVAILABLE`
 * when the openssl command is missing or fails.
 */
export function selfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-cert-'));
  let keep = false;
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    // prettier-ignore
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
    const r = spawnSync(options.openssl ?? 'openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      const why = r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${String(r.status)}`;
      throw new UsageError('ERR_OPENSSL_UNAVAILABLE', `cannot make a self-signed certificate: ${why}`);
    }
    const out = {
      key: readFileSync(keyPath, 'utf8'),
      cert: readFileSync(certPath, 'utf8'),
      dir: options.keepFiles === true ? dir : undefined,
    };
    keep = options.keepFiles === true;
    return out;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
