/**
 * An in-memory QUIC provider pair for deterministic tests and benchmarks (the quinn-proto idea of two
 * endpoints over a simulated link, STYLE §1). No sockets, no timers: `run()` delivers queued frames
 * synchronously. With a seed it can reorder deliveries between streams, re-split stream data into random
 * chunks and drop datagrams; bytes within one stream always arrive in order, as QUIC guarantees
 * (RFC 9000 §2.2). Stream flow control is modelled (RFC 9000 §4.1): each receiver grants every stream
 * `streamWindowBytes` of credit and extends it by what its user reports `consumed`; data beyond the credit
 * stays queued (retained) at the sender, and the sender hears `onStreamAcked` when bytes are delivered.
 */
import type { QuicConnection, QuicConnectionHandlers } from './quic.js';
import { QuicCloseKind, QuicProviderError } from './quic.js';

/** Link behaviour of a {@link MemoryQuicPair}. */
export interface MemoryQuicOptions {
  /** PRNG seed for every random choice. Default 1. */
  readonly seed?: number;
  /** Deliver frames of different streams in a random order (per-stream order is kept). Default false. */
  readonly reorderStreams?: boolean;
  /** Re-split stream data into random chunks of 1..maxChunkBytes bytes; 0 keeps writes whole. Default 0. */
  readonly maxChunkBytes?: number;
  /** Probability in [0, 1] that a datagram is lost. Default 0. */
  readonly datagramLossRate?: number;
  /** Whether DATAGRAM frames are negotiated. Default true. */
  readonly isDatagramSupported?: boolean;
  /**
   * Receive window of every stream, each way (RFC 9000 §4.1, initial_max_stream_data_*), extended by
   * `consumed()`. Default 1 MiB.
   */
  readonly streamWindowBytes?: number;
  /** Address and port the client appears to have (the server's `remoteAddress`). Default 127.0.0.1:50000. */
  readonly clientAddress?: string;
  readonly clientPort?: number;
  /** Address and port of the server (the client's `remoteAddress`). Default 127.0.0.1:443. */
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

type Item =
  | { kind: 'data'; seq: number; bytes: Uint8Array; fin: boolean }
  | { kind: 'reset'; seq: number; code: number }
  | { kind: 'stop'; seq: number; code: number }
  | { kind: 'datagram'; seq: number; payload: Uint8Array }
  | { kind: 'close'; seq: number; code: number; reason: string };

interface Queue {
  readonly from: MemoryQuicConnection;
  readonly streamId: number;
  readonly items: Item[];
}

// Queue keys besides stream ids (STOP_SENDING uses -1 - streamId).
const CLOSE_KEY = -(2 ** 53);
const DATAGRAM_KEY = -(2 ** 52);

/** mulberry32: tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One endpoint of a {@link MemoryQuicPair}. */
export class MemoryQuicConnection implements QuicConnection {
  readonly role: 'client' | 'server';
  readonly alpn = 'h3';
  readonly isDatagramSupported: boolean;
  remoteAddress: string;
  remotePort: number;
  handlers: QuicConnectionHandlers | null;
  /** @internal */
  readonly pair: MemoryQuicPair;
  /** @internal Set once either side closed. */
  isClosed: boolean;
  /** Stream bytes this endpoint wrote that were not delivered yet (held back by the peer's credit). */
  retainedBytes: number;
  /** @internal Credit left per stream this endpoint receives on (absent: a full window). */
  readonly recvCredit: Map<number, number>;

  constructor(role: 'client' | 'server', pair: MemoryQuicPair, isDatagramSupported: boolean) {
    this.role = role;
    this.pair = pair;
    this.isDatagramSupported = isDatagramSupported;
    this.remoteAddress = '';
    this.remotePort = 0;
    this.handlers = null;
    this.isClosed = false;
    this.retainedBytes = 0;
    this.recvCredit = new Map();
  }

  /** Credit the peer has left to send on `streamId` to this endpoint. */
  creditOf(streamId: number): number {
    return this.recvCredit.get(streamId) ?? this.pair.streamWindowBytes;
  }

  consumed(streamId: number, bytes: number): void {
    if (bytes <= 0 || this.isClosed) return;
    // RFC 9000 §4.2: the receiver extends the window as the application consumes data.
    this.recvCredit.set(streamId, this.creditOf(streamId) + bytes);
  }

  setHandlers(handlers: QuicConnectionHandlers): void {
    this.handlers = handlers;
  }

  writeStream(streamId: number, chunks: readonly Uint8Array[], fin: boolean): void {
    if (this.isClosed) return;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const last = i === chunks.length - 1;
      if (c.length > 0 || (last && fin)) {
        this.retainedBytes += c.length;
        this.pair.enqueue(this, streamId, { kind: 'data', seq: 0, bytes: c, fin: last && fin });
      }
    }
    if (chunks.length === 0 && fin)
      this.pair.enqueue(this, streamId, { kind: 'data', seq: 0, bytes: new Uint8Array(0), fin });
  }

  resetStream(streamId: number, code: number): void {
    if (!this.isClosed) this.pair.enqueue(this, streamId, { kind: 'reset', seq: 0, code });
  }

  stopSending(streamId: number, code: number): void {
    // Travels on its own queue: it may overtake or trail data of the same stream, like any other frame.
    if (!this.isClosed) this.pair.enqueue(this, -1 - streamId, { kind: 'stop', seq: 0, code });
  }

  sendDatagram(payload: Uint8Array): void {
    if (!this.isDatagramSupported)
      throw new QuicProviderError('ERR_QUIC_DATAGRAM', 'datagrams not negotiated');
    if (!this.isClosed)
      this.pair.enqueue(this, DATAGRAM_KEY, { kind: 'datagram', seq: 0, payload: payload.slice() });
  }

  close(code: number, reason: string): void {
    if (this.isClosed) return;
    this.pair.enqueue(this, CLOSE_KEY, { kind: 'close', seq: 0, code, reason });
  }
}

/** Two connected in-memory endpoints. */
export class MemoryQuicPair {
  readonly client: MemoryQuicConnection;
  readonly server: MemoryQuicConnection;
  private readonly queues: Map<MemoryQuicConnection, Map<number, Queue>>;
  private readonly random: () => number;
  private readonly isReordering: boolean;
  private readonly maxChunkBytes: number;
  private readonly lossRate: number;
  /** @internal */
  readonly streamWindowBytes: number;
  private seq: number;
  /**
   * In-order mode: every queued item in `seq` order (null once delivered), from `orderStart` on, with its
   * queue. `deliverFirst` takes the first one heading an unblocked queue, so a delivery costs O(1) plus the
   * items held back by flow control, not a scan of every stream in flight.
   */
  private orderItems: (Item | null)[];
  private orderQueues: (Queue | null)[];
  private orderStart: number;
  /** Deliveries made so far. */
  delivered: number;

  constructor(options: MemoryQuicOptions = {}) {
    const dg = options.isDatagramSupported ?? true;
    this.client = new MemoryQuicConnection('client', this, dg);
    this.server = new MemoryQuicConnection('server', this, dg);
    this.queues = new Map<MemoryQuicConnection, Map<number, Queue>>([
      [this.client, new Map<number, Queue>()],
      [this.server, new Map<number, Queue>()],
    ]);
    this.random = prng(options.seed ?? 1);
    this.isReordering = options.reorderStreams ?? false;
    this.maxChunkBytes = options.maxChunkBytes ?? 0;
    this.lossRate = options.datagramLossRate ?? 0;
    this.streamWindowBytes = options.streamWindowBytes ?? 1 << 20;
    this.client.remoteAddress = options.serverAddress ?? '127.0.0.1';
    this.client.remotePort = options.serverPort ?? 443;
    this.server.remoteAddress = options.clientAddress ?? '127.0.0.1';
    this.server.remotePort = options.clientPort ?? 50000;
    this.seq = 0;
    this.orderItems = [];
    this.orderQueues = [];
    this.orderStart = 0;
    this.delivered = 0;
  }

  /** @internal */
  enqueue(from: MemoryQuicConnection, key: number, item: Item): void {
    item.seq = this.seq++;
    const map = this.queues.get(from)!;
    let q = map.get(key);
    if (q === undefined) {
      q = { from, streamId: key, items: [] };
      map.set(key, q);
    }
    q.items.push(item);
    if (!this.isReordering) {
      this.orderItems.push(item);
      this.orderQueues.push(q);
    }
  }

  /** True when nothing is in flight. */
  isIdle(): boolean {
    for (const m of this.queues.values()) for (const q of m.values()) if (q.items.length > 0) return false;
    return true;
  }

  /**
   * Delivers queued frames until nothing is in flight (handlers may queue more) or `maxSteps` deliveries
   * were made. Returns the number of deliveries.
   */
  run(maxSteps = 1_000_000): number {
    let steps = 0;
    while (steps < maxSteps) {
      if (this.isReordering) {
        const q = this.pickRandom();
        if (q === undefined) break;
        this.deliverOne(q);
      } else if (!this.deliverFirst()) break;
      steps++;
    }
    this.delivered += steps;
    return steps;
  }

  /**
   * In-order mode: delivers the queued item with the lowest `seq` that heads a queue the receiver has
   * credit for (CONNECTION_CLOSE only when nothing else can go). Returns false when nothing can.
   */
  private deliverFirst(): boolean {
    const items = this.orderItems;
    const queues = this.orderQueues;
    let close = -1;
    for (let i = this.orderStart; i < items.length; i++) {
      const item = items[i];
      const q = queues[i];
      if (item === null || item === undefined || q === null || q === undefined) continue;
      // Dropped (data abandoned by a reset, see isBlocked): nothing to deliver.
      if (item.seq < 0) {
        this.consumeOrder(i);
        continue;
      }
      // Behind an earlier item of its own stream, which is held back: so is this one.
      if (q.items[0] !== item || this.isBlocked(q)) continue;
      // isBlocked may have dropped the item (a reset behind it): look at the entry again.
      if (q.items[0] !== item) {
        i--;
        continue;
      }
      // CONNECTION_CLOSE goes last: a graceful close follows the data it was queued after.
      if (q.streamId === CLOSE_KEY) {
        if (close < 0) close = i;
        continue;
      }
      this.deliverAt(i, q, item);
      return true;
    }
    if (close < 0) return false;
    this.deliverAt(close, queues[close]!, items[close]!);
    return true;
  }

  private deliverAt(i: number, q: Queue, item: Item): void {
    this.deliverOne(q);
    // A data item cut to the receiver's credit stays at the head (same seq) for the rest.
    if (q.items[0] !== item) this.consumeOrder(i);
  }

  private consumeOrder(i: number): void {
    const items = this.orderItems;
    items[i] = null;
    this.orderQueues[i] = null;
    let start = this.orderStart;
    while (start < items.length && items[start] === null) start++;
    if (start === items.length) {
      items.length = 0;
      this.orderQueues.length = 0;
      start = 0;
    } else if (start > 1024 && start * 2 > items.length) {
      items.splice(0, start);
      this.orderQueues.splice(0, start);
      start = 0;
    }
    this.orderStart = start;
  }

  /** Reordering mode: a random queue among those that can deliver (per-stream order is kept). */
  private pickRandom(): Queue | undefined {
    const live: Queue[] = [];
    let close: Queue | undefined;
    for (const m of this.queues.values()) {
      for (const q of m.values()) {
        if (q.items.length === 0 || this.isBlocked(q)) continue;
        // CONNECTION_CLOSE goes last: a graceful close follows the data it was queued after.
        if (q.streamId === CLOSE_KEY) close ??= q;
        else live.push(q);
      }
    }
    if (live.length === 0) return close;
    return live[Math.floor(this.random() * live.length)];
  }

  /**
   * True when the head of `q` is stream data the receiver has no credit for. A RESET_STREAM queued behind
   * it is not flow-controlled and abandons that data (RFC 9000 §3.1, §4.5), so the data is dropped.
   */
  private isBlocked(q: Queue): boolean {
    const head = q.items[0]!;
    if (head.kind !== 'data' || head.bytes.length === 0) return false;
    const to = q.from === this.client ? this.server : this.client;
    if (to.creditOf(q.streamId) > 0) return false;
    const r = q.items.findIndex((it) => it.kind === 'reset');
    if (r < 0) return true;
    for (const it of q.items.splice(0, r)) {
      if (it.kind === 'data') q.from.retainedBytes -= it.bytes.length;
      // Marks the in-order entry of a dropped item (see deliverFirst).
      it.seq = -1;
    }
    return false;
  }

  private deliverOne(q: Queue): void {
    this.deliverHead(q);
    // Drop drained queues so the reordering scan stays proportional to streams in flight.
    if (q.items.length === 0) this.queues.get(q.from)!.delete(q.streamId);
  }

  private deliverHead(q: Queue): void {
    const from = q.from;
    const to = from === this.client ? this.server : this.client;
    const item = q.items[0]!;
    if (to.isClosed || from.isClosed) {
      if (item.kind === 'data') from.retainedBytes -= item.bytes.length;
      q.items.shift();
      return;
    }
    const h = to.handlers;
    if (h === null) throw new QuicProviderError('ERR_QUIC_NO_HANDLERS', `${to.role} has no handlers set`);
    switch (item.kind) {
      case 'data': {
        let bytes = item.bytes;
        let fin = item.fin;
        let n = bytes.length;
        if (this.maxChunkBytes > 0 && bytes.length > 1)
          n = 1 + Math.floor(this.random() * Math.min(this.maxChunkBytes, bytes.length));
        const credit = to.creditOf(q.streamId);
        if (n > credit) n = credit;
        if (n < bytes.length) {
          // Copy both pieces so no receiver can rely on one backing buffer.
          item.bytes = bytes.slice(n);
          bytes = bytes.slice(0, n);
          fin = false;
        } else q.items.shift();
        if (bytes.length > 0) to.recvCredit.set(q.streamId, credit - bytes.length);
        if (fin) to.recvCredit.delete(q.streamId);
        from.retainedBytes -= bytes.length;
        h.onStreamData(q.streamId, bytes, fin);
        from.handlers?.onStreamAcked(q.streamId, bytes.length);
        return;
      }
      case 'reset':
        q.items.shift();
        h.onStreamReset(q.streamId, item.code);
        return;
      case 'stop':
        q.items.shift();
        h.onStopSending(-1 - q.streamId, item.code);
        return;
      case 'datagram':
        q.items.shift();
        if (this.random() >= this.lossRate) h.onDatagram(item.payload);
        return;
      case 'close':
        q.items.shift();
        from.isClosed = true;
        to.isClosed = true;
        h.onClose(item.code, item.reason, QuicCloseKind.APPLICATION);
        return;
    }
  }
}
