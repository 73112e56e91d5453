/**
 * Tail latency at fixed request rates (area `latency`). For each server (hayate on the native transport,
 * hayate on node:net, node:http as the peer; the `server/hello` handler in bench/fixtures/server-child.mjs,
 * each in a child process): wrk -c50 finds its peak requests/s, then bench/fixtures/loadgen.c (compiled
 * here with cc) sends 25%, 50% and 75% of that peak at a constant rate over 50 keep-alive connections and
 * reports p50/p99/p99.9 measured from each request's due time (open loop: no coordinated omission).
 * Records `latency/hello-<pct>` with `hz` = achieved requests/s and `peakRps`. Issue 16 goal: p99 ≤ 0.65 ms
 * at 50% on the native transport.
 *
 * CPU pinning: on a machine with two or more CPUs and `taskset` (util-linux), every thread of the server
 * child runs on CPU 1 and wrk / the load generator on CPU 0, for every subject alike, so the figures are the
 * server's and not the scheduler's: unpinned on the 2-core VM, the generator and the server preempt each
 * other and p99 swung between 0.3 and 4 ms from run to run for the same server at the same rate (node:http
 * included). The peak is measured pinned too, so 50% is half of what the server does on its one CPU.
 * `--latency-unpinned` (or LATENCY_UNPINNED=1) turns pinning off; each record says which (`pinned`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import { runWrk, startChild, stopChild } from './lib/wrk.js';

export const area = 'latency';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', 'bench', 'fixtures');
const childScript = join(fixtures, 'server-child.mjs');
const source = join(fixtures, 'loadgen.c');

const SUBJECTS = [
  { id: 'hayate-native', label: 'hayate (native, 1 worker)', peer: false },
  { id: 'hayate-net', label: 'hayate (node:net, 1 worker)', peer: false },
  { id: 'node-http', label: 'node:http', peer: true },
] as const;
const LOADS = [0.25, 0.5, 0.75] as const;
const CONNECTIONS = 50;

interface LoadResult {
  readonly scheduled: number;
  readonly completed: number;
  readonly unanswered: number;
  readonly errors: number;
  readonly achievedRps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

/** Compiles loadgen.c once per source version into the temp folder. */
function loadgenBinary(): string {
  const dir = join(tmpdir(), 'hayate-bench');
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, `loadgen-${Math.round(statSync(source).mtimeMs)}`);
  if (!existsSync(bin)) execFileSync('cc', ['-O2', '-Wall', '-o', bin, source], { stdio: 'inherit' });
  return bin;
}

/** CPU of the load generators when pinning (the server child gets {@link SERVER_CPU}). */
const CLIENT_CPU = 0;
const SERVER_CPU = 1;

/** Whether to pin: two CPUs or more, taskset present, not turned off. */
function canPin(): boolean {
  if (process.argv.includes('--latency-unpinned') || process.env['LATENCY_UNPINNED'] === '1') return false;
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-c', String(CLIENT_CPU), 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Moves every thread of `pid` to `cpu`. */
function pinProcess(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

function runLoad(
  bin: string,
  port: number,
  rps: number,
  seconds: number,
  isPinned: boolean,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const args = ['127.0.0.1', String(port), '/', String(CONNECTIONS), String(rps), String(seconds)];
    const p = isPinned ? spawn('taskset', ['-c', String(CLIENT_CPU), bin, ...args]) : spawn(bin, args);
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`loadgen exited ${String(code)}: ${err}`));
      else resolve(JSON.parse(out) as LoadResult);
    });
  });
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const timeGiven = process.argv.some((a) => a.startsWith('--time='));
  const seconds = timeGiven ? Math.max(1, Math.round(options.timeMs / 1000)) : 5;
  const bin = loadgenBinary();
  const isPinned = canPin();
  const cpu = isPinned ? { cpu: CLIENT_CPU } : {};
  const out: BenchRecord[] = [];
  for (const s of SUBJECTS) {
    const c = await startChild(childScript, [s.id, 'hello']);
    try {
      if (isPinned) pinProcess(c.proc.pid!, SERVER_CPU);
      await runWrk({ port: c.port, seconds: 2, connections: CONNECTIONS, ...cpu }); // warm-up (JIT)
      const peak = await runWrk({ port: c.port, seconds, connections: CONNECTIONS, ...cpu });
      for (const load of LOADS) {
        const rps = Math.round(peak.rps * load);
        const r = await runLoad(bin, c.port, rps, seconds, isPinned);
        out.push({
          bench: `latency/hello-${load * 100}pct`,
          subject: s.label,
          peer: s.peer,
          hz: r.achievedRps,
          targetRps: rps,
          peakRps: Math.round(peak.rps),
          p50Ms: r.p50Us / 1000,
          p99Ms: r.p99Us / 1000,
          p999Ms: r.p999Us / 1000,
          maxMs: r.maxUs / 1000,
          pinned: isPinned,
          ...(r.errors + r.unanswered === 0 ? {} : { errors: r.errors, unanswered: r.unanswered }),
        });
      }
    } finally {
      await stopChild(c);
    }
  }
  return out;
}
