/**
 * WebSocket echo (area `websocket`): messages of 64 bytes and 16 KiB echoed over 1 connection and over 100
 * connections, hayate's server (native transport, HTTP/1.1 Upgrade) vs the `ws` server, both in a child
 * process (this file, forked with `--websocket-server <kind>`), driven by the same client: `ws` in this
 * process. Each connection keeps `WINDOW` messages in flight and sends one more per echo received; `hz` is
 * echoed messages per second over the measured interval (after a warm-up). Issue 15 goal: at least 2x `ws`.
 * The client shares the machine's cores with the server, and `ws` is the client for both, so its own cost
 * is in both figures (the ratio understates the servers' difference).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import { startChild, stopChild } from './lib/wrk.js';

export const area = 'websocket';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

interface WsClient {
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
/** Messages in flight per connection. */
const WINDOW = 16;

/** The server child: echo on `/`. */
async function serve(kind: string): Promise<void> {
  const send = (port: number): void => {
    process.send?.({ port });
  };
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

/** Opens `n` `ws` clients, keeps WINDOW messages in flight on each, counts echoes between the marks. */
async function drive(
  port: number,
  n: number,
  bytes: number,
  warmMs: number,
  timeMs: number,
): Promise<number> {
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
    c.on('message', () => {
      count++;
      if (isRunning) c.send(payload, { binary: true });
    });
    for (let i = 0; i < WINDOW; i++) c.send(payload, { binary: true });
  }
  await new Promise((r) => setTimeout(r, warmMs));
  const start = count;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, timeMs));
  const echoed = count - start;
  const seconds = (performance.now() - t0) / 1000;
  isRunning = false;
  for (const c of clients) c.terminate();
  return echoed / seconds;
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const timeMs = Math.max(1000, options.timeMs * 2);
  for (const s of SIZES) {
    for (const n of CONNECTIONS) {
      for (const subject of SUBJECTS) {
        const child = await startChild(self, ['--websocket-server', subject.id]);
        try {
          const hz = await drive(child.port, n, s.bytes, 300, timeMs);
          out.push({
            bench: `websocket/echo-${s.name}-c${n}`,
            subject: subject.label,
            peer: subject.peer,
            hz,
            connections: n,
            window: WINDOW,
            messageBytes: s.bytes,
          });
        } finally {
          await stopChild(child);
        }
      }
    }
  }
  return out;
}

if (process.argv[2] === '--websocket-server' && process.argv[1] === self) {
  await serve(process.argv[3] ?? 'hayate');
}
