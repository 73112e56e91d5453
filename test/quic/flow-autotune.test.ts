/**
 * Receive-window auto-tuning (RecvCredit, issue 14) over the simulated link: windows grow while the
 * application keeps up with a fast sender, never while it does not read, and never past the named maximums.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUIC_LIMITS } from '../../src/quic/limits.js';
import type { QuicLimits } from '../../src/quic/limits.js';
import { makePair, pattern } from './sim/harness.js';
import type { Pair } from './sim/harness.js';

const KiB = 1024;
const MiB = 1024 * 1024;
/** 100 Mbit/s, 40 ms RTT: a bandwidth-delay product of 500 KB, twice the default 256 KiB stream window. */
const PATH = { delayMs: 20, bandwidthBytesPerMs: 12500 };

interface Upload {
  readonly pair: Pair;
  readonly id: number;
  /** Largest receive windows the server had in force during the transfer. */
  maxStreamWindow: number;
  maxConnWindow: number;
  /** Virtual ms from the first byte written to the last byte received. */
  elapsedMs: number;
}

/** Uploads `size` bytes on one client stream and runs the link until the server read all of it. */
function upload(size: number, serverLimits: Partial<QuicLimits> = {}): Upload {
  const pair = makePair({ clientToServer: PATH, serverToClient: PATH, serverLimits });
  assert.ok(pair.runUntil(() => pair.client.isHandshakeComplete && pair.server.conn !== null));
  const conn = pair.client.conn!;
  const id = conn.openStream(true)!;
  const data = pattern(id, size);
  conn.writeStream(id, [data], true);
  const started = pair.link.nowMs;
  const up: Upload = { pair, id, maxStreamWindow: 0, maxConnWindow: 0, elapsedMs: 0 };
  const ok = pair.runUntil(() => {
    const s = pair.server.conn;
    if (s !== null) {
      up.maxStreamWindow = Math.max(up.maxStreamWindow, s.receiveWindow(id) ?? 0);
      up.maxConnWindow = Math.max(up.maxConnWindow, s.receiveWindow()!);
    }
    return pair.server.streams.get(id)?.finCount === 1;
  }, started + 120000);
  assert.ok(ok, `upload of ${size} bytes did not finish`);
  up.elapsedMs = pair.link.nowMs - started;
  assert.deepEqual(pair.server.bytes(id), data);
  return up;
}

test('a fast reader makes the stream and connection windows grow, and the upload is faster for it', () => {
  const tuned = upload(8 * MiB);
  const fixed = upload(8 * MiB, {
    maxStreamWindowBytes: DEFAULT_QUIC_LIMITS.streamWindowBytes,
    maxConnectionWindowBytes: DEFAULT_QUIC_LIMITS.connectionWindowBytes,
  });
  assert.equal(fixed.maxStreamWindow, 256 * KiB);
  assert.ok(tuned.maxStreamWindow >= 1 * MiB, `stream window ${tuned.maxStreamWindow}`);
  assert.ok(tuned.maxStreamWindow <= DEFAULT_QUIC_LIMITS.maxStreamWindowBytes);
  assert.ok(tuned.maxConnWindow >= 1.5 * tuned.maxStreamWindow || tuned.maxConnWindow >= 4 * MiB);
  // Virtual time, deterministic: the 256 KiB window caps the upload at 6.5 MB/s on this path.
  const mbps = (u: Upload): string => ((8 * MiB) / u.elapsedMs / 1000).toFixed(2);
  console.log(
    `8 MiB upload, 100 Mbit/s 40 ms path: tuned ${tuned.elapsedMs.toFixed(0)} ms (${mbps(tuned)} MB/s, ` +
      `window ${tuned.maxStreamWindow / KiB} KiB), fixed ${fixed.elapsedMs.toFixed(0)} ms (${mbps(fixed)} MB/s)`,
  );
  assert.ok(tuned.elapsedMs < fixed.elapsedMs * 0.8, `${tuned.elapsedMs} vs ${fixed.elapsedMs}`);
});

test('a stalled reader keeps the initial windows and buffers at most one stream window', () => {
  const pair = makePair({ clientToServer: PATH, serverToClient: PATH });
  pair.server.autoConsume = false;
  assert.ok(pair.runUntil(() => pair.client.isHandshakeComplete && pair.server.conn !== null));
  const conn = pair.client.conn!;
  const id = conn.openStream(true)!;
  conn.writeStream(id, [pattern(id, 4 * MiB)], true);
  pair.runUntil(() => false, pair.link.nowMs + 5000, 50);
  const server = pair.server.conn!;
  assert.equal(server.receiveWindow(id), DEFAULT_QUIC_LIMITS.streamWindowBytes);
  assert.equal(server.receiveWindow(), DEFAULT_QUIC_LIMITS.connectionWindowBytes);
  // Memory bound: exactly the first window arrived, the rest waits at the sender.
  assert.equal(pair.server.streams.get(id)?.length, DEFAULT_QUIC_LIMITS.streamWindowBytes);
  assert.equal(conn.bufferedBytes(id), 4 * MiB - DEFAULT_QUIC_LIMITS.streamWindowBytes);
  // The application reads again: the transfer resumes and completes.
  pair.server.autoConsume = true;
  for (const c of pair.server.streams.get(id)!.chunks) server.consumed(id, c.length, pair.link.nowMs);
  assert.ok(pair.runUntil(() => pair.server.streams.get(id)?.finCount === 1, pair.link.nowMs + 60000));
  assert.equal(pair.server.streams.get(id)?.length, 4 * MiB);
});

test('auto-tuning stops at the configured maximums', () => {
  const up = upload(12 * MiB, {
    maxStreamWindowBytes: 1 * MiB,
    connectionWindowBytes: 512 * KiB,
    maxConnectionWindowBytes: 1.25 * MiB,
  });
  assert.equal(up.maxStreamWindow, 1 * MiB);
  assert.equal(up.maxConnWindow, 1.25 * MiB);
});
