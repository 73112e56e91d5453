/**
 * Shared plumbing of the benchmarks that load a server in a child process with wrk (areas `server`,
 * `example`, `frameworks`): fork a child that reports `{ port }` over IPC, run wrk against it, parse wrk's
 * text output (requests/s, latency percentiles, transfer/s, errors).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server running in a child process. */
export interface Child {
  readonly proc: ChildProcess;
  readonly port: number;
}

/**
 * Forks `script` with `args`; resolves once it sends `{ port }` over IPC. `env` is added to the
 * parent's environment.
 */
export function startChild(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Child> {
  const proc = fork(script, args, {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (m: { port: number }) => {
      resolve({ proc, port: m.port });
    });
    proc.once('exit', (code) => {
      reject(new Error(`${script} ${args.join(' ')} exited with ${String(code)}`));
    });
  });
}

/**
 * CPU time the child has used so far (user + system, µs), asked over IPC: children answer `{ cpu: true }`
 * with `{ cpuUs }` (bench/fixtures/server-child.mjs). The difference over a wrk run, divided by the requests
 * wrk completed, is the server's CPU per request, which still compares servers when wrk (sharing the
 * machine's cores) is what caps requests/s.
 */
export function cpuOf(c: Child): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: { cpuUs?: number }): void => {
      if (typeof m.cpuUs !== 'number') return;
      c.proc.off('message', on);
      resolve(m.cpuUs);
    };
    c.proc.on('message', on);
    c.proc.send({ cpu: true });
  });
}

/** A wrk run with the server child's CPU time per request over it (µs, see {@link cpuOf}). */
export type MeasuredRun = WrkResult & { readonly cpuUsPerReq: number };

/** Runs wrk against `c` and measures the child's CPU time per request over the run. */
export async function runWrkMeasured(c: Child, o: WrkOptions): Promise<MeasuredRun> {
  const cpu0 = await cpuOf(c);
  const r = await runWrk(o);
  const cpuUs = (await cpuOf(c)) - cpu0;
  return { ...r, cpuUsPerReq: r.requests > 0 ? Math.round((cpuUs / r.requests) * 100) / 100 : NaN };
}

/** The peer's CPU per request over the subject's (how many times less CPU the subject needs), 2 decimals. */
export function cpuRatio(peer: MeasuredRun, subject: MeasuredRun): number {
  return Math.round((peer.cpuUsPerReq / subject.cpuUsPerReq) * 100) / 100;
}

/** Kills the child and waits for its exit. */
export function stopChild(c: Child): Promise<void> {
  return new Promise((resolve) => {
    c.proc.once('exit', () => {
      resolve();
    });
    c.proc.kill();
  });
}

/** What one wrk run measured. */
export interface WrkResult {
  readonly rps: number;
  /** Requests wrk completed in the run. */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly transferBytesPerSec: number;
  /** wrk's socket-error and non-2xx/3xx lines, or `''`. */
  readonly errors: string;
}

/** Options of {@link runWrk}. */
export interface WrkOptions {
  readonly port: number;
  readonly seconds: number;
  readonly connections: number;
  readonly path?: string;
  /** Runs wrk on this CPU only (through taskset), for benches that pin the server to another one. */
  readonly cpu?: number;
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

function toBytes(v: string, unit: string): number {
  const m = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[unit] ?? 1;
  return Number(v) * m;
}

/** Parses wrk's output (with `--latency` and the p95 line of {@link P95_SCRIPT}). */
export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const requests = /(\d+) requests in /.exec(out);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const p95 = /^p95_us\s+([\d.]+)/m.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const tr = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const err = /(Socket errors:[^\n]*|Non-2xx or 3xx responses:[^\n]*)/g.exec(out);
  return {
    rps: rps === null ? 0 : Number(rps[1]),
    requests: requests === null ? 0 : Number(requests[1]),
    p50Ms: p50 === null ? NaN : toMs(p50[1]!, p50[2]!),
    p95Ms: p95 === null ? NaN : Number(p95[1]) / 1000,
    p99Ms: p99 === null ? NaN : toMs(p99[1]!, p99[2]!),
    transferBytesPerSec: tr === null ? 0 : toBytes(tr[1]!, tr[2]!),
    errors: err === null ? '' : err[0],
  };
}

/** A wrk script that prints the 95th latency percentile (wrk's `--latency` table has 50/75/90/99 only). */
const P95_SCRIPT =
  'done = function(summary, latency, requests)\n  io.write(string.format("p95_us %d\\n", latency:percentile(95)))\nend\n';
let scriptPath: string | undefined;

function p95Script(): string {
  if (scriptPath === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-wrk-'));
    scriptPath = join(dir, 'p95.lua');
    writeFileSync(scriptPath, P95_SCRIPT);
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return scriptPath;
}

/** Runs `wrk -t1` against 127.0.0.1 (it stops by itself after `seconds`). */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = [
      '-t1',
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      '--latency',
      '-s',
      p95Script(),
      `http://127.0.0.1:${o.port}${o.path ?? '/'}`,
    ];
    const p =
      o.cpu === undefined ? spawn('wrk', args) : spawn('taskset', ['-c', String(o.cpu), 'wrk', ...args]);
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', () => {
      resolve(parseWrk(out));
    });
  });
}
