/**
 * WebSocket echo (area `websocket`): messages of 64 bytes and 16 KiB echoed over 1 connection and over 100
 * connections, hayate's server (native transport, HTTP/1.1 Upgrade) vs the `ws` server, both in a child
 * process (this file, forked with `--websocket-server <kind>`), driven by the same client: `ws` in this
 * process. Each connection keeps `WINDOW` messages in flight and sends one more per echo received; `hz` is
 * echoed messages per second over the measured interval (after a warm-up). Issue 15 goal: at least 2x `ws`.
 * The client shares the machine's cores with the server, and `ws` is the client for both, so its own cost
 * is in both figures (the ratio understates the servers' difference).
 *
 * The client corks its socket for the rest of the tick when an echo makes it send (one writev for every echo
 * one read delivered), as a batching client would; `ws` itself issues one write(2) per message, and
 * uncorked that syscall made the client, not the server, the bottleneck: profiles showed either server
 * idle most of the time while the client spent about half its time in write(2). Both servers face the
 * same client either way; `clientWrites` in each record says which. Each record also carries
 * `serverCpuUsPerMsg`, the server process's CPU time per echoed message (median of the runs), which a
 * busy machine disturbs less than `hz`. `--websocket-uncorked` in the
 * arguments (or WS_BENCH_UNCORKED=1) brings back one write per message for comparison.
 *
 * `ws` runs at full strength: with `bufferutil` (a devDependency; ws loads it by itself and masks with it in
 * native code), as its README recommends for speed. Each ws record says whether it was found
 * (`peerBufferutil`); without it ws unmasks in JavaScript byte by byte and is about 2.5x slower on 16 KiB.
 *
 * Over one connection with the default window of 16 the 64-byte case is bound by the round trip, not by
 * either server's CPU: hayate's server is busy about half the time (a node:net ping-pong round trip is
 * ~65 µs on the 2-core VM this was measured on, and 16 messages per round trip cap the rate near 250k/s).
 * `--websocket-window=N` (or WS_BENCH_WINDOW=N) sets the messages in flight per connection to see the
 * servers' own rates.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import type { ChildProcess } from 'node:child_process';
import { startChild, stopChild } from './lib/wrk.js';
import { openWsLoad } from './lib/ws-load.js';

export const area = 'websocket';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

interface WsClient {
  /** The underlying net.Socket (ws's internal field; corked per tick below). */
  readonly _socket: { cork(): void; uncork(): void };
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  send(data: Uint8Array, options: { binary: boolean }): void;
  terminate(): void;
}
type WsClientClass = new (url: string, options: object) => WsClient;

const SUBJECTS = [
  { id: 'hayate', label: 'hayate (native, h1)', peer: false },
  { id: 'ws', label: 'ws', peer: true },
] as const;
const SIZES = [
  { name: '64B', bytes: 64 },
  { name: '16KiB', bytes: 16 * 1024 },
] as const;
const CONNECTIONS = [1, 100] as const;
/** Messages in flight per connection (default 16). */
const WINDOW = intArg('--websocket-window', 'WS_BENCH_WINDOW', 16, 1, 4096);
const isUncorked = process.argv.includes('--websocket-uncorked') || process.env['WS_BENCH_UNCORKED'] === '1';
/** The load client: the minimal one (default) or `ws` (`--websocket-client=ws` or WS_BENCH_CLIENT=ws). */
const client: 'raw' | 'ws' =
  process.argv.includes('--websocket-client=ws') || process.env['WS_BENCH_CLIENT'] === 'ws' ? 'ws' : 'raw';

/**
 * Megabytes of live objects each server child holds before it starts (`--websocket-heap=N` or
 * WS_BENCH_HEAP_MB=N; default 0), so both run with the old generation of an application rather than of
 * a bare echo script. It matters at 16 KiB: V8 collects young ArrayBuffers every 32 MB of them, and once the
 * old generation is past 8 MB each of those collections is followed by an incremental Mark-Compact. The
 * `ws` child alone stays under 8 MB; hayate's (a whole HTTP/1/2/3 stack loaded) does not.
 */
const HEAP_MB = intArg('--websocket-heap', 'WS_BENCH_HEAP_MB', 0, 0, 1024);

/** Live objects standing in for an application's own data (see {@link HEAP_MB}). */
const ballast: object[] = [];

/**
 * An integer option in `min..max`: `--<flag>=N` in the arguments, else the environment variable `env`
 * (which the server children inherit), else `fallback`.
 */
function intArg(flag: string, env: string, fallback: number, min: number, max: number): number {
  const arg = process.argv.find((a) => a.startsWith(`${flag}=`))?.split('=')[1];
  const n = Number(arg ?? process.env[env] ?? fallback);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`${flag} ${String(arg ?? process.env[env])}: ${min}..${max}`);
  return n;
}

/** Whether `ws` finds `bufferutil` (it resolves it from its own folder). */
function wsHasBufferutil(): boolean {
  try {
    createRequire(require.resolve('ws')).resolve('bufferutil');
    return true;
  } catch {
    return false;
  }
}

/** The server child: echo on `/`. */
async function serve(kind: string): Promise<void> {
  // Objects of about 64 bytes each: HEAP_MB (from the parent, through the environment) megabytes of them.
  for (let i = 0; i < (HEAP_MB * 1024 * 1024) / 64; i++) ballast.push({ i, next: null, value: null });
  const send = (port: number): void => {
    process.send?.({ port });
  };
  // The parent asks for this process's CPU time around the measured interval.
  process.on('message', (m: unknown) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ cpuUs: u.user + u.system });
    }
  });
  if (kind === 'hayate') {
    const { createServer } = await import('../src/server/index.js');
    const server = createServer(
      (_req, res) => {
        res.end('echo\n');
      },
      { transport: 'auto' },
    );
    server.onWebSocket(
      '/',
      (ws) => {
        ws.on('message', (m: { data: Uint8Array; isBinary: boolean }) => {
          ws.send(m.data, { binary: m.isBinary });
        });
      },
      { keepAliveIntervalMs: 0 },
    );
    send((await server.listen(0)).port);
    return;
  }
  const { WebSocketServer } = require('ws') as {
    WebSocketServer: new (o: object) => {
      on(e: string, f: (...a: never[]) => void): void;
      address(): { port: number };
    };
  };
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('connection', (c: WsClient) => {
    c.on('message', (d: Uint8Array, isBinary: boolean) => {
      c.send(d, { binary: isBinary });
    });
  });
  wss.on('listening', () => {
    send(wss.address().port);
  });
}

/** The child's CPU time so far (user + system, µs). */
function childCpuUs(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpuUs?: number }): void => {
      if (typeof m.cpuUs !== 'number') return;
      proc.off('message', onMessage);
      resolve(m.cpuUs);
    };
    proc.on('message', onMessage);
    proc.send('cpu');
  });
}

async function drive(
  proc: ChildProcess,
  port: number,
  n: number,
  bytes: number,
  warmMs: number,
  timeMs: number,
): Promise<{ hz: number; cpuUsPerMsg: number }> {
  const load = client === 'raw' ? await rawLoad(port, n, bytes) : await wsLoad(port, n, bytes);
  await new Promise((r) => setTimeout(r, warmMs));
  const cpu0 = await childCpuUs(proc);
  const start = load.count();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, timeMs));
  const echoed = load.count() - start;
  const cpu1 = await childCpuUs(proc);
  const seconds = (performance.now() - t0) / 1000;
  load.stop();
  return { hz: echoed / seconds, cpuUsPerMsg: (cpu1 - cpu0) / Math.max(1, echoed) };
}

/** A running load: echoes counted so far; stop ends it and closes its connections. */
interface Load {
  count(): number;
  stop(): void;
}

/** `n` connections of the minimal load client (bench/lib/ws-load.ts). */
async function rawLoad(port: number, n: number, bytes: number): Promise<Load> {
  const conns = await Promise.all(
    Array.from({ length: n }, () => openWsLoad('127.0.0.1', port, bytes, WINDOW)),
  );
  return {
    count: () => {
      let c = 0;
      for (const x of conns) c += x.received;
      return c;
    },
    stop: () => {
      for (const x of conns) x.destroy();
    },
  };
}

/** `n` `ws` clients, corked per tick unless `--websocket-uncorked`. */
async function wsLoad(port: number, n: number, bytes: number): Promise<Load> {
  const WebSocket = require('ws') as WsClientClass;
  const payload = new Uint8Array(bytes).fill(0x61);
  const clients = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<WsClient>((resolve, reject) => {
          const c = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
          c.once('open', () => {
            resolve(c);
          });
          c.once('error', reject);
        }),
    ),
  );
  let count = 0;
  let isRunning = true;
  for (const c of clients) {
    const socket = c._socket;
    let isCorked = false;
    const uncork = (): void => {
      isCorked = false;
      socket.uncork();
    };
    c.on('message', () => {
      count++;
      if (!isRunning) return;
      if (!isUncorked && !isCorked) {
        isCorked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      c.send(payload, { binary: true });
    });
    // The first window goes out as one batch too; uncorked, its WINDOW separate segments can settle into
    // WINDOW independent one-message ping-pongs for the rest of the run when the server answers each at
    // once (seen at low load: the client then pays a read and a write per message).
    if (!isUncorked) socket.cork();
    for (let i = 0; i < WINDOW; i++) c.send(payload, { binary: true });
    if (!isUncorked) socket.uncork();
  }
  return {
    count: () => count,
    stop: () => {
      isRunning = false;
      for (const c of clients) c.terminate();
    },
  };
}

/** Runs per case and subject; the record carries the median (the machine is shared: single runs swing). */
const ROUNDS = 3;

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const timeMs = Math.max(1000, options.timeMs * 2);
  for (const s of SIZES) {
    for (const n of CONNECTIONS) {
      const runs = new Map<string, number[]>(SUBJECTS.map((x) => [x.id, []]));
      const cpus = new Map<string, number[]>(SUBJECTS.map((x) => [x.id, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order so a load spike on the machine does not always hit the same subject.
        const order = round % 2 === 0 ? SUBJECTS : [...SUBJECTS].reverse();
        for (const subject of order) {
          const child = await startChild(self, ['--websocket-server', subject.id], {
            WS_BENCH_HEAP_MB: String(HEAP_MB),
          });
          try {
            const r = await drive(child.proc, child.port, n, s.bytes, 300, timeMs);
            runs.get(subject.id)!.push(r.hz);
            cpus.get(subject.id)!.push(r.cpuUsPerMsg);
          } finally {
            await stopChild(child);
          }
        }
      }
      for (const subject of SUBJECTS) {
        const hzs = runs.get(subject.id)!;
        out.push({
          bench: `websocket/echo-${s.name}-c${n}`,
          subject: subject.label,
          peer: subject.peer,
          hz: median(hzs),
          runs: hzs.map((h) => Math.round(h)),
          // Server CPU (user + system) per echoed message: less sensitive to a shared machine than hz.
          serverCpuUsPerMsg: Math.round(median(cpus.get(subject.id)!) * 100) / 100,
          connections: n,
          window: WINDOW,
          heapMb: HEAP_MB,
          messageBytes: s.bytes,
          client: client === 'raw' ? 'minimal (bench/lib/ws-load.ts)' : 'ws',
          clientWrites: client === 'raw' || !isUncorked ? 'batched-per-read' : 'per-message',
          ...(subject.peer ? { peerBufferutil: wsHasBufferutil() } : {}),
        });
      }
    }
  }
  return out;
}

function median(xs: readonly number[]): number {
  const v = [...xs].sort((x, y) => x - y);
  return v[v.length >> 1]!;
}

if (process.argv[2] === '--websocket-server' && process.argv[1] === self) {
  await serve(process.argv[3] ?? 'hayate');
}
