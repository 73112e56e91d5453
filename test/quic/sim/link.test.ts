import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuicAddress } from '../../../src/quic/events.js';
import { SimLink, makeRng, type SimNode } from './link.js';

/** A node that sends `count` numbered datagrams at start and records what it receives. */
class CountingNode implements SimNode {
  readonly received: { at: number; value: number; from: QuicAddress }[] = [];
  private toSend: number[];
  timeouts = 0;
  deadline: number | undefined;
  peer: QuicAddress;
  constructor(count: number, peer: QuicAddress, deadline?: number) {
    this.toSend = Array.from({ length: count }, (_, i) => i);
    this.peer = peer;
    this.deadline = deadline;
  }
  receive(bytes: Uint8Array, remote: QuicAddress, nowMs: number): void {
    this.received.push({ at: nowMs, value: bytes[0]!, from: remote });
  }
  pollTransmit(): { bytes: Uint8Array; remote: QuicAddress } | null {
    const v = this.toSend.shift();
    if (v === undefined) return null;
    return { bytes: new Uint8Array(v === 7 ? 1500 : 100).fill(v), remote: this.peer };
  }
  handleTimeout(): void {
    this.timeouts++;
    this.deadline = undefined;
  }
  nextDeadline(): number | undefined {
    return this.deadline;
  }
}

test('delivers in order with a fixed delay, and addresses the sender', () => {
  const a = new CountingNode(5, { address: '10.0.0.2', port: 443 });
  const b = new CountingNode(0, { address: '10.0.0.1', port: 4433 }, 1500);
  const link = new SimLink(a, b, { aToB: { delayMs: 20 } });
  assert.equal(link.run({ untilMs: 5000 }), false);
  assert.deepEqual(
    b.received.map((r) => r.value),
    [0, 1, 2, 3, 4],
  );
  assert.equal(b.received[0]!.at, 1020);
  assert.deepEqual(b.received[0]!.from, link.addresses[0]);
  assert.equal(b.timeouts, 1);
});

test('loss, duplication, jitter and MTU are applied and counted, reproducibly', () => {
  const runOnce = (): number[] => {
    const a = new CountingNode(200, { address: '10.0.0.2', port: 443 });
    const b = new CountingNode(0, { address: '10.0.0.1', port: 4433 });
    const link = new SimLink(a, b, {
      seed: 42,
      aToB: { delayMs: 5, jitterMs: 30, lossRate: 0.2, duplicateRate: 0.2, mtu: 1200 },
    });
    link.run({ untilMs: 10000 });
    const s = link.stats[0];
    assert.equal(s.sent, 200);
    assert.equal(s.tooBig, 1);
    assert.ok(s.lost > 10 && s.duplicated > 10);
    assert.equal(s.delivered, 200 - 1 - s.lost + s.duplicated);
    return b.received.map((r) => r.value);
  };
  const first = runOnce();
  assert.deepEqual(runOnce(), first);
  assert.ok(!first.includes(7));
  const sorted = [...first].sort((x, y) => x - y);
  assert.notDeepEqual(first, sorted, 'jitter reorders');
});

test('the PRNG is deterministic and in [0, 1)', () => {
  const r1 = makeRng(7);
  const r2 = makeRng(7);
  for (let i = 0; i < 1000; i++) {
    const v = r1();
    assert.equal(v, r2());
    assert.ok(v >= 0 && v < 1);
  }
});

/** Sends `count` datagrams of `size` bytes, all with ECN codepoint `ecn`, and records arrivals. */
class EcnNode implements SimNode {
  readonly received: { at: number; ecn: number }[] = [];
  private left: number;
  private readonly size: number;
  private readonly ecn: number;
  constructor(count: number, size: number, ecn: number) {
    this.left = count;
    this.size = size;
    this.ecn = ecn;
  }
  receive(_bytes: Uint8Array, _remote: QuicAddress, nowMs: number, ecn?: number): void {
    this.received.push({ at: nowMs, ecn: ecn ?? -1 });
  }
  pollTransmit(): { bytes: Uint8Array; remote: QuicAddress; ecn: number } | null {
    if (this.left === 0) return null;
    this.left--;
    return { bytes: new Uint8Array(this.size), remote: { address: '10.0.0.2', port: 443 }, ecn: this.ecn };
  }
  handleTimeout(): void {}
  nextDeadline(): number | undefined {
    return undefined;
  }
}

test('a bottleneck serializes datagrams at its rate and drops beyond its queue', () => {
  const a = new EcnNode(10, 1000, 0);
  const b = new EcnNode(0, 0, 0);
  // 100 bytes/ms: a 1000-byte datagram takes 10 ms; the queue holds 5000 bytes.
  const link = new SimLink(a, b, { aToB: { delayMs: 5, bandwidthBytesPerMs: 100, queueBytes: 5000 } });
  link.run({ untilMs: 5000 });
  assert.deepEqual(
    b.received.map((r) => r.at),
    [1015, 1025, 1035, 1045, 1055],
  );
  assert.equal(link.stats[0].queueDrops, 5);
});

test('the ECN codepoint travels with each datagram; bleaching clears it, CE marking sets CE', () => {
  const carried = new EcnNode(0, 0, 0);
  new SimLink(new EcnNode(3, 100, 2), carried).run({ untilMs: 2000 });
  assert.deepEqual(
    carried.received.map((r) => r.ecn),
    [2, 2, 2],
  );
  const bleached = new EcnNode(0, 0, 0);
  new SimLink(new EcnNode(3, 100, 2), bleached, { aToB: { isEcnBleached: true } }).run({ untilMs: 2000 });
  assert.deepEqual(
    bleached.received.map((r) => r.ecn),
    [0, 0, 0],
  );
  const marked = new EcnNode(0, 0, 0);
  const link = new SimLink(new EcnNode(3, 100, 1), marked, { aToB: { ceMarkRate: 1 } });
  link.run({ untilMs: 2000 });
  assert.deepEqual(
    marked.received.map((r) => r.ecn),
    [3, 3, 3],
  );
  assert.equal(link.stats[0].ceMarked, 3);
  // Not-ECT datagrams are never marked (RFC 3168 §5: routers drop them instead).
  const notEct = new EcnNode(0, 0, 0);
  new SimLink(new EcnNode(2, 100, 0), notEct, { aToB: { ceMarkRate: 1 } }).run({ untilMs: 2000 });
  assert.deepEqual(
    notEct.received.map((r) => r.ecn),
    [0, 0],
  );
});
