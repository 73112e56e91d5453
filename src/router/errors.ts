/**
 * Stable codes of the router (`hayate/router`). Registration mistakes throw a `UsageError` with one of the
 * `ERR_ROUTER_*` usage codes at the call that made them; a request path the router cannot decode is not an
 * exception but a 400 result carrying {@link RouterErrorCode.MalformedParam}.
 */

/** Every code the router produces. Renaming one is a breaking change (CHANGELOG). */
export const RouterErrorCode = {
  /** A route path that does not start with `/`, has an empty or duplicate `:name`, a `*` not last, ... */
  InvalidPath: 'ERR_ROUTER_INVALID_PATH',
  /** A method that is not an RFC 9110 §9.1 token (or an empty method list). */
  InvalidMethod: 'ERR_ROUTER_INVALID_METHOD',
  /** A route for the same method and an equivalent path (same shape, param names aside) exists already. */
  Conflict: 'ERR_ROUTER_CONFLICT',
  /** An option out of range (`maxParamLength`). */
  InvalidOption: 'ERR_ROUTER_INVALID_OPTION',
  /** A handler or middleware that is not a function. */
  InvalidHandler: 'ERR_ROUTER_INVALID_HANDLER',
  /** A middleware called `next()` more than once. */
  NextCalledTwice: 'ERR_ROUTER_NEXT_CALLED_TWICE',
  /** A param or wildcard value has a malformed percent-escape or is not UTF-8 once decoded (answered 400). */
  MalformedParam: 'ERR_ROUTER_MALFORMED_PARAM',
} as const;
export type RouterErrorCode = (typeof RouterErrorCode)[keyof typeof RouterErrorCode];
