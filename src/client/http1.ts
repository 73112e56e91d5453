/**
 * The HTTP/1.1 driver of `hayate/client`: one {@link Http1ClientConnection} binds the sans-I/O
 * `Http1Connection` (client role) to a node:net or node:tls socket and carries one exchange at a time
 * (no pipelining, RFC 9112 §9.3.2 allows but does not require it). The origin pool in client.ts keeps
 * idle connections for reuse (RFC 9112 §9.3 persistence).
 *
 * Backpressure both ways: the request body is written only as fast as the socket drains, and the socket
 * is paused while more than `highWaterMark` bytes of response body wait unread.
 */
import type { Socket } from 'node:net';
import { Http1ParseError } from '../common/errors.js';
import { Http1Connection } from '../http1/connection.js';
import type { Http1Headers } from '../http1/events.js';
import { abortError, ClientError, ClientErrorCode, toClientError } from './errors.js';
import { ClientHeaders, ClientResponse, type ResponseBodySource } from './response.js';
import type { PreparedRequest } from './request.js';

/** Settings of an HTTP/1.1 connection, taken from the client options. */
export interface Http1DriverOptions {
  readonly maxResponseHeadBytes: number;
  readonly maxBodyBytes: number;
  readonly highWaterMark: number;
}

/** Methods whose requests carry no body unless one is given (RFC 9110 §9.3). */
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

function headersToPairs(h: Http1Headers): Array<[string, string]> {
  return h.toArray();
}

/** The state of the one exchange in progress. */
class Exchange implements ResponseBodySource {
  readonly chunks: Uint8Array[] = [];
  queuedBytes = 0;
  isEnded = false;
  error: Error | undefined = undefined;
  trailerPairs: Array<[string, string]> | undefined = undefined;
  informational: Array<{ status: number; headers: ClientHeaders }> = [];
  response: ClientResponse | undefined = undefined;
  isRequestSent = false;
  /** Called once when the exchange ends or fails (drops the abort listener). */
  onDone: (() => void) | undefined = undefined;
  private wake: (() => void) | undefined = undefined;
  private readonly conn: Http1ClientConnection;

  constructor(conn: Http1ClientConnection) {
    this.conn = conn;
  }

  done(): void {
    const d = this.onDone;
    this.onDone = undefined;
    d?.();
  }

  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.error !== undefined) throw this.error;
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.queuedBytes -= c.length;
        this.conn.onConsumed(this);
        return { value: c, done: false };
      }
      if (this.isEnded) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  cancel(): void {
    this.chunks.length = 0;
    this.queuedBytes = 0;
    if (this.isEnded || this.error !== undefined) return;
    this.conn.cancelExchange(this);
  }

  trailers(): ReadonlyArray<readonly [string, string]> | undefined {
    return this.trailerPairs;
  }
}

/** One HTTP/1.1 connection of the client. */
export class Http1ClientConnection {
  readonly socket: Socket;
  private readonly conn: Http1Connection;
  private readonly options: Http1DriverOptions;
  private exchange: Exchange | undefined;
  private resolveHead: ((r: ClientResponse) => void) | undefined;
  private rejectHead: ((e: Error) => void) | undefined;
  private drainWake: (() => void) | undefined;
  private isPaused: boolean;
  private closedError: Error | undefined;
  /** Requests carried so far (1 after the first). */
  requestCount: number;
  /** Called when an exchange finished and the connection may be reused. */
  onIdle: ((c: Http1ClientConnection) => void) | undefined;
  /** Called once when the socket has closed. */
  onClose: ((c: Http1ClientConnection) => void) | undefined;

  /** @param socket a connected TCP socket, or TLS socket whose ALPN chose http/1.1 (or none). */
  constructor(socket: Socket, options: Http1DriverOptions) {
    this.socket = socket;
    this.options = options;
    this.conn = new Http1Connection({
      role: 'client',
      limits: { maxHeadBytes: options.maxResponseHeadBytes },
    });
    this.exchange = undefined;
    this.resolveHead = undefined;
    this.rejectHead = undefined;
    this.drainWake = undefined;
    this.isPaused = false;
    this.closedError = undefined;
    this.requestCount = 0;
    this.onIdle = undefined;
    this.onClose = undefined;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('end', () => {
      // EOF ends a close-delimited body (RFC 9112 §6.3 rule 8); a truncated message becomes an error.
      this.conn.receiveEnd();
      this.process(undefined);
      if (!socket.destroyed) socket.end();
    });
    socket.on('drain', () => {
      this.wakeDrain();
    });
    socket.on('error', (err) => {
      this.closedError ??= err;
    });
    socket.on('close', () => {
      this.fail(
        new ClientError(
          ClientErrorCode.CONNECTION_CLOSED,
          'connection closed',
          this.closedError === undefined ? {} : { cause: this.closedError },
        ),
      );
      this.onClose?.(this);
    });
  }

  /** True while an exchange is in progress. */
  get isBusy(): boolean {
    return this.exchange !== undefined;
  }

  /** True once the socket is closing or closed. */
  get isClosed(): boolean {
    return this.socket.destroyed || this.closedError !== undefined || !this.socket.writable;
  }

  /** Sends `req` and resolves with the response head; the body streams from the returned response. */
  request(req: PreparedRequest): Promise<ClientResponse> {
    const signal = req.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    const x = new Exchange(this);
    this.exchange = x;
    this.requestCount++;
    const head = new Promise<ClientResponse>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    if (signal !== undefined) {
      const abort = (): void => {
        // RFC 9112 §9.6: HTTP/1.1 has no way to cancel one exchange but closing the connection.
        if (this.exchange === x || (!x.isEnded && x.error === undefined)) this.destroy(abortError(signal));
      };
      signal.addEventListener('abort', abort, { once: true });
      x.onDone = () => {
        signal.removeEventListener('abort', abort);
      };
    }
    const fields: Array<[string, string]> = [['host', req.authority]];
    for (const h of req.headers) fields.push([h[0], h[1]]);
    const body = req.body;
    if (req.trailers !== undefined) {
      // RFC 9112 §7.1.2: trailers need the chunked coding.
      if (!req.hasContentLength) fields.push(['transfer-encoding', 'chunked']);
    } else if (body instanceof Uint8Array) {
      if (!req.hasContentLength && (body.length > 0 || !NO_BODY_METHODS.has(req.method))) {
        fields.push(['content-length', String(body.length)]);
      }
    } else if (body !== undefined) {
      if (!req.hasContentLength) fields.push(['transfer-encoding', 'chunked']);
    } else if (!req.hasContentLength && !NO_BODY_METHODS.has(req.method)) {
      fields.push(['content-length', '0']);
    }
    try {
      this.conn.sendRequestHead(req.method, req.path, fields);
    } catch (err) {
      this.destroy(toClientError(err, ClientErrorCode.REQUEST_BODY, 'request head rejected'));
      return head;
    }
    if (body === undefined || body instanceof Uint8Array) {
      try {
        if (body !== undefined && body.length > 0) this.conn.sendData(body);
        this.conn.sendEnd(req.trailers);
        x.isRequestSent = true;
      } catch (err) {
        this.destroy(toClientError(err, ClientErrorCode.REQUEST_BODY, 'request body rejected'));
      }
      this.flush();
    } else {
      this.flush();
      void this.pumpBody(x, body, req.trailers);
    }
    return head;
  }

  private async pumpBody(
    x: Exchange,
    body: AsyncIterable<Uint8Array>,
    trailers: ReadonlyArray<readonly [string, string]> | undefined,
  ): Promise<void> {
    try {
      for await (const chunk of body) {
        if (this.exchange !== x || this.isClosed) return;
        this.conn.sendData(chunk);
        if (!this.flush()) await this.waitDrain();
      }
      if (this.exchange !== x || this.isClosed) return;
      this.conn.sendEnd(trailers === undefined ? undefined : trailers.map((t) => [t[0], t[1]]));
      x.isRequestSent = true;
      this.flush();
    } catch (err) {
      if (this.exchange === x) {
        this.destroy(toClientError(err, ClientErrorCode.REQUEST_BODY, 'request body failed'));
      }
    }
  }

  private waitDrain(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => (this.drainWake = resolve));
  }

  private wakeDrain(): void {
    const w = this.drainWake;
    this.drainWake = undefined;
    w?.();
  }

  /** Writes pending output; false when the socket buffer is full (wait for 'drain'). */
  private flush(): boolean {
    if (!this.conn.hasOutput || this.socket.destroyed) return true;
    const out = this.conn.takeOutput();
    this.socket.cork();
    let ok = true;
    for (const c of out) ok = this.socket.write(c) && ok;
    this.socket.uncork();
    return ok;
  }

  private onData(chunk: Buffer): void {
    if (this.exchange === undefined) {
      // RFC 9112 §9.3: bytes on an idle connection answer nothing we sent; it cannot be reused safely.
      this.destroy(new ClientError(ClientErrorCode.PROTOCOL, 'unexpected bytes on an idle connection'));
      return;
    }
    this.conn.receive(chunk);
    this.process(chunk);
  }

  private process(chunk: Uint8Array | undefined): void {
    const x = this.exchange;
    for (;;) {
      let e;
      try {
        e = this.conn.nextEvent();
      } catch (err) {
        // A message cut short by EOF is a closed connection, not a malformed one.
        const isTruncated = err instanceof Http1ParseError && err.kind === 'INCOMPLETE_MESSAGE';
        this.destroy(
          new ClientError(
            isTruncated ? ClientErrorCode.CONNECTION_CLOSED : ClientErrorCode.PROTOCOL,
            isTruncated ? 'connection closed before the response ended' : 'malformed response',
            { cause: err },
          ),
        );
        return;
      }
      if (e === null || x === undefined) return;
      switch (e.type) {
        case 'head': {
          const headers = new ClientHeaders(headersToPairs(e.headers));
          if (e.status < 200) {
            x.informational.push({ status: e.status, headers });
            break;
          }
          const res = new ClientResponse(
            'http/1.1',
            e.status,
            headers,
            x.informational,
            x,
            this.options.maxBodyBytes,
          );
          x.response = res;
          const resolve = this.resolveHead;
          this.resolveHead = undefined;
          this.rejectHead = undefined;
          resolve?.(res);
          break;
        }
        case 'data': {
          // Lifetime: a view into the chunk node handed to 'data' (a fresh buffer per read) is kept as is;
          // a view into the parser's carry buffer is copied, since the next receive() may reuse it.
          const b = e.bytes;
          x.chunks.push(chunk !== undefined && b.buffer === chunk.buffer ? b : b.slice());
          x.queuedBytes += b.length;
          if (x.queuedBytes >= this.options.highWaterMark && !this.isPaused) {
            this.isPaused = true;
            this.socket.pause();
          }
          x.notify();
          break;
        }
        case 'end': {
          if (e.trailers !== null) x.trailerPairs = headersToPairs(e.trailers);
          x.isEnded = true;
          x.done();
          x.notify();
          if (x.isRequestSent) {
            this.finishExchange(x);
          } else {
            // An early answer (RFC 9112 §9.6): stop sending the body; the connection cannot be reused.
            this.exchange = undefined;
            this.socket.destroy();
          }
          return;
        }
        case 'upgrade':
          // We never ask for a protocol switch, so a 101 here is a server error (RFC 9110 §15.2.2).
          this.destroy(new ClientError(ClientErrorCode.PROTOCOL, 'unexpected protocol switch'));
          return;
      }
    }
  }

  private finishExchange(x: Exchange): void {
    if (this.exchange === x) this.exchange = undefined;
    if (this.isPaused) {
      this.isPaused = false;
      this.socket.resume();
    }
    if (this.conn.keepAlive && !this.conn.shouldClose && this.conn.isIdle && !this.isClosed) {
      this.onIdle?.(this);
    } else {
      this.socket.end();
    }
  }

  /** @internal The consumer read a chunk of `x`: resume the socket once below the high-water mark. */
  onConsumed(x: Exchange): void {
    if (this.isPaused && x.queuedBytes < this.options.highWaterMark) {
      this.isPaused = false;
      this.socket.resume();
    }
  }

  /** @internal The consumer gave up on `x` before its end: only closing the connection stops it. */
  cancelExchange(x: Exchange): void {
    if (this.exchange === x)
      this.destroy(new ClientError(ClientErrorCode.ABORTED, 'response body cancelled'));
  }

  /** Closes now; an exchange in progress fails with `err`. */
  destroy(err?: Error): void {
    if (err !== undefined) this.fail(err);
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    this.wakeDrain();
    const x = this.exchange;
    if (x === undefined) return;
    this.exchange = undefined;
    x.done();
    const reject = this.rejectHead;
    this.resolveHead = undefined;
    this.rejectHead = undefined;
    if (reject !== undefined) {
      reject(err);
      return;
    }
    if (x.isEnded) return;
    x.error = err;
    x.notify();
  }
}
