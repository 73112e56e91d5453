/**
 * The example REST service (examples/rest-api) under 100 concurrent keep-alive connections (area
 * `example`): wrk -t1 -c100 on loopback against the app in a child process, requests/s with p50, p95 and
 * p99 latency. wrk shares the machine's cores with the server. Issue goal: p95 under 10 ms on a 2-core
 * machine. Cases: `example/get-user` (one user as JSON, a `:id` route), `example/list-users` (a page of 20
 * users), `example/static` (a small CSS file through `sendFile`). No peer runs here: the figures are
 * absolute. wrk runs 5 s per case (or `--time=<ms>`).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import { runWrk, startChild, stopChild } from './lib/wrk.js';

export const area = 'example';

const here = dirname(fileURLToPath(import.meta.url));
const childScript = join(here, '..', '..', 'bench', 'fixtures', 'example-child.mjs');

const CASES = [
  { name: 'get-user', path: '/api/users/7' },
  { name: 'list-users', path: '/api/users?limit=20' },
  { name: 'static', path: '/style.css' },
] as const;

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const timeGiven = process.argv.some((a) => a.startsWith('--time='));
  const seconds = timeGiven ? Math.max(1, Math.round(options.timeMs / 1000)) : 5;
  const out: BenchRecord[] = [];
  for (const transport of ['native', 'net'] as const) {
    const c = await startChild(childScript, [transport]);
    try {
      for (const k of CASES) {
        await runWrk({ port: c.port, seconds: 1, connections: 100, path: k.path }); // warm-up (JIT)
        const r = await runWrk({ port: c.port, seconds, connections: 100, path: k.path });
        out.push({
          bench: `example/${k.name}`,
          subject: `example app on hayate (${transport === 'native' ? 'native' : 'node:net'})`,
          peer: false,
          hz: r.rps,
          p50Ms: r.p50Ms,
          p95Ms: r.p95Ms,
          p99Ms: r.p99Ms,
          connections: 100,
          ...(r.errors === '' ? {} : { errors: r.errors }),
        });
      }
    } finally {
      await stopChild(c);
    }
  }
  return out;
}
