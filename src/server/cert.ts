/**
 * A throwaway self-signed certificate for demos, tests and benchmarks, made with the `openssl` command
 * (Node has no API that creates certificates). EC P-256, valid for `localhost` and 127.0.0.1 for one day
 * (or `days`), X.509 v3: it also meets what browsers require of a certificate pinned with WebTransport's
 * `serverCertificateHashes`, whose hash {@link webTransportCertificateHash} computes.
 */
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
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
  /** Validity in days, from now; default 1. At most 14 for WebTransport's `serverCertificateHashes`. */
  readonly days?: number;
}

/**
 * Creates an EC P-256 key and a self-signed certificate for localhost. Throws `ERR_OPENSSL_UNAVAILABLE`
 * when the openssl command is missing or fails.
 */
export function selfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const days = options.days ?? 1;
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new UsageError('ERR_INVALID_ARG', `days must be an integer from 1 to 3650, got ${String(days)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hayate-cert-'));
  let keep = false;
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    // prettier-ignore
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', String(days), '-subj', '/CN=localhost',
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

/**
 * Longest validity a certificate pinned by hash may have (W3C WebTransport, "custom certificate
 * requirements": at most two weeks; Chromium 156 accepts 14 days and refuses 15).
 */
export const WEBTRANSPORT_CERT_MAX_VALIDITY_MS = 14 * 24 * 60 * 60 * 1000;

/** One entry of the browser's `serverCertificateHashes` option. */
export interface WebTransportCertificateHash {
  readonly algorithm: 'sha-256';
  /** SHA-256 of the certificate's DER encoding. */
  readonly value: Uint8Array;
}

/**
 * The `serverCertificateHashes` entry for a PEM certificate (its first one when several), after checking
 * what the W3C WebTransport spec requires of a certificate trusted that way: X.509 v3, an ECDSA P-256 key,
 * a validity period of at most 14 days that includes `nowMs`. Throws `ERR_WT_CERTIFICATE` naming the
 * requirement missed, so a server that would be refused by every browser says why at startup.
 */
export function webTransportCertificateHash(
  certPem: string,
  nowMs: number = Date.now(),
): WebTransportCertificateHash {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    throw new UsageError('ERR_WT_CERTIFICATE', `not a PEM certificate: ${(err as Error).message}`);
  }
  const der = x509.raw;
  const version = x509Version(der);
  if (version !== 3) throw new UsageError('ERR_WT_CERTIFICATE', `X.509 v3 required, got v${String(version)}`);
  const key = x509.publicKey;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const what = key.asymmetricKeyType === 'ec' ? `ec ${curve ?? '?'}` : (key.asymmetricKeyType ?? '?');
    throw new UsageError('ERR_WT_CERTIFICATE', `an ECDSA P-256 key is required, got ${what}`);
  }
  const from = new Date(x509.validFrom).getTime();
  const to = new Date(x509.validTo).getTime();
  if (to - from > WEBTRANSPORT_CERT_MAX_VALIDITY_MS) {
    const days = ((to - from) / 86_400_000).toFixed(1);
    throw new UsageError('ERR_WT_CERTIFICATE', `valid for ${days} days; at most 14 are allowed`);
  }
  if (nowMs < from || nowMs > to) {
    throw new UsageError('ERR_WT_CERTIFICATE', `not valid now (${x509.validFrom} to ${x509.validTo})`);
  }
  return { algorithm: 'sha-256', value: new Uint8Array(createHash('sha256').update(der).digest()) };
}

/**
 * The version of a DER certificate (RFC 5280 §4.1): `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
 * version [0] EXPLICIT INTEGER DEFAULT v1, ... } ... }`, where the INTEGER is the version minus one.
 */
function x509Version(der: Uint8Array): number {
  let pos = 0;
  for (let depth = 0; depth < 2; depth++) {
    // Into the outer SEQUENCE, then into tbsCertificate.
    if (der[pos] !== 0x30) return 0;
    pos = afterLength(der, pos + 1);
  }
  // No [0] element: the DEFAULT, v1.
  if (der[pos] !== 0xa0) return 1;
  pos = afterLength(der, pos + 1);
  if (der[pos] !== 0x02 || der[pos + 1] !== 1) return 0;
  return der[pos + 2]! + 1;
}

/** Skips a DER length (short or long form) that starts at `pos`; returns where the contents begin. */
function afterLength(der: Uint8Array, pos: number): number {
  const first = der[pos] ?? 0;
  return first < 0x80 ? pos + 1 : pos + 1 + (first & 0x7f);
}
