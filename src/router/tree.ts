/**
 * The router's matching core: a radix tree over route paths, sans-I/O (a method and a path in, a result
 * out; no request or response objects, no node:* imports).
 *
 * Shape. Static text is stored in a compressed radix tree keyed by characters, so static prefixes shared by
 * many routes are compared once and a label may span several segments. A node whose path so far ends with
 * `/` may also have one param child (`:name`, one non-empty segment) and one wildcard child (`*`, the rest
 * of the path, possibly empty). Each node that ends a route holds one entry per method.
 *
 * Priority and backtracking. At every node the static child is tried first, then the param child, then the
 * wildcard, depth first; the first node reached at the end of the path that has an entry for the method
 * wins. A branch that fails further down is abandoned and the next alternative is tried, so `/a/b/d` and
 * `/a/:x/c` both work. Equivalently (and this is how test/router/tree.prop.test.ts states it): among the
 * routes that match the path and have the method, the winner has the smallest sequence of segment kinds
 * (static < param < wildcard) compared left to right.
 *
 * Methods. Methods are case-sensitive tokens (RFC 9110 §9.1). HEAD falls back to the GET entry of the same
 * node when that node has no HEAD entry (RFC 9110 §9.3.2: HEAD is GET without the content; the server drops
 * the body). An `all` entry answers any method the node has no entry for. When no route matches for the
 * method but routes match for others, the result is 405 with the `Allow` value (RFC 9110 §15.5.6).
 *
 * Decoding. Static parts are compared with the path as sent (percent-encoded: register them encoded).
 * Param and wildcard values are cut from the path first and then percent-decoded (RFC 3986 §2.1), so `%2F`
 * stays inside its param; a malformed escape or non-UTF-8 result is a 400 result, never a throw.
 */
import { UsageError } from '../common/errors.js';
import { RouterErrorCode } from './errors.js';
import { compileWalk, type CompiledWalk } from './compile.js';
import { RouteMatch } from './match.js';
import { GET, HEAD, Node, RouteEntry } from './node.js';
import { RouteStatus } from './status.js';

/** Options of a {@link RouteTree} (and of the Router). */
export interface RouterOptions {
  /**
   * Treat `/a/` as `/a`: a route's trailing slash is dropped when added, and a path ending in `/` is matched
   * without it first (a wildcard then sees the rest without the slash), then as sent. Default false.
   */
  readonly ignoreTrailingSlash?: boolean;
  /**
   * Compare static parts case-sensitively (RFC 3986 §6.2.2.1: the path is case-sensitive). When false,
   * ASCII letters of static parts match either case; param values keep the case sent. Default true.
   */
  readonly caseSensitive?: boolean;
  /** Longest param value, in characters of the encoded path; a longer segment does not match the param. */
  readonly maxParamLength?: number;
  /**
   * Compile the tree into a JavaScript function on the first lookup after a change (src/router/compile.ts;
   * same results, faster on tables of up to about a hundred routes). Larger tables, and runtimes that
   * disallow code generation from strings, walk the tree. Default true.
   */
  readonly compile?: boolean;
}

/** Defaults of {@link RouterOptions}. */
export const DEFAULT_ROUTER_OPTIONS: Readonly<Required<RouterOptions>> = Object.freeze({
  ignoreTrailingSlash: false,
  caseSensitive: true,
  // Long enough for UUIDs, slugs and 256-character tokens; bounds the work and the strings one param costs.
  maxParamLength: 256,
  compile: true,
});

/** No route matches the path for any method. */
export interface RouteNotFound {
  readonly status: typeof RouteStatus.NotFound;
}

/** Routes match the path, but none for this method. */
export interface RouteMethodNotAllowed {
  readonly status: typeof RouteStatus.MethodNotAllowed;
  /** The `Allow` field value: `GET, HEAD, POST` (HEAD listed whenever GET is). */
  readonly allow: string;
}

/** A route matched but a param value does not decode. */
export interface RouteBadRequest {
  readonly status: typeof RouteStatus.BadRequest;
  readonly code: typeof RouterErrorCode.MalformedParam;
}

/** The result of {@link RouteTree.find}; switch on `status`. */
export type FindResult<T> = RouteMatch<T> | RouteNotFound | RouteMethodNotAllowed | RouteBadRequest;

const NOT_FOUND: RouteNotFound = Object.freeze({ status: RouteStatus.NotFound });
const BAD_REQUEST: RouteBadRequest = Object.freeze({
  status: RouteStatus.BadRequest,
  code: RouterErrorCode.MalformedParam,
});

/** Methods with fixed slots (RFC 9110 §9.3, RFC 5789), in the order `Allow` lists them. */
const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];

function standardMethodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'PATCH':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'CONNECT':
      return 7;
    case 'TRACE':
      return 8;
    default:
      return -1;
  }
}

/** 1 for RFC 9110 §5.6.2 tchar. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
/** 1 for characters allowed in a static part of a route path: RFC 3986 §3.3 pchar and `/`, minus `:` `*` `%`. */
const PATH_CHAR = new Uint8Array(128);
for (const c of "-._~!$&'()+,;=@/") PATH_CHAR[c.charCodeAt(0)] = 1;
for (let c = 0; c < 128; c++) {
  const isAlnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  if (isAlnum) {
    TCHAR[c] = 1;
    PATH_CHAR[c] = 1;
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/**
 * The internalized copy of `s`, so that `params.get('id')` with a literal finds the name by identity (a
 * sliced name compares by content). An object key is internalized.
 */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** ASCII-lowercases a character code. */
function fold(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** A parsed route path: static texts and params in order. */
type Token = { readonly kind: 'static'; readonly text: string } | { readonly kind: 'param' | 'wildcard' };

/**
 * The matching core. `T` is what a route carries (the Router stores handlers).
 *
 * ```ts
 * const tree = new RouteTree<string>();
 * tree.add('GET', '/users/:id', 'user');
 * const r = tree.find('GET', '/users/42');
 * if (r.status === RouteStatus.Found) r.params.get('id'); // '42'
 * ```
 */
export class RouteTree<T> {
  readonly options: Readonly<Required<RouterOptions>>;
  private readonly root = new Node<T>('');
  private readonly isCaseSensitive: boolean;
  private readonly maxParamLength: number;
  /** Slots of methods beyond the standard ones, assigned when first registered. */
  private readonly customMethods = new Map<string, number>();
  /** Method names by slot. */
  private readonly methodNames: string[] = STANDARD_METHODS.slice();
  /** Param offsets of the walk in progress: `[start, end]` pairs, `depth` pairs used. */
  private readonly offsets: number[] = [];
  /** Backtracking frames of the walk in progress: the node, and `[pos, depth, stage]` triples. */
  private readonly frameNodes: Node<T>[] = [];
  private readonly frameInts: number[] = [];
  /** The compiled walk; undefined until the first lookup after a change, null when not compiling. */
  private compiled: CompiledWalk<T> | null | undefined = undefined;
  private readonly isIgnoringTrailingSlash: boolean;

  constructor(options: RouterOptions = {}) {
    const o = { ...DEFAULT_ROUTER_OPTIONS, ...options };
    if (!Number.isInteger(o.maxParamLength) || o.maxParamLength < 1) {
      throw new UsageError(
        RouterErrorCode.InvalidOption,
        `maxParamLength must be a positive integer, got ${String(o.maxParamLength)}`,
      );
    }
    this.options = Object.freeze(o);
    this.isCaseSensitive = o.caseSensitive;
    this.isIgnoringTrailingSlash = o.ignoreTrailingSlash;
    this.maxParamLength = o.maxParamLength;
  }

  /**
   * Adds a route. `method` is a method token or `*` (every method); `path` starts with `/`, segments are
   * static text, `:name` (one non-empty segment) or a final `*` (the rest, possibly empty).
   * Throws `UsageError` `ERR_ROUTER_INVALID_PATH`, `ERR_ROUTER_INVALID_METHOD` or `ERR_ROUTER_CONFLICT`.
   */
  add(method: string, path: string, value: T): void {
    const slot = this.methodSlot(method);
    const [tokens, names] = this.parsePath(path);
    let node = this.root;
    for (const t of tokens) {
      if (t.kind === 'static') node = this.insertStatic(node, t.text);
      else if (t.kind === 'param') node = node.param ??= new Node<T>('');
      else node = node.wildcard ??= new Node<T>('');
    }
    const entry = new RouteEntry(value, method, path, names);
    this.compiled = undefined;
    if (slot < 0) {
      if (node.any !== null) throw conflict(method, path, node.any.pattern);
      node.any = entry;
    } else {
      const table = (node.table ??= []);
      const old = table[slot];
      if (old !== undefined) throw conflict(method, path, old.pattern);
      while (table.length < slot) table.push(undefined);
      table[slot] = entry;
    }
    while (this.offsets.length < 2 * names.length) this.offsets.push(0);
  }

  /**
   * Finds the route for `method` and `path` (the path without the query, as sent). A hit on a route
   * without params returns a shared object and allocates nothing.
   */
  find(method: string, path: string): FindResult<T> {
    if (this.compiled === undefined) {
      this.compiled = this.options.compile
        ? compileWalk(this.root, this.isCaseSensitive, this.maxParamLength)
        : null;
    }
    let m = standardMethodIndex(method);
    if (m < 0) m = this.customMethods.get(method) ?? -1;
    const end = path.length;
    if (this.isIgnoringTrailingSlash && end > 1 && path.charCodeAt(end - 1) === 0x2f) {
      const r = this.lookup(m, path, end - 1);
      if (r !== null) return r;
    }
    return this.lookup(m, path, end) ?? this.miss(path);
  }

  private lookup(m: number, path: string, end: number): RouteMatch<T> | RouteBadRequest | null {
    const c = this.compiled;
    const e = c !== null && c !== undefined ? c(path, end, m, this.offsets) : this.walk(path, end, m);
    if (e === null) return null;
    if (e.match !== null) return e.match;
    const match = new RouteMatch(e, path, this.offsets);
    // One search of the whole path, not a test per character in the walk: a `%` anywhere (a static segment
    // too) makes the match check each of its values.
    if (path.indexOf('%') >= 0 && !match.decodeParams()) return BAD_REQUEST;
    return match;
  }

  /**
   * Depth-first search (see the file comment for the order), iterative: a node with a param or wildcard
   * child that is left for its static child pushes a frame saying where to resume; a dead end pops one.
   * `stage` is the next alternative at `node`: 0 static, 1 param, 2 wildcard. Param offsets go to
   * {@link offsets}; a frame keeps the param depth to restore.
   */
  private walk(path: string, end: number, m: number): RouteEntry<T> | null {
    const offsets = this.offsets;
    const frameNodes = this.frameNodes;
    const frameInts = this.frameInts;
    let sp = 0;
    let node = this.root;
    let pos = 0;
    let depth = 0;
    let stage = 0;
    for (;;) {
      if (stage === 0) {
        if (pos === end) {
          const e = node.pick(m);
          if (e !== null) return e;
          // Only the wildcard can match the empty rest.
          stage = 2;
        } else {
          const next = this.staticChild(node, path, pos, end);
          if (next !== null) {
            if (node.param !== null || node.wildcard !== null) {
              frameNodes[sp] = node;
              frameInts[3 * sp] = pos;
              frameInts[3 * sp + 1] = depth;
              frameInts[3 * sp + 2] = 1;
              sp++;
            }
            pos += next.label.length;
            node = next;
            continue;
          }
          stage = 1;
        }
      }
      if (stage === 1) {
        const param = node.param;
        if (param !== null) {
          // indexOf, not a charCodeAt loop: on a request's (sliced) path each charCodeAt checks the
          // string's representation again (see src/router/compile.ts).
          let j = path.indexOf('/', pos);
          if (j < 0 || j > end) j = end;
          if (j > pos && j - pos <= this.maxParamLength) {
            if (node.wildcard !== null) {
              frameNodes[sp] = node;
              frameInts[3 * sp] = pos;
              frameInts[3 * sp + 1] = depth;
              frameInts[3 * sp + 2] = 2;
              sp++;
            }
            offsets[2 * depth] = pos;
            offsets[2 * depth + 1] = j;
            depth++;
            pos = j;
            node = param;
            stage = 0;
            continue;
          }
        }
      }
      const wildcard = node.wildcard;
      if (wildcard !== null) {
        const e = wildcard.pick(m);
        if (e !== null) {
          offsets[2 * depth] = pos;
          offsets[2 * depth + 1] = end;
          return e;
        }
      }
      if (sp === 0) return null;
      sp--;
      node = frameNodes[sp]!;
      pos = frameInts[3 * sp]!;
      depth = frameInts[3 * sp + 1]!;
      stage = frameInts[3 * sp + 2]!;
    }
  }

  /** The static child of `node` whose label matches the path at `pos`, or null. */
  private staticChild(node: Node<T>, path: string, pos: number, end: number): Node<T> | null {
    let c = path.charCodeAt(pos);
    if (!this.isCaseSensitive) c = fold(c);
    const fc = node.firstChars;
    for (let k = 0; k < fc.length; k++) {
      if (fc[k] !== c) continue;
      const child = node.children[k]!;
      const label = child.label;
      if (pos + label.length > end) return null;
      // A plain loop: measured faster than startsWith(label, pos) for labels of a few characters.
      const codes = child.codes;
      if (this.isCaseSensitive) {
        for (let i = 1; i < codes.length; i++) {
          if (path.charCodeAt(pos + i) !== codes[i]) return null;
        }
      } else {
        for (let i = 1; i < codes.length; i++) {
          if (fold(path.charCodeAt(pos + i)) !== codes[i]) return null;
        }
      }
      return child;
    }
    return null;
  }

  /** The 404 or 405 answer for a path no route matched for the method. */
  private miss(path: string): RouteNotFound | RouteMethodNotAllowed {
    const seen: boolean[] = [];
    const end = path.length;
    this.collect(this.root, path, 0, end, seen);
    if (this.options.ignoreTrailingSlash && end > 1 && path.charCodeAt(end - 1) === 0x2f) {
      this.collect(this.root, path, 0, end - 1, seen);
    }
    if (seen.length === 0) return NOT_FOUND;
    if (seen[GET] === true) seen[HEAD] = true;
    const allow: string[] = [];
    for (let i = 0; i < seen.length; i++) if (seen[i] === true) allow.push(this.methodNames[i]!);
    return { status: RouteStatus.MethodNotAllowed, allow: allow.join(', ') };
  }

  /** Marks the methods of every route matching the path (the whole search, no early exit). */
  private collect(node: Node<T>, path: string, pos: number, end: number, seen: boolean[]): void {
    if (pos === end) {
      markMethods(node, seen);
      if (node.wildcard !== null) markMethods(node.wildcard, seen);
      return;
    }
    const next = this.staticChild(node, path, pos, end);
    if (next !== null) this.collect(next, path, pos + next.label.length, end, seen);
    if (node.param !== null) {
      let j = path.indexOf('/', pos);
      if (j < 0 || j > end) j = end;
      if (j > pos && j - pos <= this.maxParamLength) this.collect(node.param, path, j, end, seen);
    }
    if (node.wildcard !== null) markMethods(node.wildcard, seen);
  }

  /** The slot of `method` (-1 for `*`), assigning one to a new extension method. */
  private methodSlot(method: string): number {
    if (method === '*') return -1;
    let valid = typeof method === 'string' && method.length > 0;
    for (let i = 0; valid && i < method.length; i++) {
      const c = method.charCodeAt(i);
      valid = c < 128 && TCHAR[c] === 1;
    }
    // RFC 9110 §9.1: a method is a token, compared case-sensitively.
    if (!valid) {
      throw new UsageError(RouterErrorCode.InvalidMethod, `invalid method ${JSON.stringify(method)}`);
    }
    const std = standardMethodIndex(method);
    if (std >= 0) return std;
    let slot = this.customMethods.get(method);
    if (slot === undefined) {
      slot = this.methodNames.length;
      this.methodNames.push(method);
      this.customMethods.set(method, slot);
    }
    return slot;
  }

  /** Splits a route path into tokens (adjacent static text merged) and param names, validating it. */
  private parsePath(path: string): [Token[], string[]] {
    const invalid = (why: string): UsageError =>
      new UsageError(RouterErrorCode.InvalidPath, `invalid route path ${JSON.stringify(path)}: ${why}`);
    if (typeof path !== 'string' || path.charCodeAt(0) !== 0x2f) throw invalid('must start with /');
    let p = path;
    if (this.options.ignoreTrailingSlash && p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    const tokens: Token[] = [];
    const names: string[] = [];
    let text = '';
    const segments = p.slice(1).split('/');
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      text += '/';
      if (seg.charCodeAt(0) === 0x3a) {
        const name = seg.slice(1);
        if (!/^[A-Za-z0-9_-]+$/.test(name)) throw invalid(`param name ${JSON.stringify(name)}`);
        if (names.includes(name)) throw invalid(`param :${name} twice`);
        names.push(intern(name));
        tokens.push({ kind: 'static', text }, { kind: 'param' });
        text = '';
      } else if (seg === '*') {
        if (s !== segments.length - 1) throw invalid('* must be the last segment');
        names.push('*');
        tokens.push({ kind: 'static', text }, { kind: 'wildcard' });
        text = '';
      } else {
        for (let i = 0; i < seg.length; i++) {
          const c = seg.charCodeAt(i);
          if (c === 0x25 && isHex(seg.charCodeAt(i + 1)) && isHex(seg.charCodeAt(i + 2))) {
            i += 2;
            continue;
          }
          if (c >= 128 || PATH_CHAR[c] !== 1) {
            throw invalid(
              `character ${JSON.stringify(seg[i])} (: and * only start a segment; encode the rest)`,
            );
          }
        }
        text += this.isCaseSensitive ? seg : seg.toLowerCase();
      }
    }
    if (text.length > 0) tokens.push({ kind: 'static', text });
    return [tokens, names];
  }

  /** Walks or extends the static children of `node` along `text`; returns the node ending at its end. */
  private insertStatic(node: Node<T>, text: string): Node<T> {
    let rest = text;
    let at = node;
    while (rest.length > 0) {
      const c = rest.charCodeAt(0);
      const k = at.firstChars.indexOf(c);
      if (k < 0) {
        const child = new Node<T>(rest);
        at.firstChars.push(c);
        at.children.push(child);
        return child;
      }
      let child = at.children[k]!;
      const label = child.label;
      let common = 1;
      while (common < label.length && common < rest.length && label[common] === rest[common]) common++;
      if (common < label.length) {
        // Split: a new node takes the shared prefix; the old child keeps its subtree under the remainder.
        const mid = new Node<T>(label.slice(0, common));
        child.setLabel(label.slice(common));
        mid.firstChars.push(child.label.charCodeAt(0));
        mid.children.push(child);
        at.children[k] = mid;
        child = mid;
      }
      rest = rest.slice(common);
      at = child;
    }
    return at;
  }
}

function conflict(method: string, path: string, existing: string): UsageError {
  return new UsageError(
    RouterErrorCode.Conflict,
    `route ${method} ${path} conflicts with ${method} ${existing} (same method, equivalent path)`,
  );
}

function markMethods<T>(node: Node<T>, seen: boolean[]): void {
  const t = node.table;
  if (t === null) return;
  for (let i = 0; i < t.length; i++) if (t[i] !== undefined) seen[i] = true;
}
