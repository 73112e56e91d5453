/**
 * Hashed timing wheel: O(1) schedule and cancel for thousands of connection timeouts, driven by ONE
 * interval timer (unreferenced, running only while something is scheduled). Precision is one tick.
 *
 * Each timer is a {@link TimerNode} owned by its user (one per connection, reused for every timeout it
 * arms), linked into an intrusive doubly-linked list per wheel slot, so scheduling allocates nothing.
 */
import { UsageError } from '../common/errors.js';

/**
 * One reusable timer. Create once per connection; `schedule` re-arms it, `cancel` disarms it. Either pass
 * the callback, or subclass and override {@link TimerNode.onTimeout} (no closure per object).
 */
export class TimerNode {
  /** Absolute deadline (ms, `performance.now()` clock); 0 when not armed. */
  deadlineMs = 0;
  next: TimerNode | null = null;
  prev: TimerNode | null = null;
  slot = -1;
  private readonly callback: (() => void) | undefined;

  constructor(onTimeout?: () => void) {
    this.callback = onTimeout;
  }

  /** Runs when the deadline passes (the node is already disarmed). */
  onTimeout(): void {
    this.callback?.();
  }

  get isArmed(): boolean {
    return this.slot >= 0;
  }
}

/** The wheel. `tickMs` is the precision; `slotCount` (a power of two) times `tickMs` is one revolution. */
export class TimerWheel {
  readonly tickMs: number;
  private readonly heads: (TimerNode | null)[];
  private readonly mask: number;
  private currentTick: number;
  private count = 0;
  private interval: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;

  constructor(tickMs = 100, slotCount = 512, now: () => number = () => performance.now()) {
    if (!Number.isInteger(slotCount) || slotCount <= 0 || (slotCount & (slotCount - 1)) !== 0)
      throw new UsageError('ERR_INVALID_ARG', `slotCount must be a power of two, got ${String(slotCount)}`);
    if (!(tickMs > 0))
      throw new UsageError('ERR_INVALID_ARG', `tickMs must be positive, got ${String(tickMs)}`);
    this.tickMs = tickMs;
    this.heads = new Array<TimerNode | null>(slotCount).fill(null);
    this.mask = slotCount - 1;
    this.now = now;
    this.currentTick = Math.floor(now() / tickMs);
  }

  /** Number of armed timers. */
  get size(): number {
    return this.count;
  }

  /** Arms (or re-arms) `node` to fire after `delayMs` (rounded up to the next tick). */
  schedule(node: TimerNode, delayMs: number): void {
    if (node.slot >= 0) this.unlink(node);
    const deadline = this.now() + delayMs;
    node.deadlineMs = deadline;
    // Fire on the first tick boundary at or after the deadline.
    const tick = Math.max(Math.ceil(deadline / this.tickMs), this.currentTick + 1);
    const slot = tick & this.mask;
    node.slot = slot;
    node.prev = null;
    node.next = this.heads[slot] ?? null;
    if (node.next !== null) node.next.prev = node;
    this.heads[slot] = node;
    if (this.count++ === 0) this.start();
  }

  /** Disarms `node`; a no-op when it is not armed. */
  cancel(node: TimerNode): void {
    if (node.slot < 0) return;
    this.unlink(node);
    if (this.count === 0) this.stop();
  }

  /** Runs due timers up to `nowMs` (called by the interval; exposed for tests with a fake clock). */
  advance(nowMs: number = this.now()): void {
    const target = Math.floor(nowMs / this.tickMs);
    // After a long stall, one revolution visits every slot; deadlines decide what fires.
    const last = Math.min(target, this.currentTick + this.mask + 1);
    for (let t = this.currentTick + 1; t <= last; t++) {
      const slot = t & this.mask;
      let node: TimerNode | null = this.heads[slot] ?? null;
      while (node !== null) {
        if (node.deadlineMs <= nowMs) {
          this.unlink(node);
          node.onTimeout();
          // A callback may cancel or re-arm any node, the one after this among them: walk again from the
          // slot's head instead of trusting a saved `next` (it fired cancelled timers and lost the rest).
          node = this.heads[slot] ?? null;
        } else {
          node = node.next;
        }
      }
    }
    this.currentTick = target;
    if (this.count === 0) this.stop();
  }

  private unlink(node: TimerNode): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.heads[node.slot] = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    node.next = node.prev = null;
    node.slot = -1;
    node.deadlineMs = 0;
    this.count--;
  }

  private start(): void {
    if (this.interval !== undefined) return;
    this.currentTick = Math.max(this.currentTick, Math.floor(this.now() / this.tickMs) - 1);
    this.interval = setInterval(() => {
      this.advance();
    }, this.tickMs);
    this.interval.unref();
  }

  private stop(): void {
    if (this.interval === undefined) return;
    clearInterval(this.interval);
    this.interval = undefined;
  }
}
