/**
 * `Client`: one request API over HTTP/1.1, HTTP/2 and HTTP/3, and the small per-origin pool that picks
 * the protocol:
 *
 * - `https:` opens TLS with ALPN `h2, http/1.1` (RFC 7301) and uses what the server selects: one h2
 *   connection multiplexes every request to the origin; HTTP/1.1 keeps up to `maxConnectionsPerOrigin`
 *   connections and reuses idle ones (RFC 9112 §9.3).
 * - `http:` uses HTTP/1.1, or h2c with prior knowledge (RFC 9113 §3.3) when `http2PriorKnowledge` is set.
 * - An `Alt-Svc: h3=":port"` response field (RFC 7838) is remembered per origin until `ma` expires; with
 *   `http3: true` later requests go over HTTP/3 (RFC 9114 §3.1.1), back to TCP when QUIC cannot connect.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { ProtocolError, UsageError } from '../common/errors.js';
import type { Http2Limits } from '../http2/limits.js';
import { parseAltSvc } from './alt-svc.js';
import { abortError, ClientError, ClientErrorCode, toClientError } from './errors.js';
import { Http1ClientConnection, type Http1DriverOptions } from './http1.js';
import { Http2ClientSession, Http2StreamError, type Http2ClientResponse } from './http2.js';
import { Http3ClientConnection, type Http3DriverOptions } from './http3.js';
import { DEFAULT_MAX_SESSION_TICKETS, SessionTicketCache } from './ticket-cache.js';
import {
  prepareRequest,
  type ClientRequestOptions,
  type ClientTarget,
  type PreparedRequest,
} from './request.js';
import { ClientHeaders, ClientResponse, type ResponseBodySource } from './response.js';

/** TLS settings for `https:` origins (node:tls names). */
export interface ClientTlsOptions {
  /** Trusted CA certificates (PEM), replacing Node's default roots. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Verify the server certificate; default true. `false` is for tests only. */
  readonly rejectUnauthorized?: boolean;
  /** SNI and certificate name; default the URL's host name (none for IP literals). */
  readonly servername?: string;
}

/** Options of {@link Client}. Every limit has a safe default. */
export interface ClientOptions {
  readonly tls?: ClientTlsOptions;
  /** Speak h2c to `http:` origins without negotiation (RFC 9113 §3.3); default false (HTTP/1.1). */
  readonly http2PriorKnowledge?: boolean;
  /** Follow `Alt-Svc: h3` advertisements of `https:` origins over QUIC; default false. */
  readonly http3?: boolean;
  /**
   * The QUIC implementation HTTP/3 runs on: `'hayate'` (default; hayate/quic, pure TypeScript) or
   * `'quiche'` (the optional `@matrixai/quic` package, kept as a fallback).
   */
  readonly quicProvider?: 'quiche' | 'hayate';
  /** HTTP/1.1 connections per origin; default 6 (what browsers use). Requests beyond it wait. */
  readonly maxConnectionsPerOrigin?: number;
  /** Largest response head (status line and fields); default 16 KiB, as hayate's server accepts. */
  readonly maxResponseHeadBytes?: number;
  /** Default limit of `res.bytes()` / `res.text()` (and of buffered h3 bodies); default 64 MiB. */
  readonly maxBodyBytes?: number;
  /** TCP+TLS or QUIC connect budget; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A pooled connection with no request in progress closes after this long; default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Unread response bytes after which an HTTP/1.1 socket is paused; default 1 MiB. */
  readonly highWaterMark?: number;
  /** HTTP/2 connection limits (`maxHeaderListSize` defaults to `maxResponseHeadBytes`). */
  readonly http2Limits?: Partial<Http2Limits>;
  /**
   * hayate/quic: session tickets kept to resume HTTP/3 connections (RFC 8446 §4.6.1), one per origin, the
   * least recently stored dropped beyond it; default 100, 0 turns resumption off.
   */
  readonly maxSessionTickets?: number;
  /**
   * hayate/quic, resuming: send GET, HEAD and OPTIONS in 0-RTT (RFC 9114 §10.9); a 425 answer is retried
   * after the handshake (RFC 8470 §5.2). Default false: 0-RTT requests can be replayed by an attacker.
   */
  readonly http3EarlyData?: boolean;
}

/** Resolved settings (defaults applied). */
interface Settings {
  readonly tls: ClientTlsOptions;
  readonly http2PriorKnowledge: boolean;
  readonly http3: boolean;
  readonly quicProvider: 'quiche' | 'hayate';
  readonly maxConnectionsPerOrigin: number;
  readonly maxResponseHeadBytes: number;
  readonly maxBodyBytes: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly highWaterMark: number;
  readonly http2Limits: Partial<Http2Limits>;
  readonly maxSessionTickets: number;
  readonly http3EarlyData: boolean;
}

/** Defaults of {@link ClientOptions}, each with its reason in the option's TSDoc. */
export const DEFAULT_CLIENT_OPTIONS = Object.freeze({
  maxConnectionsPerOrigin: 6,
  maxResponseHeadBytes: 16 * 1024,
  maxBodyBytes: 64 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  highWaterMark: 1024 * 1024,
});

function positive(name: string, v: number | undefined, dflt: number, isIntegerOnly = true): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v > 0) || (isIntegerOnly && v !== Infinity && !Number.isInteger(v))) {
    throw new UsageError('ERR_CLIENT_INVALID_OPTION', `${name} must be a positive number, got ${String(v)}`);
  }
  return v;
}

function resolveSettings(o: ClientOptions): Settings {
  const value: unknown = o;
  if (typeof value !== 'object' || value === null)
    throw new UsageError('ERR_CLIENT_INVALID_OPTION', 'options must be an object');
  const d = DEFAULT_CLIENT_OPTIONS;
  return {
    tls: o.tls ?? {},
    http2PriorKnowledge: o.http2PriorKnowledge === true,
    http3: o.http3 === true,
    quicProvider: o.quicProvider === 'quiche' ? 'quiche' : 'hayate',
    maxConnectionsPerOrigin: positive(
      'maxConnectionsPerOrigin',
      o.maxConnectionsPerOrigin,
      d.maxConnectionsPerOrigin,
    ),
    maxResponseHeadBytes: positive('maxResponseHeadBytes', o.maxResponseHeadBytes, d.maxResponseHeadBytes),
    maxBodyBytes: positive('maxBodyBytes', o.maxBodyBytes, d.maxBodyBytes),
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, d.connectTimeoutMs),
    idleTimeoutMs: positive('idleTimeoutMs', o.idleTimeoutMs, d.idleTimeoutMs),
    highWaterMark: positive('highWaterMark', o.highWaterMark, d.highWaterMark),
    http2Limits: o.http2Limits ?? {},
    maxSessionTickets: o.maxSessionTickets ?? DEFAULT_MAX_SESSION_TICKETS,
    http3EarlyData: o.http3EarlyData === true,
  };
}

/** How long HTTP/3 stays off for an origin whose QUIC connect failed: 5 minutes, as Chromium starts with. */
const H3_BROKEN_MS = 5 * 60 * 1000;

/** Per-origin state: the negotiated protocol, the connections, the Alt-Svc record. */
class Origin {
  readonly url: URL;
  /** What ALPN chose last time (`https:`), or the prior-knowledge choice (`http:`). */
  alpn: 'h2' | 'http/1.1' | undefined = undefined;
  /** A connect whose ALPN result the other requests wait for. */
  probing: Promise<void> | undefined = undefined;
  h2: Http2ClientSession | undefined = undefined;
  h2LastUsedMs = 0;
  readonly h1 = new Set<Http1ClientConnection>();
  readonly idle: Http1ClientConnection[] = [];
  readonly idleSinceMs = new Map<Http1ClientConnection, number>();
  connecting = 0;
  readonly waiters: Array<() => void> = [];
  h3: Http3ClientConnection | undefined = undefined;
  h3Connecting: Promise<Http3ClientConnection | undefined> | undefined = undefined;
  h3LastUsedMs = 0;
  /** RFC 7838 §3.1: the advertised h3 port and when the advertisement goes stale. */
  altSvc: { port: number; expiresAtMs: number } | undefined = undefined;
  /** After a failed QUIC connect, advertisements are ignored until then. */
  h3BrokenUntilMs = 0;

  constructor(url: URL) {
    this.url = url;
  }

  wakeOne(): void {
    this.waiters.shift()?.();
  }
}

function mapH2Error(err: unknown): ClientError {
  if (err instanceof Http2StreamError) {
    return new ClientError(ClientErrorCode.STREAM_RESET, err.message, {
      cause: err,
      wireCode: err.errorCode,
      isRetryable: err.isRetryable,
    });
  }
  // A connection error (RFC 9113 §5.4.1) the client detected, e.g. a peer that does not speak h2c.
  if (err instanceof ProtocolError) return toClientError(err, ClientErrorCode.PROTOCOL, 'HTTP/2 failed');
  return toClientError(err, ClientErrorCode.CONNECTION_CLOSED, 'HTTP/2 request failed');
}

/**
 * An HTTP client over HTTP/1.1, HTTP/2 and HTTP/3 with one request and response type.
 *
 * ```ts
 * const client = new Client({ tls: { ca } });
 * const res = await client.request('https://example.com/upload', { method: 'POST', body });
 * console.log(res.protocol, res.status, res.headers.get('content-type'), await res.text());
 * await client.close();
 * ```
 */
export class Client {
  private readonly settings: Settings;
  private readonly origins = new Map<string, Origin>();
  private readonly sockets = new Set<Socket>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined = undefined;
  private isClosing = false;
  /** HTTP/3 session tickets by origin (hayate/quic). */
  private readonly tickets: SessionTicketCache;

  /** Throws `UsageError` `ERR_CLIENT_INVALID_OPTION` for a bad option. */
  constructor(options: ClientOptions = {}) {
    this.settings = resolveSettings(options);
    this.tickets = new SessionTicketCache(this.settings.maxSessionTickets);
  }

  /**
   * Sends a request and resolves with the response head; the body streams from `res.body` (or
   * `res.bytes()` / `res.text()`). Misuse (bad URL, method, header, body) throws `UsageError` here,
   * synchronously; every later failure rejects with a {@link ClientError}.
   */
  request(target: ClientTarget, options: ClientRequestOptions = {}): Promise<ClientResponse> {
    const req = prepareRequest(target, options);
    if (this.isClosing) {
      return Promise.reject(new ClientError(ClientErrorCode.CLIENT_CLOSED, 'client is closed'));
    }
    if (req.signal?.aborted === true) return Promise.reject(abortError(req.signal));
    return this.dispatch(req);
  }

  /** Open TCP/TLS sockets (all origins); QUIC connections are not counted. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /**
   * Closes every connection: in-flight requests fail with `ERR_CONNECTION_CLOSED`, later ones with
   * `ERR_CLIENT_CLOSED`. Resolves once the sockets have closed.
   */
  async close(): Promise<void> {
    this.isClosing = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const waits: Promise<unknown>[] = [];
    for (const s of this.sockets) {
      waits.push(new Promise((resolve) => s.once('close', resolve)));
    }
    for (const o of this.origins.values()) {
      for (const w of o.waiters.splice(0)) w();
      for (const c of o.h1) c.destroy(new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'client closed'));
      o.h2?.destroy();
      if (o.h3 !== undefined) waits.push(o.h3.close().catch(() => undefined));
      if (o.h3Connecting !== undefined) {
        waits.push(o.h3Connecting.then((c) => c?.close()).catch(() => undefined));
      }
    }
    for (const s of this.sockets) s.destroy();
    await Promise.all(waits);
  }

  private origin(req: PreparedRequest): Origin {
    let o = this.origins.get(req.origin);
    if (o === undefined) {
      o = new Origin(req.url);
      this.origins.set(req.origin, o);
    }
    return o;
  }

  private async dispatch(req: PreparedRequest): Promise<ClientResponse> {
    const o = this.origin(req);
    // RFC 9114 §3.1.1 + RFC 7838: only an `https:` origin's own advertisement leads to HTTP/3.
    if (this.settings.http3 && req.url.protocol === 'https:' && req.trailers === undefined) {
      const alt = o.altSvc;
      const now = Date.now();
      if (alt !== undefined && alt.expiresAtMs <= now) o.altSvc = undefined;
      else if (alt !== undefined && o.h3BrokenUntilMs <= now) {
        const h3 = await this.h3For(o, alt.port);
        if (this.isClosing) throw new ClientError(ClientErrorCode.CLIENT_CLOSED, 'client is closed');
        if (h3 !== undefined) {
          o.h3LastUsedMs = Date.now();
          this.startSweep();
          return h3.request(req);
        }
      }
    }
    const res = await this.tcpRequest(o, req);
    const alt = res.headers.get('alt-svc');
    if (alt !== undefined && req.url.protocol === 'https:') this.noteAltSvc(o, alt);
    return res;
  }

  private noteAltSvc(o: Origin, value: string): void {
    const a = parseAltSvc(value);
    if (a === 'clear') o.altSvc = undefined;
    else if (a !== undefined) o.altSvc = { port: a.port, expiresAtMs: Date.now() + a.maxAgeSec * 1000 };
  }

  private h3For(o: Origin, port: number): Promise<Http3ClientConnection | undefined> {
    if (o.h3 !== undefined && !o.h3.isClosed) return Promise.resolve(o.h3);
    o.h3 = undefined;
    if (o.h3Connecting !== undefined) return o.h3Connecting;
    const host = o.url.hostname.replace(/^\[|\]$/g, '');
    const tls = this.settings.tls;
    const serverName = tls.servername ?? host;
    const ticketKey = `${host}|${String(port)}|${serverName}`;
    const tickets = this.tickets;
    const ticket = tickets.take(ticketKey);
    const options: Http3DriverOptions = {
      serverName,
      verifyPeer: tls.rejectUnauthorized !== false,
      ca: tls.ca === undefined ? undefined : pemText(tls.ca),
      maxBodyBytes: this.settings.maxBodyBytes,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      quicIdleTimeoutMs: Math.max(this.settings.connectTimeoutMs, this.settings.idleTimeoutMs),
      quicProvider: this.settings.quicProvider,
      ...(ticket === undefined ? {} : { sessionTicket: ticket, earlyData: this.settings.http3EarlyData }),
      onSessionTicket: (t: Uint8Array): void => {
        tickets.put(ticketKey, t);
      },
    };
    const p = Http3ClientConnection.connect(host, port, options).then(
      (c) => {
        o.h3Connecting = undefined;
        if (this.isClosing) {
          void c.close().catch(() => undefined);
          return undefined;
        }
        o.h3 = c;
        return c;
      },
      () => {
        // RFC 7838 §2.4: an alternative that fails is not used; TCP carries the request instead. Like
        // browsers, the origin's later advertisements are ignored for a while (H3_BROKEN_MS).
        o.h3Connecting = undefined;
        o.altSvc = undefined;
        o.h3BrokenUntilMs = Date.now() + H3_BROKEN_MS;
        return undefined;
      },
    );
    o.h3Connecting = p;
    return p;
  }

  private async tcpRequest(o: Origin, req: PreparedRequest): Promise<ClientResponse> {
    const isTls = req.url.protocol === 'https:';
    if (!isTls && o.alpn === undefined) o.alpn = this.settings.http2PriorKnowledge ? 'h2' : 'http/1.1';
    let isRetried = false;
    for (;;) {
      if (this.isClosing) throw new ClientError(ClientErrorCode.CLIENT_CLOSED, 'client is closed');
      if (req.signal?.aborted === true) throw abortError(req.signal);
      if (o.h2 !== undefined && !o.h2.isClosed) return this.h2Request(o, o.h2, req);
      o.h2 = undefined;
      if (o.alpn === 'http/1.1') {
        const c = await this.acquireH1(o, req);
        if (c === undefined) continue;
        const isReused = c.requestCount > 0;
        try {
          return await c.request(req);
        } catch (err) {
          // RFC 9112 §9.3.1: a reused connection the server closed before answering (a keep-alive race)
          // may be retried automatically when the request is idempotent and its body can be sent again.
          if (isReused && !isRetried && isReplayable(req) && isClosedBeforeHead(err)) {
            isRetried = true;
            continue;
          }
          throw err;
        }
      }
      if (o.probing !== undefined) {
        await o.probing;
        continue;
      }
      // ALPN unknown (first request, or the h2 connection went away): one connect decides for everyone.
      let done: () => void = () => undefined;
      o.probing = new Promise((resolve) => (done = resolve));
      let socket: Socket;
      try {
        socket = await this.openSocket(o, isTls ? ['h2', 'http/1.1'] : undefined);
      } finally {
        o.probing = undefined;
        done();
      }
      const alpn = socket instanceof TLSSocket ? socket.alpnProtocol : o.alpn === 'h2' ? 'h2' : false;
      if (alpn === 'h2') {
        o.alpn = 'h2';
        o.h2 = this.wrapH2(o, socket);
        continue;
      }
      o.alpn = 'http/1.1';
      // RFC 7301 §3.2: no ALPN answer means the server speaks HTTP/1.1 only.
      const c = this.wrapH1(o, socket);
      o.h1.add(c);
      return c.request(req);
    }
  }

  private async h2Request(o: Origin, s: Http2ClientSession, req: PreparedRequest): Promise<ClientResponse> {
    o.h2LastUsedMs = Date.now();
    let r: Http2ClientResponse;
    try {
      r = await s.request({
        method: req.method,
        path: req.path,
        headers: req.headers,
        ...(req.body === undefined ? {} : { body: req.body }),
        ...(req.trailers === undefined ? {} : { trailers: req.trailers }),
        signal: req.signal,
      });
    } catch (err) {
      throw mapH2Error(err);
    } finally {
      o.h2LastUsedMs = Date.now();
    }
    const it = r.body[Symbol.asyncIterator]();
    const source: ResponseBodySource = {
      next: async () => {
        try {
          return await it.next();
        } catch (err) {
          throw mapH2Error(err);
        } finally {
          o.h2LastUsedMs = Date.now();
        }
      },
      cancel: () => {
        s.cancel(r.streamId, new ClientError(ClientErrorCode.ABORTED, 'response body cancelled'));
      },
      trailers: () => stripPseudo(r.trailers?.toArray()),
    };
    const info = r.informational.map((i) => ({
      status: i.status,
      headers: new ClientHeaders(stripPseudo(i.headers.toArray()) ?? []),
    }));
    const headers = new ClientHeaders(stripPseudo(r.headers.toArray()) ?? []);
    return new ClientResponse('h2', r.status, headers, info, source, this.settings.maxBodyBytes);
  }

  private wrapH2(o: Origin, socket: Socket): Http2ClientSession {
    const url = new URL(o.url.origin);
    const s = new Http2ClientSession(
      url,
      {
        limits: { maxHeaderListSize: this.settings.maxResponseHeadBytes, ...this.settings.http2Limits },
      },
      socket,
    );
    s.onClose = () => {
      if (o.h2 === s) {
        o.h2 = undefined;
        // The next request negotiates again: the server may now choose differently.
        if (o.url.protocol === 'https:') o.alpn = undefined;
      }
    };
    o.h2LastUsedMs = Date.now();
    this.startSweep();
    return s;
  }

  private wrapH1(o: Origin, socket: Socket): Http1ClientConnection {
    const options: Http1DriverOptions = {
      maxResponseHeadBytes: this.settings.maxResponseHeadBytes,
      maxBodyBytes: this.settings.maxBodyBytes,
      highWaterMark: this.settings.highWaterMark,
    };
    const c = new Http1ClientConnection(socket, options);
    c.onIdle = () => {
      if (this.isClosing) {
        c.destroy();
        return;
      }
      // An idle pooled connection does not keep the process alive (the idle sweep closes it later).
      c.socket.unref();
      o.idle.push(c);
      o.idleSinceMs.set(c, Date.now());
      this.startSweep();
      o.wakeOne();
    };
    c.onClose = () => {
      o.h1.delete(c);
      const i = o.idle.indexOf(c);
      if (i >= 0) o.idle.splice(i, 1);
      o.idleSinceMs.delete(c);
      o.wakeOne();
    };
    return c;
  }

  /** An idle HTTP/1.1 connection, a new one within the per-origin bound, or undefined after a wait. */
  private async acquireH1(o: Origin, req: PreparedRequest): Promise<Http1ClientConnection | undefined> {
    while (o.idle.length > 0) {
      // Most recently used first: it is the least likely to have been closed by the server.
      const c = o.idle.pop()!;
      o.idleSinceMs.delete(c);
      if (!c.isClosed) {
        c.socket.ref();
        return c;
      }
    }
    if (o.h1.size + o.connecting < this.settings.maxConnectionsPerOrigin) {
      o.connecting++;
      let socket: Socket;
      try {
        socket = await this.openSocket(o, o.url.protocol === 'https:' ? ['http/1.1'] : undefined);
      } finally {
        o.connecting--;
      }
      const c = this.wrapH1(o, socket);
      o.h1.add(c);
      return c;
    }
    await new Promise<void>((resolve, reject) => {
      const signal = req.signal;
      const onAbort = (): void => {
        const i = o.waiters.indexOf(wake);
        if (i >= 0) o.waiters.splice(i, 1);
        reject(abortError(signal!));
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      o.waiters.push(wake);
    });
    return undefined;
  }

  /** Opens TCP (and TLS with `alpn`), bounded by `connectTimeoutMs`. */
  private openSocket(o: Origin, alpn: string[] | undefined): Promise<Socket> {
    const host = o.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(o.url.port || (o.url.protocol === 'https:' ? 443 : 80));
    const tls = this.settings.tls;
    return new Promise((resolve, reject) => {
      let socket: Socket;
      const event = alpn === undefined ? 'connect' : 'secureConnect';
      if (alpn === undefined) {
        socket = netConnect({ host, port });
      } else {
        const servername = tls.servername ?? (isIP(host) === 0 ? host : undefined);
        socket = tlsConnect({
          host,
          port,
          ALPNProtocols: alpn,
          ...(servername === undefined ? {} : { servername }),
          ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | Array<string | Buffer> }),
          ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
        });
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      const timer = setTimeout(() => {
        socket.destroy(
          new ClientError(
            ClientErrorCode.CONNECT_TIMEOUT,
            `connect to ${o.url.host} above ${this.settings.connectTimeoutMs} ms`,
          ),
        );
      }, this.settings.connectTimeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(toClientError(err, ClientErrorCode.CONNECT_FAILED, `connect to ${o.url.host} failed`));
      };
      socket.once('error', onError);
      socket.once(event, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.isClosing) {
          socket.destroy();
          reject(new ClientError(ClientErrorCode.CLIENT_CLOSED, 'client is closed'));
          return;
        }
        resolve(socket);
      });
    });
  }

  /** Closes pooled connections idle for longer than `idleTimeoutMs` (one unref'd timer per client). */
  private startSweep(): void {
    if (this.sweepTimer !== undefined || this.isClosing) return;
    const period = Math.max(10, Math.min(1000, this.settings.idleTimeoutMs / 2));
    this.sweepTimer = setInterval(() => {
      this.sweep();
    }, period);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const limit = Date.now() - this.settings.idleTimeoutMs;
    let isAnyLeft = false;
    for (const o of this.origins.values()) {
      for (const [c, since] of o.idleSinceMs) {
        if (since <= limit) c.destroy();
        else isAnyLeft = true;
      }
      const s = o.h2;
      if (s !== undefined) {
        if (s.activeStreams === 0 && o.h2LastUsedMs <= limit) {
          o.h2 = undefined;
          if (o.url.protocol === 'https:') o.alpn = undefined;
          void s.close();
        } else isAnyLeft = true;
      }
      const q = o.h3;
      if (q !== undefined) {
        if (q.activeStreams === 0 && o.h3LastUsedMs <= limit) {
          o.h3 = undefined;
          void q.close().catch(() => undefined);
        } else isAnyLeft = true;
      }
    }
    if (!isAnyLeft && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}

/** RFC 9110 §9.2.2: idempotent methods. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

function isReplayable(req: PreparedRequest): boolean {
  return (
    IDEMPOTENT_METHODS.has(req.method) &&
    (req.body === undefined || req.body instanceof Uint8Array) &&
    req.signal?.aborted !== true
  );
}

function isClosedBeforeHead(err: unknown): boolean {
  return err instanceof ClientError && err.code === ClientErrorCode.CONNECTION_CLOSED;
}

function stripPseudo(pairs: Array<[string, string]> | undefined): Array<[string, string]> | undefined {
  if (pairs === undefined) return undefined;
  return pairs.filter((p) => !p[0].startsWith(':'));
}

function pemText(ca: string | Buffer | ReadonlyArray<string | Buffer>): string {
  if (typeof ca === 'string') return ca;
  if (Buffer.isBuffer(ca)) return ca.toString('latin1');
  return ca.map((c) => (typeof c === 'string' ? c : c.toString('latin1'))).join('\n');
}
