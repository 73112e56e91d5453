/**
 * Fetch-style handlers: `createServer({ fetch(request, info) })` with the WHATWG `Request` and `Response`
 * of Node ≥ 20, on every protocol the exchange layer serves (HTTP/1.1, HTTP/2, HTTP/3). A thin layer over
 * the native {@link Handler} API; it reaches into no protocol core.
 *
 * - The request body is a pull-based `ReadableStream` over `req.body`: nothing is read from the
 *   connection before the application reads, so backpressure reaches the socket (flow control on h2/h3).
 * - The response body is read one chunk at a time; a `write()` over the high-water mark waits for
 *   `drained()` before the stream is pulled again. A client that goes away aborts `request.signal` and
 *   cancels the response stream.
 * - Trailers: WHATWG `Request` has no trailers and `Response` cannot carry any, so request trailers are
 *   not exposed and responses never send trailers (use the native handler API for those).
 * - A throw, a rejection, or a value that is not a `Response` fails the exchange (500, `onError` told).
 */
import { UsageError } from '../common/errors.js';
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

/** Options of {@link fetchHandler}. */
export interface FetchHandlerOptions {
  /** The server runs TLS: request URLs are `https:` (HTTP/3 always is). Default false. */
  readonly isSecure?: boolean;
}

/**
 * Methods `new Request()` refuses (Fetch §2.2.1 forbidden methods); answered 501 (RFC 9110 §15.6.2)
 * without calling the application.
 */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

function noop(): void {
  // Settled promises whose outcome nobody needs (a cancel after the client left).
}

/** Turns `{ fetch }` into a native {@link Handler}; `createServer` does this when given such an object. */
export function fetchHandler(app: FetchApp, options: FetchHandlerOptions = {}): Handler {
  if (typeof app !== 'object' || typeof (app as Partial<FetchApp> | null)?.fetch !== 'function') {
    throw new UsageError('ERR_INVALID_ARG', 'expected a handler function or an object with a fetch method');
  }
  const scheme = options.isSecure === true ? 'https://' : 'http://';
  return async (req, res) => {
    if (FORBIDDEN_METHODS.has(req.method)) {
      res.status = 501;
      res.end();
      return;
    }
    const request = toRequest(req, req.protocol === 'h3' ? 'https://' : scheme);
    if (request === undefined) {
      // RFC 9110 §7.2: a Host (or :authority) that makes no valid URL is a bad request.
      res.status = 400;
      res.end();
      return;
    }
    const info: FetchInfo = {
      remoteAddress: req.remoteAddress,
      remotePort: req.remotePort,
      protocol: req.protocol,
    };
    const response: unknown = await app.fetch(request, info);
    if (!(response instanceof Response)) {
      throw new UsageError(
        'ERR_FETCH_RESPONSE',
        `fetch handler returned ${response === null ? 'null' : typeof response}, not a Response`,
      );
    }
    await sendResponse(req, res, response);
  };
}

/** The WHATWG request for `req`, or undefined when its authority makes no valid URL. */
function toRequest(req: ServerRequest, scheme: string): Request | undefined {
  const target = req.target;
  // Origin-form is the common case; absolute-form (RFC 9112 §3.2.2) is a URL already; `*` (OPTIONS) has
  // no path, so it maps to the root.
  const c = target.charCodeAt(0);
  let url: string;
  if (c === 0x2f /* / */) url = scheme + (req.headers.get('host') ?? 'localhost') + target;
  else if (target === '*') url = scheme + (req.headers.get('host') ?? 'localhost') + '/';
  else url = target;
  const view = req.headers;
  const headers = new Headers();
  // HTTP/2 and HTTP/3 views hide pseudo-header fields (src/server/fields.ts) and add `host`.
  for (let i = 0; i < view.length; i++) headers.append(view.name(i), view.value(i));
  const method = req.method;
  const init: RequestInit = { method, headers, signal: req.signal };
  if (method !== 'GET' && method !== 'HEAD' && hasBody(req)) {
    init.body = bodyStream(req);
    init.duplex = 'half';
  }
  try {
    return new Request(url, init);
  } catch {
    return undefined;
  }
}

/** False only when the body is known to be empty (ended with the head, nothing buffered). */
function hasBody(req: ServerRequest): boolean {
  return !(req instanceof IncomingRequest && req.isBodyComplete && req.bufferedBytes === 0);
}

/**
 * `req.body` as a stream that pulls one chunk per read (high-water mark 0: nothing is read ahead), so an
 * application that stops reading stops the connection's reads too.
 */
function bodyStream(req: ServerRequest): ReadableStream<Uint8Array> {
  const it = req.body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller): Promise<void> {
        const r = await it.next();
        // Lifetime: each chunk is the request's own copy (src/server/request.ts), safe to hand out.
        if (r.done === true) controller.close();
        else controller.enqueue(r.value);
      },
      cancel(): void {
        it.return?.().catch(noop);
      },
    },
    { highWaterMark: 0 },
  );
}

const NEXT_TURN = Symbol('next turn');

/** Resolves with {@link NEXT_TURN} after the current turn of the event loop (I/O callbacks included). */
function nextTurn(): Promise<typeof NEXT_TURN> {
  return new Promise((resolve) => {
    setImmediate(resolve, NEXT_TURN);
  });
}

/** Reads `signal.aborted` afresh (past the narrowing of an earlier check: an await came in between). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Copies `response` onto `res`, streaming its body with backpressure. */
async function sendResponse(req: ServerRequest, res: ServerResponse, response: Response): Promise<void> {
  res.status = response.status;
  const headers = response.headers;
  for (const [name, value] of headers) {
    // Iteration joins repeated fields with ", " except set-cookie, which must stay one field per cookie.
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = response.body;
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
  // A chunk that is neither bytes nor a string fails in write() (a UsageError: the exchange's failure path).
  const reader = body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const signal = req.signal;
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(noop);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await reader.read();
    if (first.done || signal.aborted) {
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
        if (isAborted(signal)) break;
        await res.drained();
      }
      const r = await next;
      // signal.aborted is req.aborted (request.ts); read here, after the awaits.
      if (r.done || isAborted(signal)) break;
      chunk = r.value;
      next = reader.read();
    }
    // Also when aborted: an HTTP/1.1 peer that only half-closed keeps its connection until the response
    // ends (src/server/http1.ts onEnd); where the stream is gone, end() is a no-op.
    res.end();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
