/**
 * HTTP/3 backpressure at the size users meet it: a 1 GiB response (a `write()` stream that starts before any
 * await, and a `sendFile`) to a client that reads slowly, over the in-memory QUIC provider (deterministic, and
 * fast enough for 1 GiB; the UDP path is covered at 16 MiB in http3-udp.test.ts because the quiche adapter
 * moves 1–2 MB/s on loopback). The server never holds more than a few high-water marks, the process's RSS
 * grows by less than 64 MiB, and a client that resets the stream midway is noticed at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Http3Event } from '../../src/http3/connection.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { serveConnection } from '../../src/server/http3.js';
import type { Handler } from '../../src/server/types.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const HWM = 256 * KIB;
const WINDOW = 1 * MIB;
const CHUNK = 64 * KIB;

const dir = mkdtempSync(join(tmpdir(), 'hayate-h3-gib-'));
const bigFile = join(dir, 'big.bin');
writeFileSync(bigFile, '');
truncateSync(bigFile, GIB); // sparse: reads are zeros, fast, no disk
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function get(client: Http3Session, path: string): number {
  let id = -1;
  client.guard(() => {
    id = client.h3.request(
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'h.test'],
        [':path', path],
      ],
      true,
    );
  });
  return id;
}

interface Run {
  readonly pair: MemoryQuicPair;
  readonly client: Http3Session;
  readonly id: number;
  readonly state: { status: number; received: number; isEnded: boolean; unconsumed: number };
}

function start(handler: Handler, path: string): Run {
  const pair = new MemoryQuicPair({ streamWindowBytes: WINDOW });
  serveConnection(pair.server, { highWaterMarkBytes: HWM }, handler, () => undefined);
  const state = { status: 0, received: 0, isEnded: false, unconsumed: 0 };
  const client = new Http3Session(pair.client, { isBodyCreditManual: true }, (e: Http3Event) => {
    if (e.type === 'response') state.status = e.status;
    else if (e.type === 'data') {
      state.received += e.data.length;
      state.unconsumed += e.data.length;
    } else if (e.type === 'end') state.isEnded = true;
  });
  return { pair, client, id: get(client, path), state };
}

/**
 * The slow reader: each turn it reads at most `perTurn` bytes (returns them as stream credit) and yields, so
 * the server always has a stalled stream to write into. Stops at `until` bytes or at the end.
 */
async function readSlowly(run: Run, until: number, perTurn: number, onTurn: () => void): Promise<void> {
  const { pair, client, id, state } = run;
  let lastProgress = Date.now();
  let idleTurns = 0;
  while (!state.isEnded && state.received < until) {
    const before = state.received;
    const n = Math.min(state.unconsumed, perTurn);
    if (n > 0) client.consumeBody(id, n);
    state.unconsumed -= n;
    pair.run();
    onTurn();
    if (state.received !== before) {
      lastProgress = Date.now();
      idleTurns = 0;
      await turn();
    } else {
      // Nothing moved: the server waits on a file read in the thread pool. Let the loop poll for it.
      assert.ok(Date.now() - lastProgress < 10_000, `transfer stalled at ${state.received} bytes`);
      if (++idleTurns < 100) await turn();
      else await new Promise((r) => setTimeout(r, 1));
    }
  }
}

for (const mode of ['write', 'sendFile'] as const) {
  test(`h3: a 1 GiB ${mode === 'write' ? 'write() stream' : 'sendFile'} to a slow reader keeps RSS growth under 64 MiB`, async () => {
    const chunk = new Uint8Array(CHUNK).fill(0x61);
    let isDone = false;
    const handler: Handler = async (_req, res) => {
      if (mode === 'sendFile') {
        await res.sendFile(bigFile);
      } else {
        res.setHeader('content-length', String(GIB));
        // Writes start before any await: write() itself must report the pressure.
        for (let off = 0; off < GIB; off += CHUNK) if (!res.write(chunk)) await res.drained();
        res.end();
      }
      isDone = true;
    };
    const baseRss = process.memoryUsage.rss();
    const run = start(handler, '/big');
    let peakRss = 0;
    let maxRetained = 0;
    let turns = 0;
    await readSlowly(run, Infinity, 4 * MIB, () => {
      maxRetained = Math.max(maxRetained, run.pair.server.retainedBytes);
      if ((++turns & 63) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    });
    assert.equal(run.state.status, 200);
    assert.equal(run.state.isEnded, true);
    assert.equal(run.state.received, GIB, 'the whole body arrived');
    assert.equal(isDone, true);
    assert.ok(maxRetained <= 4 * HWM + WINDOW, `server retained ${maxRetained} bytes`);
    const growth = peakRss - baseRss;
    assert.ok(growth < 64 * MIB, `RSS grew by ${(growth / MIB).toFixed(1)} MiB`);
  });

  test(`h3: a client that resets a 1 GiB ${mode} midway is noticed at once`, async () => {
    let abortedAtTurn = -1;
    let writeAfterAbort: boolean | undefined;
    let isHandlerDone = false;
    let turns = 0;
    const chunk = new Uint8Array(CHUNK);
    const handler: Handler = async (req, res) => {
      req.signal.addEventListener('abort', () => {
        abortedAtTurn = turns;
        writeAfterAbort = res.write(new Uint8Array(0));
      });
      try {
        if (mode === 'sendFile') await res.sendFile(bigFile);
        else {
          res.setHeader('content-length', String(GIB));
          for (let off = 0; off < GIB && !req.aborted; off += CHUNK)
            if (!res.write(chunk)) await res.drained();
        }
      } catch {
        // sendFile rejects once the stream is gone; the abort signal is what this test checks.
      }
      isHandlerDone = true;
    };
    const run = start(handler, '/big');
    await readSlowly(run, 32 * MIB, 4 * MIB, () => turns++);
    assert.ok(run.state.received >= 32 * MIB);
    const resetAt = turns;
    run.client.guard(() => {
      run.client.h3.resetStream(run.id);
    });
    const deadline = Date.now() + 5_000;
    // (A function, so the loop reads the flag the handler sets.)
    const handlerDone = (): boolean => isHandlerDone;
    while (!handlerDone() && Date.now() < deadline) {
      run.pair.run();
      turns++;
      await turn();
    }
    assert.ok(abortedAtTurn >= resetAt, 'req.signal aborted after the reset');
    assert.ok(abortedAtTurn - resetAt <= 2, `abort noticed ${abortedAtTurn - resetAt} turns after the reset`);
    assert.equal(writeAfterAbort, false, 'write() returns false once the request is aborted');
    assert.equal(isHandlerDone, true, 'the handler ran to its end');
    assert.ok(run.state.received < GIB);
  });
}
