/**
 * HTTP/2 end to end: h2load against hayate's h2c server (native transport when the addon loads, one worker,
 * in a child process) and against node:http2's createServer with the same hello-world handler; then a
 * 100 MiB download on one stream, measured twice: with each side's own client (hayate's client exercises
 * receive-window auto-tuning; http2/download-100m) and with the same client for both servers (h2load, one
 * request, 2^30-1 windows; http2/download-100m-h2load), which compares the servers alone.
 * Records http2/m10, http2/m1 (hz = requests/s) and the two downloads (MB/s, median of five after three
 * warm-up downloads: hayate's client and server are JavaScript and need a few 100 MiB runs to reach their
 * optimised tiers, while node:http2's framing is native nghttp2).
 *
 * Run: npm run bench -- http2   (needs h2load from nghttp2-client; H2_BENCH_SECONDS overrides -D 10).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/server/http2-client.js';
import { listenHttp2 } from '../src/server/http2-server.js';
import { NativeTransport } from '../src/transport/native.js';
import type { BenchOptions, BenchRecord } from './lib/report.js';

export const area = 'http2';

const DOWNLOAD_BYTES = 100 * 1024 * 1024;
const HELLO = new TextEncoder().encode('hello world');
const BLOCK = new Uint8Array(1024 * 1024).fill(0x61);

/** Child-process entry: `node dist/bench/http2.bench.js serve <hayate|node>` prints the port. */
async function serve(kind: string): Promise<void> {
  if (kind === 'node') {
    const s = http2.createServer((req, res) => {
      if (req.url === '/big') {
        let sent = 0;
        const pump = (): void => {
          while (sent < DOWNLOAD_BYTES) {
            sent += BLOCK.length;
            if (!res.write(BLOCK)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      res.setHeader('content-type', 'text/plain');
      res.end(HELLO);
    });
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      console.log(typeof a === 'object' && a !== null ? a.port : 0);
    });
    return;
  }
  const native = NativeTransport.create(undefined, true);
  const srv = await listenHttp2(
    { ...(native === undefined ? {} : { transport: native }) },
    async (req, res) => {
      if (req.target === '/big') {
        res.setHeader('content-length', String(DOWNLOAD_BYTES));
        for (let sent = 0; sent < DOWNLOAD_BYTES; sent += BLOCK.length)
          if (!res.write(BLOCK)) await res.drained();
        res.end();
        return;
      }
      res.setHeader('content-type', 'text/plain');
      res.end(HELLO);
    },
  );
  console.log(srv.port, native === undefined ? 'net' : 'native');
}

function startChild(kind: string): Promise<{ child: ChildProcess; port: number; transport: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => {
      const [port, transport] = d.toString().trim().split(' ');
      resolve({ child, port: Number(port), transport: transport ?? 'node' });
    });
    child.once('exit', (code) => {
      reject(new Error(`server exited with ${String(code)}`));
    });
  });
}

function h2load(port: number, m: number, seconds: number): number {
  const r = spawnSync(
    'h2load',
    ['-t', '1', '-c', '50', '-m', String(m), '-D', String(seconds), `http://127.0.0.1:${port}/`],
    {
      encoding: 'utf8',
    },
  );
  const match = /finished in [\d.]+s, ([\d.]+) req\/s/.exec(r.stdout);
  const failed = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(r.stdout);
  if (match === null) throw new Error(`h2load failed: ${r.stdout}${r.stderr}`);
  if (failed !== null && Number(failed[1]) > 0) throw new Error(`h2load reported failures: ${r.stdout}`);
  return Number(match[1]);
}

/** One 100 MiB download with h2load (the same C client for both servers; windows 2^30-1, no tuning). */
function downloadH2load(port: number): number {
  const r = spawnSync(
    'h2load',
    ['-n', '1', '-c', '1', '-m', '1', '-w', '30', '-W', '30', `http://127.0.0.1:${port}/big`],
    { encoding: 'utf8' },
  );
  const done = /finished in ([\d.]+)(ms|s),/.exec(r.stdout);
  if (done === null || !/1 succeeded/.test(r.stdout))
    throw new Error(`h2load failed: ${r.stdout}${r.stderr}`);
  const seconds = done[2] === 'ms' ? Number(done[1]) / 1000 : Number(done[1]);
  return DOWNLOAD_BYTES / 1e6 / seconds;
}

function median(runs: number[]): number {
  const r = [...runs].sort((a, b) => a - b);
  return r[r.length >> 1]!;
}

async function downloadHayate(port: number): Promise<number> {
  const s = connect(`http://127.0.0.1:${port}`);
  const start = performance.now();
  const r = await s.request({ path: '/big' });
  let n = 0;
  for await (const c of r.body) n += c.length;
  const ms = performance.now() - start;
  await s.close();
  if (n !== DOWNLOAD_BYTES) throw new Error(`short download ${n}`);
  return DOWNLOAD_BYTES / 1e6 / (ms / 1000);
}

async function downloadNode(port: number): Promise<number> {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  const start = performance.now();
  const n = await new Promise<number>((resolve, reject) => {
    const req = s.request({ ':path': '/big' });
    let got = 0;
    req.on('data', (c: Buffer) => (got += c.length));
    req.on('end', () => {
      resolve(got);
    });
    req.on('error', reject);
  });
  const ms = performance.now() - start;
  s.close();
  if (n !== DOWNLOAD_BYTES) throw new Error(`short download ${n}`);
  return DOWNLOAD_BYTES / 1e6 / (ms / 1000);
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  // h2load -D: H2_BENCH_SECONDS, else --time (default 1000 ms) / 100, i.e. 10 s.
  const seconds = Number(process.env['H2_BENCH_SECONDS'] ?? Math.max(1, Math.round(options.timeMs / 100)));
  if (spawnSync('h2load', ['--version']).status !== 0)
    throw new Error('h2load not found (apt-get install nghttp2-client)');
  const out: BenchRecord[] = [];
  const subjects = [
    { kind: 'hayate', peer: false },
    { kind: 'node', peer: true },
  ];
  for (const m of [10, 1]) {
    for (const s of subjects) {
      const { child, port, transport } = await startChild(s.kind);
      try {
        h2load(port, m, 1); // warm-up
        const hz = h2load(port, m, seconds);
        out.push({
          bench: `http2/m${m}`,
          subject: s.kind === 'hayate' ? `hayate h2c (${transport})` : `node:http2 ${process.version}`,
          peer: s.peer,
          hz,
          unit: 'req/s',
        });
      } finally {
        child.kill();
      }
    }
  }
  // Both servers run at once and the downloads alternate, so machine noise hits both sides alike.
  const servers = [await startChild('hayate'), await startChild('node')];
  try {
    const [h, n] = servers as [
      Awaited<ReturnType<typeof startChild>>,
      Awaited<ReturnType<typeof startChild>>,
    ];
    const cases = [
      {
        bench: 'http2/download-100m',
        hayate: { subject: `hayate client+server (${h.transport})`, f: () => downloadHayate(h.port) },
        node: { subject: `node:http2 client+server ${process.version}`, f: () => downloadNode(n.port) },
      },
      {
        bench: 'http2/download-100m-h2load',
        hayate: { subject: `hayate h2c (${h.transport}) <- h2load`, f: () => downloadH2load(h.port) },
        node: { subject: `node:http2 ${process.version} <- h2load`, f: () => downloadH2load(n.port) },
      },
    ];
    for (const c of cases) {
      // Three warm-ups each (JIT tiers), then five alternating runs each; the median is recorded.
      for (let i = 0; i < 3; i++) {
        await c.hayate.f();
        await c.node.f();
      }
      const rh: number[] = [];
      const rn: number[] = [];
      for (let i = 0; i < 5; i++) {
        rh.push(await c.hayate.f());
        rn.push(await c.node.f());
      }
      out.push({ bench: c.bench, subject: c.hayate.subject, peer: false, hz: median(rh), unit: 'MB/s' });
      out.push({ bench: c.bench, subject: c.node.subject, peer: true, hz: median(rn), unit: 'MB/s' });
    }
  } finally {
    for (const x of servers) x.child.kill();
  }
  return out;
}

if (process.argv[2] === 'serve') void serve(process.argv[3] ?? 'hayate');
