/**
 * The output queue of an {@link Http3Connection}: items for the QUIC provider in order, one coalescing
 * `stream` item per stream with data waiting, and the output arena frames are written into (STYLE §3.4).
 *
 * The arena is bump-allocated only (never cleared or rewritten), so a view handed out stays valid; a full
 * arena is replaced, not reused. Frames written one after another for a stream (HEADERS, then a DATA frame
 * header) stay one range of the arena and become one chunk; user DATA payloads are queued by reference.
 */
import { ByteBuffer } from '../common/bytes.js';
import { StreamTable } from '../qpack/stream-table.js';
import type { Http3Output } from './events.js';

/** Size of an output arena. */
const ARENA_SIZE = 65536;

/** A `stream` output item still being filled. */
export interface StreamItem {
  readonly type: 'stream';
  readonly streamId: number;
  chunks: Uint8Array[];
  fin: boolean;
  /**
   * Bytes of this stream written into an arena, `[tailStart, tailEnd)` of `tailBuf`, not yet cut into
   * `chunks`.
   */
  tailBuf: ByteBuffer | null;
  tailStart: number;
  tailEnd: number;
}

/** Output items in order, with the per-stream items and the arena. */
export class OutputQueue {
  private readonly items: Array<Http3Output | StreamItem>;
  private head: number;
  /** Stream id -> its item still in `items` (more bytes for that stream join it). */
  private readonly pending: StreamTable<StreamItem>;
  private arena: ByteBuffer;

  constructor() {
    this.items = [];
    this.head = 0;
    this.pending = new StreamTable();
    this.arena = new ByteBuffer(ARENA_SIZE);
  }

  /** Queues a non-stream item (reset, stopSending, datagram, close). */
  push(item: Http3Output): void {
    this.items.push(item);
  }

  /** True while `streamId` has an item not yet taken. */
  hasPending(streamId: number): boolean {
    return this.pending.has(streamId);
  }

  /** Queues `chunk` by reference (after anything written for the stream so far); `fin` ends the stream. */
  queueStream(streamId: number, chunk: Uint8Array, fin: boolean): void {
    const item = this.pendingItem(streamId);
    if (chunk.length > 0) {
      cutTail(item);
      item.chunks.push(chunk);
    }
    if (fin) item.fin = true;
  }

  /** The arena, replaced first when fewer than `n` bytes are free (a larger write still grows it). */
  reserveArena(n: number): ByteBuffer {
    const arena = this.arena;
    if (arena.length + n <= arena.bytes.length) return arena;
    this.arena = new ByteBuffer(Math.max(ARENA_SIZE, n));
    return this.arena;
  }

  /** Adds the arena bytes from `start` to the end, just written for `streamId`, to its output. */
  appendWritten(streamId: number, start: number): void {
    const item = this.pendingItem(streamId);
    const arena = this.arena;
    if (item.tailBuf === arena && item.tailEnd === start) {
      item.tailEnd = arena.length;
      return;
    }
    cutTail(item);
    item.tailBuf = arena;
    item.tailStart = start;
    item.tailEnd = arena.length;
  }

  /** Drops what `streamId` has not handed out yet (its stream was reset). */
  dropPending(streamId: number): void {
    const item = this.pending.get(streamId);
    if (item === undefined) return;
    item.chunks = [];
    item.fin = false;
    item.tailBuf = null;
    this.pending.delete(streamId);
  }

  /** The next item, or null. Stream items are final once taken; ones emptied by a reset are skipped. */
  take(): Http3Output | null {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Http3Output;
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      }
      if (item.type === 'stream') {
        const s = item as StreamItem;
        if (this.pending.get(s.streamId) === s) this.pending.delete(s.streamId);
        cutTail(s);
        if (s.chunks.length === 0 && !s.fin) continue; // dropped by a reset
      }
      return item;
    }
    return null;
  }

  /** The pending item of `streamId`, created (and queued) on first use. */
  private pendingItem(streamId: number): StreamItem {
    const item = this.pending.get(streamId);
    if (item !== undefined) return item;
    const fresh: StreamItem = {
      type: 'stream',
      streamId,
      chunks: [],
      fin: false,
      tailBuf: null,
      tailStart: 0,
      tailEnd: 0,
    };
    this.pending.set(streamId, fresh);
    this.items.push(fresh);
    return fresh;
  }
}

/** Moves a stream item's arena bytes into its chunks (as a view: the arena never rewrites them). */
function cutTail(item: StreamItem): void {
  const buf = item.tailBuf;
  if (buf === null) return;
  item.chunks.push(buf.bytes.subarray(item.tailStart, item.tailEnd));
  item.tailBuf = null;
}
