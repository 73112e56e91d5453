/**
 * The send scheduler of RFC 9218 §10: streams with data ready are served by urgency (0 first, 7 last);
 * within one urgency, non-incremental streams are served one at a time in stream-id order, and incremental
 * streams share the link round robin, one frame each.
 */

/** Default urgency and incremental flag of a stream with no priority signal (RFC 9218 §4.1, §4.2). */
export const DEFAULT_URGENCY = 3;

/** A stream as the scheduler sees it. */
export interface Schedulable {
  readonly id: number;
  urgency: number;
  incremental: boolean;
  /** True while the stream sits in a queue of the scheduler. */
  isScheduled: boolean;
}

/** Ready streams in 8 urgency buckets. Each bucket keeps non-incremental and incremental streams apart. */
export class PriorityScheduler<T extends Schedulable> {
  private readonly sequential: T[][] = [[], [], [], [], [], [], [], []];
  private readonly roundRobin: T[][] = [[], [], [], [], [], [], [], []];
  private count = 0;

  /** Number of scheduled streams. */
  get size(): number {
    return this.count;
  }

  /** Adds a stream that has data ready and window to send it. No-op when already scheduled. */
  add(s: T): void {
    if (s.isScheduled) return;
    s.isScheduled = true;
    this.count++;
    if (s.incremental) {
      this.roundRobin[s.urgency]!.push(s);
      return;
    }
    const q = this.sequential[s.urgency]!;
    // Keep stream-id order; new streams have the highest id, so this loop rarely moves anything.
    let i = q.length;
    while (i > 0 && q[i - 1]!.id > s.id) i--;
    q.splice(i, 0, s);
  }

  /** Removes a stream (no data left, window closed, reset, or priority changed). */
  remove(s: T): void {
    if (!s.isScheduled) return;
    s.isScheduled = false;
    this.count--;
    const q = s.incremental ? this.roundRobin[s.urgency]! : this.sequential[s.urgency]!;
    const i = q.indexOf(s);
    if (i >= 0) q.splice(i, 1);
  }

  /**
   * The stream to send the next frame for, or undefined. An incremental stream picked here moves to the back
   * of its bucket (round robin); a non-incremental one stays first until removed.
   */
  next(): T | undefined {
    if (this.count === 0) return undefined;
    for (let u = 0; u < 8; u++) {
      const seq = this.sequential[u]!;
      if (seq.length > 0) return seq[0];
      const rr = this.roundRobin[u]!;
      if (rr.length > 0) {
        const s = rr.shift()!;
        rr.push(s);
        return s;
      }
    }
    return undefined;
  }

  /** Changes a stream's priority, moving it between buckets when scheduled (RFC 9218 §7). */
  reprioritize(s: T, urgency: number, incremental: boolean): void {
    const wasScheduled = s.isScheduled;
    if (wasScheduled) this.remove(s);
    s.urgency = urgency;
    s.incremental = incremental;
    if (wasScheduled) this.add(s);
  }
}

/** A parsed Priority Field Value. */
export interface PriorityParams {
  readonly urgency: number;
  readonly incremental: boolean;
}

/**
 * Parses a Priority Field Value (RFC 9218 §4, a Structured Fields Dictionary) such as `u=1, i`. Members
 * other than `u` and `i`, and invalid values, are ignored (RFC 9218 §4); missing members keep `base`.
 */
export function parsePriority(value: string, base: PriorityParams): PriorityParams {
  let urgency = base.urgency;
  let incremental = base.incremental;
  let pos = 0;
  const n = value.length;
  while (pos < n) {
    while (pos < n && (value.charCodeAt(pos) === 0x20 || value.charCodeAt(pos) === 0x09)) pos++;
    let end = value.indexOf(',', pos);
    if (end < 0) end = n;
    const member = value.slice(pos, end).trim();
    pos = end + 1;
    const eq = member.indexOf('=');
    const key = (eq < 0 ? member : member.slice(0, eq)).split(';')[0]!.trim();
    const raw =
      eq < 0
        ? '?1'
        : member
            .slice(eq + 1)
            .split(';')[0]!
            .trim();
    if (key === 'u') {
      if (raw.length === 1 && raw >= '0' && raw <= '7') urgency = raw.charCodeAt(0) - 0x30;
    } else if (key === 'i') {
      if (raw === '?1') incremental = true;
      else if (raw === '?0') incremental = false;
    }
  }
  return { urgency, incremental };
}
