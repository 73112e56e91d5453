/**
 * Framework benchmarks (area `frameworks`): the same application code served by hayate and by the
 * framework's usual Node server, each in a child process (bench/fixtures/framework-child.mjs), driven by
 * wrk -t1 -c50 on loopback.
 * - `frameworks/hono-hello`: Hono `c.text()` of 14 bytes; hayate (native transport, fetch handler) vs
 *   `@hono/node-server` (peer).
 * - `frameworks/hono-json`: Hono `c.json()` of a small object, same subjects.
 * - `frameworks/express-*`, `frameworks/fastify-*`, `frameworks/koa-*`: the same two routes in Express 5,
 *   Fastify 5 and Koa 3, on hayate/compat (native transport) vs node:http (peer).
 * Subjects alternate within a case (two rounds each, best round kept) so a burst of load from elsewhere
 * on the machine hits one round of one subject. Each record also has the server's CPU per request
 * (`cpuUsPerReq`) and hayate's `cpuRatio` (the peer's CPU per request over hayate's): the framework's own
 * code runs the same on both servers, which bounds the requests/s ratio (Amdahl), and wrk shares the cores.
 * wrk runs 5 s per round (half of `--time=<ms>` when given).
 * A case is `{ framework, route }` and a subject a child `stack`: adding express or fastify on hayate's
 * compatibility layer against node:http is one more entry in each table here and in the child.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import { cpuRatio, runWrk, runWrkMeasured, startChild, stopChild, type MeasuredRun } from './lib/wrk.js';

export const area = 'frameworks';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/bench/; the child script stays in the source tree.
const childScript = join(here, '..', '..', 'bench', 'fixtures', 'framework-child.mjs');

interface Stack {
  readonly stack: string;
  readonly subject: string;
  readonly peer: boolean;
}

interface Case {
  readonly name: string;
  readonly framework: string;
  readonly path: string;
  readonly stacks: readonly Stack[];
}

const HONO_STACKS: readonly Stack[] = [
  { stack: 'hayate-native', subject: 'hono on hayate (native)', peer: false },
  { stack: 'hono-node-server', subject: 'hono on @hono/node-server', peer: true },
];

const compatStacks = (framework: string): readonly Stack[] => [
  { stack: 'hayate-native', subject: `${framework} on hayate/compat (native)`, peer: false },
  { stack: 'node-http', subject: `${framework} on node:http`, peer: true },
];

const CASES: readonly Case[] = [
  { name: 'hono-hello', framework: 'hono', path: '/', stacks: HONO_STACKS },
  { name: 'hono-json', framework: 'hono', path: '/json', stacks: HONO_STACKS },
  { name: 'express-hello', framework: 'express', path: '/', stacks: compatStacks('express') },
  { name: 'express-json', framework: 'express', path: '/json', stacks: compatStacks('express') },
  { name: 'fastify-hello', framework: 'fastify', path: '/', stacks: compatStacks('fastify') },
  { name: 'fastify-json', framework: 'fastify', path: '/json', stacks: compatStacks('fastify') },
  { name: 'koa-hello', framework: 'koa', path: '/', stacks: compatStacks('koa') },
  { name: 'koa-json', framework: 'koa', path: '/json', stacks: compatStacks('koa') },
];

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const timeGiven = process.argv.some((a) => a.startsWith('--time='));
  const seconds = timeGiven ? Math.max(1, Math.round(options.timeMs / 1000)) : 10;
  const roundSeconds = Math.max(1, Math.round(seconds / 2));
  const out: BenchRecord[] = [];
  for (const c of CASES) {
    const best = new Map<string, MeasuredRun>();
    for (let round = 0; round < 2; round++) {
      for (const s of c.stacks) {
        const child = await startChild(childScript, [c.framework, s.stack]);
        await runWrk({ port: child.port, seconds: 1, connections: 50, path: c.path }); // warm-up (JIT)
        const r = await runWrkMeasured(child, {
          port: child.port,
          seconds: roundSeconds,
          connections: 50,
          path: c.path,
        });
        await stopChild(child);
        const b = best.get(s.stack);
        if (b === undefined || r.rps > b.rps) best.set(s.stack, r);
      }
    }
    const peer = c.stacks.find((s) => s.peer);
    const peerRun = peer === undefined ? undefined : best.get(peer.stack);
    for (const s of c.stacks) {
      const r = best.get(s.stack)!;
      out.push({
        bench: `frameworks/${c.name}`,
        subject: s.subject,
        peer: s.peer,
        hz: r.rps,
        p99Ms: r.p99Ms,
        cpuUsPerReq: r.cpuUsPerReq,
        ...(s.peer || peerRun === undefined ? {} : { cpuRatio: cpuRatio(peerRun, r) }),
        seconds: roundSeconds,
        rounds: 2,
        ...(r.errors === '' ? {} : { errors: r.errors }),
      });
    }
  }
  return out;
}
