/**
 * A decoded field section. Names and values that came from a table are strings already; literals stay
 * bytes in the decoder's slab until first asked for, then are decoded (latin1) once and cached.
 */
import { decodeLatin1 } from '../common/latin1.js';

/** A decoded QPACK field section: an ordered list of (name, value) lines, duplicates kept. */
export class HeaderList {
  /** Number of field lines. */
  readonly length: number;
  /** Name of line i at 2i, value at 2i + 1; null until a literal is decoded. */
  private readonly strings: Array<string | null>;
  /** For string k: its byte range in `slab` at [2k, 2k + 1] (only read while `strings[k]` is null). */
  private readonly spans: number[];
  // Lifetime: a region of a decoder slab that is written once and never reused (bump allocation).
  private readonly slab: Uint8Array;

  /** @internal Built by the decoder. */
  constructor(strings: Array<string | null>, spans: number[], slab: Uint8Array) {
    this.length = strings.length >>> 1;
    this.strings = strings;
    this.spans = spans;
    this.slab = slab;
  }

  /** Name of line `i` (as sent; QPACK does not validate it). */
  name(i: number): string {
    return this.string(2 * i, i);
  }

  /** Value of line `i`. */
  value(i: number): string {
    return this.string(2 * i + 1, i);
  }

  /** All lines as `[name, value]` pairs, in order. */
  toArray(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }

  private string(k: number, i: number): string {
    const s = this.strings[k];
    if (s !== null && s !== undefined) return s;
    if (s === undefined || i < 0)
      throw new RangeError(`field line ${i} out of range (length ${this.length})`);
    const decoded = decodeLatin1(this.slab, this.spans[2 * k]!, this.spans[2 * k + 1]!);
    this.strings[k] = decoded;
    return decoded;
  }
}
