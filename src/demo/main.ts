/**
 * `npm start`: a small HTTP/1.1 server on 127.0.0.1:8080 (PORT env or `--port N`) built directly on
 * the sans-I/O {@link Http1Connection} over node:net. Every request is answered with an HTML page
 * showing what was parsed; keep-alive and pipelining are honoured; a malformed request is answered
 * with the error's `statusHint` and the connection is closed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Http1Connection, Http1ParseError, type Http1Head } from '../http1/index.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  readonly port?: number;
  readonly host?: string;
}

const encoder = new TextEncoder();

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderPage(head: Http1Head, bodyBytes: number, index: number): Uint8Array {
  const rows: string[] = [];
  for (let i = 0; i < head.headers.length; i++) {
    rows.push(
      `<tr><td>${escapeHtml(head.headers.name(i))}</td><td>${escapeHtml(head.headers.value(i))}</td></tr>`,
    );
  }
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>hayate HTTP/1.1 demo</title></head>
<body>
<h1>hayate HTTP/1.1 demo</h1>
<p>Request #${index} on this connection.</p>
<table>
<tr><th>method</th><td>${escapeHtml(head.method)}</td></tr>
<tr><th>target</th><td>${escapeHtml(head.target)}</td></tr>
<tr><th>version</th><td>HTTP/${head.version}</td></tr>
<tr><th>keep-alive</th><td>${head.keepAlive}</td></tr>
<tr><th>body size</th><td>${bodyBytes} bytes</td></tr>
</table>
<h2>Headers (${head.headers.length})</h2>
<table>${rows.join('\n')}</table>
</body></html>
`;
  return encoder.encode(html);
}

function flush(socket: Socket, conn: Http1Connection): void {
  const out = conn.takeOutput();
  if (out.length === 0) return;
  socket.cork();
  for (const chunk of out) socket.write(chunk);
  socket.uncork();
}

function serve(socket: Socket): void {
  const conn = new Http1Connection({ role: 'server' });
  let head: Http1Head | null = null;
  let bodyBytes = 0;
  let count = 0;
  const pump = (): void => {
    try {
      for (let ev = conn.nextEvent(); ev !== null; ev = conn.nextEvent()) {
        if (ev.type === 'head') {
          // Lifetime: the head is used after later receive() calls (body chunks), so keep a copy.
          head = ev.retain();
          bodyBytes = 0;
          if (ev.expectContinue) conn.sendInformational(100);
        } else if (ev.type === 'data') {
          bodyBytes += ev.bytes.length;
        } else if (ev.type === 'end' && head !== null) {
          const page = renderPage(head, bodyBytes, ++count);
          conn.sendResponseHead(200, [
            ['content-type', 'text/html; charset=utf-8'],
            ['content-length', String(page.length)],
          ]);
          conn.sendData(page);
          conn.sendEnd();
          head = null;
        } else if (ev.type === 'upgrade') {
          // The demo speaks no other protocol: answer and close.
          conn.sendResponseHead(501, [['content-length', '0']]);
          conn.sendEnd();
        }
      }
    } catch (err) {
      if (!(err instanceof Http1ParseError)) throw err;
      const msg = encoder.encode(`${err.statusHint} ${err.kind}\n`);
      conn.sendResponseHead(err.statusHint, [
        ['content-type', 'text/plain'],
        ['content-length', String(msg.length)],
      ]);
      conn.sendData(msg);
      conn.sendEnd();
    }
    flush(socket, conn);
    if (conn.shouldClose) socket.end();
  };
  socket.on('data', (chunk: Buffer) => {
    conn.receive(chunk);
    pump();
  });
  socket.on('end', () => {
    conn.receiveEnd();
    pump();
    socket.end();
  });
  socket.on('error', () => socket.destroy());
}

/** Starts the demo server; resolves once it listens (port 0 picks a free port). */
export function startDemo(options: DemoOptions = {}): Promise<Server> {
  const server = createServer(serve);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      resolve(server);
    });
  });
}

function portFromArgs(argv: readonly string[]): number {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : process.env['PORT'];
  const port = raw === undefined ? 8080 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`invalid port ${String(raw)}`);
  return port;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startDemo({ port: portFromArgs(process.argv.slice(2)) });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  console.log(`hayate HTTP/1.1 demo listening on http://127.0.0.1:${port}/`);
}
