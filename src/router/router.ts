/**
 * The Router: a {@link RouteTree} of handlers bound to hayate's server handler API, with middleware and an
 * error handler.
 *
 * ```ts
 * const router = new Router();
 * router.use(async (req, res, next) => {
 *   const t0 = performance.now();
 *   await next();
 *   console.log(req.method, req.path, res.status, performance.now() - t0);
 * });
 * router.get('/users/:id', (req, res, ctx) => res.end(`user ${ctx.params.get('id')}`));
 * createServer(router.handler).listen(8080);
 * ```
 *
 * Params reach the handler as its third argument, the match itself (`ctx.params`, `ctx.pattern`): no
 * per-request WeakMap or property added to the request. For a route without params `ctx` is a shared,
 * read-only object, so a static hit allocates nothing in the router.
 */
import { UsageError } from '../common/errors.js';
import type { Handler, ServerRequest, ServerResponse } from '../server/types.js';
import { RouterErrorCode } from './errors.js';
import type { RouteMatch } from './match.js';
import { RouteStatus } from './status.js';
import { RouteTree, type FindResult, type RouterOptions } from './tree.js';

/** What a route handler receives besides the request and response: the match (params, pattern). */
export type RouteContext = RouteMatch<RouteHandler>;

/** A route's handler. */
export type RouteHandler = (
  req: ServerRequest,
  res: ServerResponse,
  ctx: RouteContext,
) => void | Promise<void>;

/** Runs the rest of the chain (later middleware, then the route); resolves when it has finished. */
export type Next = () => Promise<void>;

/**
 * Middleware: acts before the route (and may answer without calling `next`), then after it once
 * `await next()` returns. `ctx` is the routing result: `ctx.status` is 200 when a route matched, else the
 * 400/404/405 the router will answer if the chain reaches its end.
 */
export type Middleware = (
  req: ServerRequest,
  res: ServerResponse,
  next: Next,
  ctx: FindResult<RouteHandler>,
) => void | Promise<void>;

/**
 * Handles an error thrown (or rejected) by middleware or a route. It may answer, or rethrow to let the
 * server answer (500, or the error's `statusHint` such as 413 from `req.bytes(max)`) and report it to the
 * server's `onError`.
 */
export type ErrorHandler = (err: unknown, req: ServerRequest, res: ServerResponse) => void | Promise<void>;

/** One `use()` registration. */
interface Layer {
  /** Path prefix (on a segment boundary), or '' for every request. */
  readonly prefix: string;
  readonly fn: Middleware;
}

const REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

/** A router of hayate server handlers; see the file comment. */
export class Router {
  /** The matching core; `find` is also exposed on the router. */
  readonly tree: RouteTree<RouteHandler>;
  private readonly layers: Layer[] = [];
  private errorHandler: ErrorHandler | null = null;

  constructor(options: RouterOptions = {}) {
    this.tree = new RouteTree<RouteHandler>(options);
  }

  /**
   * Registers `handler` for `method` (or each of `methods`; `*` for every method) at `path`.
   * Throws `UsageError` (`ERR_ROUTER_INVALID_PATH`, `ERR_ROUTER_INVALID_METHOD`, `ERR_ROUTER_CONFLICT`,
   * `ERR_ROUTER_INVALID_HANDLER`) before changing anything for the offending method.
   */
  on(method: string | readonly string[], path: string, handler: RouteHandler): this {
    if (typeof handler !== 'function') {
      throw new UsageError(RouterErrorCode.InvalidHandler, 'route handler must be a function');
    }
    const methods = typeof method === 'string' ? [method] : method;
    if (methods.length === 0) throw new UsageError(RouterErrorCode.InvalidMethod, 'empty method list');
    for (const m of methods) this.tree.add(m, path, handler);
    return this;
  }

  get(path: string, handler: RouteHandler): this {
    return this.on('GET', path, handler);
  }
  /** An explicit HEAD route; without one, HEAD is served by the GET route. */
  head(path: string, handler: RouteHandler): this {
    return this.on('HEAD', path, handler);
  }
  post(path: string, handler: RouteHandler): this {
    return this.on('POST', path, handler);
  }
  put(path: string, handler: RouteHandler): this {
    return this.on('PUT', path, handler);
  }
  delete(path: string, handler: RouteHandler): this {
    return this.on('DELETE', path, handler);
  }
  patch(path: string, handler: RouteHandler): this {
    return this.on('PATCH', path, handler);
  }
  options(path: string, handler: RouteHandler): this {
    return this.on('OPTIONS', path, handler);
  }
  /** Every method that has no route of its own at an equivalent path. */
  all(path: string, handler: RouteHandler): this {
    return this.on('*', path, handler);
  }

  /**
   * Adds middleware, run in registration order for every request (matched or not), or only for paths
   * equal to `prefix` or under it (`/api` runs for `/api` and `/api/x`, not `/apix`; compared as sent,
   * case-sensitively). Middleware must return or await `next()`: a rejection of a `next()` promise it
   * drops reaches nobody.
   */
  use(fn: Middleware): this;
  use(prefix: string, fn: Middleware): this;
  use(a: string | Middleware, b?: Middleware): this {
    const prefix = typeof a === 'string' ? a : '';
    const fn = typeof a === 'string' ? b : a;
    if (typeof fn !== 'function') {
      throw new UsageError(RouterErrorCode.InvalidHandler, 'middleware must be a function');
    }
    if (prefix !== '' && (!prefix.startsWith('/') || (prefix.length > 1 && prefix.endsWith('/')))) {
      throw new UsageError(
        RouterErrorCode.InvalidPath,
        `invalid middleware prefix ${JSON.stringify(prefix)}`,
      );
    }
    this.layers.push({ prefix: prefix === '/' ? '' : prefix, fn });
    return this;
  }

  /** Sets the error handler (see {@link ErrorHandler}); the default rethrows to the server. */
  onError(fn: ErrorHandler): this {
    if (typeof fn !== 'function') {
      throw new UsageError(RouterErrorCode.InvalidHandler, 'error handler must be a function');
    }
    this.errorHandler = fn;
    return this;
  }

  /** The routing result for `method` and `path` (no query); see {@link RouteTree.find}. */
  find(method: string, path: string): FindResult<RouteHandler> {
    return this.tree.find(method, path);
  }

  /** The hayate server {@link Handler}: pass it to `createServer`. */
  readonly handler: Handler = (req, res) => {
    // req.path is the target before `?` (src/server/request.ts), so the query never reaches the tree.
    const r = this.tree.find(req.method, req.path);
    if (this.layers.length > 0) return this.runChain(req, res, r);
    if (r.status !== RouteStatus.Found) {
      answerMiss(res, r);
      return undefined;
    }
    let result: unknown;
    try {
      result = r.value(req, res, r);
    } catch (err) {
      return this.fail(err, req, res);
    }
    // Only a returned promise makes this handler async for the server (it then keeps reading the request).
    if (result instanceof Promise) return result.catch((err: unknown) => this.fail(err, req, res));
    return undefined;
  };

  private runChain(req: ServerRequest, res: ServerResponse, r: FindResult<RouteHandler>): Promise<void> {
    const layers = this.layers;
    const path = req.path;
    let index = -1;
    const dispatch = async (i: number): Promise<void> => {
      if (i <= index) {
        throw new UsageError(RouterErrorCode.NextCalledTwice, 'next() called more than once');
      }
      let k = i;
      while (k < layers.length && !underPrefix(path, layers[k]!.prefix)) k++;
      index = k;
      if (k === layers.length) {
        if (r.status === RouteStatus.Found) return r.value(req, res, r);
        answerMiss(res, r);
        return;
      }
      return layers[k]!.fn(req, res, () => dispatch(k + 1), r);
    };
    return dispatch(0).catch((err: unknown) => this.fail(err, req, res));
  }

  private async fail(err: unknown, req: ServerRequest, res: ServerResponse): Promise<void> {
    if (this.errorHandler === null) throw err;
    await this.errorHandler(err, req, res);
  }
}

/** Whether `path` is `prefix` or below it on a segment boundary. */
function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f;
}

/** Answers a request no route took: 404, 405 with `Allow` (RFC 9110 §15.5.6 requires it), or 400. */
function answerMiss(
  res: ServerResponse,
  r: Exclude<FindResult<RouteHandler>, RouteMatch<RouteHandler>>,
): undefined {
  res.status = r.status;
  if (r.status === RouteStatus.MethodNotAllowed) res.setHeader('allow', r.allow);
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`${REASON[r.status] ?? ''}\n`);
  return undefined;
}
