/**
 * A matched route and its params, in one object: the matcher records where each `:name` (and the `*`
 * rest) starts and ends in the request path, and a value becomes a string only when it is read.
 */
import { RouteStatus } from './status.js';

/**
 * Route parameters, read lazily. Values are the path's characters between the recorded offsets,
 * percent-decoded (`%2F` stays inside its param: the path is split on `/` first, then decoded). The
 * wildcard's value is named `*`.
 *
 * Lifetime: the params belong to the match that made them and stay valid as long as it is referenced (they
 * hold the path string, not a reused buffer), so async handlers may read them after an `await`.
 */
export interface Params {
  /** Param names in path order (`*` for the wildcard). Shared by every match of the route. */
  readonly names: readonly string[];
  /** Number of params. */
  readonly length: number;
  /** The value of param `name`, or undefined when the route has no such param. */
  get(name: string): string | undefined;
  /** The value of the `i`-th param (path order). */
  at(i: number): string;
  /** A plain object `{ name: value }` (a copy: builds every string). */
  toObject(): Record<string, string>;
}

const NO_OFFSETS: readonly number[] = Object.freeze([]);

/** What a match reads from its route (the tree's RouteEntry). */
export interface MatchedRoute<T> {
  readonly value: T;
  readonly pattern: string;
  readonly method: string;
  readonly names: readonly string[];
}

/**
 * A route matched: what was registered, the pattern, and the params (the match is its own {@link Params},
 * with the offsets of the first three params in fields, so a hit with up to three params allocates this one
 * object). For a route without params it is built once when the route is added and returned by every hit:
 * treat it as read-only.
 */
export class RouteMatch<T> implements Params {
  /** The route this match is of: value, pattern, method and names live there (fewer fields per hit). */
  private readonly entry: MatchedRoute<T>;
  /** The path the values are cut from. */
  private readonly path: string;
  // Start and end of params 0-2 in {@link path}.
  private readonly s0: number;
  private readonly e0: number;
  private readonly s1: number;
  private readonly e1: number;
  private readonly s2: number;
  private readonly e2: number;
  /** `[start, end]` pairs of params 3 and later, or null. */
  private readonly more: readonly number[] | null;
  /** Decoded values of params that held a `%` escape (decoded at match time to validate them), else null. */
  private decoded: (string | undefined)[] | null = null;

  /** `offsets` holds `[start, end]` pairs for each of the route's names (read, not kept). */
  constructor(entry: MatchedRoute<T>, path = '', offsets: readonly number[] = NO_OFFSETS) {
    this.entry = entry;
    this.path = path;
    const n = entry.names.length;
    this.s0 = n > 0 ? offsets[0]! : 0;
    this.e0 = n > 0 ? offsets[1]! : 0;
    this.s1 = n > 1 ? offsets[2]! : 0;
    this.e1 = n > 1 ? offsets[3]! : 0;
    this.s2 = n > 2 ? offsets[4]! : 0;
    this.e2 = n > 2 ? offsets[5]! : 0;
    this.more = n > 3 ? offsets.slice(6, 2 * n) : null;
  }

  get status(): typeof RouteStatus.Found {
    return RouteStatus.Found;
  }

  /** What was registered (the handler, for the Router). */
  get value(): T {
    return this.entry.value;
  }

  /** The route path as registered, e.g. `/users/:id`. */
  get pattern(): string {
    return this.entry.pattern;
  }

  /** The method the route was registered for (`*` for `all`), e.g. `GET` for a HEAD served by GET. */
  get method(): string {
    return this.entry.method;
  }

  get names(): readonly string[] {
    return this.entry.names;
  }

  /** The route's params (this object). */
  get params(): Params {
    return this;
  }

  get length(): number {
    return this.names.length;
  }

  get(name: string): string | undefined {
    const names = this.names;
    // Identity first: names are usually the same interned literals as the route's.
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.at(i);
    return undefined;
  }

  at(i: number): string {
    if (this.decoded !== null) {
      const d = this.decoded[i];
      if (d !== undefined) return d;
    }
    return this.raw(i);
  }

  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]!] = this.at(i);
    return out;
  }

  /** The `i`-th value as sent (not decoded); '' when out of range. */
  private raw(i: number): string {
    switch (i) {
      case 0:
        return this.path.slice(this.s0, this.e0);
      case 1:
        return this.path.slice(this.s1, this.e1);
      case 2:
        return this.path.slice(this.s2, this.e2);
      default: {
        const m = this.more;
        if (m === null || i < 0 || 2 * i >= 2 * this.names.length) return '';
        return this.path.slice(m[2 * i - 6], m[2 * i - 5]);
      }
    }
  }

  /**
   * Decodes the values holding a `%` escape (RFC 3986 §2.1; UTF-8, RFC 3986 §2.5); false when one is
   * malformed. Called by the matcher once, before the match is handed out.
   */
  decodeParams(): boolean {
    const out: (string | undefined)[] = [];
    for (let i = 0; i < this.names.length; i++) {
      const raw = this.raw(i);
      if (!raw.includes('%')) {
        out.push(undefined);
        continue;
      }
      try {
        out.push(decodeURIComponent(raw));
      } catch {
        return false;
      }
    }
    this.decoded = out;
    return true;
  }
}
