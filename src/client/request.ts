/**
 * Request options of `hayate/client` and their validation at the call (STYLE §3.3: misuse is a
 * `UsageError` thrown before anything is sent).
 */
import { currentTraceContext, formatTraceparent } from '../common/trace-context.js';
import { isFieldValueString, isTokenString } from '../common/char-class.js';
import { UsageError } from '../common/errors.js';

/** A request body: bytes, a string (sent as UTF-8), or chunks streamed with backpressure. */
export type ClientRequestBody = Uint8Array | string | AsyncIterable<Uint8Array>;

/** Options of {@link Client.request}. */
export interface ClientRequestOptions {
  /** Method token (RFC 9110 §9), case-sensitive; default `GET`. */
  readonly method?: string;
  /**
   * Header fields as `[name, value]` pairs or a record. Connection-specific fields (`connection`,
   * `keep-alive`, `proxy-connection`, `transfer-encoding`, `upgrade`, RFC 9113 §8.2.2), `host` and
   * pseudo-fields are the client's to set and are refused.
   */
  readonly headers?: ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;
  readonly body?: ClientRequestBody;
  /** Aborts the request on any protocol: h1 closes the connection, h2 sends RST_STREAM CANCEL, h3 resets. */
  readonly signal?: AbortSignal;
  /** Trailer fields sent after the body (h1 uses the chunked coding; requests with trailers avoid h3). */
  readonly trailers?: ReadonlyArray<readonly [string, string]>;
}

/** Where a request goes: a URL, or an origin plus a path. */
export type ClientTarget = string | URL | { readonly origin: string; readonly path?: string };

/** @internal A validated request, ready for a driver. */
export interface PreparedRequest {
  readonly url: URL;
  /** `scheme://host:port` (default ports omitted). */
  readonly origin: string;
  /** `host[:port]` for Host / :authority. */
  readonly authority: string;
  readonly method: string;
  /** Origin-form target: path and query (RFC 9112 §3.2.1). */
  readonly path: string;
  /** Lowercase names. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly hasContentLength: boolean;
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  readonly trailers: ReadonlyArray<readonly [string, string]> | undefined;
  readonly signal: AbortSignal | undefined;
}

/** RFC 9113 §8.2.2 / RFC 9114 §4.2: fields that only make sense on one HTTP/1.1 hop. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const encoder = new TextEncoder();

function parseTarget(target: ClientTarget): URL {
  let url: URL;
  try {
    if (typeof target === 'string') url = new URL(target);
    else if (target instanceof URL) url = new URL(target.href);
    else {
      const path = target.path ?? '/';
      if (!path.startsWith('/')) {
        throw new UsageError('ERR_CLIENT_INVALID_URL', `path must start with "/": ${JSON.stringify(path)}`);
      }
      url = new URL(path, target.origin);
      const base = new URL(target.origin);
      if (base.origin !== url.origin)
        throw new UsageError('ERR_CLIENT_INVALID_URL', 'path changes the origin');
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError('ERR_CLIENT_INVALID_URL', `invalid URL: ${err instanceof Error ? err.message : ''}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('ERR_CLIENT_INVALID_URL', `unsupported scheme ${url.protocol}`);
  }
  if (url.hostname === '') throw new UsageError('ERR_CLIENT_INVALID_URL', 'URL has no host');
  return url;
}

function checkField(name: string, value: string, what: string): void {
  if (!isTokenString(name)) {
    throw new UsageError(
      'ERR_CLIENT_INVALID_HEADER',
      `invalid ${what} name ${JSON.stringify(name.slice(0, 64))}`,
    );
  }
  // RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value.
  if (!isFieldValueString(value)) {
    throw new UsageError('ERR_CLIENT_INVALID_HEADER', `invalid value for ${what} ${JSON.stringify(name)}`);
  }
}

/**
 * Inside a traced server handler (the server's `tracing` option), continues its trace: `traceparent` with
 * the handler's span as parent-id, and its `tracestate` (W3C Trace Context §3). A `traceparent` the caller
 * set wins (and then no `tracestate` is added for it).
 */
function addTraceFields(headers: Array<[string, string]>): void {
  const trace = currentTraceContext();
  if (trace === undefined) return;
  for (const h of headers) if (h[0] === 'traceparent') return;
  headers.push(['traceparent', formatTraceparent(trace.traceId, trace.spanId, trace.flags)]);
  if (trace.tracestate !== undefined && !headers.some((h) => h[0] === 'tracestate')) {
    headers.push(['tracestate', trace.tracestate]);
  }
}

/** Validates a request and normalizes it for the drivers. Throws `UsageError` on misuse. */
export function prepareRequest(target: ClientTarget, options: ClientRequestOptions = {}): PreparedRequest {
  const url = parseTarget(target);
  const method = options.method ?? 'GET';
  if (typeof method !== 'string' || !isTokenString(method)) {
    throw new UsageError(
      'ERR_CLIENT_INVALID_METHOD',
      `invalid method ${JSON.stringify(method.slice(0, 32))}`,
    );
  }
  if (method === 'CONNECT') throw new UsageError('ERR_CLIENT_INVALID_METHOD', 'CONNECT is not supported');
  const raw = options.headers ?? [];
  const pairs: ReadonlyArray<readonly [string, string]> = Array.isArray(raw)
    ? (raw as ReadonlyArray<readonly [string, string]>)
    : Object.entries(raw as Readonly<Record<string, string>>);
  const headers: Array<[string, string]> = [];
  let contentLength = -1;
  for (const p of pairs) {
    const pair: unknown = p;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') {
      throw new UsageError('ERR_CLIENT_INVALID_HEADER', 'headers must be [name, value] string pairs');
    }
    const name = p[0].toLowerCase();
    checkField(name, p[1], 'header');
    if (CONNECTION_SPECIFIC.has(name)) {
      throw new UsageError(
        'ERR_CLIENT_INVALID_HEADER',
        `header ${JSON.stringify(name)} is set by the client`,
      );
    }
    if (name === 'content-length') {
      const v = Number(p[1]);
      if (!/^[0-9]+$/.test(p[1]) || !Number.isSafeInteger(v) || contentLength >= 0) {
        throw new UsageError('ERR_CLIENT_INVALID_HEADER', `invalid content-length ${JSON.stringify(p[1])}`);
      }
      contentLength = v;
    }
    headers.push([name, p[1]]);
  }
  addTraceFields(headers);
  const rawBody = options.body;
  let body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  if (typeof rawBody === 'string') body = encoder.encode(rawBody);
  else if (rawBody === undefined || rawBody instanceof Uint8Array) body = rawBody;
  else if (typeof (rawBody as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === 'function')
    body = rawBody;
  else
    throw new UsageError(
      'ERR_CLIENT_INVALID_BODY',
      'body must be a Uint8Array, a string or an async iterable',
    );
  if (body instanceof Uint8Array && contentLength >= 0 && contentLength !== body.length) {
    throw new UsageError(
      'ERR_CLIENT_INVALID_BODY',
      `content-length ${contentLength} but body is ${body.length} bytes`,
    );
  }
  if (
    (method === 'GET' || method === 'HEAD') &&
    body !== undefined &&
    !(body instanceof Uint8Array && body.length === 0)
  ) {
    throw new UsageError('ERR_CLIENT_INVALID_BODY', `${method} requests carry no body here`);
  }
  const trailers = options.trailers;
  if (trailers !== undefined) {
    if (contentLength >= 0) {
      throw new UsageError('ERR_CLIENT_INVALID_BODY', 'trailers need a body without content-length');
    }
    for (const t of trailers) {
      const n = t[0].toLowerCase();
      checkField(n, t[1], 'trailer');
      if (CONNECTION_SPECIFIC.has(n) || n === 'content-length') {
        throw new UsageError('ERR_CLIENT_INVALID_HEADER', `trailer ${JSON.stringify(n)} is not allowed`);
      }
    }
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new UsageError('ERR_CLIENT_INVALID_SIGNAL', 'signal must be an AbortSignal');
  }
  return {
    url,
    origin: url.origin,
    authority: url.host,
    method,
    path: url.pathname + url.search,
    headers,
    hasContentLength: contentLength >= 0,
    body,
    trailers: trailers?.map((t) => [t[0].toLowerCase(), t[1]] as const),
    signal,
  };
}
