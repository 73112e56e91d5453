/**
 * A decoded field section. Names and values that came from a table are strings already; literals stay
 * bytes in a per-list arena until first asked for, then are decoded (latin1) once and cached.
 */
import { latin1 } from '../common/bytes.js';

/** A decoded QPACK field section: an ordered list of (name, value) lines, duplicates kept. */
export class HeaderList {
  /** Number of field lines. */
  readonly length: number;
  private readonly names: Array<string | null>;
  private readonly values: Array<string | null>;
  /** Per line: name start, name end, value start, value end into `arena` (used where the string is null). */
  private readonly spans: Int32Array;
  // Lifetime: the arena is owned by this list (copied from the decoder's scratch), never reused.
  private readonly arena: Uint8Array;

  /** @internal Built by the decoder. */
  constructor(
    names: Array<string | null>,
    values: Array<string | null>,
    spans: Int32Array,
    arena: Uint8Array,
  ) {
    this.length = names.length;
    this.names = names;
    this.values = values;
    this.spans = spans;
    this.arena = arena;
  }

  /** Name of line `i` (lowercase as sent; QPACK does not validate it). */
  name(i: number): string {
    let s = this.names[i];
    if (s === undefined) throw new RangeError(`field line ${i} out of range (length ${this.length})`);
    if (s === null) {
      s = latin1(this.arena, this.spans[4 * i]!, this.spans[4 * i + 1]!);
      this.names[i] = s;
    }
    return s;
  }

  /** Value of line `i`. */
  value(i: number): string {
    let s = this.values[i];
    if (s === undefined) throw new RangeError(`field line ${i} out of range (length ${this.length})`);
    if (s === null) {
      s = latin1(this.arena, this.spans[4 * i + 2]!, this.spans[4 * i + 3]!);
      this.values[i] = s;
    }
    return s;
  }

  /** All lines as `[name, value]` pairs, in order. */
  toArray(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }
}
