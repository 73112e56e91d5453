/**
 * `hayate/router`: a radix-tree router for hayate's server handler API: static, `:param` and `*` segments
 * (static before param before wildcard, with backtracking), 404 and 405 with `Allow`, HEAD served by GET,
 * conflicts rejected when routes are added, percent-decoded params, middleware and an error handler. The
 * matching core ({@link RouteTree}) does no I/O and can be used on its own.
 */
export { Router } from './router.js';
export type { ErrorHandler, Middleware, Next, RouteContext, RouteHandler } from './router.js';
export { RouteTree, DEFAULT_ROUTER_OPTIONS } from './tree.js';
export { RouteMatch } from './match.js';
export type { Params } from './match.js';
export { RouteStatus } from './status.js';
export type {
  FindResult,
  RouteBadRequest,
  RouteMethodNotAllowed,
  RouteNotFound,
  RouterOptions,
} from './tree.js';
export { RouterErrorCode } from './errors.js';
export { UsageError } from '../common/errors.js';
