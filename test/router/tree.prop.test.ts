/**
 * Properties of the RouteTree against a naive reference matcher written from the rules alone: for a random
 * route table (some routes conflicting) and any path, `find` answers what the reference answers, and a
 * route is rejected as a conflict exactly when the reference already holds its method and shape.
 *
 * The reference: a route is a list of segments (static text, param, wildcard). Routes with the same shape
 * (kinds and static texts, param names aside) form a group holding one entry per method. Groups are tried
 * in priority order (the sequence of kinds, static < param < wildcard, compared left to right), each
 * matching the path segment by segment; the first group with an entry for the method (its own, GET's for
 * HEAD, else `*`'s) wins. No winner: 405 with the methods of every matching group, else 404.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { UsageError } from '../../src/common/errors.js';
import { RouterErrorCode } from '../../src/router/errors.js';
import { RouteStatus } from '../../src/router/status.js';
import { RouteTree, type FindResult, type RouterOptions } from '../../src/router/tree.js';

type Seg = { kind: 0; text: string } | { kind: 1; name: string } | { kind: 2 };

interface Options {
  ignoreTrailingSlash: boolean;
  caseSensitive: boolean;
  maxParamLength: number;
}

interface Group {
  segs: Seg[];
  entries: Map<string, { value: string; names: string[] }>;
}

const STANDARD = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];

const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

class Reference {
  readonly groups: Group[] = [];
  readonly custom: string[] = [];

  readonly options: Options;

  constructor(options: Options) {
    this.options = options;
  }

  private parse(path: string): Seg[] {
    let p = path;
    if (this.options.ignoreTrailingSlash && p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    return p
      .slice(1)
      .split('/')
      .map((s): Seg => {
        if (s.startsWith(':')) return { kind: 1, name: s.slice(1) };
        if (s === '*') return { kind: 2 };
        return { kind: 0, text: this.options.caseSensitive ? s : fold(s) };
      });
  }

  private key(segs: Seg[]): string {
    return segs.map((s) => (s.kind === 0 ? `s:${s.text}` : s.kind === 1 ? 'p' : 'w')).join('/');
  }

  /** Returns false on a conflict (and changes nothing). */
  add(method: string, path: string, value: string): boolean {
    const segs = this.parse(path);
    const k = this.key(segs);
    let g = this.groups.find((x) => this.key(x.segs) === k);
    if (g === undefined) {
      g = { segs, entries: new Map() };
      this.groups.push(g);
    }
    if (g.entries.has(method)) return false;
    if (method !== '*' && !STANDARD.includes(method) && !this.custom.includes(method))
      this.custom.push(method);
    g.entries.set(method, {
      value,
      names: segs.flatMap((s) => (s.kind === 1 ? [s.name] : s.kind === 2 ? ['*'] : [])),
    });
    return true;
  }

  private sorted(): Group[] {
    const kinds = (g: Group): number[] => g.segs.map((s) => s.kind);
    return [...this.groups].sort((a, b) => {
      const x = kinds(a);
      const y = kinds(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    });
  }

  /** Raw param values when `g` matches `path`, else null. */
  private match(g: Group, path: string): string[] | null {
    if (!path.startsWith('/')) return null;
    const ps = path.slice(1).split('/');
    const out: string[] = [];
    for (let i = 0; i < g.segs.length; i++) {
      const s = g.segs[i]!;
      if (s.kind === 2) {
        if (ps.length <= i) return null;
        out.push(ps.slice(i).join('/'));
        return out;
      }
      const p = ps[i];
      if (p === undefined) return null;
      if (s.kind === 0) {
        if ((this.options.caseSensitive ? p : fold(p)) !== s.text) return null;
      } else {
        if (p.length === 0 || p.length > this.options.maxParamLength) return null;
        out.push(p);
      }
    }
    return ps.length === g.segs.length ? out : null;
  }

  private variants(path: string): string[] {
    return this.options.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')
      ? [path.slice(0, -1), path]
      : [path];
  }

  find(method: string, path: string): string {
    const order = this.sorted();
    for (const p of this.variants(path)) {
      for (const g of order) {
        const raw = this.match(g, p);
        if (raw === null) continue;
        const e =
          g.entries.get(method) ??
          (method === 'HEAD' ? g.entries.get('GET') : undefined) ??
          g.entries.get('*');
        if (e === undefined) continue;
        const params: Record<string, string> = {};
        for (let i = 0; i < raw.length; i++) {
          try {
            params[e.names[i]!] = decodeURIComponent(raw[i]!);
          } catch {
            return `400`;
          }
        }
        return `${e.value} ${JSON.stringify(params)}`;
      }
    }
    const seen = new Set<string>();
    for (const p of this.variants(path)) {
      for (const g of order) if (this.match(g, p) !== null) for (const m of g.entries.keys()) seen.add(m);
    }
    if (seen.size === 0) return '404';
    if (seen.has('GET')) seen.add('HEAD');
    const allow = [...STANDARD, ...this.custom].filter((m) => seen.has(m));
    return `405 ${allow.join(', ')}`;
  }
}

function show(r: FindResult<string>): string {
  switch (r.status) {
    case RouteStatus.Found:
      return `${r.value} ${JSON.stringify(r.params.toObject())}`;
    case RouteStatus.MethodNotAllowed:
      return `405 ${r.allow}`;
    case RouteStatus.NotFound:
      return '404';
    case RouteStatus.BadRequest:
      return '400';
  }
}

const STATIC_SEGS = ['a', 'b', 'ab', 'A', 'Ab', 'x', '', '%41', '%2F'];
const PATH_SEGS = [...STATIC_SEGS, 'aB', 'abc', 'a%20b', '%zz', '%C3%A9', '%E2%82', 'long-segment', '%2f'];

const routeArb = fc
  .tuple(
    fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'PUT', 'PURGE', '*'),
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...STATIC_SEGS) },
        { weight: 2, arbitrary: fc.constant(':') },
      ),
      {
        minLength: 0,
        maxLength: 4,
      },
    ),
    fc.boolean(),
  )
  .map(([method, segs, wildcard]) => {
    let n = 0;
    const parts = segs.map((s) => (s === ':' ? `:p${n++}` : s));
    if (wildcard) parts.push('*');
    return [method, '/' + parts.join('/')] as const;
  });

const pathArb = fc
  .tuple(fc.array(fc.constantFrom(...PATH_SEGS), { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([segs, slash]) => '/' + segs.join('/') + (slash && segs.length > 0 ? '/' : ''));

const optionsArb = fc.record({
  ignoreTrailingSlash: fc.boolean(),
  caseSensitive: fc.boolean(),
  maxParamLength: fc.constantFrom(3, 12, 256),
});

test('find equals the reference matcher over random tables and paths, compiled or walking', () => {
  fc.assert(
    fc.property(
      optionsArb,
      fc.array(routeArb, { minLength: 1, maxLength: 10 }),
      fc.array(fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PURGE'), pathArb), {
        minLength: 1,
        maxLength: 10,
      }),
      (options: RouterOptions & Options, routes, requests) => {
        // The compiled matcher and the tree walk, each against the reference.
        for (const compile of [true, false]) {
          const tree = new RouteTree<string>({ ...options, compile });
          const ref = new Reference(options);
          // Lookups between additions too: a change must invalidate the compiled matcher.
          const half = routes.length >> 1;
          routes.forEach(([method, path], i) => {
            if (i === half) tree.find('GET', '/');
            const value = `r${i}`;
            let added = true;
            try {
              tree.add(method, path, value);
            } catch (e) {
              assert.ok(e instanceof UsageError && e.code === RouterErrorCode.Conflict, String(e));
              added = false;
            }
            assert.equal(added, ref.add(method, path, value), `conflict mismatch adding ${method} ${path}`);
          });
          for (const [method, path] of requests) {
            assert.equal(
              show(tree.find(method, path)),
              ref.find(method, path),
              `${method} ${path} compile=${compile}`,
            );
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('a param hit reads the same values before and after later finds (params are not shared)', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z0-9%]{1,6}$/), { minLength: 2, maxLength: 5 }), (values) => {
      const tree = new RouteTree<string>();
      tree.add('GET', '/v/:a', 'v');
      const results = values.map((v) => tree.find('GET', `/v/${v}`));
      results.forEach((r, i) => {
        let expected: string;
        try {
          expected = decodeURIComponent(values[i]!);
        } catch {
          assert.equal(r.status, RouteStatus.BadRequest);
          return;
        }
        assert.ok(r.status === RouteStatus.Found);
        assert.equal(r.params.get('a'), expected);
      });
    }),
  );
});
