/**
 * Nothing stays behind after many short-lived clients (HTTP/1.1, native and net transports): 10,000 short
 * connections (sequential batches of concurrent ones) and 1,000 clients aborting mid-body (a POST announcing
 * 1 MB, 100 KB sent, then destroyed). Afterwards the connection count is 0, open descriptors and native
 * arena slots are back at their baseline, and the heap (after a full GC) is within {@link HEAP_BOUND_BYTES}
 * of where it started.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NativeLoop } from '../../src/transport/native.js';
import {
  dial,
  echoHandler,
  H2RawClient,
  Prng,
  socketClosed,
  SplitWriter,
  fdTargets,
  kindAvailable,
  openFds,
  settle,
  sleep,
  startServer,
  stopServer,
  type Started,
} from '../support/traffic.js';

// The runner cannot pass --expose-gc per file; V8 accepts it at run time and a new context exposes gc().
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap growth allowed after everything is closed and collected. */
const HEAP_BOUND_BYTES = 8 * 1024 * 1024;
const SHORT_CONNECTIONS = 10_000;
const SHORT_BATCH = 100;
const ABORTS = 1000;
const ABORT_BATCH = 50;
const ABORT_ANNOUNCED = 1_000_000;
const ABORT_SENT = 100_000;

function fullGc(): void {
  for (let i = 0; i < 3; i++) gc();
}

/** One short connection: a request with `Connection: close`, read to the server's close; resolves with the status line. */
function shortConnection(port: number, i: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.write(`GET /download?n=${i % 64} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('close', () => {
      const text = Buffer.concat(parts).toString('latin1');
      resolve(text.slice(0, text.indexOf('\r\n')));
    });
    s.on('error', reject);
  });
}

/** A client that announces a 1 MB body, sends 100 KB of it and vanishes. */
function abortMidBody(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ port, host: '127.0.0.1' }, () => {
      s.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${ABORT_ANNOUNCED}\r\n\r\n`);
      s.write(Buffer.alloc(ABORT_SENT, 0x61), () => {
        s.destroy();
      });
    });
    s.on('close', () => {
      resolve();
    });
    s.on('error', reject);
  });
}

/** A client that asks for a 4 MB download, reads about 100 KB of it and vanishes (the server is mid-write). */
function abortMidDownload(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ port, host: '127.0.0.1' }, () => {
      s.write('GET /download?n=4000000 HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    let got = 0;
    s.on('data', (b: Buffer) => {
      got += b.length;
      if (got >= ABORT_SENT) s.destroy();
    });
    s.on('close', () => {
      resolve();
    });
    s.on('error', reject);
  });
}

/** The same abort over h2c: HEADERS announcing 1 MB, 100 KB of DATA, then the socket is destroyed. */
async function abortH2cMidBody(port: number): Promise<void> {
  const s = await dial('net', port, 'h2');
  const client = new H2RawClient(s, new SplitWriter(s, new Prng(port), 0));
  const fields: [string, string][] = [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':authority', '127.0.0.1'],
    [':path', '/echo'],
    ['content-length', String(ABORT_ANNOUNCED)],
  ];
  const id = client.conn.request(fields);
  client.conn.sendData(id, Buffer.alloc(ABORT_SENT, 0x61));
  client.flush();
  await client.writer.idle();
  s.destroy();
  await socketClosed(s);
}

interface Baseline {
  readonly fds: number;
  readonly fdMap: Map<string, string>;
  readonly heap: number;
  readonly slots: number;
}

function slotsInUse(st: Started): number {
  return st.kind === 'native' ? (NativeLoop.get()?.native.arenaStats().slotsInUse ?? 0) : 0;
}

async function baseline(st: Started): Promise<Baseline> {
  assert.equal(await settle(st.server, Number.MAX_SAFE_INTEGER), '');
  await sleep(20);
  fullGc();
  return { fds: openFds(), fdMap: fdTargets(), heap: process.memoryUsage().heapUsed, slots: slotsInUse(st) };
}

/** Everything back where it was: returns the problems found ('' lines omitted). */
async function leftovers(st: Started, b: Baseline, diagnostic: (m: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const left = await settle(st.server, b.fds, 3000, b.fdMap);
  if (left !== '') problems.push(`resources not released: ${left}`);
  const slots = slotsInUse(st);
  if (slots !== b.slots) problems.push(`native arena slots in use ${slots} vs baseline ${b.slots}`);
  await sleep(20);
  fullGc();
  const grown = process.memoryUsage().heapUsed - b.heap;
  diagnostic(
    `heap ${grown >= 0 ? '+' : ''}${(grown / 1048576).toFixed(2)} MiB, fds ${openFds()} (baseline ${b.fds})`,
  );
  if (grown > HEAP_BOUND_BYTES) {
    problems.push(
      `heap grew by ${(grown / 1048576).toFixed(1)} MiB (bound ${HEAP_BOUND_BYTES / 1048576} MiB) with ${st.server.connectionCount} connections open`,
    );
  }
  return problems;
}

for (const kind of ['native', 'net'] as const) {
  test(
    `leaks [${kind}]: ${SHORT_CONNECTIONS} short connections leave no connection, fd, arena slot or heap behind`,
    { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
    async (t) => {
      if (!kindAvailable(kind)) {
        t.skip('native addon not built');
        return;
      }
      const st = await startServer(kind, echoHandler());
      try {
        for (let i = 0; i < SHORT_BATCH; i++) await shortConnection(st.port, i);
        const b = await baseline(st);
        const started = Date.now();
        const bad: string[] = [];
        for (let i = 0; i < SHORT_CONNECTIONS; i += SHORT_BATCH) {
          const batch: Promise<string>[] = [];
          for (let j = i; j < i + SHORT_BATCH; j++) batch.push(shortConnection(st.port, j));
          const lines = await Promise.all(batch);
          lines.forEach((l, j) => {
            if (l !== 'HTTP/1.1 200 OK' && bad.length < 5)
              bad.push(`connection ${i + j}: ${JSON.stringify(l)}`);
          });
        }
        t.diagnostic(`${SHORT_CONNECTIONS} connections in ${Date.now() - started} ms`);
        const problems = [
          ...bad,
          ...(await leftovers(st, b, (m) => {
            t.diagnostic(m);
          })),
        ];
        if (problems.length > 0) assert.fail(`[${kind}] ${problems.join('\n  ')}`);
      } finally {
        await stopServer(st);
      }
    },
  );

  for (const [what, abort, done] of [
    ['aborting mid-body', abortMidBody, 'aborts'],
    ['vanishing mid-download', abortMidDownload, 'aborted downloads'],
  ] as const) {
    test(
      `leaks [${kind}]: ${ABORTS} clients ${what} leave no connection, fd, arena slot or heap behind`,
      { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
      async (t) => {
        if (!kindAvailable(kind)) {
          t.skip('native addon not built');
          return;
        }
        const st = await startServer(kind, echoHandler());
        try {
          for (let i = 0; i < ABORT_BATCH; i++) await abort(st.port);
          await shortConnection(st.port, 0);
          const b = await baseline(st);
          const started = Date.now();
          for (let i = 0; i < ABORTS; i += ABORT_BATCH) {
            const batch: Promise<void>[] = [];
            for (let j = 0; j < ABORT_BATCH; j++) batch.push(abort(st.port));
            await Promise.all(batch);
          }
          t.diagnostic(`${ABORTS} ${done} in ${Date.now() - started} ms`);
          // The server still serves afterwards.
          assert.equal(await shortConnection(st.port, 1), 'HTTP/1.1 200 OK');
          const problems = await leftovers(st, b, (m) => {
            t.diagnostic(m);
          });
          const reported = st.errors.length;
          if (reported > 0) problems.push(`onError called ${reported} times, first: ${String(st.errors[0])}`);
          if (problems.length > 0) assert.fail(`[${kind}] ${problems.join('\n  ')}`);
        } finally {
          await stopServer(st);
        }
      },
    );
  }

  test(
    `leaks [${kind} h2c]: ${ABORTS} connections aborting mid-body leave no connection, fd, arena slot or heap behind`,
    { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
    async (t) => {
      if (!kindAvailable(kind)) {
        t.skip('native addon not built');
        return;
      }
      const st = await startServer(kind, echoHandler());
      try {
        for (let i = 0; i < ABORT_BATCH; i++) await abortH2cMidBody(st.port);
        await shortConnection(st.port, 0);
        st.errors.length = 0;
        const b = await baseline(st);
        const started = Date.now();
        for (let i = 0; i < ABORTS; i += ABORT_BATCH) {
          const batch: Promise<void>[] = [];
          for (let j = 0; j < ABORT_BATCH; j++) batch.push(abortH2cMidBody(st.port));
          await Promise.all(batch);
        }
        t.diagnostic(`${ABORTS} h2c aborts in ${Date.now() - started} ms`);
        assert.equal(await shortConnection(st.port, 1), 'HTTP/1.1 200 OK');
        // Counted, then dropped: the errors themselves must not count as server heap.
        const reported = st.errors.length;
        const first = String(st.errors[0]);
        st.errors.length = 0;
        const problems = await leftovers(st, b, (m) => {
          t.diagnostic(m);
        });
        if (reported > 0) problems.push(`onError called ${reported} times for peer aborts, first: ${first}`);
        if (problems.length > 0) assert.fail(`[${kind} h2c] ${problems.join('\n  ')}`);
      } finally {
        await stopServer(st);
      }
    },
  );
}
