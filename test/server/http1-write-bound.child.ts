/**
 * Child process of http1-joints.test.ts (RSS must be measured in a process of its own): serves one
 * response streamed with `res.write()` from before the handler's first await, to a client in this
 * process that reads slowly for a while, then at full speed. Prints one JSON line:
 * `{ bytes, peakGrowthBytes, ms }`.
 *
 * argv: kind (native | net | tls), total bytes.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { createServer } from '../../src/server/index.js';
import type { Handler } from '../../src/server/types.js';

const kind = process.argv[2] ?? 'net';
const total = Number(process.argv[3] ?? 256 * 1024 * 1024);
const CHUNK = 64 * 1024;

const handler: Handler = async (req, res) => {
  if (req.path === '/warm') {
    res.end('warm');
    return;
  }
  // No await before the first write: the loop starts inside the connection's read dispatch.
  for (let sent = 0; sent < total && !req.aborted; sent += CHUNK) {
    // A fresh, filled chunk per write, as a real producer makes them (queued chunks cannot be shared, and
    // untouched pages would not count in RSS).
    const chunk = Buffer.alloc(CHUNK, sent & 0xff);
    if (!res.write(chunk)) await res.drained();
  }
  res.end();
};

const cert = kind === 'tls' ? selfSignedCertificate() : undefined;
const server = createServer(handler, {
  ...(cert === undefined
    ? { transport: kind as 'native' | 'net' }
    : { tls: { key: cert.key, cert: cert.cert } }),
  http2: false,
});
const { port } = await server.listen(0);

function get(path: string, slowMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const s =
      kind === 'tls'
        ? tlsConnect(
            { port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
            () => s.write(request),
          )
        : netConnect({ port, host: '127.0.0.1' }, () => s.write(request));
    let bytes = 0;
    let sinceSample = 0;
    const t0 = Date.now();
    s.on('data', (b: Buffer) => {
      bytes += b.length;
      sinceSample += b.length;
      if (sinceSample >= 1 << 20) {
        sinceSample = 0;
        sample();
        // Slow reader: a pause after every MiB for the first part of the transfer.
        if (Date.now() - t0 < slowMs) {
          s.pause();
          setTimeout(() => s.resume(), 3);
        }
      }
    });
    s.on('end', () => {
      resolve(bytes);
    });
    s.on('error', reject);
  });
}

// Run with --expose-gc: collecting now and then measures what is retained, not how late the GC runs
// after 1 GiB of short-lived chunks.
const gc = (globalThis as { gc?: () => void }).gc;
let sampled = 0;
let peak = 0;
function sample(): void {
  if (gc !== undefined && ++sampled % 8 === 0) gc();
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
}

await get('/warm', 0);
const base = process.memoryUsage.rss();
peak = base;
const timer = setInterval(sample, 5);
const t0 = Date.now();
const bytes = await get('/stream', 1000);
const ms = Date.now() - t0;
clearInterval(timer);
sample();
await server.close();
process.stdout.write(`${JSON.stringify({ bytes, peakGrowthBytes: peak - base, ms })}\n`);
