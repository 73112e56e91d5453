/**
 * A simulated UDP link in virtual time between two sans-I/O QUIC endpoints (quinn-proto's tests/util.rs
 * shape): datagrams taken from one node's `pollTransmit` arrive at the other's `receive` after a delay,
 * with seeded loss, duplication, reordering (jitter), corruption, an MTU, an optional bottleneck rate with a
 * drop-tail queue, and the ECN codepoint of each datagram (carried, CE-marked or bleached). Nothing here
 * reads a clock.
 */
import type { QuicAddress } from '../../../src/quic/events.js';

/** What the link drives: the endpoint surface of the design (a QuicEndpoint fits it). */
export interface SimNode {
  /** `ecn`: the IP ECN codepoint the datagram arrived with (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE). */
  receive(bytes: Uint8Array, remote: QuicAddress, nowMs: number, ecn?: number): void;
  pollTransmit(nowMs: number): { bytes: Uint8Array; remote: QuicAddress; ecn?: number } | null;
  handleTimeout(nowMs: number): void;
  nextDeadline(): number | undefined;
}

/** Impairments of one direction of the link. */
export interface LinkImpairments {
  /** One-way delay, ms. */
  readonly delayMs?: number;
  /** Extra uniform random delay in [0, jitterMs): reorders datagrams sent close together. */
  readonly jitterMs?: number;
  /** Probability a datagram is lost. */
  readonly lossRate?: number;
  /** Probability a datagram is delivered twice (the copy with its own jitter). */
  readonly duplicateRate?: number;
  /** Probability one random byte of a datagram is flipped. */
  readonly corruptRate?: number;
  /** Datagrams larger than this are dropped. */
  readonly mtu?: number;
  /** Drops the datagrams for which it returns true (index counts datagrams sent in this direction). */
  readonly drop?: (index: number, bytes: Uint8Array) => boolean;
  /** Extra delay in ms for one datagram (index counts datagrams sent in this direction). */
  readonly extraDelayMs?: (index: number, bytes: Uint8Array) => number;
  /**
   * Bottleneck rate in bytes per ms (1250 = 10 Mbit/s): datagrams are serialized one after another, so
   * they queue when sent faster. Unset: infinitely fast.
   */
  readonly bandwidthBytesPerMs?: number;
  /** Drop-tail queue of the bottleneck in bytes (only with `bandwidthBytesPerMs`); unset: unbounded. */
  readonly queueBytes?: number;
  /** Probability an ECN-capable datagram (ECT(0) or ECT(1)) is marked CE, as an AQM router would. */
  readonly ceMarkRate?: number;
  /** Clears the ECN codepoint of every datagram (a middlebox bleaching ECN, RFC 9000 §13.4.2). */
  readonly isEcnBleached?: boolean;
}

/** mulberry32: a small deterministic PRNG so every run is reproducible from its seed. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly to: 0 | 1;
  readonly bytes: Uint8Array;
  readonly ecn: number;
  /** The sender's address when it sent (a rebinding does not move datagrams already on the wire). */
  readonly from: QuicAddress;
}

/** Counters of one direction. */
export interface LinkStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  tooBig: number;
  bytesSent: number;
  /** Dropped because the bottleneck queue was full. */
  queueDrops: number;
  /** Datagrams marked CE by the link. */
  ceMarked: number;
  /** Datagrams sent with each ECN codepoint (index = codepoint). */
  readonly ecnSent: [number, number, number, number];
}

function newStats(): LinkStats {
  return {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    corrupted: 0,
    tooBig: 0,
    bytesSent: 0,
    queueDrops: 0,
    ceMarked: 0,
    ecnSent: [0, 0, 0, 0],
  };
}

/** Two nodes joined by a link; node 0 is at {@link SimLink.addresses}[0]. */
export class SimLink {
  nowMs: number;
  readonly nodes: readonly [SimNode, SimNode];
  /**
   * Node i sends from `addresses[i]`; change one to simulate a NAT rebinding (datagrams already on the wire
   * arrive from the address they were sent from).
   */
  addresses: [QuicAddress, QuicAddress];
  /** Datagrams sent to these addresses are lost: a NAT mapping that expired after a rebinding. */
  unreachable: QuicAddress[] = [];
  /** `stats[i]` counts datagrams sent by node i. */
  readonly stats: readonly [LinkStats, LinkStats];
  /** Impairments of datagrams sent by node i; replaceable between runs. */
  impairments: [LinkImpairments, LinkImpairments];
  private readonly rng: () => number;
  private queue: InFlight[];
  private seq: number;
  /** When the bottleneck of each direction finishes serializing what it holds. */
  private readonly busyUntil: [number, number];

  constructor(
    a: SimNode,
    b: SimNode,
    options: { seed?: number; aToB?: LinkImpairments; bToA?: LinkImpairments; startMs?: number } = {},
  ) {
    this.nowMs = options.startMs ?? 1000;
    this.nodes = [a, b];
    this.addresses = [
      { address: '10.0.0.1', port: 4433 },
      { address: '10.0.0.2', port: 443 },
    ];
    this.stats = [newStats(), newStats()];
    this.impairments = [options.aToB ?? { delayMs: 10 }, options.bToA ?? { delayMs: 10 }];
    this.rng = makeRng(options.seed ?? 1);
    this.queue = [];
    this.seq = 0;
    this.busyUntil = [0, 0];
  }

  /** Takes every datagram the nodes want to send now and puts it on the wire. */
  flush(): void {
    for (let from = 0 as 0 | 1; from < 2; from = (from + 1) as 0 | 1) {
      const node = this.nodes[from];
      for (let guard = 0; guard < 100000; guard++) {
        const out = node.pollTransmit(this.nowMs);
        if (out === null) break;
        if (this.unreachable.some((u) => u.address === out.remote.address && u.port === out.remote.port)) {
          this.stats[from].sent++;
          this.stats[from].lost++;
          continue;
        }
        this.send(from, out.bytes, out.ecn ?? 0);
      }
    }
  }

  private send(from: 0 | 1, bytes: Uint8Array, ecnSent: number): void {
    const imp = this.impairments[from];
    const stats = this.stats[from];
    const index = stats.sent++;
    stats.bytesSent += bytes.length;
    stats.ecnSent[ecnSent & 3] = stats.ecnSent[ecnSent & 3]! + 1;
    if (imp.mtu !== undefined && bytes.length > imp.mtu) {
      stats.tooBig++;
      return;
    }
    if (imp.drop?.(index, bytes) === true || this.rng() < (imp.lossRate ?? 0)) {
      stats.lost++;
      return;
    }
    // The bottleneck: serialization after what it already holds, drop-tail beyond its queue.
    let departMs = this.nowMs;
    const bw = imp.bandwidthBytesPerMs;
    if (bw !== undefined) {
      const start = Math.max(this.nowMs, this.busyUntil[from]);
      if (imp.queueBytes !== undefined && (start - this.nowMs) * bw + bytes.length > imp.queueBytes) {
        stats.queueDrops++;
        stats.lost++;
        return;
      }
      departMs = start + bytes.length / bw;
      this.busyUntil[from] = departMs;
    }
    let ecn = imp.isEcnBleached === true ? 0 : ecnSent & 3;
    if ((ecn === 1 || ecn === 2) && imp.ceMarkRate !== undefined && this.rng() < imp.ceMarkRate) {
      ecn = 3;
      stats.ceMarked++;
    }
    let copies = 1;
    if (this.rng() < (imp.duplicateRate ?? 0)) {
      copies = 2;
      stats.duplicated++;
    }
    for (let c = 0; c < copies; c++) {
      let data = bytes.slice();
      if (this.rng() < (imp.corruptRate ?? 0) && data.length > 0) {
        data = data.slice();
        const at = Math.floor(this.rng() * data.length);
        data[at] = data[at]! ^ (1 + Math.floor(this.rng() * 255));
        stats.corrupted++;
      }
      const extra = imp.extraDelayMs?.(index, bytes) ?? 0;
      const at = departMs + (imp.delayMs ?? 0) + extra + this.rng() * (imp.jitterMs ?? 0);
      this.queue.push({
        at,
        seq: this.seq++,
        to: from === 0 ? 1 : 0,
        bytes: data,
        ecn,
        from: this.addresses[from],
      });
    }
  }

  /** The earliest arrival or node deadline, if any. */
  private nextTime(): number | undefined {
    let next: number | undefined;
    for (const f of this.queue) if (next === undefined || f.at < next) next = f.at;
    for (const n of this.nodes) {
      const d = n.nextDeadline();
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    return next;
  }

  /**
   * Advances virtual time event by event until `until()` holds (returns true) or nothing is left to do
   * before `untilMs` (returns false). Throws after `maxSteps` steps (a livelock is a bug).
   */
  run(
    options: { untilMs?: number; until?: () => boolean; maxSteps?: number; tickMs?: number } = {},
  ): boolean {
    const limit = options.untilMs ?? this.nowMs + 60000;
    const maxSteps = options.maxSteps ?? 1_000_000;
    for (let step = 0; step < maxSteps; step++) {
      this.flush();
      if (options.until?.() === true) return true;
      // `until` may have acted (written to a stream): send that now.
      this.flush();
      let next = this.nextTime();
      // Optional periodic wake-ups so `until` can act at times nothing else happens.
      if (options.tickMs !== undefined) {
        const tick = (Math.floor(this.nowMs / options.tickMs) + 1) * options.tickMs;
        if (next === undefined || tick < next) next = tick;
      }
      if (next === undefined || next > limit) {
        if (next !== undefined) this.nowMs = limit;
        return false;
      }
      if (next > this.nowMs) this.nowMs = next;
      const due = this.queue.filter((f) => f.at <= this.nowMs).sort((x, y) => x.at - y.at || x.seq - y.seq);
      if (due.length > 0) this.queue = this.queue.filter((f) => f.at > this.nowMs);
      for (const f of due) {
        this.stats[f.to === 1 ? 0 : 1].delivered++;
        this.nodes[f.to].receive(f.bytes, f.from, this.nowMs, f.ecn);
      }
      for (const n of this.nodes) {
        const d = n.nextDeadline();
        if (d !== undefined && d <= this.nowMs) n.handleTimeout(this.nowMs);
      }
    }
    throw new Error(`SimLink: no progress after ${maxSteps} steps at ${this.nowMs} ms`);
  }

  /** Datagrams still on the wire. */
  get inFlight(): number {
    return this.queue.length;
  }
}
