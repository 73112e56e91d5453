/**
 * An ordinary REST service on hayate, written the way an application would use it: `hayate/router` for
 * routes and middleware, the request/response helpers (`req.json`, `res.json`, `req.searchParams`) and
 * `res.sendFile` for static files. `main.ts` starts it; test/examples/rest-api.test.ts drives it over real
 * sockets on HTTP/1.1 and HTTP/2.
 *
 * Routes:
 * - `GET /api/health`                       → `{ status: 'ok', users: n }`
 * - `GET /api/users?limit=&offset=`         → a page of users
 * - `GET /api/users/:id`                    → one user, or 404 `{ error: 'user_not_found' }`
 * - `POST /api/users`        (auth)         → 201 + `Location`, or 400 `{ error: 'invalid_user' }`
 * - `PUT /api/users/:id`     (auth)         → the replaced user, or 404
 * - `DELETE /api/users/:id`  (auth)         → 204, or 404
 * - `GET /*`                                → files under `publicDir` (index.html for `/`)
 *
 * Errors: a malformed JSON body is 400 `{ error: 'ERR_INVALID_JSON' }`, a body over 16 KiB is 413
 * `{ error: 'ERR_BODY_TOO_LARGE' }` (both from the server's `ServerError`), a missing or wrong bearer
 * token 401 with `WWW-Authenticate`, anything unexpected 500 `{ error: 'internal' }` (logged).
 */
import { Router, type Middleware } from 'hayate/router';
import { ServerError, type Handler, type ServerRequest, type ServerResponse } from 'hayate/server';

/** A stored user. */
export interface User {
  readonly id: number;
  readonly name: string;
  readonly email: string;
}

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The bearer token that POST, PUT and DELETE need. */
  readonly token: string;
  /** Folder served for paths outside `/api` (default: none, 404). */
  readonly publicDir?: string;
  /** Receives one access-log line per request (default: none). */
  readonly log?: (line: string) => void;
  /** Users present at start. */
  readonly seed?: readonly Omit<User, 'id'>[];
}

/** The largest JSON body the API accepts (a user is a few dozen bytes). */
export const MAX_BODY_BYTES = 16 * 1024;
const MAX_PAGE = 100;

/** An in-memory user store (a real service would put a database here). */
export class UserStore {
  private readonly users = new Map<number, User>();
  private nextId = 1;

  get size(): number {
    return this.users.size;
  }

  list(offset: number, limit: number): User[] {
    const out: User[] = [];
    let i = 0;
    for (const u of this.users.values()) {
      if (i++ < offset) continue;
      if (out.length === limit) break;
      out.push(u);
    }
    return out;
  }

  get(id: number): User | undefined {
    return this.users.get(id);
  }

  create(fields: Omit<User, 'id'>): User {
    const user = { id: this.nextId++, ...fields };
    this.users.set(user.id, user);
    return user;
  }

  replace(id: number, fields: Omit<User, 'id'>): User | undefined {
    if (!this.users.has(id)) return undefined;
    const user = { id, ...fields };
    this.users.set(id, user);
    return user;
  }

  delete(id: number): boolean {
    return this.users.delete(id);
  }
}

/** The fields of a user from an untrusted JSON value, or a reason why not. */
function parseUser(value: unknown): Omit<User, 'id'> | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected an object';
  const { name, email } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) return 'name: 1 to 100 characters';
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) return 'email: not an address';
  return { name, email };
}

/** The `:id` param as a positive integer, or undefined. */
function idParam(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  return Number(raw);
}

/** A non-negative integer query parameter, clamped to `max`. */
function intQuery(req: ServerRequest, name: string, fallback: number, max: number): number {
  const raw = req.searchParams.get(name);
  if (raw === null || !/^[0-9]{1,9}$/.test(raw)) return fallback;
  return Math.min(Number(raw), max);
}

function notFound(res: ServerResponse): void {
  res.json({ error: 'user_not_found' }, 404);
}

/** Builds the application; returns its server handler and its store (tests look inside). */
export function createApp(options: AppOptions): { handler: Handler; store: UserStore } {
  const store = new UserStore();
  for (const u of options.seed ?? []) store.create(u);
  const router = new Router();
  const log = options.log;

  if (log !== undefined) {
    const logging: Middleware = async (req, res, next) => {
      const t0 = performance.now();
      try {
        await next();
      } finally {
        const ms = (performance.now() - t0).toFixed(2);
        log(`${req.remoteAddress} ${req.protocol} ${req.method} ${req.target} ${res.status} ${ms}ms`);
      }
    };
    router.use(logging);
  }

  const expected = `Bearer ${options.token}`;
  const auth: Middleware = (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (req.headers.get('authorization') !== expected) {
      // RFC 9110 §11.6.1: a 401 carries a challenge.
      res.setHeader('www-authenticate', 'Bearer realm="users"');
      res.json({ error: 'unauthorized' }, 401);
      return undefined;
    }
    return next();
  };
  router.use('/api', auth);

  router.get('/api/health', (_req, res) => {
    res.json({ status: 'ok', users: store.size });
  });

  router.get('/api/users', (req, res) => {
    const offset = intQuery(req, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = intQuery(req, 'limit', 20, MAX_PAGE);
    res.json({ users: store.list(offset, limit), total: store.size });
  });

  router.get('/api/users/:id', (_req, res, ctx) => {
    const id = idParam(ctx.params.get('id'));
    const user = id === undefined ? undefined : store.get(id);
    if (user === undefined) notFound(res);
    else res.json(user);
  });

  router.post('/api/users', async (req, res) => {
    const fields = parseUser(await req.json(MAX_BODY_BYTES));
    if (typeof fields === 'string') {
      res.json({ error: 'invalid_user', detail: fields }, 400);
      return;
    }
    const user = store.create(fields);
    res.setHeader('location', `/api/users/${user.id}`);
    res.json(user, 201);
  });

  router.put('/api/users/:id', async (req, res, ctx) => {
    const id = idParam(ctx.params.get('id'));
    const fields = parseUser(await req.json(MAX_BODY_BYTES));
    if (typeof fields === 'string') {
      res.json({ error: 'invalid_user', detail: fields }, 400);
      return;
    }
    const user = id === undefined ? undefined : store.replace(id, fields);
    if (user === undefined) notFound(res);
    else res.json(user);
  });

  router.delete('/api/users/:id', (_req, res, ctx) => {
    const id = idParam(ctx.params.get('id'));
    if (id === undefined || !store.delete(id)) {
      notFound(res);
      return;
    }
    res.status = 204;
    res.end();
  });

  const publicDir = options.publicDir;
  if (publicDir !== undefined) {
    router.get('/*', (_req, res, ctx) => {
      const rest = ctx.params.get('*') ?? '';
      // sendFile answers 404 for a missing file or a path escaping the root.
      return res.sendFile(rest === '' || rest.endsWith('/') ? `${rest}index.html` : rest, {
        root: publicDir,
        cacheControl: 'public, max-age=60',
      });
    });
  }

  router.onError((err, req, res) => {
    if (res.headersSent) throw err; // nothing left to answer: let the server abort the exchange
    if (err instanceof ServerError && err.statusHint >= 400 && err.statusHint < 500) {
      res.json({ error: err.code }, err.statusHint);
      return;
    }
    log?.(`error in ${req.method} ${req.path}: ${String(err)}`);
    res.json({ error: 'internal' }, 500);
  });

  return { handler: router.handler, store };
}
