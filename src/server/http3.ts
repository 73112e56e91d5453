/**
 * HTTP/3 for `hayate/server`: serves the protocol-neutral {@link Handler} (the same one HTTP/1.1 and HTTP/2
 * use) over QUIC on UDP, through the quiche provider, and advertises itself with Alt-Svc (RFC 7838) from
 * the TCP protocols. A client ({@link Http3Client}) makes requests over the same provider.
 */
import { read } from 'node:fs';
import type { Http3Event } from '../http3/connection.js';
import { H3ErrorCode } from '../http3/errors.js';
import type { Http3Limits } from '../http3/limits.js';
import type { QuicConnection } from '../transport/quic.js';
import { QuicProviderError } from '../transport/quic.js';
import { connectQuiche, listenQuiche } from '../transport/quic-quiche.js';
import type { QuicheClientConnection } from '../transport/quic-quiche.js';
import { TransportError } from '../transport/errors.js';
import { IncomingRequest } from './request.js';
import { OutgoingResponse } from './response.js';
import { Http3Session } from './http3-session.js';
import { DEFAULT_SERVER_LIMITS } from './limits.js';
import type { Handler, HeadersView, ResponseBackend } from './types.js';

/** A {@link HeadersView} over decoded `[name, value]` pairs (names already lowercase in HTTP/3). */
export class FieldsView implements HeadersView {
  private readonly lines: Array<[string, string]>;
  readonly length: number;

  constructor(lines: Array<[string, string]>) {
    this.lines = lines;
    this.length = lines.length;
  }

  name(i: number): string {
    return this.lines[i]![0];
  }

  value(i: number): string {
    return this.lines[i]![1];
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.lines) if (k === n) return v;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.lines.filter(([k]) => k === n).map(([, v]) => v);
  }

  toArray(): [string, string][] {
    return this.lines.map(([k, v]) => [k, v]);
  }
}

/** RFC 9114 §4.2: fields an HTTP/1.1 handler may set that HTTP/3 forbids; they are dropped. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

function responseFields(
  status: number,
  headers: [string, string][],
  contentLength: number,
): [string, string][] {
  const out: [string, string][] = [[':status', String(status)]];
  for (const [n, v] of headers) if (!CONNECTION_SPECIFIC.has(n)) out.push([n, v]);
  if (contentLength >= 0) out.push(['content-length', String(contentLength)]);
  return out;
}

/** Smallest and largest read of {@link Http3Backend.sendFile}. */
const MIN_FILE_CHUNK = 16 * 1024;
const MAX_FILE_CHUNK = 256 * 1024;

/**
 * The HTTP/3 side of one response (what {@link OutgoingResponse} drives). Backpressure: `pendingBytes` is
 * what the stream has not taken yet, the bytes queued since the session's last flush plus those the QUIC
 * provider retains (handed over, not yet acknowledged), so a client that reads slowly (its QUIC stream
 * window stays closed) makes `write()` return false once `highWaterMark` is reached.
 */
class Http3Backend implements ResponseBackend {
  readonly isHead: boolean;
  isClosed: boolean;
  readonly highWaterMark: number;
  private readonly session: Http3Session;
  private readonly streamId: number;
  /** Body bytes queued in the core since flush number `queuedAtFlush` (not yet counted by the session). */
  private queuedBytes: number;
  private queuedAtFlush: number;

  constructor(session: Http3Session, streamId: number, isHead: boolean, highWaterMark: number) {
    this.session = session;
    this.streamId = streamId;
    this.isHead = isHead;
    this.isClosed = false;
    this.highWaterMark = highWaterMark;
    this.queuedBytes = 0;
    this.queuedAtFlush = 0;
  }

  get pendingBytes(): number {
    const queued = this.queuedAtFlush === this.session.flushCount ? this.queuedBytes : 0;
    return queued + this.session.unackedBytes(this.streamId);
  }

  private act(fn: () => void): void {
    if (this.isClosed || this.session.h3.isClosed()) return;
    this.session.guardSoon(fn);
  }

  sendHead(status: number, headers: [string, string][], contentLength: number): void {
    this.act(() => {
      this.session.h3.respond(this.streamId, responseFields(status, headers, contentLength));
    });
  }

  sendInformational(status: number, headers: [string, string][]): void {
    this.act(() => {
      this.session.h3.respond(this.streamId, responseFields(status, headers, -1));
    });
  }

  sendData(chunk: Uint8Array): void {
    if (this.isHead || this.isClosed || this.session.h3.isClosed()) return;
    if (this.queuedAtFlush !== this.session.flushCount) {
      this.queuedAtFlush = this.session.flushCount;
      this.queuedBytes = 0;
    }
    this.queuedBytes += chunk.length;
    this.act(() => {
      this.session.h3.sendData(this.streamId, chunk);
    });
  }

  /** Reads the file chunk by chunk, each only once the stream has taken the previous ones (backpressure). */
  async sendFile(fd: number, offset: number, length: number): Promise<void> {
    if (this.isHead) return;
    let pos = offset;
    const end = offset + length;
    const chunkBytes = Math.min(MAX_FILE_CHUNK, Math.max(MIN_FILE_CHUNK, this.highWaterMark));
    while (pos < end && !this.isClosed) {
      if (this.pendingBytes >= this.highWaterMark) {
        await this.waitForDrain();
        continue;
      }
      const buf = new Uint8Array(Math.min(chunkBytes, end - pos));
      const at = pos;
      const n = await new Promise<number>((resolve, reject) => {
        read(fd, buf, 0, buf.length, at, (err, bytesRead) => {
          if (err === null) resolve(bytesRead);
          else reject(err);
        });
      });
      if (n === 0) break;
      // Each chunk is a fresh buffer handed over by reference.
      this.sendData(buf.subarray(0, n));
      pos += n;
    }
  }

  sendEnd(trailers: [string, string][] | undefined): void {
    this.act(() => {
      if (trailers !== undefined && trailers.length > 0)
        this.session.h3.sendTrailers(this.streamId, trailers);
      else this.session.h3.endStream(this.streamId);
    });
  }

  waitForDrain(): Promise<void> {
    if (this.isClosed || this.session.h3.isClosed()) return Promise.resolve();
    return this.session.whenBelow(this.streamId, this.highWaterMark);
  }

  /** The stream or connection is gone: nothing more is sent, waiters are released. */
  markClosed(): void {
    this.isClosed = true;
    this.session.forgetStream(this.streamId);
  }
}

/** Options of {@link listenHttp3}. */
export interface ListenHttp3Options {
  readonly host?: string;
  /** UDP port; usually the same number as the TCP listener so Alt-Svc can say `h3=":<port>"`. */
  readonly port?: number;
  /** PEM key and certificate (TLS 1.3 is mandatory for QUIC). */
  readonly key: string;
  readonly cert: string;
  readonly limits?: Partial<Http3Limits>;
  /** Accept extended CONNECT (RFC 9220). */
  readonly enableConnectProtocol?: boolean;
  /** QUIC idle timeout; default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Called with handler failures (default: console.error). */
  readonly onError?: (error: unknown) => void;
  /**
   * Bytes a response stream may hold back before `write()` returns false and `sendFile` waits, as the
   * server's `limits.highWaterMarkBytes` for HTTP/1.1 and HTTP/2. Default 64 KiB.
   */
  readonly highWaterMarkBytes?: number;
}

/** A running HTTP/3 listener. */
export interface Http3Server {
  readonly host: string;
  readonly port: number;
  /** The Alt-Svc field value advertising this listener (RFC 7838 §3), for HTTP/1.1 and HTTP/2 responses. */
  readonly altSvc: string;
  /** Sends GOAWAY on every connection, then stops listening. */
  close(): Promise<void>;
}

/** The Alt-Svc value for an HTTP/3 listener on `port` (same host), cached for `maxAgeSec` (default 24 h). */
export function altSvcValue(port: number, maxAgeSec = 86400): string {
  return `h3=":${port}"; ma=${maxAgeSec}`;
}

/**
 * Wraps a handler so HTTP/1.1 and HTTP/2 responses advertise the HTTP/3 listener (RFC 7838 §3, RFC 9114
 * §3.1.1): `createServer(withAltSvc(handler, h3.altSvc))` beside `listenHttp3(options, handler)`.
 * Responses that already carry Alt-Svc keep theirs; HTTP/3 responses get none.
 */
export function withAltSvc(handler: Handler, altSvc: string): Handler {
  return (req, res) => {
    if (req.protocol !== 'h3' && !res.hasHeader('alt-svc')) res.setHeader('alt-svc', altSvc);
    return handler(req, res);
  };
}

/** Serves `handler` over HTTP/3 on UDP. */
export async function listenHttp3(options: ListenHttp3Options, handler: Handler): Promise<Http3Server> {
  const sessions = new Set<Http3Session>();
  const onError =
    options.onError ??
    ((e: unknown): void => {
      console.error('hayate: HTTP/3 handler failed:', e);
    });
  const listener = await listenQuiche({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    key: options.key,
    cert: options.cert,
    ...(options.idleTimeoutMs === undefined ? {} : { maxIdleTimeoutMs: options.idleTimeoutMs }),
    onConnection: (quic) => {
      sessions.add(serveConnection(quic, options, handler, onError, sessions));
    },
  });
  return {
    host: listener.host,
    port: listener.port,
    altSvc: altSvcValue(listener.port),
    async close(): Promise<void> {
      for (const s of sessions) {
        s.guard(() => {
          if (!s.h3.isClosed()) s.h3.goAway();
        });
      }
      await listener.close();
    },
  };
}

interface Exchange {
  readonly req: IncomingRequest;
  readonly backend: Http3Backend;
  trailers: Array<[string, string]> | null;
  /** Hands a body chunk (the request's own copy) to the request, counting it for stream credit. */
  readonly addBody: (chunk: Uint8Array) => void;
}

/** Serves one QUIC connection; exported for tests over the in-memory provider. */
export function serveConnection(
  quic: QuicConnection,
  options: Pick<ListenHttp3Options, 'limits' | 'enableConnectProtocol' | 'highWaterMarkBytes'>,
  handler: Handler,
  onError: (error: unknown) => void,
  sessions?: Set<Http3Session>,
): Http3Session {
  const exchanges = new Map<number, Exchange>();
  const highWaterMark = options.highWaterMarkBytes ?? DEFAULT_SERVER_LIMITS.highWaterMarkBytes;
  const session = new Http3Session(
    quic,
    {
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      enableConnectProtocol: options.enableConnectProtocol === true,
      // Request bodies are returned as QUIC stream credit only as the handler reads them.
      isBodyCreditManual: true,
    },
    (e: Http3Event, s) => {
      switch (e.type) {
        case 'request': {
          const target =
            e.method === 'CONNECT' && e.protocol === undefined ? (e.authority ?? '') : (e.path ?? '');
          const headers =
            e.authority === undefined ? e.headers : [['host', e.authority] as [string, string], ...e.headers];
          const streamId = e.streamId;
          // Body bytes pushed into the request, and of those how many were returned as credit.
          let pushedBytes = 0;
          let creditedBytes = 0;
          const req: IncomingRequest = new IncomingRequest(
            'h3',
            e.method,
            target,
            new FieldsView(headers),
            quic.remoteAddress,
            quic.remotePort,
            true,
            {
              onBodyPull: () => undefined,
              onConsumed: () => {
                const done = pushedBytes - req.bufferedBytes;
                if (done <= creditedBytes) return;
                s.consumeBody(streamId, done - creditedBytes);
                creditedBytes = done;
                // Credit changes no core state; the provider sends MAX_STREAM_DATA itself.
              },
            },
          );
          const x: Exchange = {
            req,
            backend: new Http3Backend(s, e.streamId, e.method === 'HEAD', highWaterMark),
            trailers: null,
            addBody: (chunk) => {
              pushedBytes += chunk.length;
              req.pushBody(chunk);
            },
          };
          const backend = x.backend;
          exchanges.set(e.streamId, x);
          const res = new OutgoingResponse(backend, req);
          let result: void | Promise<void>;
          const fail = (err: unknown): void => {
            onError(err);
            if (!res.headersSent) {
              res.status = 500;
              res.end();
            } else if (!backend.isClosed) {
              s.guard(() => {
                s.h3.resetStream(e.streamId, H3ErrorCode.H3_INTERNAL_ERROR);
              });
            }
          };
          try {
            result = handler(req, res);
          } catch (err) {
            fail(err);
            return;
          }
          if (result instanceof Promise) result.catch(fail);
          return;
        }
        case 'data':
          // Lifetime: the provider's chunk is only valid during this call; the body keeps a copy.
          exchanges.get(e.streamId)?.addBody(e.data.slice());
          return;
        case 'trailers': {
          const x = exchanges.get(e.streamId);
          if (x !== undefined) x.trailers = e.headers;
          return;
        }
        case 'end': {
          const x = exchanges.get(e.streamId);
          x?.req.endBody(x.trailers === null ? null : new FieldsView(x.trailers));
          return;
        }
        case 'streamReset': {
          const x = exchanges.get(e.streamId);
          if (x !== undefined) {
            x.backend.markClosed();
            x.req.abort(new Error(`stream reset (${String(e.code)})`));
            exchanges.delete(e.streamId);
          }
          return;
        }
        case 'closed':
          for (const x of exchanges.values()) {
            x.backend.markClosed();
            x.req.abort(new Error('connection closed'));
          }
          exchanges.clear();
          sessions?.delete(s);
          return;
        case 'stopSending':
          // RFC 9000 §3.5: the core answered with RESET_STREAM; the response can send nothing more.
          exchanges.get(e.streamId)?.backend.markClosed();
          return;
        case 'settings':
        case 'goaway':
        case 'datagram':
        case 'response':
          return;
      }
    },
  );
  return session;
}

/** A response received by {@link Http3Client}. */
export interface Http3ClientResponse {
  readonly status: number;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  readonly trailers: Array<[string, string]> | null;
}

/** Options of {@link Http3Client.connect}. */
export interface Http3ClientOptions {
  /** SNI / :authority; default the host. */
  readonly serverName?: string;
  /** Verify the server certificate (default true); `ca` adds trusted PEM roots. */
  readonly verifyPeer?: boolean;
  readonly ca?: string;
  readonly limits?: Partial<Http3Limits>;
  /** Largest response body buffered; default 64 MiB. */
  readonly maxBodyBytes?: number;
  /** QUIC idle timeout; default 30 s. Requests pending when it fires reject with `ERR_QUIC_IDLE_TIMEOUT`. */
  readonly idleTimeoutMs?: number;
}

interface Pending {
  status: number;
  headers: Array<[string, string]>;
  chunks: Uint8Array[];
  size: number;
  trailers: Array<[string, string]> | null;
  resolve(r: Http3ClientResponse): void;
  reject(e: Error): void;
}

/** An HTTP/3 client connection (requests are multiplexed on one QUIC connection). */
export class Http3Client {
  private readonly session: Http3Session;
  private readonly quic: QuicheClientConnection;
  private readonly authority: string;
  private readonly pending: Map<number, Pending>;
  private readonly maxBodyBytes: number;

  private constructor(quic: QuicheClientConnection, authority: string, options: Http3ClientOptions) {
    this.quic = quic;
    this.authority = authority;
    this.pending = new Map();
    this.maxBodyBytes = options.maxBodyBytes ?? 64 << 20;
    this.session = new Http3Session(
      quic,
      options.limits === undefined ? {} : { limits: options.limits },
      (e) => {
        this.onEvent(e);
      },
    );
  }

  /** Opens a QUIC connection (ALPN h3) to `host:port`. */
  static async connect(host: string, port: number, options: Http3ClientOptions = {}): Promise<Http3Client> {
    const quic = await connectQuiche({
      host,
      port,
      serverName: options.serverName ?? host,
      verifyPeer: options.verifyPeer ?? true,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.idleTimeoutMs === undefined ? {} : { maxIdleTimeoutMs: options.idleTimeoutMs }),
    });
    return new Http3Client(quic, `${options.serverName ?? host}:${port}`, options);
  }

  /** Sends a request and resolves with the whole response. */
  request(
    method: string,
    path: string,
    headers: ReadonlyArray<readonly [string, string]> = [],
    body?: Uint8Array,
  ): Promise<Http3ClientResponse> {
    return new Promise((resolve, reject) => {
      this.session.guard(() => {
        const id = this.session.h3.request(
          [
            [':method', method],
            [':scheme', 'https'],
            [':authority', this.authority],
            [':path', path],
            ...headers,
          ],
          body === undefined,
        );
        this.pending.set(id, {
          status: 0,
          headers: [],
          chunks: [],
          size: 0,
          trailers: null,
          resolve,
          reject,
        });
        if (body !== undefined) this.session.h3.sendData(id, body, true);
      });
      if (this.session.error !== undefined) reject(this.session.error);
    });
  }

  /** Graceful close: GOAWAY, then CONNECTION_CLOSE with H3_NO_ERROR once requests finish. */
  async close(): Promise<void> {
    this.session.guard(() => {
      if (!this.session.h3.isClosed()) this.session.h3.goAway();
    });
    await this.quic.closed;
    await this.quic.destroy();
  }

  private onEvent(e: Http3Event): void {
    switch (e.type) {
      case 'response': {
        const p = this.pending.get(e.streamId);
        if (p !== undefined && !e.isInformational) {
          p.status = e.status;
          p.headers = e.headers;
        }
        return;
      }
      case 'data': {
        const p = this.pending.get(e.streamId);
        if (p === undefined) return;
        p.size += e.data.length;
        if (p.size > this.maxBodyBytes) {
          this.pending.delete(e.streamId);
          this.session.h3.resetStream(e.streamId);
          p.reject(
            new TransportError(
              'ERR_RESPONSE_BODY_TOO_LARGE',
              `response body above ${this.maxBodyBytes} bytes`,
            ),
          );
          return;
        }
        p.chunks.push(e.data.slice());
        return;
      }
      case 'trailers': {
        const p = this.pending.get(e.streamId);
        if (p !== undefined) p.trailers = e.headers;
        return;
      }
      case 'end': {
        const p = this.pending.get(e.streamId);
        if (p === undefined) return;
        this.pending.delete(e.streamId);
        const body = new Uint8Array(p.size);
        let pos = 0;
        for (const c of p.chunks) {
          body.set(c, pos);
          pos += c.length;
        }
        p.resolve({ status: p.status, headers: p.headers, body, trailers: p.trailers });
        return;
      }
      case 'streamReset': {
        const p = this.pending.get(e.streamId);
        this.pending.delete(e.streamId);
        p?.reject(
          new TransportError('ERR_STREAM_RESET', `stream ${e.streamId} reset: ${e.reason}`, {
            wireCode: e.code,
          }),
        );
        return;
      }
      case 'closed': {
        const idle = this.session.closeError;
        for (const p of this.pending.values()) {
          p.reject(
            idle ??
              new QuicProviderError(
                'ERR_QUIC_CONNECTION_CLOSED',
                `connection closed: code ${e.code} (${e.initiator}) ${e.reason}`,
              ),
          );
        }
        this.pending.clear();
        return;
      }
      case 'settings':
      case 'request':
      case 'stopSending':
      case 'goaway':
      case 'datagram':
        return;
    }
  }
}
