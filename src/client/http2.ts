/**
 * The HTTP/2 driver of `hayate/client`, over node:net (h2c, prior knowledge) or node:tls (ALPN `h2`):
 * `connect(url)` gives a session whose `request()` resolves with the response head and streams the body.
 * Many requests share one connection; requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS wait for
 * a free stream. {@link Client} opens sessions itself (on a socket whose ALPN already chose h2).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { H2Error, UsageError } from '../common/errors.js';
import { abortError, ClientError, ClientErrorCode, toClientError } from './errors.js';
import { Http2Connection } from '../http2/connection.js';
import type { Http2Event, Http2Field, Http2Fields } from '../http2/connection.js';
import { H2ErrorCode, h2ErrorName } from '../http2/errors.js';
import type { Http2Limits } from '../http2/limits.js';

/** Options of {@link connect}. */
export interface Http2ClientOptions {
  readonly limits?: Partial<Http2Limits>;
  /** Extra node:tls options for `https:` URLs (ca, rejectUnauthorized, servername...). */
  readonly tls?: ConnectionOptions;
  /** Extension settings to announce (WebTransport's SETTINGS_WT_INITIAL_*, set by `connectWebTransport`). */
  readonly extraSettings?: ReadonlyArray<readonly [number, number]>;
}

/** A request. `body` is sent as DATA; an async iterable is streamed with backpressure. */
export interface Http2ClientRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array | string | AsyncIterable<Uint8Array>;
  readonly trailers?: ReadonlyArray<readonly [string, string]>;
  /** RFC 9218 urgency (0-7) and incremental flag, sent as the `priority` header. */
  readonly urgency?: number;
  readonly incremental?: boolean;
  /** Aborting resets the stream with CANCEL (RFC 9113 §8.7) and fails it with `ERR_CLIENT_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
}

/** A response: head now, body as an async iterable. */
export interface Http2ClientResponse {
  readonly streamId: number;
  readonly status: number;
  readonly headers: Http2Fields;
  /** Interim responses (1xx) received before this one. */
  readonly informational: ReadonlyArray<{ readonly status: number; readonly headers: Http2Fields }>;
  readonly body: AsyncIterable<Uint8Array>;
  /** Trailers, once the body has been read to the end. */
  readonly trailers: Http2Fields | undefined;
  header(name: string): string | undefined;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
}

/**
 * Raised for a stream the server reset or refused; `isRetryable` when the request was not processed.
 * Code `ERR_H2_STREAM_RESET` (kept from `hayate/server`); {@link Client} reports it as `ERR_STREAM_RESET`.
 */
export class Http2StreamError extends ClientError {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super('ERR_H2_STREAM_RESET', message, {
      wireCode: errorCode,
      isRetryable: errorCode === H2ErrorCode.REFUSED_STREAM,
    });
    this.errorCode = errorCode;
  }
}

function closedError(cause?: unknown): ClientError {
  return new ClientError(
    ClientErrorCode.CONNECTION_CLOSED,
    'connection closed',
    cause === undefined ? {} : { cause },
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

class ClientStream implements Http2ClientResponse {
  streamId = 0;
  status = 0;
  headers: Http2Fields = { length: 0, name: () => '', value: () => '', toArray: () => [] };
  readonly informational: Array<{ status: number; headers: Http2Fields }> = [];
  trailers: Http2Fields | undefined = undefined;
  private readonly session: Http2ClientSession;
  private readonly chunks: Uint8Array[] = [];
  private isEnded = false;
  private error: Error | undefined = undefined;
  private wake: (() => void) | undefined = undefined;
  private drainWake: (() => void) | undefined = undefined;
  /** Called once when the stream is done (ended, reset or failed): drops the abort listener. */
  onFinish: (() => void) | undefined = undefined;
  resolveHead: (r: Http2ClientResponse) => void = () => undefined;
  rejectHead: (e: Error) => void = () => undefined;
  isHeadDone = false;

  constructor(session: Http2ClientSession) {
    this.session = session;
  }

  header(name: string): string | undefined {
    const h = this.headers;
    for (let i = 0; i < h.length; i++) if (h.name(i) === name) return h.value(i);
    return undefined;
  }

  onEvent(e: Http2Event): void {
    switch (e.type) {
      case 'informational':
        this.informational.push({ status: e.status, headers: e.headers });
        return;
      case 'response':
        this.status = e.status;
        this.headers = e.headers;
        this.isHeadDone = true;
        this.resolveHead(this);
        return;
      case 'data':
        // Lifetime: the view is into the Buffer node:net/node:tls handed to 'data' (a fresh buffer per read,
        // never reused) or into a frame the connection reassembled privately, so it can be kept uncopied.
        if (e.data.length > 0) this.chunks.push(e.data);
        this.notify();
        return;
      case 'trailers':
        this.trailers = e.headers;
        return;
      case 'end':
        this.isEnded = true;
        this.notify();
        return;
      case 'streamReset':
        this.fail(
          new Http2StreamError(e.errorCode, `stream ${e.streamId} reset: ${h2ErrorName(e.errorCode)}`),
        );
        return;
      case 'drain':
        this.onDrain();
        return;
      case 'request':
      case 'settings':
      case 'settingsAck':
      case 'ping':
      case 'pingAck':
      case 'goaway':
        return;
    }
  }

  finish(): void {
    const f = this.onFinish;
    this.onFinish = undefined;
    f?.();
  }

  fail(err: Error): void {
    this.finish();
    this.error ??= err;
    if (!this.isHeadDone) {
      this.isHeadDone = true;
      this.rejectHead(err);
    }
    this.notify();
    this.onDrain();
  }

  onDrain(): void {
    const w = this.drainWake;
    this.drainWake = undefined;
    w?.();
  }

  waitDrain(): Promise<void> {
    return new Promise((resolve) => (this.drainWake = resolve));
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => ({ next: () => this.next() }) };
  }

  private async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      // A reset or abort wins over data still queued: the body is incomplete either way.
      if (this.error !== undefined && !this.isEnded) throw this.error;
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.session.consumed(this.streamId, c.length);
        return { value: c, done: false };
      }
      if (this.isEnded) return { value: undefined, done: true };
      if (this.error !== undefined) throw this.error;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const c of this.body) parts.push(c);
    return concatBytes(parts);
  }

  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }
}

/** One HTTP/2 client connection. */
export class Http2ClientSession {
  readonly conn: Http2Connection;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  private readonly socket: Socket;
  private readonly streams = new Map<number, ClientStream>();
  private readonly waiting: Array<() => void> = [];
  private isWritable = true;
  private closedError: Error | undefined = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly ready: Promise<void>;

  /**
   * @param socket an already connected socket (TLS with ALPN `h2`, or TCP for h2c); by default the session
   *   connects to `url` itself.
   */
  constructor(url: URL, options: Http2ClientOptions = {}, socket?: Socket) {
    this.scheme = url.protocol === 'https:' ? 'https' : 'http';
    this.authority = url.host;
    this.conn = new Http2Connection({
      role: 'client',
      nowMs: Date.now(),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.extraSettings === undefined ? {} : { extraSettings: options.extraSettings }),
    });
    const port = Number(url.port || (this.scheme === 'https' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let resolveReady: () => void = () => undefined;
    let rejectReady: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    if (socket !== undefined) {
      this.socket = socket;
      resolveReady();
    } else if (this.scheme === 'https') {
      const s = tlsConnect({ host, port, servername: host, ALPNProtocols: ['h2'], ...options.tls }, () => {
        if (s.alpnProtocol !== 'h2') {
          s.destroy();
          rejectReady(
            new ClientError('ERR_H2_ALPN', `server did not select h2 (got ${String(s.alpnProtocol)})`),
          );
          return;
        }
        resolveReady();
      });
      this.socket = s;
    } else {
      this.socket = netConnect({ host, port }, () => {
        resolveReady();
      });
    }
    this.ready.catch(() => undefined);
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.flush();
    });
    this.socket.on('secureConnect', () => {
      this.flush();
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    this.socket.on('drain', () => {
      this.isWritable = true;
      this.flush();
    });
    this.socket.on('error', (err) => {
      rejectReady(err);
      this.fail(err);
    });
    this.socket.on('close', () => {
      this.fail(closedError());
      this.onClose?.();
    });
    // A socket handed over connected: its preface goes out now (the 'connect' handlers above never fire).
    if (socket !== undefined) this.flush();
  }

  /** @internal Called once when the socket has closed (the client's origin pool forgets the session). */
  onClose: (() => void) | undefined = undefined;

  /** True once the connection failed, closed, or received GOAWAY: it takes no new requests. */
  get isClosed(): boolean {
    return this.closedError !== undefined || this.socket.destroyed || this.conn.isClosed || this.isGoingAway;
  }

  private isGoingAway = false;

  /** Number of streams in progress. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** Resolves once the connection is established (TLS handshake and ALPN included). */
  connected(): Promise<void> {
    return this.ready;
  }

  /** Sends a request; resolves with the response head (the body streams afterwards). */
  async request(req: Http2ClientRequest = {}): Promise<Http2ClientResponse> {
    await this.ready;
    while (!this.conn.canOpenStream) {
      if (this.closedError !== undefined) throw this.closedError;
      if (this.conn.isClosed) throw closedError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const fields: Http2Field[] = [
      [':method', req.method ?? 'GET'],
      [':scheme', this.scheme],
      [':authority', this.authority],
      [':path', req.path ?? '/'],
    ];
    for (const h of req.headers ?? []) fields.push([h[0].toLowerCase(), h[1]]);
    if (req.urgency !== undefined || req.incremental === true) {
      const parts: string[] = [];
      if (req.urgency !== undefined) parts.push(`u=${req.urgency}`);
      if (req.incremental === true) parts.push('i');
      fields.push(['priority', parts.join(', ')]);
    }
    const body = typeof req.body === 'string' ? encoder.encode(req.body) : req.body;
    const hasBody = body !== undefined && !(body instanceof Uint8Array && body.length === 0);
    const stream = new ClientStream(this);
    const head = new Promise<Http2ClientResponse>((resolve, reject) => {
      stream.resolveHead = resolve;
      stream.rejectHead = reject;
    });
    const signal = req.signal;
    if (signal?.aborted === true) throw abortError(signal);
    const id = this.conn.request(fields, { endStream: !hasBody && req.trailers === undefined });
    stream.streamId = id;
    this.streams.set(id, stream);
    if (signal !== undefined) {
      const onAbort = (): void => {
        this.cancel(id, abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      stream.onFinish = () => {
        signal.removeEventListener('abort', onAbort);
      };
    }
    if (body instanceof Uint8Array) {
      if (body.length > 0 || req.trailers !== undefined) {
        this.conn.sendData(id, body, req.trailers === undefined);
        if (req.trailers !== undefined) this.conn.sendTrailers(id, req.trailers);
      }
      this.flush();
    } else if (body !== undefined) {
      this.flush();
      void this.pumpBody(stream, body, req.trailers);
    } else {
      if (req.trailers !== undefined) this.conn.sendTrailers(id, req.trailers);
      this.flush();
    }
    return head;
  }

  private async pumpBody(
    stream: ClientStream,
    body: AsyncIterable<Uint8Array>,
    trailers: ReadonlyArray<readonly [string, string]> | undefined,
  ): Promise<void> {
    const id = stream.streamId;
    try {
      for await (const chunk of body) {
        if (!this.streams.has(id)) return;
        const ok = this.conn.sendData(id, chunk);
        // Wait registered before flushing: the flush may empty the queue and emit `drain` at once.
        const wait = ok ? undefined : stream.waitDrain();
        this.flush();
        if (wait !== undefined) await wait;
      }
      if (!this.streams.has(id)) return;
      if (trailers !== undefined) this.conn.sendTrailers(id, trailers);
      else this.conn.sendData(id, new Uint8Array(0), true);
      this.flush();
    } catch (err) {
      this.cancel(id, toClientError(err, ClientErrorCode.REQUEST_BODY, 'request body failed'));
    }
  }

  /**
   * Abandons stream `streamId`: RST_STREAM CANCEL (RFC 9113 §8.7) and the response fails with `err`.
   * Does nothing once the stream has finished.
   */
  cancel(streamId: number, err: Error): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    this.streams.delete(streamId);
    if (this.conn.hasStream(streamId) && !this.conn.isClosed)
      this.conn.resetStream(streamId, H2ErrorCode.CANCEL);
    stream.fail(err);
    this.flush();
    if (this.isGoingAway && this.streams.size === 0 && !this.socket.destroyed) this.socket.end();
  }

  /** Returns `bytes` of received body to the flow-control windows. */
  consumed(streamId: number, bytes: number): void {
    this.conn.consumed(streamId, bytes);
    this.flush();
  }

  /** Sends a PING and resolves with the round-trip time in ms. */
  async ping(): Promise<number> {
    await this.ready;
    const start = performance.now();
    const payload = new Uint8Array(8);
    payload[0] = 0x70;
    this.conn.ping(payload);
    this.flush();
    await new Promise<void>((resolve) => this.pingWaiters.push(resolve));
    return performance.now() - start;
  }

  private readonly pingWaiters: Array<() => void> = [];

  /** Graceful close: GOAWAY, then the socket closes once open streams finish. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => {
        resolve();
      });
      this.conn.goAway(H2ErrorCode.NO_ERROR);
      this.flush();
      if (this.streams.size === 0) this.socket.end();
    });
  }

  /** Closes now. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Uint8Array): void {
    try {
      this.conn.receive(chunk, Date.now());
    } catch (err) {
      this.process();
      this.flush();
      this.fail(err instanceof H2Error ? err : toClientError(err, ClientErrorCode.PROTOCOL, 'HTTP/2 failed'));
      this.socket.end();
      return;
    }
    this.process();
    this.flush();
  }

  private process(): void {
    for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) {
      if (e.type === 'pingAck') {
        this.pingWaiters.shift()?.();
        continue;
      }
      if (e.type === 'goaway') {
        this.isGoingAway = true;
        if (e.errorCode !== H2ErrorCode.NO_ERROR) {
          this.closedError = new Http2StreamError(
            e.errorCode,
            `server sent GOAWAY ${h2ErrorName(e.errorCode)}`,
          );
        }
        continue;
      }
      if (!('streamId' in e)) continue;
      const s = this.streams.get(e.streamId);
      if (s === undefined) continue;
      s.onEvent(e);
      if (e.type === 'streamReset') this.streams.delete(e.streamId);
    }
    for (const id of this.streams.keys()) {
      // The connection forgets a stream once both sides ended it; no more events can come for it.
      if (!this.conn.hasStream(id)) {
        this.streams.get(id)?.finish();
        this.streams.delete(id);
      }
    }
    while (this.waiting.length > 0 && this.conn.canOpenStream) this.waiting.shift()!();
    if (this.conn.isFinished && !this.socket.destroyed) this.socket.end();
  }

  private flush(): void {
    if (this.socket.destroyed || this.socket.connecting) return;
    // Most reads and consumed chunks queue nothing (WINDOW_UPDATE goes out in batches): no work per chunk.
    if (!this.isWritable || !this.conn.hasOutput) return;
    const out = this.conn.takeOutput();
    this.process();
    if (out.length === 0) return;
    this.socket.cork();
    let ok = true;
    for (const c of out) ok = this.socket.write(c) && ok;
    this.socket.uncork();
    this.isWritable = ok;
    this.arm();
  }

  private arm(): void {
    const at = this.conn.nextDeadline();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        try {
          this.conn.handleTimeout(Date.now());
        } catch (err) {
          this.fail(toClientError(err, ClientErrorCode.PROTOCOL, 'HTTP/2 failed'));
        }
        this.flush();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const s of this.streams.values()) s.fail(err);
    this.streams.clear();
    for (const w of this.waiting.splice(0)) w();
    for (const w of this.pingWaiters.splice(0)) w();
  }
}

/** Opens an HTTP/2 connection to `url` (`http:` = h2c prior knowledge, `https:` = TLS with ALPN h2). */
export function connect(url: string | URL, options: Http2ClientOptions = {}): Http2ClientSession {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError('ERR_H2_INVALID_URL', `unsupported scheme ${u.protocol}`);
  }
  return new Http2ClientSession(u, options);
}
