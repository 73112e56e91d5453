/**
 * `npm start`: the hayate demo server (`--help` lists the options). HTTP/1.1 and h2c on port 8080, h2 and
 * HTTP/1.1 over TLS on TCP 8443 and h3 on UDP 8443 (on hayate/quic; `--quic=quiche` runs it on the optional
 * @matrixai/quic instead), each on
 * 127.0.0.1 and ::1 so `localhost` works whichever address a client tries first. The certificate is kept
 * in a cache folder (src/demo/cert-cache.ts) and its SPKI hash printed with the Chromium command line that
 * trusts it, so a browser can be pointed at HTTP/3.
 *
 * It serves the built-in site in src/demo/site/ (static files with sendfile on the native transport),
 * `/api/info` (the protocol and port as the server saw them, JSON), `POST /api/echo` (the body's length
 * and SHA-256, JSON), `/api/bytes?n=N` (N bytes of a fixed pattern, for download tests), `/metrics` (Prometheus text, hayate/metrics) and, for any other path, an HTML page showing the request as parsed.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from '../common/errors.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createServer, runWorkers, serveStatic, type Server, type WorkerGroup } from '../server/index.js';
import type { Handler, ServerRequest, ServerResponse } from '../server/types.js';
import type { QuicProviderName } from '../server/http3.js';
import type { WebSocket } from '../server/websocket-socket.js';
import type { WebTransport } from '../server/webtransport-socket.js';
import { webTransportCertificateHash } from '../server/cert.js';
import type { WebSocketMessageEvent } from '../websocket/connection.js';
import { findPackageRoot } from '../transport/binding.js';
import { defaultCertDir, loadOrCreateCertificate } from './cert-cache.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  readonly port?: number;
  readonly host?: string;
  readonly transport?: 'auto' | 'native' | 'net';
  /** Serve TLS (h2 and HTTP/1.1 by ALPN) with this key and certificate instead of cleartext. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** With `tls`: also serve HTTP/3 on UDP on the same port number. */
  readonly http3?: boolean;
  /** The QUIC implementation under HTTP/3: `'hayate'` (default; hayate/quic) or `'quiche'` (@matrixai/quic). */
  readonly quic?: QuicProviderName;
}

/** The demo site folder. The build copies no non-TS files, so it is resolved from the package root. */
export const SITE_DIR = join(findPackageRoot(), 'src', 'demo', 'site');

/** Where the server that took a request listens. */
interface Listening {
  readonly port: number;
  /** The TCP transport (`native`, `net`, `tls`); HTTP/3 requests report `quic` instead. */
  readonly transport: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the page and `/api/info` report about the connection a request came on. */
function connectionInfo(req: ServerRequest, at: Listening) {
  const h3 = req.protocol === 'h3';
  return {
    protocol: req.protocol,
    port: at.port,
    portType: h3 ? 'udp' : 'tcp',
    transport: h3 ? 'quic' : at.transport,
    // HTTP/3 requests carry no peer address today (src/server/http3.ts passes '' and 0).
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  } as const;
}

function renderPage(req: ServerRequest, bodyBytes: number, at: Listening): string {
  const c = connectionInfo(req, at);
  const rows: string[] = [];
  for (let i = 0; i < req.headers.length; i++) {
    rows.push(
      `<tr><td>${escapeHtml(req.headers.name(i))}</td><td>${escapeHtml(req.headers.value(i))}</td></tr>`,
    );
  }
  const client = c.remoteAddress === '' ? '(unknown)' : `${escapeHtml(c.remoteAddress)}:${c.remotePort}`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>hayate: your request</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Your request, as hayate parsed it</h1>
<table>
<tr><th>method</th><td>${escapeHtml(req.method)}</td></tr>
<tr><th>target</th><td>${escapeHtml(req.target)}</td></tr>
<tr><th>path</th><td>${escapeHtml(req.path)}</td></tr>
<tr><th>query</th><td>${escapeHtml(req.query)}</td></tr>
<tr><th>protocol</th><td>${escapeHtml(c.protocol)}</td></tr>
<tr><th>port</th><td>${c.port}/${c.portType}</td></tr>
<tr><th>client</th><td>${client}</td></tr>
<tr><th>body size</th><td>${bodyBytes} bytes</td></tr>
<tr><th>transport</th><td>${escapeHtml(c.transport)}</td></tr>
</table>
<h2>Headers (${req.headers.length})</h2>
<table>${rows.join('\n')}</table>
<p><a href="/">home</a></p>
</body></html>
`;
}

/** Reads and drops a request body. */
async function drain(req: ServerRequest): Promise<number> {
  let bytes = 0;
  for await (const chunk of req.body) bytes += chunk.byteLength;
  return bytes;
}

/** `/api/bytes` serves at most this much (100 MiB). */
const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;
const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

/** Byte `i` of every `/api/bytes` body: a pattern that shifts every 64 KiB, so misplaced chunks show. */
export function downloadByte(i: number): number {
  return (i * 31 + (i >>> 16)) & 255;
}

/** `n` of `/api/bytes?n=N`, or undefined when absent, not an integer or above the cap. */
function downloadSize(raw: string | null): number | undefined {
  if (raw === null || !/^[0-9]{1,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= MAX_DOWNLOAD_BYTES ? n : undefined;
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(`${JSON.stringify(value)}\n`);
}

/**
 * The demo handler: `/api/info`, `/api/echo`, static files from {@link SITE_DIR} for GET and HEAD, and the
 * request page for everything else (serveStatic would answer 405 to other methods).
 */
let demoMetrics: Metrics | undefined;

/**
 * The demo's metrics: one `createMetrics()` per thread, shared by every listener of the thread (each
 * worker thread or process of `--workers` reports its own figures).
 */
function metricsOfThisThread(): Metrics {
  demoMetrics ??= createMetrics();
  return demoMetrics;
}

/** What {@link demoHandler} tells live.html about WebTransport. */
export interface DemoWebTransportInfo {
  /**
   * SHA-256 of the certificate, hex, for `serverCertificateHashes` (W3C WebTransport): present when the
   * certificate qualifies (ECDSA P-256, at most 14 days; the demo's own one-day certificates do).
   */
  readonly certificateHash?: string;
}

export function demoHandler(where: () => Listening, wt: DemoWebTransportInfo = {}): Handler {
  const metrics = metricsOfThisThread();
  const requestPage: Handler = async (req, res) => {
    const bodyBytes = await drain(req);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(renderPage(req, bodyBytes, where()));
  };
  const site = serveStatic(SITE_DIR, { fallback: requestPage, index: 'index.html' });
  return async (req, res) => {
    if (req.path === '/metrics') return metrics.handler(req, res);
    if (req.path === '/api/webtransport') {
      await drain(req);
      sendJson(res, { path: '/wt/echo', certificateHash: wt.certificateHash ?? null });
      return;
    }
    if (req.path === '/api/info') {
      await drain(req);
      sendJson(res, {
        ...connectionInfo(req, where()),
        method: req.method,
        path: req.path,
        query: req.query,
      });
      return;
    }
    if (req.path === '/api/bytes') {
      await drain(req);
      const n = downloadSize(req.searchParams.get('n'));
      if (n === undefined) {
        res.status = 400;
        sendJson(res, { error: `n must be an integer from 0 to ${MAX_DOWNLOAD_BYTES}` });
        return;
      }
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(n));
      res.setHeader('cache-control', 'no-store');
      // Streamed in 64 KiB chunks with backpressure; byte i is downloadByte(i) so a client can check it.
      const chunk = new Uint8Array(DOWNLOAD_CHUNK_BYTES);
      for (let at = 0; at < n; at += chunk.length) {
        const len = Math.min(chunk.length, n - at);
        for (let i = 0; i < len; i++) chunk[i] = downloadByte(at + i);
        if (!res.write(chunk.slice(0, len))) await res.drained();
      }
      res.end();
      return;
    }
    if (req.path === '/api/echo') {
      if (req.method !== 'POST' && req.method !== 'PUT') {
        res.status = 405;
        res.setHeader('allow', 'POST, PUT');
        res.end();
        return;
      }
      // Streamed: the body is never held whole, so large uploads cost one chunk of memory at a time.
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of req.body) {
        bytes += chunk.byteLength;
        hash.update(chunk);
      }
      sendJson(res, { bytes, sha256: hash.digest('hex'), protocol: req.protocol });
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') return site(req, res);
    return requestPage(req, res);
  };
}

/** The `/ws/echo` route: every message goes back as it came (text as text, binary as binary). */
function echoWebSocket(ws: WebSocket): void {
  ws.on('message', (m: WebSocketMessageEvent) => {
    ws.send(m.isBinary ? m.data : m.text);
  });
}

/**
 * The `/wt/echo` route: each bidirectional stream is echoed on itself, each unidirectional stream comes
 * back on a new one of ours, each datagram is sent back. Errors end only the stream they happen on.
 */
function echoWebTransport(wt: WebTransport): void {
  const ignore = (): void => undefined;
  void eachOf(wt.incomingBidirectionalStreams, (s) => s.readable.pipeTo(s.writable)).catch(ignore);
  void eachOf(wt.incomingUnidirectionalStreams, async (r) => {
    await r.pipeTo(await wt.createUnidirectionalStream());
  }).catch(ignore);
  void wt.datagrams.readable.pipeTo(wt.datagrams.writable).catch(ignore);
}

/** `certificateHash` for `cert` when browsers accept it in serverCertificateHashes; none otherwise. */
function webTransportHashOf(cert: string | undefined): DemoWebTransportInfo {
  if (cert === undefined) return {};
  try {
    return { certificateHash: Buffer.from(webTransportCertificateHash(cert).value).toString('hex') };
  } catch {
    return {};
  }
}

/** Runs `each` on every item of `items` as it arrives, without waiting for the previous one. */
async function eachOf<T>(items: ReadableStream<T>, each: (item: T) => Promise<void>): Promise<void> {
  const reader = items.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    each(value).catch(() => undefined);
  }
}

/** Starts one demo server in this thread; resolves once it listens (port 0 picks a free port). */
export async function startDemo(options: DemoOptions = {}): Promise<Server> {
  let at: Listening = { port: 0, transport: '?' };
  const s = createServer(
    demoHandler(() => at, { ...webTransportHashOf(options.tls?.cert) }),
    options.tls === undefined
      ? { transport: options.transport ?? 'auto' }
      : {
          tls: options.tls,
          http3: options.http3 === true ? { quicProvider: options.quic ?? 'hayate' } : false,
        },
  );
  // `/ws/echo`: a WebSocket echo on every protocol the server speaks (live.html opens it);
  // `/wt/echo`: a WebTransport echo over HTTP/2 and HTTP/3.
  s.onWebSocket('/ws/echo', echoWebSocket, { perMessageDeflate: true });
  s.onWebTransport('/wt/echo', echoWebTransport);
  try {
    const a = await s.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
    at = { port: a.port, transport: a.transport };
  } catch (err) {
    // listen() keeps the TCP listener when HTTP/3 fails after it: release the port for a retry.
    await s.close();
    throw err;
  }
  return s;
}

/** The demo's command line, resolved. */
export interface DemoConfig {
  readonly hosts: readonly string[];
  /** No `--host` given: a host that cannot be bound (say ::1 without IPv6) is skipped with a notice. */
  readonly hostsDefaulted: boolean;
  readonly port: number;
  /** TLS and HTTP/3 port; undefined with `--no-tls`. */
  readonly tlsPort: number | undefined;
  readonly http3: boolean;
  /** The QUIC implementation under HTTP/3 (`--quic`); default `'hayate'`. */
  readonly quic?: QuicProviderName;
  readonly workers: number;
  readonly transport: 'auto' | 'native' | 'net';
  readonly certDir: string;
}

/** `--help` text. */
export const DEMO_USAGE = `usage: hayate demo [options]   (or: npm start -- [options], node dist/src/demo/main.js [options])

The hayate demo server: HTTP/1.1 + h2c on --port, h2 + HTTP/1.1 over TLS and h3 over QUIC on --tls-port.

options:
  --host HOST       listen on HOST; repeat for several (default: 127.0.0.1 and ::1)
  --port N          cleartext HTTP/1.1 and h2c port (env PORT; default 8080; 0 = any free port)
  --tls-port N      TLS (h2, HTTP/1.1) on TCP and h3 on UDP (env TLS_PORT; default 8443; 0 = any free port)
  --no-tls          no TLS and no HTTP/3 listener (also TLS_PORT=off)
  --no-http3        TLS without HTTP/3
  --quic Q          the QUIC under HTTP/3: hayate (default; hayate/quic, pure TypeScript) or quiche
                    (the optional @matrixai/quic, a fallback) (env HAYATE_QUIC)
  --workers N       cleartext workers sharing --port (env WORKERS; default: one per core, 1 with --port 0)
  --transport T     auto, native or net (env HAYATE_TRANSPORT; default auto)
  --cert-dir DIR    where the self-signed certificate is kept across restarts
                    (default: $XDG_CACHE_HOME/hayate or ~/.cache/hayate)
  -h, --help        print this and exit

Once everything listens it prints one line "HAYATE_DEMO_READY {json}" with the bound ports, the hosts and
the certificate's SPKI SHA-256.
`;

function intOption(
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  what: string,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError('ERR_DEMO_USAGE', `invalid ${what} ${JSON.stringify(raw)} (${min}..${max})`);
  }
  return n;
}

/**
 * Parses the demo's arguments (environment variables fill options not given). Returns `'help'` for
 * `--help`; throws a UsageError `ERR_DEMO_USAGE` for unknown options and bad values.
 */
export function parseDemoArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): DemoConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        host: { type: 'string', multiple: true },
        port: { type: 'string' },
        'tls-port': { type: 'string' },
        'no-tls': { type: 'boolean' },
        'no-http3': { type: 'boolean' },
        quic: { type: 'string' },
        workers: { type: 'string' },
        transport: { type: 'string' },
        'cert-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError('ERR_DEMO_USAGE', (err as Error).message);
  }
  if (values.help === true) return 'help';
  const port = intOption(values.port ?? env['PORT'], 8080, 0, 65535, 'port');
  const tlsRaw = values['tls-port'] ?? env['TLS_PORT'];
  const noTls = values['no-tls'] === true || (values['tls-port'] === undefined && tlsRaw === 'off');
  const tlsPort = noTls ? undefined : intOption(tlsRaw, 8443, 0, 65535, 'TLS port');
  const workers = intOption(
    values.workers ?? env['WORKERS'],
    port === 0 ? 1 : availableParallelism(),
    1,
    1024,
    'worker count',
  );
  if (workers > 1 && port === 0) {
    throw new UsageError('ERR_DEMO_USAGE', 'workers share one port: pass --port N (not 0) or --workers 1');
  }
  const transport = values.transport ?? env['HAYATE_TRANSPORT'] ?? 'auto';
  if (transport !== 'auto' && transport !== 'native' && transport !== 'net') {
    throw new UsageError(
      'ERR_DEMO_USAGE',
      `invalid transport ${JSON.stringify(transport)} (auto, native, net)`,
    );
  }
  const quic = values.quic ?? env['HAYATE_QUIC'] ?? 'hayate';
  if (quic !== 'quiche' && quic !== 'hayate') {
    throw new UsageError('ERR_DEMO_USAGE', `invalid QUIC ${JSON.stringify(quic)} (quiche, hayate)`);
  }
  const hosts = values.host ?? [];
  if (hosts.some((h) => h === '')) throw new UsageError('ERR_DEMO_USAGE', 'empty --host');
  return {
    hosts: hosts.length === 0 ? ['127.0.0.1', '::1'] : [...new Set(hosts)],
    hostsDefaulted: hosts.length === 0,
    port,
    tlsPort,
    http3: values['no-http3'] !== true,
    quic,
    workers,
    transport,
    certDir: values['cert-dir'] ?? defaultCertDir(env),
  };
}

/** A running demo (in the primary; workers only serve). */
export interface RunningDemo {
  /** The servers in this thread: cleartext ones (unless in workers), then TLS ones. */
  readonly servers: readonly Server[];
  readonly hosts: readonly string[];
  readonly httpPort: number;
  readonly httpsPort: number | undefined;
  /** The UDP port serving h3, when HTTP/3 listens. */
  readonly h3Port: number | undefined;
  readonly spkiSha256: string | undefined;
  readonly certDir: string | undefined;
  /** The machine-readable line printed last: `HAYATE_DEMO_READY {json}`. */
  readonly readyLine: string;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/**
 * Starts one server per host on the same port: the first host picks the port (0 = any), the others bind
 * the port it got. With defaulted hosts, a host other than the first that fails is skipped (`log` says why).
 */
async function listenOnHosts(
  hosts: readonly string[],
  port: number,
  skippable: boolean,
  start: (host: string, port: number) => Promise<Server>,
  log: (line: string) => void,
): Promise<{ servers: Server[]; hosts: string[]; port: number }> {
  const servers: Server[] = [];
  const bound: string[] = [];
  let p = port;
  try {
    for (const host of hosts) {
      try {
        const s = await start(host, p);
        servers.push(s);
        bound.push(host);
        p = s.address?.port ?? p;
      } catch (err) {
        if (!skippable || servers.length === 0) throw err;
        log(`hayate demo: not listening on ${host} (${firstLine(err)})`);
      }
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  return { servers, hosts: bound, port: p };
}

/**
 * Runs the demo as `npm start` does: cleartext servers (in workers when `workers > 1`), then TLS + HTTP/3
 * in this thread with the cached certificate, printing where everything listens through `log`. Returns
 * undefined inside a worker.
 */
export async function runDemo(
  config: DemoConfig,
  log: (line: string) => void = console.log,
): Promise<RunningDemo | undefined> {
  const servers: Server[] = [];
  let clear = { hosts: [...config.hosts], port: config.port };
  let transportName = '';
  const group: WorkerGroup | undefined = await runWorkers(
    async () => {
      const r = await listenOnHosts(
        config.hosts,
        config.port,
        config.hostsDefaulted,
        (host, port) => startDemo({ host, port, transport: config.transport }),
        log,
      );
      servers.push(...r.servers);
      clear = r;
      transportName = r.servers[0]?.transport.name ?? '?';
    },
    { workers: config.workers, transport: config.transport },
  );
  if (group === undefined) return undefined;
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.close()));
    await group.close();
  };
  try {
    const where = clear.hosts.map((h) => `http://${urlHost(h)}:${clear.port}/`).join(' and ');
    const how =
      group.kind === 'inline'
        ? `transport: ${transportName}, 1 worker`
        : `transport: ${group.kind === 'threads' ? 'native' : 'net'}, ${group.count} workers as ` +
          (group.kind === 'threads' ? 'threads sharing the port with SO_REUSEPORT' : 'cluster processes');
    log(`hayate demo on ${where} (${how})`);

    let httpsPort: number | undefined;
    let h3Port: number | undefined;
    let spki: string | undefined;
    let certDir: string | undefined;
    if (config.tlsPort !== undefined) {
      let cert: ReturnType<typeof loadOrCreateCertificate> | undefined;
      try {
        cert = loadOrCreateCertificate(config.certDir);
      } catch (err) {
        log(`hayate demo: no TLS listener (${firstLine(err)})`);
      }
      if (cert !== undefined) {
        const tls = { key: cert.key, cert: cert.cert };
        const startAll = (http3: boolean) =>
          listenOnHosts(
            config.hosts,
            config.tlsPort ?? 0,
            config.hostsDefaulted,
            (host, port) => startDemo({ host, port, tls, http3, quic: config.quic ?? 'hayate' }),
            log,
          );
        let secure;
        let http3 = config.http3;
        try {
          secure = await startAll(http3);
        } catch (err) {
          if (!http3) throw err;
          log(`hayate demo: no HTTP/3 listener (${firstLine(err)})`);
          http3 = false;
          secure = await startAll(false);
        }
        servers.push(...secure.servers);
        httpsPort = secure.port;
        h3Port = http3 ? secure.port : undefined;
        spki = cert.spkiSha256;
        certDir = cert.dir;
        log(
          `hayate demo on https://localhost:${httpsPort}/ (h2 and HTTP/1.1 by ALPN${http3 ? ' and h3 on UDP' : ''}` +
            ` on ${secure.hosts.join(' and ')}, self-signed certificate)`,
        );
        log(
          `certificate: ${join(cert.dir, 'cert.pem')} (${cert.created ? 'new' : 'kept from an earlier run'}, ` +
            `valid until ${cert.validTo.toISOString()}); SPKI SHA-256 (base64): ${cert.spkiSha256}`,
        );
        if (http3) {
          log(
            `HTTP/3 in Chromium: chromium --user-data-dir="$(mktemp -d)" --origin-to-force-quic-on=localhost:${h3Port} ` +
              `--ignore-certificate-errors-spki-list=${cert.spkiSha256} https://localhost:${h3Port}/`,
          );
        }
      }
    }
    const ready = {
      hosts: clear.hosts,
      http: clear.port,
      https: httpsPort ?? null,
      h3: h3Port ?? null,
      spkiSha256: spki ?? null,
      certDir: certDir ?? null,
      workers: group.count,
    };
    const readyLine = `HAYATE_DEMO_READY ${JSON.stringify(ready)}`;
    log(readyLine);
    return {
      servers,
      hosts: clear.hosts,
      httpPort: clear.port,
      httpsPort,
      h3Port,
      spkiSha256: spki,
      certDir,
      readyLine,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The demo's command line (`npm start -- ...`, `hayate demo ...`): runs until interrupted; resolves with an
 * exit code only when it does not start (2: bad arguments, 0: `--help`).
 */
export async function demoMain(argv: readonly string[]): Promise<number | undefined> {
  let config: DemoConfig | 'help';
  try {
    config = parseDemoArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`hayate demo: ${err.message}\n(--help lists the options)\n`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  await runDemo(config);
  return undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await demoMain(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
}
