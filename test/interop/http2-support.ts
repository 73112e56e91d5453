/** Shared fixtures of the HTTP/2 interop tests: a hayate test server and a throwaway TLS certificate. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { listenHttp2 } from '../../src/server/http2-server.js';
import type { Http2Server } from '../../src/server/http2-server.js';
import type { Handler } from '../../src/server/types.js';
import { requirePeer } from '../support/peers.js';

/** Deterministic body of `n` bytes. */
export function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** The handler every interop test talks to. */
export const testHandler: Handler = async (req, res) => {
  const url = new URL(req.target, 'http://x');
  switch (url.pathname) {
    case '/hello':
      res.setHeader('content-type', 'text/plain');
      res.end('hello world');
      return;
    case '/echo': {
      const parts: Uint8Array[] = [];
      for await (const c of req.body) parts.push(c);
      res.setHeader('x-method', req.method);
      for (const p of parts) if (!res.write(p)) await res.drained();
      res.end();
      return;
    }
    case '/big': {
      const n = Number(url.searchParams.get('n') ?? '1000000');
      res.setHeader('content-length', String(n));
      const body = pattern(n);
      for (let pos = 0; pos < n; pos += 65536) {
        if (!res.write(body.subarray(pos, Math.min(n, pos + 65536)))) await res.drained();
      }
      res.end();
      return;
    }
    case '/trailers': {
      const text = await req.text();
      res.end(`len=${text.length}`, [
        ['x-checksum', String(text.length * 3)],
        ['x-request-trailer', req.trailers?.get('x-client-trailer') ?? 'none'],
      ]);
      return;
    }
    case '/early':
      res.writeInformational(103, [['link', '</a.css>; rel=preload']]);
      res.end('after hints');
      return;
    case '/file':
      await res.sendFile(fixtureFile());
      return;
    case '/proto':
      res.end(req.protocol);
      return;
    case '/slow':
      await new Promise((r) => setTimeout(r, 200));
      res.end('slow');
      return;
    default:
      res.status = 404;
      res.end('not found');
  }
};

let fixturePath: string | undefined;
/** A 3 MB file with {@link pattern} content, written once per process. */
export function fixtureFile(): string {
  if (fixturePath === undefined) {
    fixturePath = join(mkdtempSync(join(tmpdir(), 'hayate-h2-file-')), 'data.bin');
    writeFileSync(fixturePath, pattern(3_000_000));
  }
  return fixturePath;
}

/** Starts the hayate test server (h2c, or TLS when `cert` is given). */
export function startServer(cert?: { key: string; cert: string }): Promise<Http2Server> {
  return listenHttp2(cert === undefined ? {} : { tls: { key: cert.key, cert: cert.cert } }, testHandler);
}

/** A self-signed certificate for localhost / 127.0.0.1 made with openssl, or undefined when openssl is missing. */
export function makeCert(): { key: string; cert: string; certPath: string } | undefined {
  const openssl = requirePeer('openssl', 'apt-get install openssl');
  if (openssl === undefined) return undefined;
  const c = selfSignedCertificate({ openssl, keepFiles: true });
  return { key: c.key, cert: c.cert, certPath: join(c.dir!, 'cert.pem') };
}
