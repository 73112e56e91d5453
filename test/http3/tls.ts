/** Test TLS material for HTTP/3 over real QUIC. */
import { selfSignedCertificate } from '../../src/server/cert.js';
import { requirePeer } from '../support/peers.js';

/** A throwaway self-signed P-256 certificate for localhost / 127.0.0.1 (files kept in `dir`). */
export function selfSignedCert(): { key: string; cert: string; dir: string } | undefined {
  const openssl = requirePeer('openssl', 'apt-get install openssl');
  if (openssl === undefined) return undefined;
  const c = selfSignedCertificate({ openssl, keepFiles: true });
  return { key: c.key, cert: c.cert, dir: c.dir! };
}
