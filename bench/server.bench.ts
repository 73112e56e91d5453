/**
 * Server benchmarks (area `server`), all on loopback with wrk -t1:
 * - `server/hello`: requests/s and p99 latency for a 14-byte text response, wrk -c50, and the server's CPU
 *   time per request (`cpuUsPerReq`; hayate's records carry `cpuRatio`, node:http's CPU per request over
 *   theirs): on a 2-core machine wrk shares the cores and caps requests/s before a lean server is busy.
 *   Subjects: hayate on the native transport, hayate on node:net, Node's http.createServer (peer).
 * - `server/static-1m`: a 1 MiB file, hayate sendfile (native) vs fs.createReadStream().pipe(res) (peer).
 * - `server/idle-memory`: RSS and heap growth per idle keep-alive connection with 5,000 of them.
 * Each server runs in a child process (bench/fixtures/server-child.mjs). wrk runs 10 s per subject unless
 * `--time=<ms>` is given (then that long, at least 1 s); `server/hello` splits it into two interleaved
 * rounds and keeps each subject's best.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import {
  cpuRatio,
  runWrk as wrk,
  runWrkMeasured,
  startChild,
  stopChild,
  type Child,
  type MeasuredRun,
} from './lib/wrk.js';

export const area = 'server';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/bench/; the child script stays in the source tree.
const childScript = join(here, '..', '..', 'bench', 'fixtures', 'server-child.mjs');

type Subject = 'hayate-native' | 'hayate-native-metrics' | 'hayate-net' | 'node-http';
const LABEL: Record<Subject, string> = {
  'hayate-native': 'hayate (native, 1 worker)',
  'hayate-native-metrics': 'hayate (native, 1 worker, hayate/metrics on)',
  'hayate-net': 'hayate (node:net, 1 worker)',
  'node-http': 'node:http',
};

/** `server/hello` subjects; metrics on vs off is issue 12's ≤ 5% cost check. */
const HELLO_SUBJECTS = ['hayate-native', 'hayate-native-metrics', 'hayate-net', 'node-http'] as const;

function startServer(subject: Subject, mode: string, file = ''): Promise<Child> {
  return startChild(childScript, [subject, mode, file]);
}

function memOf(c: Child): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve) => {
    c.proc.once('message', (m: { rss: number; heapUsed: number }) => {
      resolve(m);
    });
    c.proc.send({ mem: true });
  });
}

/** Opens `n` keep-alive connections, each completing one request, and leaves them idle. */
async function openIdle(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
      });
      s.once('data', () => {
        resolve();
      });
      s.on('error', reject);
      sockets.push(s);
    });
  for (let i = 0; i < n; i += 250) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(n, i + 250); j++) batch.push(one());
    await Promise.all(batch);
  }
  return sockets;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const timeGiven = process.argv.some((a) => a.startsWith('--time='));
  const seconds = timeGiven ? Math.max(1, Math.round(options.timeMs / 1000)) : 10;
  const out: BenchRecord[] = [];

  // server/hello: two interleaved rounds per subject, best round kept, so a burst of load from elsewhere
  // on the machine hits one round of one subject rather than a whole subject.
  const hello = new Map<Subject, MeasuredRun>();
  const roundSeconds = Math.max(1, Math.round(seconds / 2));
  for (let round = 0; round < 2; round++) {
    for (const subject of HELLO_SUBJECTS) {
      const c = await startServer(subject, 'hello');
      await wrk({ port: c.port, seconds: 1, connections: 50 }); // warm-up (JIT)
      const r = await runWrkMeasured(c, { port: c.port, seconds: roundSeconds, connections: 50 });
      await stopChild(c);
      const best = hello.get(subject);
      if (best === undefined || r.rps > best.rps) hello.set(subject, r);
    }
  }
  const peerRun = hello.get('node-http')!;
  for (const subject of HELLO_SUBJECTS) {
    const r = hello.get(subject)!;
    out.push({
      bench: 'server/hello',
      subject: LABEL[subject],
      peer: subject === 'node-http',
      hz: r.rps,
      p99Ms: r.p99Ms,
      cpuUsPerReq: r.cpuUsPerReq,
      ...(subject === 'node-http' ? {} : { cpuRatio: cpuRatio(peerRun, r) }),
      seconds: roundSeconds,
      rounds: 2,
      ...(r.errors === '' ? {} : { errors: r.errors }),
    });
  }

  // server/static-1m
  const dir = mkdtempSync(join(tmpdir(), 'hayate-bench-'));
  const file = join(dir, 'static-1m.bin');
  const bytes = new Uint8Array(1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131) & 0xff;
  writeFileSync(file, bytes);
  try {
    for (const subject of ['hayate-native', 'hayate-net', 'node-http'] as const) {
      const c = await startServer(subject, 'static', file);
      await wrk({ port: c.port, seconds: 1, connections: 50, path: '/static-1m.bin' });
      const r = await wrk({ port: c.port, seconds: seconds, connections: 50, path: '/static-1m.bin' });
      await stopChild(c);
      out.push({
        bench: 'server/static-1m',
        subject:
          subject === 'node-http'
            ? 'node:http createReadStream().pipe(res)'
            : `${LABEL[subject]} ${subject === 'hayate-native' ? 'sendfile' : 'read stream'}`,
        peer: subject === 'node-http',
        hz: r.rps,
        mibPerSec: Math.round((r.transferBytesPerSec / 1024 / 1024) * 10) / 10,
        p99Ms: r.p99Ms,
        ...(r.errors === '' ? {} : { errors: r.errors }),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // server/idle-memory
  const N = 5000;
  for (const subject of ['hayate-native', 'node-http'] as const) {
    const c = await startServer(subject, 'idle');
    await sleep(100);
    const m0 = await memOf(c);
    const sockets = await openIdle(c.port, N);
    await sleep(200);
    const m1 = await memOf(c);
    for (const s of sockets) s.destroy();
    await stopChild(c);
    out.push({
      bench: 'server/idle-memory',
      subject: subject === 'node-http' ? 'node:http' : 'hayate (native)',
      peer: subject === 'node-http',
      connections: N,
      bytesPerConn: Math.round((m1.rss - m0.rss) / N),
      heapBytesPerConn: Math.round((m1.heapUsed - m0.heapUsed) / N),
    });
  }
  return out;
}
