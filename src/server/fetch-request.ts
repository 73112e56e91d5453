/**
 * The WHATWG `Request` a fetch handler receives (src/server/fetch.ts), built lazily over the exchange's
 * {@link ServerRequest}: constructing undici's `Request` costs more than the rest of a hello exchange
 * (~9 µs with headers, far more with a `signal` to follow), and most handlers read only the method, the
 * URL and a header or two.
 *
 * - `method`, `url`, `headers` and `signal` are own getters: the URL string is composed once, the
 *   `Headers` are built on first access, and `signal` is the exchange's own (no AbortSignal following).
 * - The whole-body readers (`text`, `json`, `arrayBuffer`, `bytes`, `blob`, `formData`) read through
 *   `req.bytes(maxBodyBytes)`: more than that rejects with a ServerError `ERR_BODY_TOO_LARGE`, which the
 *   exchange answers 413 if the application lets it escape.
 * - Everything else (`body`, `clone()`, `cache`, `mode`, ..., and undici's internal slots, so that
 *   `new Request(request)` and `fetch(request)` work) builds one real undici `Request` and delegates to
 *   it; `request.body` streams `req.body` one chunk per read, so backpressure reaches the connection.
 * - `request instanceof Request` holds: the prototype chain goes through `Request.prototype`.
 */
import { ServerError, ServerErrorCode } from './errors.js';
import type { ServerRequest } from './types.js';

/** undici's classes, captured before anything may replace the globals (src/server/fetch-response.ts). */
const RealRequest = globalThis.Request;
const RealResponse = globalThis.Response;

function noop(): void {
  // A cancel whose outcome nobody needs.
}

/**
 * `req.body` as a stream that pulls one chunk per read (high-water mark 0: nothing is read ahead), so an
 * application that stops reading stops the connection's reads too.
 */
export function bodyStream(req: ServerRequest, limit?: () => number): ReadableStream<Uint8Array> {
  const it = req.body[Symbol.asyncIterator]();
  let total = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller): Promise<void> {
        const r = await it.next();
        // Lifetime: each chunk is the request's own copy (src/server/request.ts), safe to hand out.
        if (r.done === true) {
          controller.close();
          return;
        }
        total += r.value.byteLength;
        const max = limit === undefined ? Infinity : limit();
        if (total > max) {
          it.return?.().catch(noop);
          controller.error(
            new ServerError(ServerErrorCode.BodyTooLarge, `request body exceeds ${max} bytes`, {
              statusHint: 413,
            }),
          );
          return;
        }
        controller.enqueue(r.value);
      },
      cancel(): void {
        it.return?.().catch(noop);
      },
    },
    { highWaterMark: 0 },
  );
}

const utf8 = new TextDecoder();

function bodyUnusable(): TypeError {
  // The wording of undici's own error, so applications see one message whichever object they hold.
  return new TypeError('Body is unusable: Body has already been read');
}

/** An ArrayBuffer holding exactly `bytes` (the chunk's own buffer when it is exactly that). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) {
    return buffer;
  }
  return bytes.slice().buffer;
}

let materialize: (request: FetchRequest) => Request;

/** Whether the body stream enforces `maxBytes` (while a whole-body reader of a CappedRequest reads it). */
interface BodyCap {
  isOn: boolean;
  readonly maxBytes: number;
}

/**
 * undici's own `Request` (so undici 7 accepts it back) whose whole-body readers keep the lazy request's
 * contract: more than `maxBodyBytes` rejects with ERR_BODY_TOO_LARGE (413). Reading `body` as a stream
 * stays unlimited, as on the lazy request.
 */
const CAP = Symbol('hayate.bodyCap');

class CappedRequest extends RealRequest {
  readonly [CAP]: BodyCap;

  constructor(url: string, init: RequestInit, cap: BodyCap) {
    super(url, init);
    this[CAP] = cap;
  }
}

// The readers are own properties in the DOM typings, so they are wrapped on the prototype, not overridden.
for (const name of ['text', 'json', 'arrayBuffer', 'blob', 'formData', 'bytes']) {
  const own = (RealRequest.prototype as unknown as Record<string, unknown>)[name];
  if (typeof own !== 'function') continue;
  const read = own as (this: Request) => Promise<unknown>;
  Object.defineProperty(CappedRequest.prototype, name, {
    configurable: true,
    writable: true,
    value(this: CappedRequest): Promise<unknown> {
      this[CAP].isOn = true;
      return read.call(this);
    },
  });
}

/**
 * A WHATWG `Request` over a hayate {@link ServerRequest}; see the file comment. Created by the fetch
 * handler, never by applications (its constructor is not the `Request` constructor).
 */
export class FetchRequest {
  readonly #req: ServerRequest;
  readonly #url: string;
  readonly #method: string;
  readonly #hasBody: boolean;
  readonly #maxBodyBytes: number;
  #headers: Headers | undefined;
  #real: Request | undefined;
  #isBodyUsed: boolean;

  static {
    materialize = (request: FetchRequest): Request => request.#real ?? request.#materialize();
  }

  /**
   * @param url The absolute URL, already normalized (src/server/fetch.ts `requestUrl`).
   * @param method The method as `Request` reports it (the six Fetch normalizes are uppercased).
   * @param hasBody False when the body is known to be empty (GET, HEAD, ended with the head).
   */
  constructor(req: ServerRequest, url: string, method: string, hasBody: boolean, maxBodyBytes: number) {
    this.#req = req;
    this.#url = url;
    this.#method = method;
    this.#hasBody = hasBody;
    this.#maxBodyBytes = maxBodyBytes;
    this.#headers = undefined;
    this.#real = undefined;
    this.#isBodyUsed = false;
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    // Once built, the same object even after undici's Request exists (it holds an equal copy).
    if (this.#headers !== undefined) return this.#headers;
    if (this.#real !== undefined) return this.#real.headers;
    const view = this.#req.headers;
    const headers = new Headers();
    // HTTP/2 and HTTP/3 views hide pseudo-header fields (src/server/fields.ts) and add `host`.
    for (let i = 0; i < view.length; i++) headers.append(view.name(i), view.value(i));
    this.#headers = headers;
    return headers;
  }

  /** The exchange's signal: aborts (with a ServerError reason) when the client goes away. */
  get signal(): AbortSignal {
    return this.#req.signal;
  }

  get bodyUsed(): boolean {
    return this.#real === undefined ? this.#isBodyUsed : this.#real.bodyUsed;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real === undefined && !this.#hasBody) return null;
    return materialize(this).body;
  }

  /** The whole body, at most `maxBodyBytes`; marks the body used as a real `Request` would. */
  #readAll(): Promise<Uint8Array> {
    if (this.#isBodyUsed) return Promise.reject(bodyUnusable());
    this.#isBodyUsed = true;
    if (!this.#hasBody) return Promise.resolve(new Uint8Array(0));
    return this.#req.bytes(this.#maxBodyBytes);
  }

  text(): Promise<string> {
    if (this.#real !== undefined) return this.#real.text();
    return this.#readAll().then((b) => utf8.decode(b));
  }

  json(): Promise<unknown> {
    if (this.#real !== undefined) return this.#real.json();
    return this.#readAll().then((b) => JSON.parse(utf8.decode(b)) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real !== undefined) return this.#real.arrayBuffer();
    return this.#readAll().then(toArrayBuffer);
  }

  bytes(): Promise<Uint8Array> {
    if (this.#real !== undefined) return (this.#real as Request & { bytes(): Promise<Uint8Array> }).bytes();
    return this.#readAll();
  }

  blob(): Promise<Blob> {
    if (this.#real !== undefined) return this.#real.blob();
    const type = this.#req.headers.get('content-type') ?? '';
    return this.#readAll().then((b) => new Blob([b], { type }));
  }

  // The Request interface has formData(); undici deprecates it for servers in favour of a streaming parser.
  formData(): Promise<FormData> {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    if (this.#real !== undefined) return this.#real.formData();
    const type = this.#req.headers.get('content-type');
    // undici's multipart and urlencoded parsers, over bytes read within the limit.
    return this.#readAll().then((b) =>
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      new RealResponse(b, type === undefined ? {} : { headers: { 'content-type': type } }).formData(),
    );
  }

  clone(): Request {
    return materialize(this).clone();
  }

  /** Builds the real `Request` every other member delegates to (once). */
  #materialize(): Request {
    const init: RequestInit = { method: this.#method, headers: this.headers, signal: this.#req.signal };
    if (this.#hasBody) {
      // A body already read through a reader above leaves an empty stream, used up below.
      init.body = this.#isBodyUsed
        ? new ReadableStream({
            start: (c): void => {
              c.close();
            },
          })
        : bodyStream(this.#req, () => (cap.isOn ? cap.maxBytes : Infinity));
      init.duplex = 'half';
    }
    const cap: BodyCap = { isOn: false, maxBytes: this.#maxBodyBytes };
    const real = IS_LAZY_REQUEST_PORTABLE
      ? new RealRequest(this.#url, init)
      : new CappedRequest(this.#url, init, cap);
    if (this.#isBodyUsed && this.#hasBody) real.arrayBuffer().catch(noop);
    this.#real = real;
    return real;
  }
}

/**
 * Defines, on `target`, a delegating member for every member of `source` that `target` lacks, and a
 * getter for every internal slot (own symbol) of `sample`: undici reads `input[kState]` when given a
 * `Request` or `Response` it did not make (`new Request(request)`, `fetch(request)`).
 */
export function delegateMembers(
  target: object,
  source: object,
  sample: object,
  realOf: (self: never) => object,
): void {
  for (const name of Object.getOwnPropertyNames(source)) {
    if (name === 'constructor' || Object.prototype.hasOwnProperty.call(target, name)) continue;
    const d = Object.getOwnPropertyDescriptor(source, name);
    if (d === undefined) continue;
    if (d.get !== undefined) {
      Object.defineProperty(target, name, {
        configurable: true,
        enumerable: d.enumerable ?? false,
        get(this: never): unknown {
          return (realOf(this) as Record<string, unknown>)[name];
        },
      });
    } else if (typeof d.value === 'function') {
      Object.defineProperty(target, name, {
        configurable: true,
        enumerable: d.enumerable ?? false,
        writable: true,
        value(this: never, ...args: unknown[]): unknown {
          const real = realOf(this) as Record<string, (...a: unknown[]) => unknown>;
          return real[name]!(...args);
        },
      });
    }
  }
  for (const slot of Object.getOwnPropertySymbols(sample)) {
    Object.defineProperty(target, slot, {
      configurable: true,
      get(this: never): unknown {
        return (realOf(this) as Record<symbol, unknown>)[slot];
      },
    });
  }
}

/**
 * Whether undici accepts a {@link FetchRequest} where it expects its own `Request` (`new Request(request)`,
 * `fetch(request)`): undici 6 (Node 20 and 22) reads its state through symbol slots, which the lazy
 * request forwards; undici 7 (Node 24) keeps it in private fields, which no other object can have. Where
 * false, the fetch handler hands applications the undici `Request` built from the lazy one (correct, and
 * as slow as building it always was).
 */
export const IS_LAZY_REQUEST_PORTABLE: boolean =
  Object.getOwnPropertySymbols(new RealRequest('http://localhost/')).length > 0;

/** The undici `Request` behind `request` (built on first use). */
export function toUndiciRequest(request: FetchRequest): Request {
  return materialize(request);
}

Object.setPrototypeOf(FetchRequest.prototype, RealRequest.prototype);
delegateMembers(
  FetchRequest.prototype,
  RealRequest.prototype,
  new RealRequest('http://localhost/'),
  materialize,
);
