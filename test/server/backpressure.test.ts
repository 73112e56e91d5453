/**
 * Backpressure as users meet it: a 1 GiB response (a stream of `res.write()` calls that starts before any
 * await, and a `sendFile`) to a client that reads slowly keeps the server's RSS growth under 64 MiB, and a
 * client that disconnects midway is noticed at once (`req.signal` fires, `write()` returns false). The
 * server runs in a child process (test/support/backpressure-server.ts) so its RSS is its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { transportAvailable } from './helpers.js';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL('../support/backpressure-server.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Child {
  readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  readonly port: number;
  readonly baseRss: number;
  peakRss: number;
  abortedAt: number;
  writeAfterAbort: boolean | undefined;
  done: boolean;
}

async function startChild(transport: string, mode: string, total: number, file: string): Promise<Child> {
  const proc = spawn(process.execPath, [CHILD, transport, mode, String(total), file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  return new Promise((resolve, reject) => {
    let child: Child | undefined;
    proc.once('exit', (code) => {
      if (child === undefined) reject(new Error(`child exited ${String(code)}`));
    });
    lines.on('line', (line) => {
      const m = JSON.parse(line) as Record<string, number | boolean | string>;
      if (child === undefined && typeof m['port'] === 'number') {
        const made: Child = {
          proc,
          port: m['port'],
          baseRss: m['rss'] as number,
          peakRss: 0,
          abortedAt: 0,
          writeAfterAbort: undefined,
          done: false,
        };
        child = made;
        resolve(made);
        return;
      }
      if (child === undefined) return;
      if (typeof m['rss'] === 'number') child.peakRss = Math.max(child.peakRss, m['rss']);
      if (typeof m['aborted'] === 'number') {
        child.abortedAt = m['aborted'];
        child.writeAfterAbort = m['writeReturns'] as boolean;
      }
      if (m['done'] !== undefined) child.done = true;
    });
  });
}

async function stopChild(child: Child): Promise<void> {
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.stdin.end();
  const t = setTimeout(() => child.proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

/** A body reader that reads slowly for `slowMs` (a few KiB at a time), then at full speed. */
interface SlowReader {
  /** Resolves with the body bytes received once `total` arrived (or the stream ended). */
  readonly finished: Promise<number>;
  /** Bytes received so far. */
  received(): number;
  destroy(): void;
}

function h1Reader(port: number, slowMs: number): SlowReader {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  socket.write('GET /big HTTP/1.1\r\nhost: x\r\n\r\n');
  let headDone = false;
  let head = '';
  let body = 0;
  let total = -1;
  const started = Date.now();
  const finished = new Promise<number>((resolve, reject) => {
    socket.on('data', (b: Buffer) => {
      let chunk = b;
      if (!headDone) {
        head += b.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        headDone = true;
        const m = /content-length: (\d+)/i.exec(head.slice(0, end));
        total = m === null ? -1 : Number(m[1]);
        chunk = b.subarray(b.length - (head.length - end - 4));
      }
      body += chunk.length;
      if (body === total) {
        socket.destroy();
        resolve(body);
      } else if (Date.now() - started < slowMs) {
        // Slow: take one read, then stop reading for a while.
        socket.pause();
        setTimeout(() => socket.resume(), 20);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(body);
    });
  });
  return { finished, received: () => body, destroy: () => socket.destroy() };
}

function h2Reader(port: number, slowMs: number): SlowReader {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const stream = session.request({ ':path': '/big' });
  let body = 0;
  const started = Date.now();
  const finished = new Promise<number>((resolve) => {
    stream.on('data', (b: Buffer) => {
      body += b.length;
      if (Date.now() - started < slowMs) {
        stream.pause();
        setTimeout(() => stream.resume(), 20);
      }
    });
    stream.on('end', () => {
      session.close();
      resolve(body);
    });
    stream.on('error', () => {
      resolve(body);
    });
    stream.on('close', () => {
      resolve(body);
    });
  });
  return {
    finished,
    received: () => body,
    destroy: () => {
      session.destroy();
    },
  };
}

const CASES: ReadonlyArray<{ proto: 'h1' | 'h2'; transport: 'native' | 'net' }> = [
  { proto: 'h1', transport: 'native' },
  { proto: 'h1', transport: 'net' },
  { proto: 'h2', transport: 'native' },
];

const dir = mkdtempSync(join(tmpdir(), 'hayate-bp-'));
const bigFile = join(dir, 'big.bin');
writeFileSync(bigFile, '');
truncateSync(bigFile, GiB); // sparse: reads are zeros, fast, no disk
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

for (const { proto, transport } of CASES) {
  for (const mode of ['write', 'file'] as const) {
    test(
      `${proto} on ${transport}: a 1 GiB ${mode === 'write' ? 'write() stream' : 'sendFile'} to a slow reader keeps RSS growth under 64 MiB`,
      { skip: !transportAvailable(transport) && 'native addon not built', timeout: 120_000 },
      async () => {
        const child = await startChild(transport, mode, GiB, bigFile);
        try {
          const reader = proto === 'h1' ? h1Reader(child.port, 1500) : h2Reader(child.port, 1500);
          const got = await reader.finished;
          assert.equal(got, GiB, 'the whole body arrived');
          await sleep(60);
          const growth = child.peakRss - child.baseRss;
          assert.ok(growth < 64 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
        } finally {
          await stopChild(child);
        }
      },
    );
    test(
      `${proto} on ${transport}: a client leaving a ${mode} response midway is noticed at once`,
      { skip: !transportAvailable(transport) && 'native addon not built', timeout: 60_000 },
      async () => {
        const child = await startChild(transport, mode, GiB, bigFile);
        try {
          const reader = proto === 'h1' ? h1Reader(child.port, 0) : h2Reader(child.port, 0);
          while (reader.received() < 32 * MiB) await sleep(5);
          const leftAt = Date.now();
          reader.destroy();
          for (let i = 0; i < 200 && child.abortedAt === 0; i++) await sleep(10);
          assert.ok(child.abortedAt > 0, 'req.signal fired');
          assert.ok(child.abortedAt - leftAt < 1000, `noticed after ${child.abortedAt - leftAt} ms`);
          assert.equal(child.writeAfterAbort, false, 'write() returns false once the client is gone');
        } finally {
          await stopChild(child);
        }
      },
    );
  }
}
