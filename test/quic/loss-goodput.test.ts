/**
 * Loss recovery end to end over the simulated link (RFC 9002 §6, §7): a 10 MiB download completes at 0%,
 * 1%, 5% and 20% random loss in both directions, within a bounded virtual time, and the goodput at 1% loss
 * is at least half of the loss-free goodput. All times are virtual (the link's clock), so the figures are
 * deterministic for a seed; they are printed for the record.
 *
 * The path is 5 Mbit/s with a 40 ms RTT. On faster paths no loss-based congestion controller can keep half
 * its loss-free goodput at 1% random loss: each loss halves (NewReno) or cuts by 30% (CUBIC) the window,
 * which bounds the rate near the Mathis et al. figure MSS/RTT * sqrt(3/2) / sqrt(p), about 3 Mbit/s at
 * 40 ms and 1%. The second test checks that on a 50 Mbit/s path recovery reaches that bound (no stalls, no
 * spurious timeouts) rather than the half-of-loss-free criterion.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePair, pattern } from './sim/harness.js';

const MiB = 1024 * 1024;
const SIZE = 10 * MiB;
/** 5 Mbit/s bottleneck, 20 ms each way (40 ms RTT), a drop-tail queue of one bandwidth-delay product. */
const SLOW = { bandwidthBytesPerMs: 625, delayMs: 20, queueBytes: 25_000 };
/** 50 Mbit/s, same RTT and queue sizing. */
const FAST = { bandwidthBytesPerMs: 6250, delayMs: 20, queueBytes: 250_000 };
/** No run may take longer than this in virtual time: a hang or a livelock fails instead of spinning. */
const MAX_VIRTUAL_MS = 600_000;

interface Run {
  readonly lossRate: number;
  readonly elapsedMs: number;
  readonly goodputMbps: number;
  readonly packetsLost: number;
  readonly packetsSent: number;
}

function download(path: typeof SLOW, lossRate: number, seed: number): Run {
  const imp = { ...path, lossRate };
  const pair = makePair({ seed, clientToServer: imp, serverToClient: imp });
  assert.ok(pair.runUntil(() => pair.client.isHandshakeComplete && pair.server.conn !== null, 60_000));
  const client = pair.client.conn!;
  const id = client.openStream(true)!;
  client.writeStream(id, [new Uint8Array([1])], true);
  const data = pattern(id, SIZE);
  let isWritten = false;
  pair.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.id === id && e.fin && !isWritten) {
      isWritten = true;
      side.conn!.writeStream(id, [data], true);
    }
  };
  const started = pair.link.nowMs;
  const isDone = pair.runUntil(() => pair.client.streams.get(id)?.finCount === 1, started + MAX_VIRTUAL_MS);
  assert.ok(isDone, `${lossRate * 100}% loss: not finished after ${pair.link.nowMs - started} virtual ms`);
  const elapsedMs = pair.link.nowMs - started;
  assert.deepEqual(pair.client.bytes(id), data, 'every byte, in order');
  assert.equal(pair.client.closed, undefined);
  const stats = pair.server.conn!.stats;
  return {
    lossRate,
    elapsedMs,
    goodputMbps: (SIZE * 8) / elapsedMs / 1000,
    packetsLost: stats.packetsLost,
    packetsSent: stats.packetsSent,
  };
}

test('10 MiB completes at 0/1/5/20% loss; goodput at 1% loss is at least half the loss-free goodput', () => {
  const runs = [0, 0.01, 0.05, 0.2].map((loss) => download(SLOW, loss, 7));
  for (const r of runs) report(r, 5);
  const [clean, onePercent] = runs;
  assert.ok(clean!.goodputMbps > 4, `loss-free goodput ${clean!.goodputMbps} Mbit/s on a 5 Mbit/s link`);
  assert.ok(
    onePercent!.goodputMbps >= clean!.goodputMbps / 2,
    `1%: ${onePercent!.goodputMbps} Mbit/s vs 0%: ${clean!.goodputMbps} Mbit/s`,
  );
  // Loss was real: the lossy runs declared packets lost, the clean one at most a few (queue overflow).
  for (const r of runs.slice(1)) assert.ok(r.packetsLost > 0);
});

test('on a 50 Mbit/s path, 1% loss still reaches the loss-limited (Mathis) rate', () => {
  const clean = download(FAST, 0, 7);
  const lossy = download(FAST, 0.01, 7);
  report(clean, 50);
  report(lossy, 50);
  assert.ok(clean.goodputMbps > 25, `loss-free goodput ${clean.goodputMbps} Mbit/s on a 50 Mbit/s link`);
  // MSS 1200 bytes (the smallest a path carries), RTT 40 ms, p = 1%: about 2.9 Mbit/s.
  const mathisMbps = ((1200 * 8) / 40 / 1000) * Math.sqrt(1.5 / 0.01);
  assert.ok(lossy.goodputMbps >= 0.8 * mathisMbps, `1%: ${lossy.goodputMbps} vs Mathis ${mathisMbps}`);
});

function report(r: Run, linkMbps: number): void {
  console.log(
    `loss ${(r.lossRate * 100).toFixed(0).padStart(2)}%: 10 MiB in ${(r.elapsedMs / 1000).toFixed(2)} s ` +
      `virtual, goodput ${r.goodputMbps.toFixed(2)} Mbit/s (link ${linkMbps} Mbit/s, RTT 40 ms), ` +
      `${r.packetsLost} of ${r.packetsSent} server packets declared lost`,
  );
}
