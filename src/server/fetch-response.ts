/**
 * A light WHATWG `Response` for fetch handlers (src/server/fetch.ts). undici's constructor costs ~11 µs
 * for `new Response('hello', { headers })` (a stream, a Headers list, webidl conversions), more than the
 * rest of a hello exchange; {@link FetchResponse} records `(body, init)` and lets the server write a
 * string or byte body with one `res.end(body)`.
 *
 * - Light only for a string, `Uint8Array`, `ArrayBuffer` or absent body with a plain status (an integer
 *   200–599, no `statusText`); any other body or init builds undici's `Response` at once (so its checks
 *   throw where they always did). `status`, `ok`, `headers` stay light; anything else (`body`, `text()`,
 *   `clone()`, ...) builds the real `Response` once and delegates to it.
 * - Unlike undici, the init's headers and a byte body are kept by reference, not copied: changing them
 *   after construction (and before the response is sent) changes the response. Header names and values
 *   are checked when the response is sent (a bad one fails the exchange: 500), not in the constructor.
 * - `FetchResponse` has `Symbol.hasInstance`: every undici `Response` (from `fetch()`, `Response.json()`)
 *   is an instance of it, and its own instances are instances of undici's `Response` (prototype chain),
 *   so it can stand in for the global {@link installFetchGlobals}. Its statics (`json`, `redirect`,
 *   `error`) are undici's, inherited.
 */
import { delegateMembers } from './fetch-request.js';
import type { ServerResponse } from './types.js';

/** undici's class, captured before {@link installFetchGlobals} may replace the global. */
const RealResponse = globalThis.Response;

/** The content-type undici gives a string body (Fetch §"extract a body"). */
const TEXT_TYPE = 'text/plain;charset=UTF-8';

type SimpleBody = string | Uint8Array | ArrayBuffer | null;

function isSimpleBody(body: unknown): body is SimpleBody | undefined {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer
  );
}

/** A status the light path keeps: what undici accepts for this body without complaint. */
function isPlainStatus(status: unknown, body: unknown): status is number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return false;
  // Fetch §"initialize a response": a null body status with a body is a TypeError (undici's to throw).
  return body === undefined || body === null || !(status === 204 || status === 205 || status === 304);
}

/** Copies `headers` onto `res`: one field per cookie, other repeated fields joined as Headers joins them. */
export function writeHeaders(res: ServerResponse, headers: Headers): void {
  for (const [name, value] of headers) {
    // Iteration joins repeated fields with ", " except set-cookie, which must stay one field per cookie.
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
}

/**
 * Streams of Responses materialized from a simple body, with that body: `new Response(light.body, light)`
 * (Hono's `c.res` setter, middleware re-wrapping a response) stays light while the stream is untouched.
 */
const SIMPLE_STREAMS = new WeakMap<ReadableStream, { response: Response; source: SimpleBody }>();

/** The simple body behind `body` when it is an untouched stream of a materialized light response. */
function adoptedSource(body: unknown): SimpleBody | undefined {
  if (!(body instanceof ReadableStream)) return undefined;
  const entry = SIMPLE_STREAMS.get(body);
  if (entry === undefined || body.locked || entry.response.bodyUsed) return undefined;
  return entry.source;
}

let materialize: (response: FetchResponse) => Response;
let sendSimple: (value: object, res: ServerResponse) => boolean;

/** A `Response` that stays a record of its arguments until something needs undici's; see the file comment. */
export class FetchResponse {
  #body: SimpleBody;
  /** The body was given as a string: undici's text content-type applies unless one is set. */
  #isText: boolean;
  #status: number;
  #init: ResponseInit | undefined;
  #headers: Headers | undefined;
  #real: Response | undefined;

  static {
    materialize = (response: FetchResponse): Response => response.#real ?? response.#materialize();
    sendSimple = (value: object, res: ServerResponse): boolean => {
      if (!(#body in value) || value.#real !== undefined) return false;
      res.status = value.#status;
      const body = value.#body;
      const headers = value.#headers ?? value.#init?.headers;
      if (headers !== undefined) {
        if (headers instanceof Headers) writeHeaders(res, headers);
        else if (Array.isArray(headers) || Symbol.iterator in headers)
          writeHeaders(res, new Headers(headers));
        else {
          // A record (Hono's `c.json()`): one field per key, as `new Headers(record)` would have it.
          for (const name in headers) res.setHeader(name, String(headers[name]));
        }
      }
      if (typeof body === 'string') {
        if (value.#isText && value.#headers === undefined && !res.hasHeader('content-type'))
          res.setHeader('content-type', TEXT_TYPE);
        res.end(body);
      } else if (body === null) res.end();
      else res.end(body instanceof ArrayBuffer ? new Uint8Array(body) : body);
      return true;
    };
  }

  constructor(body?: ConstructorParameters<typeof Response>[0], init?: ResponseInit) {
    this.#body = null;
    this.#isText = typeof body === 'string';
    this.#status = 200;
    this.#init = init;
    this.#headers = undefined;
    this.#real = undefined;
    const simple = isSimpleBody(body) ? (body ?? null) : adoptedSource(body);
    if (
      simple !== undefined &&
      (init === undefined ||
        ((init.statusText === undefined || init.statusText === '') &&
          (init.status === undefined || isPlainStatus(init.status, simple))))
    ) {
      this.#body = simple;
      this.#status = init?.status ?? 200;
    } else {
      this.#real = init === undefined ? new RealResponse(body) : new RealResponse(body, init);
    }
  }

  /** True for this class's instances and for every undici `Response`. */
  static [Symbol.hasInstance](this: unknown, value: unknown): boolean {
    // A subclass (`class R extends Response` once the global is replaced) gets the ordinary check.
    if (this !== FetchResponse) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === 'object' &&
      value !== null &&
      Object.prototype.isPrototypeOf.call(RealResponse.prototype, value)
    );
  }

  get status(): number {
    return this.#real === undefined ? this.#status : this.#real.status;
  }

  get ok(): boolean {
    const s = this.status;
    return s >= 200 && s <= 299;
  }

  get statusText(): string {
    return this.#real === undefined ? '' : this.#real.statusText;
  }

  get type(): Response['type'] {
    return this.#real === undefined ? 'default' : this.#real.type;
  }

  get url(): string {
    return this.#real === undefined ? '' : this.#real.url;
  }

  get redirected(): boolean {
    return this.#real === undefined ? false : this.#real.redirected;
  }

  get bodyUsed(): boolean {
    return this.#real === undefined ? false : this.#real.bodyUsed;
  }

  get headers(): Headers {
    if (this.#real !== undefined) return this.#real.headers;
    if (this.#headers === undefined) {
      const init = this.#init?.headers;
      const headers = init === undefined ? new Headers() : new Headers(init);
      if (this.#isText && !headers.has('content-type')) headers.set('content-type', TEXT_TYPE);
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** Builds the real `Response` every other member delegates to (once). */
  #materialize(): Response {
    const headers = this.#headers ?? this.#init?.headers;
    const init: ResponseInit =
      headers === undefined ? { status: this.#status } : { status: this.#status, headers };
    const real = new RealResponse(this.#body, init);
    this.#real = real;
    if (real.body !== null) SIMPLE_STREAMS.set(real.body, { response: real, source: this.#body });
    return real;
  }
}

Object.setPrototypeOf(FetchResponse.prototype, RealResponse.prototype);
// Response.json(), Response.redirect(), Response.error(): undici's, which build undici Responses.
Object.setPrototypeOf(FetchResponse, RealResponse);
delegateMembers(FetchResponse.prototype, RealResponse.prototype, new RealResponse(''), materialize);

/**
 * When `value` is a light {@link FetchResponse} (not materialized), writes its status, headers and whole
 * body to `res` with one `end()` and returns true; otherwise does nothing and returns false.
 */
export function sendSimpleResponse(value: object, res: ServerResponse): boolean {
  return sendSimple(value, res);
}

/** undici's internal state slot of a `Response` (`kState`), found by its description; undefined if renamed. */
const STATE_SLOT = Object.getOwnPropertySymbols(new RealResponse('')).find((s) => s.description === 'state');
/** Whether {@link knownBodySource} can see undici's state (undici 6; undici 7 keeps it private). */
export const CAN_READ_BODY_SOURCE: boolean = STATE_SLOT !== undefined;

/**
 * The bytes or string an undici `Response` was constructed from (`new Response('hi')`, `Response.json()`)
 * when its stream is untouched, so the server can send it with one `end()` instead of reading the
 * stream; undefined for a stream body, a consumed one, or an undici without that internal slot.
 */
export function knownBodySource(response: Response): string | Uint8Array | undefined {
  if (STATE_SLOT === undefined) return undefined;
  const state = (response as unknown as Record<symbol, unknown>)[STATE_SLOT] as
    { body?: { source?: unknown; stream?: unknown } | null } | undefined;
  const source = state?.body?.source;
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) return undefined;
  if (response.bodyUsed || response.body?.locked !== false) return undefined;
  return source;
}

/**
 * Replaces `globalThis.Response` with {@link FetchResponse} for the whole process, so applications that
 * call the global constructor (Hono's `c.text()`, `c.json()`) build light responses. Idempotent; not
 * undone. `fetch()` still returns undici Responses, which remain `instanceof Response`.
 */
export function installFetchGlobals(): void {
  if (globalThis.Response === (FetchResponse as unknown)) return;
  (globalThis as { Response: unknown }).Response = FetchResponse;
}
