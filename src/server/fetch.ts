/**
 * Fetch-style handlers: `createServer({ fetch(request, info) })` with the WHATWG `Request` and `Response`
 * of Node ≥ 20, on every protocol the exchange layer serves (HTTP/1.1, HTTP/2, HTTP/3). A thin layer over
 * the native {@link Handler} API; it reaches into no protocol core.
 *
 * - The request is a lazy `Request` (src/server/fetch-request.ts): method, URL, headers and signal come
 *   straight from the exchange; its body is a pull-based `ReadableStream` over `req.body` (nothing is read
 *   from the connection before the application reads, so backpressure reaches the socket: flow control on
 *   h2/h3), and `text()`/`json()`/`arrayBuffer()` read at most `maxBodyBytes` (413 beyond).
 * - A light `Response` (src/server/fetch-response.ts, global only with `overrideGlobals`) or an undici
 *   `Response` built from a string or bytes is written with one `res.end(body)` and a content-length.
 * - Any other response body is read one chunk at a time; a `write()` over the high-water mark waits for
 *   `drained()` before the stream is pulled again. A client that goes away aborts `request.signal` and
 *   cancels the response stream.
 * - Trailers: WHATWG `Request` has no trailers and `Response` cannot carry any, so request trailers are
 *   not exposed and responses never send trailers (use the native handler API for those).
 * - A throw, a rejection, or a value that is not a `Response` fails the exchange (500, `onError` told).
 */
import { UsageError } from '../common/errors.js';
import { FetchRequest, IS_LAZY_REQUEST_PORTABLE, toUndiciRequest } from './fetch-request.js';
import {
  FetchResponse,
  installFetchGlobals,
  knownBodySource,
  sendSimpleResponse,
  writeHeaders,
} from './fetch-response.js';
import { IncomingRequest } from './request.js';
import type { Handler, ServerRequest, ServerResponse } from './types.js';

/** The second argument of a fetch handler: who is asking, and over what. */
export interface FetchInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** `http/1.1`, `http/1.0`, `h2` or `h3`. */
  readonly protocol: string;
}

/** An application that answers WHATWG requests (a Hono app, any router that speaks fetch). */
export interface FetchApp {
  fetch(request: Request, info: FetchInfo): Response | Promise<Response>;
}

/** Options of {@link fetchHandler} (`createServer(app, { fetch })` passes them on). */
export interface FetchHandlerOptions {
  /** The server runs TLS: request URLs are `https:` (HTTP/3 always is). Default false. */
  readonly isSecure?: boolean;
  /**
   * Replace `globalThis.Response` with hayate's light {@link FetchResponse} (process-wide, not undone),
   * so applications that call the global constructor (Hono's `c.text()`, `c.json()`) get responses the
   * server writes with one `end()`: about twice the requests per second for a hello route.
   *
   * Default **false**: creating a server should not change a global every other module of the process
   * sees. `FetchResponse` keeps `instanceof`, the statics and every member working (tests in
   * test/server/fetch-response.test.ts), but code that compares `Response.prototype` by identity, or
   * relies on the constructor copying its init and checking headers at once, can tell the difference.
   * `@hono/node-server` overrides by default (`overrideGlobalObjects`); pass true for the same.
   */
  readonly overrideGlobals?: boolean;
  /**
   * Most bytes `request.text()`, `json()`, `arrayBuffer()`, `bytes()`, `blob()` and `formData()` read;
   * a larger body rejects with a ServerError `ERR_BODY_TOO_LARGE` (413 when it escapes the handler).
   * `request.body` streams without a cap. Default 1 MiB, as `req.bytes()`.
   */
  readonly maxBodyBytes?: number;
}

/** Default {@link FetchHandlerOptions.maxBodyBytes}: the default of `req.bytes()` (src/server/request.ts). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Methods `new Request()` refuses (Fetch §2.2.1 forbidden methods, matched case-insensitively); answered
 * 501 (RFC 9110 §15.6.2) without calling the application.
 */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Methods Fetch uppercases when they match case-insensitively ("normalize a method"). */
const NORMALIZED_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

function noop(): void {
  // Settled promises whose outcome nobody needs (a cancel after the client left).
}

/** The method as `Request` reports it, or undefined for a forbidden one. */
function fetchMethod(method: string): string | undefined {
  if (method === 'GET' || method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'HEAD') {
    return method;
  }
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) return undefined;
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/**
 * ASCII bytes that the WHATWG URL parser keeps as they are in an http(s) path or query: printable, and
 * not in the path or special-query percent-encode sets (`"`, `#`, `<`, `>`, `` ` ``, `{`, `}`, `'`),
 * not `\` (a path separator for special schemes) and not `%` (`%2e` is a dot segment). 1 = kept.
 * `^` and `|` go to the parser too: the URL Standard's path percent-encode set has changed for `^`, and
 * Node 20 encodes it (`%5E`) where Node 22 and 24 keep it, so only the running parser knows.
 */
const URL_KEPT = /* @__PURE__ */ (() => {
  const t = new Uint8Array(128);
  for (let c = 0x21; c < 0x7f; c++) t[c] = 1;
  for (const ch of '"#<>`{}\'\\%^|') t[ch.charCodeAt(0)] = 0;
  return t;
})();

/** Whether `scheme + host + target` is already what `new URL(...).href` would give. */
function isCanonicalTarget(target: string): boolean {
  let inQuery = false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c >= 0x80 || URL_KEPT[c] === 0) return false;
    if (c === 0x3f /* ? */) inQuery = true;
    // A `.` right after a `/` may start a dot segment (`/./`, `/../`, `/..` at the end): the parser's.
    else if (c === 0x2e /* . */ && !inQuery && target.charCodeAt(i - 1) === 0x2f) return false;
  }
  return true;
}

/**
 * Whether `host` is a lowercase DNS name (with an optional non-default port) the URL parser keeps as is.
 * A last label starting with a digit could be an IPv4 form the parser rewrites (`127.1`), an `xn--`
 * label is checked as Punycode, and a default or zero-padded port is dropped or rewritten: all those,
 * and IP literals, go to the parser.
 */
function isCanonicalHost(host: string, defaultPort: string): boolean {
  const colon = host.indexOf(':');
  const nameEnd = colon === -1 ? host.length : colon;
  if (nameEnd === 0) return false;
  let labelStart = 0;
  for (let i = 0; i < nameEnd; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x2e /* . */) labelStart = i + 1;
    else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return false;
    else if (c === 0x2d && i === labelStart + 2 && host.startsWith('xn--', labelStart)) return false;
  }
  const last = host.charCodeAt(labelStart === nameEnd ? host.lastIndexOf('.', nameEnd - 2) + 1 : labelStart);
  if (last >= 0x30 && last <= 0x39 && !isDottedQuad(host, nameEnd)) return false;
  if (colon === -1) return true;
  const port = host.slice(colon + 1);
  if (port.length === 0 || port.length > 5 || port.charCodeAt(0) === 0x30 || port === defaultPort)
    return false;
  for (let i = 0; i < port.length; i++) {
    const c = port.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number(port) <= 65535;
}

/** Whether `host[0, end)` is an IPv4 address as the URL parser serializes one: `d.d.d.d`, 0–255, no zero padding. */
function isDottedQuad(host: string, end: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= end; i++) {
    const c = i === end ? 0x2e : host.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || value > 255 || ++parts > 4) return false;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 0x30);
      digits++;
    } else return false;
  }
  return parts === 4;
}

/** `url` as the WHATWG URL parser serializes it, or undefined when it is no URL. */
function parsedUrl(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** The request's absolute URL, or undefined when its authority makes no valid URL. */
function requestUrl(req: ServerRequest, scheme: string): string | undefined {
  const target = req.target;
  // Origin-form is the common case; absolute-form (RFC 9112 §3.2.2) is a URL already; `*` (OPTIONS) has
  // no path, so it maps to the root.
  const c = target.charCodeAt(0);
  if (c !== 0x2f /* / */ && target !== '*') return parsedUrl(target);
  const host = req.headers.get('host') ?? 'localhost';
  const path = c === 0x2f ? target : '/';
  const raw = scheme + host + path;
  const defaultPort = scheme === 'https://' ? '443' : '80';
  return isCanonicalHost(host, defaultPort) && isCanonicalTarget(path) ? raw : parsedUrl(raw);
}

/** Turns `{ fetch }` into a native {@link Handler}; `createServer` does this when given such an object. */
export function fetchHandler(app: FetchApp, options: FetchHandlerOptions = {}): Handler {
  if (typeof app !== 'object' || typeof (app as Partial<FetchApp> | null)?.fetch !== 'function') {
    throw new UsageError('ERR_INVALID_ARG', 'expected a handler function or an object with a fetch method');
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (typeof maxBodyBytes !== 'number' || !(maxBodyBytes >= 0)) {
    throw new UsageError(
      'ERR_INVALID_ARG',
      `fetch maxBodyBytes must be a number >= 0, got ${String(maxBodyBytes)}`,
    );
  }
  if (options.overrideGlobals === true) installFetchGlobals();
  const scheme = options.isSecure === true ? 'https://' : 'http://';
  return (req, res) => {
    const method = fetchMethod(req.method);
    if (method === undefined) {
      res.status = 501;
      res.end();
      return;
    }
    const url = requestUrl(req, req.protocol === 'h3' ? 'https://' : scheme);
    if (url === undefined) {
      // RFC 9110 §7.2: a Host (or :authority) that makes no valid URL is a bad request.
      res.status = 400;
      res.end();
      return;
    }
    const hasBody = method !== 'GET' && method !== 'HEAD' && mayHaveBody(req);
    const request = new FetchRequest(req, url, method, hasBody, maxBodyBytes);
    const info: FetchInfo = {
      remoteAddress: req.remoteAddress,
      remotePort: req.remotePort,
      protocol: req.protocol,
    };
    // Where undici cannot take the lazy request back (undici 7), the app gets the real one.
    const appRequest = IS_LAZY_REQUEST_PORTABLE ? (request as unknown as Request) : toUndiciRequest(request);
    const response = app.fetch(appRequest, info) as unknown;
    // A synchronous answer (Hono's usual) is sent synchronously: no promise, no microtask.
    if (response instanceof Promise) {
      return response.then((r: unknown) => sendResponse(req, res, r));
    }
    return sendResponse(req, res, response);
  };
}

/** False only when the body is known to be empty (ended with the head, nothing buffered). */
function mayHaveBody(req: ServerRequest): boolean {
  return !(req instanceof IncomingRequest && req.isBodyComplete && req.bufferedBytes === 0);
}

/** Copies `response` onto `res`: whole when its body is known, else streamed with backpressure. */
function sendResponse(req: ServerRequest, res: ServerResponse, response: unknown): void | Promise<void> {
  if (typeof response === 'object' && response !== null && sendSimpleResponse(response, res)) return;
  if (!(response instanceof FetchResponse)) {
    throw new UsageError(
      'ERR_FETCH_RESPONSE',
      `fetch handler returned ${response === null ? 'null' : typeof response}, not a Response`,
    );
  }
  const real = response as unknown as Response;
  res.status = real.status;
  writeHeaders(res, real.headers);
  const source = knownBodySource(real);
  if (source !== undefined) {
    // HEAD: the response layer sends the head with this length and drops the content.
    res.end(source);
    return;
  }
  const body = real.body;
  if (body === null) {
    res.end();
    return;
  }
  // RFC 9110 §9.3.2: HEAD carries no content; the stream is never read.
  if (req.method === 'HEAD' || req.aborted) {
    body.cancel().catch(noop);
    res.end();
    return;
  }
  return streamBody(req, res, body);
}

const NEXT_TURN = Symbol('next turn');

/** Resolves with {@link NEXT_TURN} after the current turn of the event loop (I/O callbacks included). */
function nextTurn(): Promise<typeof NEXT_TURN> {
  return new Promise((resolve) => {
    setImmediate(resolve, NEXT_TURN);
  });
}

/** Reads `req.aborted` afresh (past the narrowing of an earlier check: an await came in between). */
function isAborted(req: ServerRequest): boolean {
  return req.aborted;
}

/** Streams `body` onto `res` with backpressure; a client that goes away cancels it. */
async function streamBody(
  req: ServerRequest,
  res: ServerResponse,
  body: ReadableStream<Uint8Array>,
): Promise<void> {
  // A chunk that is neither bytes nor a string fails in write() (a UsageError: the exchange's failure path).
  const reader = body.getReader();
  // onAbort rather than req.signal: no AbortSignal is made (~2.5 µs each on Node 20) unless the app asks.
  const onAbort = (reason: Error): void => {
    reader.cancel(reason).catch(noop);
  };
  req.onAbort(onAbort);
  try {
    const first = await reader.read();
    if (first.done || isAborted(req)) {
      res.end();
      return;
    }
    // A body that ends right after its first chunk (`new Response('hello')`, JSON) goes out in one write
    // with a content-length instead of chunked in three; a stream that is still producing has its first
    // chunk sent after one turn of the event loop, so it is never held back waiting for the second.
    let next = reader.read();
    const early = await Promise.race([next, nextTurn()]);
    if (early !== NEXT_TURN && early.done) {
      res.end(first.value);
      return;
    }
    let chunk = first.value;
    for (;;) {
      if (!res.write(chunk)) {
        // write() also returns false once aborted: then no drain may ever come.
        if (isAborted(req)) break;
        await res.drained();
      }
      const r = await next;
      // Read here, after the awaits.
      if (r.done || isAborted(req)) break;
      chunk = r.value;
      next = reader.read();
    }
    // Also when aborted: an HTTP/1.1 peer that only half-closed keeps its connection until the response
    // ends (src/server/http1.ts onEnd); where the stream is gone, end() is a no-op.
    res.end();
  } finally {
    req.offAbort(onAbort);
  }
}
