/**
 * `npm start`: the hayate demo server. HTTP/1.1 and h2c on 127.0.0.1:8080 (`--port N` or PORT; `--workers N`
 * or WORKERS, default: available cores; `--transport native|net`), h2 + HTTP/1.1 over TLS on TCP 8443 and
 * h3 on UDP 8443 (`--tls-port N` or TLS_PORT, 0 to turn off) with a self-signed certificate made at start
 * (needs openssl; h3 needs the optional @matrixai/quic).
 * It serves the built-in site in src/demo/site/ (static files with sendfile on the native transport) and,
 * for any other path, an HTML page showing the request as parsed.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createServer,
  runWorkers,
  selfSignedCertificate,
  serveStatic,
  type Server,
} from '../server/index.js';
import type { Handler, ServerRequest } from '../server/types.js';
import { findPackageRoot } from '../transport/binding.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  readonly port?: number;
  readonly host?: string;
  readonly transport?: 'auto' | 'native' | 'net';
  /** Serve TLS (h2 and HTTP/1.1 by ALPN) with this key and certificate instead of cleartext. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** With `tls`: also serve HTTP/3 on UDP on the same port number (needs the optional @matrixai/quic). */
  readonly http3?: boolean;
}

/** The demo site folder. The build copies no non-TS files, so it is resolved from the package root. */
export const SITE_DIR = join(findPackageRoot(), 'src', 'demo', 'site');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderPage(req: ServerRequest, bodyBytes: number, transport: string): string {
  const rows: string[] = [];
  for (let i = 0; i < req.headers.length; i++) {
    rows.push(
      `<tr><td>${escapeHtml(req.headers.name(i))}</td><td>${escapeHtml(req.headers.value(i))}</td></tr>`,
    );
  }
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>hayate: your request</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Your request, as hayate parsed it</h1>
<table>
<tr><th>method</th><td>${escapeHtml(req.method)}</td></tr>
<tr><th>target</th><td>${escapeHtml(req.target)}</td></tr>
<tr><th>path</th><td>${escapeHtml(req.path)}</td></tr>
<tr><th>query</th><td>${escapeHtml(req.query)}</td></tr>
<tr><th>protocol</th><td>${escapeHtml(req.protocol)}</td></tr>
<tr><th>client</th><td>${escapeHtml(req.remoteAddress)}:${req.remotePort}</td></tr>
<tr><th>body size</th><td>${bodyBytes} bytes</td></tr>
<tr><th>transport</th><td>${escapeHtml(transport)}</td></tr>
</table>
<h2>Headers (${req.headers.length})</h2>
<table>${rows.join('\n')}</table>
<p><a href="/">home</a></p>
</body></html>
`;
}

/** The demo handler: static files from {@link SITE_DIR}, the request page for everything else. */
export function demoHandler(transport: () => string): Handler {
  const requestPage: Handler = async (req, res) => {
    let bodyBytes = 0;
    for await (const chunk of req.body) bodyBytes += chunk.byteLength;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(renderPage(req, bodyBytes, transport()));
  };
  return serveStatic(SITE_DIR, { fallback: requestPage, index: 'index.html' });
}

/** Starts the demo server in this thread; resolves once it listens (port 0 picks a free port). */
export async function startDemo(options: DemoOptions = {}): Promise<Server> {
  let server: Server | undefined = undefined;
  const handler = demoHandler(() => server?.address?.transport ?? '?');
  const s = createServer(
    (req, res) =>
      req.method === 'GET' || req.method === 'HEAD' ? handler(req, res) : fallbackPost(req, res),
    options.tls === undefined
      ? { transport: options.transport ?? 'auto' }
      : { tls: options.tls, http3: options.http3 ?? false },
  );
  server = s;
  await s.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
  return s;
}

// Non-GET methods always get the request page (serveStatic answers 405 for them).
const fallbackPost: Handler = async (req, res) => {
  let bodyBytes = 0;
  for await (const chunk of req.body) bodyBytes += chunk.byteLength;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(renderPage(req, bodyBytes, '-'));
};

function argValue(argv: readonly string[], flag: string, env: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : process.env[env];
}

function intArg(raw: string | undefined, fallback: number, min: number, max: number, what: string): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`invalid ${what} ${String(raw)}`);
  return n;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const port = intArg(argValue(argv, '--port', 'PORT'), 8080, 0, 65535, 'port');
  const workers = intArg(
    argValue(argv, '--workers', 'WORKERS'),
    availableParallelism(),
    1,
    1024,
    'worker count',
  );
  const transport = (argValue(argv, '--transport', 'HAYATE_TRANSPORT') ?? 'auto') as
    'auto' | 'native' | 'net';
  const tlsPort = intArg(argValue(argv, '--tls-port', 'TLS_PORT'), 8443, 0, 65535, 'TLS port');
  if (workers > 1 && port === 0) throw new RangeError('workers share a port: pass --port');
  let announced = false;
  const group = await runWorkers(
    async () => {
      const server = await startDemo({ port, transport });
      if (workers === 1 && !announced) {
        announced = true;
        console.log(
          `hayate demo on http://127.0.0.1:${server.address?.port ?? port}/ (transport: ${server.transport.name}, 1 worker)`,
        );
      }
    },
    { workers, transport },
  );
  if (group !== undefined && group.kind !== 'inline') {
    console.log(
      `hayate demo on http://127.0.0.1:${port}/ (transport: ${group.kind === 'threads' ? 'native' : 'net'}, ` +
        `${group.count} workers as ${group.kind === 'threads' ? 'threads sharing the port with SO_REUSEPORT' : 'cluster processes'})`,
    );
  }

  // TLS (h2 + HTTP/1.1 by ALPN) runs once, in this thread, beside the cleartext workers.
  if (tlsPort !== 0 && group !== undefined) {
    let tls: { key: string; cert: string } | undefined;
    try {
      tls = selfSignedCertificate();
    } catch (err) {
      console.log(`hayate demo: no TLS listener (${(err as Error).message})`);
    }
    if (tls !== undefined) {
      let secure: Server;
      let h3 = ' and h3 on UDP';
      try {
        secure = await startDemo({ port: tlsPort, tls, http3: true });
      } catch (err) {
        console.log(`hayate demo: no HTTP/3 listener (${(err as Error).message.split('\n')[0] ?? ''})`);
        h3 = '';
        secure = await startDemo({ port: tlsPort, tls });
      }
      console.log(
        `hayate demo on https://localhost:${secure.address?.port ?? tlsPort}/ ` +
          `(h2 and HTTP/1.1 by ALPN${h3}, self-signed certificate)`,
      );
    }
  }
}
