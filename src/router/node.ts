/** The radix tree's node and route entry (src/router/tree.ts builds them, src/router/compile.ts reads them). */
import { RouteMatch } from './match.js';

/** Method slots with fixed meaning in {@link Node.pick}. */
export const GET = 0;
export const HEAD = 1;

/** One registered route. */
export class RouteEntry<T> {
  readonly value: T;
  readonly method: string;
  readonly pattern: string;
  readonly names: readonly string[];
  /** The shared match of a route without params, else null. */
  readonly match: RouteMatch<T> | null;

  constructor(value: T, method: string, pattern: string, names: readonly string[]) {
    this.value = value;
    this.method = method;
    this.pattern = pattern;
    this.names = names;
    this.match = names.length === 0 ? new RouteMatch(this) : null;
  }
}

/** A radix-tree node. Every field is set in the constructor (one hidden class for all nodes). */
export class Node<T> {
  /** Static text consumed on entering this node; '' for the root, param and wildcard nodes. */
  label: string;
  /** First character code of each static child's label (lowercased when case-insensitive). */
  readonly firstChars: number[] = [];
  readonly children: Node<T>[] = [];
  param: Node<T> | null = null;
  wildcard: Node<T> | null = null;
  /** Entries by method slot, or null when no route ends here. */
  table: (RouteEntry<T> | undefined)[] | null = null;
  /** The `all` entry. */
  any: RouteEntry<T> | null = null;

  /** The label's character codes (read without a string-representation check per character). */
  codes: number[];

  constructor(label: string) {
    this.label = label;
    this.codes = charCodes(label);
  }

  setLabel(label: string): void {
    this.label = label;
    this.codes = charCodes(label);
  }

  /** The entry serving method slot `m` here: its own, GET's for HEAD, else `all`'s. */
  pick(m: number): RouteEntry<T> | null {
    const t = this.table;
    if (t !== null && m >= 0) {
      const e = t[m];
      if (e !== undefined) return e;
      if (m === HEAD) {
        const g = t[GET];
        if (g !== undefined) return g;
      }
    }
    return this.any;
  }
}

function charCodes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}
