/**
 * The protocol-neutral handler API. HTTP/1.1 (src/server/http1.ts) implements it today; HTTP/2 implements
 * the same {@link ResponseBackend} / request source so one handler serves both.
 *
 * ```ts
 * const server = createServer(async (req, res) => {
 *   res.setHeader('content-type', 'text/plain');
 *   res.end(`hello ${req.method} ${req.path}\n`);
 * });
 * ```
 */
import type { TransportSocket } from '../transport/socket.js';
import type { ClearCookieOptions, CookieOptions } from './cookies.js';
import type { TraceParent } from '../common/trace-context.js';

/** A read-only, lazily decoded view of a field section (request headers or trailers). */
export interface HeadersView {
  /** Number of field lines. */
  readonly length: number;
  /** Lowercased name of line `i`. */
  name(i: number): string;
  /** Value of line `i` (latin1, surrounding whitespace trimmed). */
  value(i: number): string;
  /** First value for `name` (case-insensitive), or undefined. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  getAll(name: string): string[];
  toArray(): [string, string][];
}

/** The request as parsed. Headers are views decoded on first use; the body is an async iterable. */
export interface ServerRequest {
  /** `http/1.1`, `http/1.0` or `h2`. */
  readonly protocol: string;
  readonly method: string;
  /** The request target as sent (origin-form `/a?b`, or absolute-form, authority-form, `*`). */
  readonly target: string;
  /** The target's path (before `?`), percent-encoded as sent. */
  readonly path: string;
  /** The query string without `?`, or `''`. */
  readonly query: string;
  /** {@link query} parsed (URLSearchParams) on first access and cached; free when never used. */
  readonly searchParams: URLSearchParams;
  /**
   * The `Cookie` field(s) parsed on first access and cached: name to value, the first occurrence of a name
   * wins, surrounding DQUOTEs are removed and nothing is percent-decoded (src/server/cookies.ts).
   */
  readonly cookies: ReadonlyMap<string, string>;
  /**
   * The `traceparent` field parsed on first access (W3C Trace Context §3.2), or null when absent or
   * invalid (uppercase hex, all-zero ids, version ff, a bad length: treated as no parent, §3.2.2).
   */
  readonly traceparent: TraceParent | null;
  readonly headers: HeadersView;
  /** Trailers, once the body has been read to its end; null when there were none. */
  readonly trailers: HeadersView | null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * True when the request arrived in TLS early data (HTTP/3 0-RTT) and may be a replay (RFC 8470 §1); the
   * request then also carries `early-data: 1` (RFC 8470 §5.1) so a proxying handler passes it on.
   */
  readonly earlyData: boolean;
  /** Body chunks. Each chunk is the request's own copy. Reading it sends `100 Continue` when asked for. */
  readonly body: AsyncIterable<Uint8Array>;
  /**
   * Reads the whole body (at most `maxBytes`, default 1 MiB; more rejects with a ServerError
   * `ERR_BODY_TOO_LARGE`, which answers 413 if the handler lets it escape).
   */
  bytes(maxBytes?: number): Promise<Uint8Array>;
  /** The whole body decoded as UTF-8 (malformed sequences become U+FFFD). */
  text(maxBytes?: number): Promise<string>;
  /**
   * The whole body (at most `maxBytes`, default 1 MiB: 413 as for {@link bytes}) parsed as JSON. Text that
   * is not JSON, or not UTF-8, rejects with a ServerError `ERR_INVALID_JSON` (its `cause` the parser's
   * error), answered 400 if the handler lets it escape; an empty body is not JSON either. The
   * content-type is not checked: look at `headers.get('content-type')` to require one. The result is
   * not validated against `T`.
   */
  json<T = unknown>(maxBytes?: number): Promise<T>;
  /**
   * The exchange ended before the response finished: the peer closed the connection or reset the stream,
   * or the response timed out (`responseTimeoutMs`). Not an error of the handler's.
   */
  readonly aborted: boolean;
  /**
   * Aborts when {@link aborted} becomes true, with a ServerError as its reason; pass it to fetch, streams.
   * Made on first read: an AbortSignal costs ~2.5 µs on Node 20 (more than a hello response), so code that
   * only needs to hear of the abort should use {@link onAbort}.
   */
  readonly signal: AbortSignal;
  /**
   * Calls `listener(reason)` once when the request aborts (what {@link signal} would say, without making
   * one), after the signal's own listeners. Returns false, registering nothing, when it has aborted
   * already. A listener that throws does not disturb the exchange: the error is rethrown on a microtask,
   * as from an AbortSignal listener.
   */
  onAbort(listener: (reason: Error) => void): boolean;
  /** Removes a listener {@link onAbort} added (nothing when it is not there). */
  offAbort(listener: (reason: Error) => void): void;
}

/** Options of {@link ServerResponse.sendFile}. */
export interface SendFileOptions {
  /** Serve relative to this folder; `..` escaping it is refused (404). */
  readonly root?: string;
  /** Overrides the Content-Type derived from the extension. */
  readonly contentType?: string;
  /** Cache-Control value; default none. */
  readonly cacheControl?: string;
  /** Whether to honour Range (default true). */
  readonly acceptRanges?: boolean;
  /**
   * Serve a precompressed sibling (`file.br`, `file.gz`) when the client accepts its coding (RFC 9110
   * §12.5.3) and the sibling is a regular file not older than the file: `true` looks for `br` then
   * `gzip` (that order breaks ties), a list names the codings and their order. The answer keeps the
   * file's Content-Type and adds Content-Encoding; ETag, Last-Modified, length and Range are the
   * sibling's (a range of the encoded bytes, RFC 9110 §14.1), and it still goes out with sendfile(2).
   * Vary: Accept-Encoding is sent whenever a sibling exists. Default off. Files are never compressed on
   * the fly (that would cost Range and sendfile): compress them at build time.
   */
  readonly precompressed?: boolean | readonly ('br' | 'gzip')[];
}

/** The response. Headers are set first, then `write`/`end`, or `sendFile`. */
export interface ServerResponse {
  /** Status of the final response (default 200). */
  status: number;
  /**
   * Per-response compression (see the server's `compression` option, src/server/compress.ts): undefined
   * (default) follows the server's setting; false never compresses this response; true compresses it even
   * when the server's option is off (with the default settings) and whatever its Content-Type or size.
   * Negotiation and the rules that forbid it (Content-Encoding already set, no-transform, 204/304/206)
   * still apply. Set it before the head is sent.
   */
  compress?: boolean | undefined;
  readonly headersSent: boolean;
  /** `end()` (or `sendFile`) has completed the response. */
  readonly finished: boolean;
  setHeader(name: string, value: string | number | readonly string[]): this;
  getHeader(name: string): string | undefined;
  hasHeader(name: string): boolean;
  removeHeader(name: string): this;
  /** Sends a 1xx interim response such as 103 Early Hints. */
  writeInformational(status: number, headers?: readonly (readonly [string, string])[]): void;
  /**
   * Sends body bytes (the head goes first, chunked unless `content-length` is set). Returns false when the
   * connection's pending output is above its high-water mark: await {@link drained} before writing more.
   * Lifetime: the chunk is written by reference; do not modify it afterwards.
   */
  write(chunk: Uint8Array | string): boolean;
  /** Resolves when pending output is below the high-water mark again (at once when it already is). */
  drained(): Promise<void>;
  /** Finishes the response, optionally with a last chunk and trailers (trailers need a chunked body). */
  end(chunk?: Uint8Array | string, trailers?: readonly (readonly [string, string])[]): void;
  /**
   * Serves a file: Content-Type, ETag, Last-Modified, 304 for If-None-Match/If-Modified-Since, single
   * Range (206/416), HEAD. sendfile(2) on the native transport, a read stream on node:net.
   * Resolves when the file is written; missing or refused paths answer 404.
   */
  sendFile(path: string, options?: SendFileOptions): Promise<void>;
  /**
   * Sends `value` as the whole body: `JSON.stringify(value)`, with content-length, and
   * `content-type: application/json; charset=utf-8` unless one was set; `status` when given. A value
   * that cannot be serialized (undefined, a function or symbol, a BigInt, a cycle) throws a UsageError
   * `ERR_JSON_SERIALIZE` at the call, and so do the checks of `end()` (ERR_HEADERS_SENT, ...); nothing
   * is changed or sent then.
   */
  json(value: unknown, status?: number): void;
  /**
   * Appends a `Set-Cookie` field (one per call, never combined). Name, value and every attribute are
   * checked at the call (RFC 6265bis; SameSite=None and Partitioned need Secure; the `__Secure-` and
   * `__Host-` prefix rules): a UsageError with a `CookieErrorCode` otherwise. The value is sent as given.
   */
  setCookie(name: string, value: string, options?: CookieOptions): this;
  /**
   * Tells the client to delete cookie `name`: an empty value with Max-Age=0 and an Expires in 1970. Pass
   * the Domain and Path (and Secure, Partitioned) it was set with: the browser replaces only that cookie.
   */
  clearCookie(name: string, options?: ClearCookieOptions): this;
}

/** A request handler. A returned promise's rejection answers 500 if nothing was sent yet. */
export type Handler = (req: ServerRequest, res: ServerResponse) => void | Promise<void>;

/**
 * Called for requests asking for a protocol switch (`Upgrade`, or CONNECT). The handler owns `socket` from
 * then on (it writes the 101 itself); `head` holds bytes already received after the request head.
 */
export type UpgradeHandler = (req: ServerRequest, socket: TransportSocket, head: Uint8Array) => void;

/**
 * What a protocol implements under {@link ServerResponse} (src/server/response.ts does the shared work:
 * header bookkeeping, string encoding, files, errors). HTTP/1.1 and HTTP/2 each provide one.
 */
export interface ResponseBackend {
  /** Sends the final response head. `contentLength` is -1 when unknown (chunked / DATA frames). */
  sendHead(status: number, headers: [string, string][], contentLength: number): void;
  sendInformational(status: number, headers: [string, string][]): void;
  sendData(chunk: Uint8Array): void;
  /**
   * Sends `length` bytes of open file `fd` from `offset` as (part of) the body; resolves when written.
   * The caller closes `fd` afterwards.
   */
  sendFile(fd: number, offset: number, length: number): Promise<void>;
  sendEnd(trailers: [string, string][] | undefined): void;
  /** Bytes queued and not yet handed to the kernel (for {@link ServerResponse.write}'s return value). */
  readonly pendingBytes: number;
  readonly highWaterMark: number;
  waitForDrain(): Promise<void>;
  /** The request method is HEAD (no body is sent, but headers describe it). */
  readonly isHead: boolean;
  /** The connection or stream is gone. */
  readonly isClosed: boolean;
  /**
   * Ends a response whose head is out abnormally, after a failure that is not the handler's (the
   * compressor failed): HTTP/1.1 closes, HTTP/2 and HTTP/3 reset the stream. Optional for test backends.
   */
  abortBody?(error: Error): void;
}
