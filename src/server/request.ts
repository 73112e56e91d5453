/**
 * The shared {@link ServerRequest} implementation. A protocol feeds it body chunks (`pushBody`), the end
 * (`endBody`) and aborts; the handler reads `body` as an async iterable. Buffered bytes are bounded: the
 * protocol pauses reading when {@link IncomingRequest.bufferedBytes} passes its limit and resumes on
 * `onConsumed`.
 */
import { parseTraceparent, type TraceParent } from '../common/trace-context.js';
import { UsageError } from '../common/errors.js';
import { parseCookies } from './cookies.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { contentLengthDigits } from './fields.js';
import type { HeadersView, ServerRequest } from './types.js';
import { markAsUntransferable } from 'node:worker_threads';
import { SHARED_SLAB } from '../common/bytes.js';

// Request heads and body chunks are copied into SHARED_SLAB's shared chunks (src/server/http1.ts): a handler
// that transfers a chunk's buffer (postMessage, structuredClone) must not detach what other requests hold.
SHARED_SLAB.setChunkHook(markAsUntransferable);

/** Hooks a protocol gives the request. */
export interface RequestSource {
  /** The handler started reading the body (send `100 Continue` if the client waits for it). */
  onBodyPull(): void;
  /** Buffered body bytes were consumed (resume reading if paused). */
  onConsumed(): void;
}

const decoder = new TextDecoder();

function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Strict UTF-8 for JSON (RFC 8259 §8.1); a leading BOM is dropped (ignoreBOM false), as §8.1 allows. */
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON body; malformed text or UTF-8 is the client's fault: 400 `ERR_INVALID_JSON`. */
function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(strictDecoder.decode(bytes));
  } catch (err) {
    throw new ServerError(
      ServerErrorCode.InvalidJson,
      `request body is not valid JSON (${bytes.byteLength} bytes)`,
      {
        statusHint: 400,
        cause: err,
      },
    );
  }
}

function tooLarge(maxBytes: number): ServerError {
  // Not the handler's fault: the exchange answers 413 when this escapes the handler.
  return new ServerError(ServerErrorCode.BodyTooLarge, `request body exceeds ${maxBytes} bytes`, {
    statusHint: 413,
  });
}

/** A request as the handler sees it. */
export class IncomingRequest implements ServerRequest {
  readonly protocol: string;
  readonly method: string;
  readonly target: string;
  readonly headers: HeadersView;
  trailers: HeadersView | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set by the HTTP/3 binding for a request received in 0-RTT (RFC 8470). */
  earlyData = false;
  aborted = false;
  private controller: AbortController | undefined = undefined;
  private abortReason: Error | undefined = undefined;
  private abortListeners: ((reason: Error) => void)[] | undefined = undefined;
  private readonly source: RequestSource;
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private isEnded: boolean;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private isPulled = false;
  private queryIndex = -2;
  /** Made on first use of {@link searchParams} / {@link cookies}: nothing is parsed for other requests. */
  private searchParamsCache: URLSearchParams | undefined = undefined;
  private cookiesCache: ReadonlyMap<string, string> | undefined = undefined;
  private traceparentCache: TraceParent | null | undefined = undefined;

  constructor(
    protocol: string,
    method: string,
    target: string,
    headers: HeadersView,
    remoteAddress: string,
    remotePort: number,
    hasBody: boolean,
    source: RequestSource,
  ) {
    this.protocol = protocol;
    this.method = method;
    this.target = target;
    this.headers = headers;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.isEnded = !hasBody;
    this.source = source;
  }

  get path(): string {
    const q = this.qIndex();
    return q < 0 ? this.target : this.target.slice(0, q);
  }

  get query(): string {
    const q = this.qIndex();
    return q < 0 ? '' : this.target.slice(q + 1);
  }

  /**
   * The query parsed as `application/x-www-form-urlencoded` (WHATWG URL), on first access, then cached:
   * the same object every time, so changes made to it stay.
   */
  get searchParams(): URLSearchParams {
    return (this.searchParamsCache ??= new URLSearchParams(this.query));
  }

  /** The request's cookies by name, parsed on first access (see src/server/cookies.ts for the rules). */
  get traceparent(): TraceParent | null {
    if (this.traceparentCache === undefined) {
      // §3.2.2.1: more than one traceparent field is invalid.
      const all = this.headers.getAll('traceparent');
      this.traceparentCache = all.length === 1 ? parseTraceparent(all[0]) : null;
    }
    return this.traceparentCache;
  }

  get cookies(): ReadonlyMap<string, string> {
    return (this.cookiesCache ??= parseCookies(this.headers));
  }

  private qIndex(): number {
    if (this.queryIndex === -2) this.queryIndex = this.target.indexOf('?');
    return this.queryIndex;
  }

  /** Body bytes received and not yet read by the handler. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True once the whole body has been received. */
  get isBodyComplete(): boolean {
    return this.isEnded;
  }

  /** Protocol side: a body chunk (already the request's own copy). */
  pushBody(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    this.wake();
  }

  /** Protocol side: the body is complete. */
  endBody(trailers: HeadersView | null): void {
    this.trailers = trailers;
    this.isEnded = true;
    this.wake();
  }

  /**
   * Exchange side: the exchange ended before its response did (the peer closed the connection or reset the
   * stream, or the response timed out). A body still being read fails with `error`; `signal` aborts.
   */
  abort(error: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = error;
    if (!this.isEnded) this.failure = error;
    this.wake();
    this.controller?.abort(error);
    const listeners = this.abortListeners;
    if (listeners === undefined) return;
    this.abortListeners = undefined;
    for (const listener of listeners) {
      try {
        listener(error);
      } catch (err) {
        // As an AbortSignal listener's throw would: uncaught, and not in the exchange's way.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /**
   * Protocol side: the request body itself is malformed (an HTTP/1.1 chunked-coding error, say); the
   * connection is still there to answer it. Body reads reject with `error`; the request is not aborted.
   */
  failBody(error: Error): void {
    if (this.isEnded || this.failure !== undefined) return;
    this.failure = error;
    this.wake();
  }

  onAbort(listener: (reason: Error) => void): boolean {
    if (this.aborted) return false;
    (this.abortListeners ??= []).push(listener);
    return true;
  }

  offAbort(listener: (reason: Error) => void): void {
    const listeners = this.abortListeners;
    if (listeners === undefined) return;
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  }

  /** Aborts when {@link aborted} becomes true; its `reason` says why (a ServerError). Made on first use. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  private wake(): void {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w();
    }
  }

  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.iterate() };
  }

  private async *iterate(): AsyncGenerator<Uint8Array> {
    if (!this.isPulled) {
      this.isPulled = true;
      if (!this.isEnded) this.source.onBodyPull();
    }
    for (;;) {
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.buffered -= c.byteLength;
        this.source.onConsumed();
        yield c;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.isEnded) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  bytes(maxBytes = 1024 * 1024): Promise<Uint8Array> {
    this.checkMax(maxBytes);
    return this.readAll(maxBytes);
  }

  /** Checks `maxBytes` at the call (API misuse throws, it does not reject). */
  private checkMax(maxBytes: unknown): void {
    if (typeof maxBytes !== 'number' || !(maxBytes >= 0)) {
      throw new UsageError('ERR_INVALID_ARG', `maxBytes must be a number >= 0, got ${String(maxBytes)}`);
    }
  }

  private async readAll(maxBytes: number): Promise<Uint8Array> {
    // A body announced larger than the cap is refused before a byte is read, so an HTTP/1.1 client
    // waiting for 100 (Continue) gets the 413 instead and never sends it (RFC 9110 §10.1.1).
    if (
      !this.isPulled &&
      !this.isEnded &&
      contentLengthDigits(this.headers.get('content-length')) > maxBytes
    ) {
      throw tooLarge(maxBytes);
    }
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of this.body) {
      n += c.byteLength;
      if (n > maxBytes) throw tooLarge(maxBytes);
      parts.push(c);
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(n);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.byteLength;
    }
    return out;
  }

  text(maxBytes?: number): Promise<string> {
    return this.bytes(maxBytes).then(decode);
  }

  json<T = unknown>(maxBytes = 1024 * 1024): Promise<T> {
    this.checkMax(maxBytes);
    return this.readAll(maxBytes).then(parseJson) as Promise<T>;
  }
}
