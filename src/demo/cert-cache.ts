/**
 * The demo's certificate, kept across restarts so a browser told to trust its public key (Chromium's
 * `--ignore-certificate-errors-spki-list`) keeps trusting it. It lives in `$XDG_CACHE_HOME/hayate` (or
 * `~/.cache/hayate`) as `key.pem` and `cert.pem`, and is replaced when missing, unreadable, not for
 * `localhost`, not matching its key, or about to expire ({@link selfSignedCertificate} makes one-day
 * certificates).
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { UsageError } from '../common/errors.js';
import { selfSignedCertificate } from '../server/cert.js';

/** A certificate from the cache folder. */
export interface CachedCertificate {
  /** PEM private key and certificate. */
  readonly key: string;
  readonly cert: string;
  /** The folder holding `key.pem` and `cert.pem`. */
  readonly dir: string;
  /** True when this call made (and stored) a new certificate. */
  readonly created: boolean;
  /** SHA-256 of the certificate's SubjectPublicKeyInfo (DER), base64: what Chromium's SPKI list takes. */
  readonly spkiSha256: string;
  readonly validTo: Date;
}

/** Options of {@link loadOrCreateCertificate}. */
export interface CertificateCacheOptions {
  /** Current time in ms (default `Date.now()`). */
  readonly now?: number;
  /** A cached certificate expiring sooner than this is replaced; default one hour. */
  readonly minRemainingMs?: number;
  /** Makes a new key and certificate (default {@link selfSignedCertificate}). */
  readonly make?: () => { readonly key: string; readonly cert: string };
}

/**
 * The default cache folder: `$XDG_CACHE_HOME/hayate` when that is an absolute path (XDG Base Directory
 * Specification: relative values are invalid and ignored), else `~/.cache/hayate`.
 */
export function defaultCertDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'hayate');
}

/** SHA-256 of a PEM certificate's SubjectPublicKeyInfo, base64 (Chromium `--ignore-certificate-errors-spki-list`). */
export function spkiSha256(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** The cached pair when it is usable at `now` for `minRemainingMs` more; undefined otherwise. */
function readCached(dir: string, now: number, minRemainingMs: number): CachedCertificate | undefined {
  let key: string;
  let cert: string;
  try {
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const x509 = new X509Certificate(cert);
    const validTo = new Date(x509.validTo);
    const validFrom = new Date(x509.validFrom).getTime();
    if (!(validFrom <= now && validTo.getTime() - now >= minRemainingMs)) return undefined;
    if (x509.checkHost('localhost') === undefined) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { key, cert, dir, created: false, spkiSha256: spkiSha256(cert), validTo };
  } catch {
    // Corrupt PEM, or a key of another type: replace it.
    return undefined;
  }
}

/** Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/**
 * Returns the certificate cached in `dir`, or makes one and stores it there (folder mode 0700, key 0600).
 * Throws `ERR_OPENSSL_UNAVAILABLE` when a new one is needed and openssl is missing, and
 * `ERR_CERT_CACHE` when the folder cannot be written.
 */
export function loadOrCreateCertificate(
  dir: string,
  options: CertificateCacheOptions = {},
): CachedCertificate {
  const now = options.now ?? Date.now();
  const cached = readCached(dir, now, options.minRemainingMs ?? 3_600_000);
  if (cached !== undefined) return cached;
  const made = (options.make ?? selfSignedCertificate)();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Key first: a crash in between leaves a pair that fails checkPrivateKey, which is then replaced.
    writeAtomic(join(dir, 'key.pem'), made.key, 0o600);
    writeAtomic(join(dir, 'cert.pem'), made.cert, 0o644);
  } catch (err) {
    throw new UsageError(
      'ERR_CERT_CACHE',
      `cannot store the certificate in ${dir}: ${(err as Error).message}`,
    );
  }
  const validTo = new Date(new X509Certificate(made.cert).validTo);
  return { key: made.key, cert: made.cert, dir, created: true, spkiSha256: spkiSha256(made.cert), validTo };
}
