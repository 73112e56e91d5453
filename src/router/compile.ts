/**
 * Compiles a route tree into one JavaScript function that performs the same depth-first search as
 * `RouteTree.walk`, with the tree's shape laid out as code: a `switch` on the first character of each
 * static child, the label's remaining characters compared inline, a block per param (its depth, hence its
 * slot in the offsets array, is known when compiling) and per wildcard. Failing a block falls through to
 * the next alternative, which is the backtracking. Measured about twice as fast as the tree walk on the
 * bench cases (bench/router.bench.ts).
 *
 * Safety: the generated source holds only numbers, fixed identifiers and indexes into the node array; no
 * route text, so no registered path can inject code. Where code generation from strings is disallowed
 * (`--disallow-code-generation-from-strings`, CSP), {@link compileWalk} returns null and the tree walks.
 */
import type { Node, RouteEntry } from './node.js';

/** The compiled search: the entry found (its params' `[start, end]` pairs in `offsets`) or null. */
export type CompiledWalk<T> = (
  path: string,
  end: number,
  m: number,
  offsets: number[],
) => RouteEntry<T> | null;

/** Labels longer than this are compared with a loop instead of unrolled comparisons (keeps code small). */
const MAX_UNROLLED = 8;

/**
 * Generated source longer than this is not used: the tree walks instead. V8 optimizes only functions under
 * a bytecode size limit; above it the generated function stays unoptimized and was measured up to 30 times
 * slower than the walk (200 routes, 127 KB of source), and compiling it took 30 ms. The 100-route bench
 * table needs about 33 KB.
 */
const MAX_SOURCE_LENGTH = 40_000;

/**
 * Builds the compiled walk for the tree under `root`, or null when code generation is unavailable or the
 * tree is too large to gain from it (see {@link MAX_SOURCE_LENGTH}).
 * `isCaseSensitive` and `maxParamLength` are the tree's options, baked in.
 */
export function compileWalk<T>(
  root: Node<T>,
  isCaseSensitive: boolean,
  maxParamLength: number,
): CompiledWalk<T> | null {
  // Each node costs well over 40 characters of source: skip generating what could not be used.
  if (countNodes(root) * 40 > MAX_SOURCE_LENGTH) return null;
  const nodes: Node<T>[] = [];
  let vars = 0;
  const idx = (n: Node<T>): number => {
    nodes.push(n);
    return nodes.length - 1;
  };

  /** Code matching `label[1..]` at `p` (the first character was checked by the switch). */
  const labelTest = (codes: readonly number[], k: number, p: string): string => {
    // A one-character label is already matched by the switch (which read a character before `end`).
    if (codes.length === 1) return 'true';
    const parts = [`end - ${p} >= ${codes.length}`];
    if (codes.length > MAX_UNROLLED) {
      parts.push(`${isCaseSensitive ? 'eq' : 'eqi'}(path, ${p}, N[${k}].codes)`);
      return parts.join(' && ');
    }
    for (let i = 1; i < codes.length; i++) {
      const c = codes[i]!;
      const isLetter = c >= 0x61 && c <= 0x7a;
      parts.push(
        !isCaseSensitive && isLetter
          ? `(path.charCodeAt(${p} + ${i}) | 32) === ${c}`
          : `path.charCodeAt(${p} + ${i}) === ${c}`,
      );
    }
    return parts.join(' && ');
  };

  /** Code trying `node` (its label already matched) at position variable `p` with `d` params recorded. */
  const gen = (node: Node<T>, p: string, d: number): string => {
    const k = idx(node);
    let out = '';
    const hasEntry = node.table !== null || node.any !== null;
    const w = node.wildcard;
    const wk = w === null ? -1 : idx(w);
    if (hasEntry || w !== null) {
      out += `if (${p} === end) {`;
      if (hasEntry) out += `const e = N[${k}].pick(m); if (e !== null) return e;`;
      if (w !== null) {
        out += `const w = N[${wk}].pick(m); if (w !== null) { o[${2 * d}] = ${p}; o[${2 * d + 1}] = ${p}; return w; }`;
      }
      out += '} else {';
    } else {
      out += `if (${p} !== end) {`;
    }
    if (node.children.length > 0) {
      out += `switch (path.charCodeAt(${p})) {`;
      for (const child of node.children) {
        const c = child.codes[0]!;
        const isLetter = c >= 0x61 && c <= 0x7a;
        out += !isCaseSensitive && isLetter ? `case ${c}: case ${c - 32}: {` : `case ${c}: {`;
        const ck = nodes.length;
        const q = `p${++vars}`;
        // gen() registers the child first, so its index is `ck`.
        const inner = gen(child, q, d);
        out += `if (${labelTest(child.codes, ck, p)}) { const ${q} = ${p} + ${child.codes.length}; ${inner} } break; }`;
      }
      out += '}';
    }
    if (node.param !== null) {
      const j = `p${++vars}`;
      // indexOf: a request's path is a fresh (sliced) string, where each charCodeAt costs a representation
      // check; the builtin's one-character search does it once (measured 7 ns against 24 ns for 9 chars).
      out += `{ let ${j} = path.indexOf(SLASH, ${p}); if (${j} < 0 || ${j} > end) ${j} = end;`;
      out += `if (${j} > ${p} && ${j} - ${p} <= ${maxParamLength}) { o[${2 * d}] = ${p}; o[${2 * d + 1}] = ${j}; ${gen(node.param, j, d + 1)} } }`;
    }
    if (w !== null) {
      out += `{ const w = N[${wk}].pick(m); if (w !== null) { o[${2 * d}] = ${p}; o[${2 * d + 1}] = end;`;
      out += 'return w; } }';
    }
    out += '}';
    return out;
  };

  const body = `const p0 = 0; ${gen(root, 'p0', 0)} return null;`;
  if (body.length > MAX_SOURCE_LENGTH) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from numbers only (see above)
    const factory = new Function(
      'N',
      'SLASH',
      'eq',
      'eqi',
      `return function walk(path, end, m, o) { ${body} };`,
    ) as (n: Node<T>[], slash: string, e: typeof codesEqual, ei: typeof codesEqualFolded) => CompiledWalk<T>;
    return factory(nodes, '/', codesEqual, codesEqualFolded);
  } catch {
    return null;
  }
}

/** Whether `path` holds `codes` at `pos` (the caller checked the length). */
function codesEqual(path: string, pos: number, codes: readonly number[]): boolean {
  for (let i = 1; i < codes.length; i++) if (path.charCodeAt(pos + i) !== codes[i]) return false;
  return true;
}

/** {@link codesEqual} with ASCII letters of the path lowercased (`codes` are lowercase). */
function codesEqualFolded(path: string, pos: number, codes: readonly number[]): boolean {
  for (let i = 1; i < codes.length; i++) {
    const c = path.charCodeAt(pos + i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== codes[i]) return false;
  }
  return true;
}

/** Number of nodes under and including `root`. */
function countNodes<T>(root: Node<T>): number {
  let n = 0;
  const stack = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    n++;
    stack.push(...node.children);
    if (node.param !== null) stack.push(node.param);
    if (node.wildcard !== null) stack.push(node.wildcard);
  }
  return n;
}
