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

const NO_NAMES: readonly string[] = Object.freeze([]);
const NO_OFFSETS: readonly number[] = Object.freeze([]);

/**
 * A route matched: what was registered, the pattern, and the params (the match is its own {@link Params},
 * so a hit allocates this one object and the offsets array). For a route without params it is built once
 * when the route is added and returned by every hit: treat it as read-only.
 */
export class RouteMatch<T> implements Params {
  readonly status: typeof RouteStatus.Found = RouteStatus.Found;
  /** What was registered (the handler, for the Router). */
  readonly value: T;
  /** The route path as registered, e.g. `/users/:id`. */
  readonly pattern: string;
  /** The method the route was registered for (`*` for `all`), e.g. `GET` for a HEAD served by GET. */
  readonly method: string;
  readonly names: readonly string[];
  /** The path the values are cut from. */
  private readonly path: string;
  /** `[start0, end0, start1, end1, ...]` into {@link path}. */
  private readonly offsets: readonly number[];
  /** Decoded values of params that held a `%` escape (decoded at match time to validate them), else null. */
  private readonly decoded: readonly (string | undefined)[] | null;

  constructor(
    value: T,
    pattern: string,
    method: string,
    names: readonly string[] = NO_NAMES,
    path = '',
    offsets: readonly number[] = NO_OFFSETS,
    decoded: readonly (string | undefined)[] | null = null,
  ) {
    this.value = value;
    this.pattern = pattern;
    this.method = method;
    this.names = names;
    this.path = path;
    this.offsets = offsets;
    this.decoded = decoded;
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
    const o = this.offsets;
    return this.path.slice(o[2 * i], o[2 * i + 1]);
  }

  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]!] = this.at(i);
    return out;
  }
}
