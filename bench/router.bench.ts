/**
 * Router lookups: hayate's RouteTree (`router.find`) against find-my-way 9 (Fastify's router) on the same
 * route tables and paths in one run, tree walk and, as a second peer, its opt-in compiled mode. Every
 * iteration cuts each path out of its request-target (a fresh string, as a server's), finds the route and
 * reads every param value as a string on both sides (hayate's are lazy, so reading them is where its
 * strings are built).
 */
import { createRequire } from 'node:module';
import { Router, RouteStatus } from '../src/router/index.js';
import { runTinyCases, type BenchOptions, type BenchRecord, type TinyCase } from './lib/report.js';

export const area = 'router';

interface FmwResult {
  params: Record<string, string | undefined>;
}
interface Fmw {
  on(method: string, path: string, handler: () => void): void;
  find(method: string, path: string): FmwResult | null;
  compile(): void;
}
type FmwFactory = (options?: object) => Fmw;

/** The small table of the first four cases (after find-my-way's own benchmark routes). */
const SMALL_ROUTES: readonly string[] = [
  '/',
  '/user',
  '/user/comments',
  '/user/avatar',
  '/user/lookup/username/:username',
  '/user/lookup/email/:address',
  '/event/:id',
  '/event/:id/comments',
  '/very/deeply/nested/route/hello/there',
  '/users/:user/posts/:post/comments/:comment',
  '/static/*',
];

/** A GitHub-REST-like table of 100 routes (method, path). */
const API_ROUTES: ReadonlyArray<readonly [string, string]> = (() => {
  const out: [string, string][] = [];
  const repo = '/repos/:owner/:repo';
  const get = [
    '/',
    '/user',
    '/user/repos',
    '/user/orgs',
    '/user/followers',
    '/user/following',
    '/user/keys',
    '/user/emails',
    '/user/starred',
    '/user/subscriptions',
    '/users/:username',
    '/users/:username/repos',
    '/users/:username/orgs',
    '/users/:username/followers',
    '/users/:username/following',
    '/users/:username/gists',
    '/users/:username/starred',
    '/users/:username/events',
    '/users/:username/received_events',
    '/orgs/:org',
    '/orgs/:org/repos',
    '/orgs/:org/members',
    '/orgs/:org/members/:username',
    '/orgs/:org/teams',
    '/orgs/:org/events',
    '/teams/:team_id',
    '/teams/:team_id/members',
    '/teams/:team_id/repos',
    '/gists',
    '/gists/public',
    '/gists/starred',
    '/gists/:gist_id',
    '/gists/:gist_id/comments',
    '/gists/:gist_id/comments/:comment_id',
    '/events',
    '/notifications',
    '/rate_limit',
    '/emojis',
    '/meta',
    '/search/repositories',
    '/search/code',
    '/search/issues',
    '/search/users',
    repo,
    `${repo}/contributors`,
    `${repo}/languages`,
    `${repo}/tags`,
    `${repo}/branches`,
    `${repo}/branches/:branch`,
    `${repo}/commits`,
    `${repo}/commits/:sha`,
    `${repo}/commits/:sha/comments`,
    `${repo}/issues`,
    `${repo}/issues/:number`,
    `${repo}/issues/:number/comments`,
    `${repo}/issues/:number/events`,
    `${repo}/issues/:number/labels`,
    `${repo}/pulls`,
    `${repo}/pulls/:number`,
    `${repo}/pulls/:number/commits`,
    `${repo}/pulls/:number/files`,
    `${repo}/pulls/:number/reviews`,
    `${repo}/pulls/:number/comments`,
    `${repo}/releases`,
    `${repo}/releases/latest`,
    `${repo}/releases/:id`,
    `${repo}/releases/:id/assets`,
    `${repo}/contents/*`,
    `${repo}/git/refs/*`,
    `${repo}/git/trees/:sha`,
    `${repo}/git/blobs/:sha`,
    `${repo}/labels`,
    `${repo}/labels/:name`,
    `${repo}/milestones`,
    `${repo}/milestones/:number`,
    `${repo}/stargazers`,
    `${repo}/subscribers`,
    `${repo}/forks`,
    `${repo}/hooks`,
    `${repo}/hooks/:hook_id`,
    `${repo}/actions/runs`,
    `${repo}/actions/runs/:run_id`,
    `${repo}/actions/workflows`,
  ];
  for (const p of get) out.push(['GET', p]);
  const writes: [string, string][] = [
    ['POST', '/user/repos'],
    ['PATCH', '/user'],
    ['POST', '/orgs/:org/repos'],
    ['POST', '/gists'],
    ['PATCH', '/gists/:gist_id'],
    ['DELETE', '/gists/:gist_id'],
    ['POST', `${repo}/issues`],
    ['PATCH', `${repo}/issues/:number`],
    ['POST', `${repo}/issues/:number/comments`],
    ['POST', `${repo}/pulls`],
    ['PATCH', `${repo}/pulls/:number`],
    ['PUT', `${repo}/pulls/:number/merge`],
    ['POST', `${repo}/releases`],
    ['DELETE', `${repo}/releases/:id`],
    ['POST', `${repo}/forks`],
    ['DELETE', repo],
    ['PATCH', repo],
  ];
  out.push(...writes);
  return out;
})();

/** Requests of the API case: one call looks all of them up. */
const API_REQUESTS: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['GET', '/user', []],
  ['GET', '/user/repos', []],
  ['GET', '/users/octocat', ['username']],
  ['GET', '/users/octocat/repos', ['username']],
  ['GET', '/orgs/nodejs/members/octocat', ['org', 'username']],
  ['GET', '/gists/aa5a315d61ae9438b18d/comments/17', ['gist_id', 'comment_id']],
  ['GET', '/search/repositories', []],
  ['GET', '/repos/nodejs/node', ['owner', 'repo']],
  ['GET', '/repos/nodejs/node/issues/42', ['owner', 'repo', 'number']],
  ['GET', '/repos/nodejs/node/pulls/51234/files', ['owner', 'repo', 'number']],
  ['GET', '/repos/nodejs/node/releases/latest', ['owner', 'repo']],
  ['GET', '/repos/nodejs/node/contents/lib/internal/http.js', ['owner', 'repo', '*']],
  ['GET', '/repos/nodejs/node/commits/6dcd9b4e1f2a/comments', ['owner', 'repo', 'sha']],
  ['GET', '/repos/nodejs/node/actions/runs/123456', ['owner', 'repo', 'run_id']],
  ['POST', '/repos/nodejs/node/issues/42/comments', ['owner', 'repo', 'number']],
  ['PATCH', '/gists/aa5a315d61ae9438b18d', ['gist_id']],
];

/** Sink so results are not optimised away. */
let sink = 0;

function makeHayate(routes: ReadonlyArray<readonly [string, string]>): Router {
  const r = new Router();
  for (const [m, p] of routes) r.on(m, p, () => undefined);
  return r;
}

function makeFmw(routes: ReadonlyArray<readonly [string, string]>, compiled: boolean): Fmw {
  const require = createRequire(import.meta.url);
  const factory = require('find-my-way') as FmwFactory;
  const r = factory();
  for (const [m, p] of routes) r.on(m, p, () => undefined);
  if (compiled) r.compile();
  return r;
}

/**
 * The requests as a server hands them to a router: each path a fresh string cut from its request-target
 * (`path?query`), as `req.path` is. A literal passed again and again would carry its hash and flat form
 * from one call to the next, which no request does (a `Map` of static paths looked free on literals and
 * cost 56 ns per lookup on fresh strings).
 */
type Request = readonly [method: string, target: string, pathLength: number, names: readonly string[]];

function asRequests(requests: ReadonlyArray<readonly [string, string, readonly string[]]>): Request[] {
  return requests.map(([method, path, names]) => [method, `${path}?page=2`, path.length, names] as const);
}

function hayateFn(
  router: Router,
  requests: ReadonlyArray<readonly [string, string, readonly string[]]>,
): () => void {
  const reqs = asRequests(requests);
  return () => {
    for (const [method, target, n, names] of reqs) {
      const path = target.slice(0, n);
      const r = router.find(method, path);
      if (r.status !== RouteStatus.Found) throw new Error(`hayate missed ${method} ${path}`);
      for (const n of names) sink += r.params.get(n)!.length;
    }
  };
}

function fmwFn(
  router: Fmw,
  requests: ReadonlyArray<readonly [string, string, readonly string[]]>,
): () => void {
  const reqs = asRequests(requests);
  return () => {
    for (const [method, target, n, names] of reqs) {
      const path = target.slice(0, n);
      const r = router.find(method, path);
      if (r === null) throw new Error(`find-my-way missed ${method} ${path}`);
      for (const n of names) sink += r.params[n]!.length;
    }
  };
}

const SMALL = SMALL_ROUTES.map((p) => ['GET', p] as const);
const CASES: ReadonlyArray<
  readonly [
    string,
    ReadonlyArray<readonly [string, string]>,
    ReadonlyArray<readonly [string, string, readonly string[]]>,
  ]
> = [
  ['static', SMALL, [['GET', '/user/comments', []]]],
  ['one-param', SMALL, [['GET', '/event/3f2a9c', ['id']]]],
  ['multi-param', SMALL, [['GET', '/users/alice/posts/1337/comments/42', ['user', 'post', 'comment']]]],
  ['wildcard', SMALL, [['GET', '/static/css/site/main.css', ['*']]]],
  ['api-100', API_ROUTES, API_REQUESTS],
];

const SUBJECTS = [
  ['hayate', false],
  ['find-my-way', true],
  ['find-my-way-compiled', true],
] as const;

/** Rounds per case, medians reported (the machine is shared and noisy); as in bench/http1.bench.ts. */
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  if (API_ROUTES.length !== 100) throw new Error(`api table has ${API_ROUTES.length} routes, not 100`);
  const cases: TinyCase[] = CASES.map(([name, routes, requests]) => ({
    name,
    opsPerCall: requests.length,
    subjects: [
      { subject: 'hayate', peer: false, fn: hayateFn(makeHayate(routes), requests) },
      { subject: 'find-my-way', peer: true, fn: fmwFn(makeFmw(routes, false), requests) },
      { subject: 'find-my-way-compiled', peer: true, fn: fmwFn(makeFmw(routes, true), requests) },
    ],
  }));
  const roundOptions: BenchOptions = { timeMs: Math.max(100, Math.round(options.timeMs / 2)) };
  const hz = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of await runTinyCases(area, cases, roundOptions)) {
      const key = `${r.bench}\u0000${r.subject}`;
      hz.set(key, [...(hz.get(key) ?? []), r.hz ?? 0]);
    }
  }
  const records: BenchRecord[] = [];
  for (const [name] of CASES) {
    for (const [subject, peer] of SUBJECTS) {
      const rate = median(hz.get(`${area}/${name}\u0000${subject}`) ?? [0]);
      records.push({ bench: `${area}/${name}`, subject, peer, hz: rate, rounds: ROUNDS });
    }
  }
  if (sink === -1) console.log(sink);
  return records;
}
