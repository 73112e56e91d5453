/**
 * Route parameters of one match, read lazily: the matcher records where each `:name` (and the `*` rest)
 * starts and ends in the request path, and a value becomes a string only when it is read.
 */

/**
 * The params of a matched route. Values are the path's bytes between the recorded offsets, percent-decoded
 * (`%2F` stays inside its param: the path is split on `/` first, then decoded). The wildcard's value is
 * named `*`.
 *
 * Lifetime: a `Params` belongs to the match that made it and stays valid for as long as it is referenced
 * (it holds the path string, not a reused buffer), so async handlers may read it after an `await`.
 */
export class Params {
  /** Param names in path order (`*` for the wildcard). Shared by every match of the route. */
  readonly names: readonly string[];
  /** The path the values were cut from. */
  private readonly path: string;
  /** `[start0, end0, start1, end1, ...]` into {@link path}. */
  private readonly offsets: readonly number[];
  /** Decoded values of params that held a `%` escape (decoded at match time to validate them), else null. */
  private readonly decoded: readonly (string | undefined)[] | null;

  constructor(
    names: readonly string[],
    path: string,
    offsets: readonly number[],
    decoded: readonly (string | undefined)[] | null,
  ) {
    this.names = names;
    this.path = path;
    this.offsets = offsets;
    this.decoded = decoded;
  }

  /** Number of params. */
  get length(): number {
    return this.names.length;
  }

  /** The value of param `name`, or undefined when the route has no such param. */
  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.at(i);
  }

  /** The value of the `i`-th param (path order). */
  at(i: number): string {
    if (this.decoded !== null) {
      const d = this.decoded[i];
      if (d !== undefined) return d;
    }
    const o = this.offsets;
    return this.path.slice(o[2 * i], o[2 * i + 1]);
  }

  /** A plain object `{ name: value }` (a copy: builds every string). */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]!] = this.at(i);
    return out;
  }
}

/** The params of every static route: none. */
export const EMPTY_PARAMS: Params = new Params([], '', [], null);
