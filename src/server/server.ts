/**
 * `createServer(handler, options)`: one server for HTTP/1.1 and HTTP/2 with one handler. On plain TCP it
 * runs on the native transport (epoll/kqueue addon) when available, else node:net, and tells h2c prior
 * knowledge from HTTP/1.1 by the first bytes (plus `Upgrade: h2c`); with `tls` it runs on node:tls and
 * ALPN chooses `h2` or `http/1.1` (RFC 9113 §3.2). `listen()` and `close()` return promises; `close()` is
 * graceful.
 */
import { UsageError } from '../common/errors.js';
import { Http1Connection } from '../http1/connection.js';
import { NativeTransport, type ArenaOptions } from '../transport/native.js';
import { NetTransport } from '../transport/net.js';
import type { Transport, TransportListener, TransportSocket } from '../transport/socket.js';
import { TimerWheel } from '../transport/timer-wheel.js';
import { TlsSocket, TlsTransport, type TlsTransportOptions } from '../transport/tls.js';
import { resolveCompression, type CompressionOptions, type ResolvedCompression } from './compress.js';
import { connectionClosed, connectionOpened, connectionProtocol } from './diagnostics.js';
import { fetchHandler, type FetchApp, type FetchHandlerOptions } from './fetch.js';
import { Http1ServerConnection, type Http1ServerOptions } from './http1.js';
import { Http2ServerConnection, type Http2ServerOptions } from './http2.js';
import { listenHttp3, withAltSvc, type Http3Server, type ListenHttp3Options } from './http3.js';
import { h2cUpgradeHandler, isH2cUpgrade, PrefaceSniffer, type ProtocolStarter } from './http2-select.js';
import { resolveServerLimits, type ServerLimits } from './limits.js';
import type { ConnectionFactory, ServerConnection } from './server-core.js';
import type { Handler, ServerRequest, UpgradeHandler } from './types.js';
import { isHayateWorker } from './workers.js';
import { WebSocketRouter, type WebSocketHandler, type WebSocketRouteOptions } from './websocket.js';
import {
  WebTransportRouter,
  type WebTransportHandler,
  type WebTransportRouteOptions,
  type WebTransportServerLimits,
} from './webtransport.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Options of a fetch-style handler (`createServer({ fetch })`, src/server/fetch.ts); ignored otherwise. */
  readonly fetch?: Omit<FetchHandlerOptions, 'isSecure'>;
  /**
   * `auto` (default): native when the addon loads, else node:net (with one notice); or a Transport.
   * Ignored with `tls` (node:tls is the only TLS transport).
   */
  readonly transport?: 'auto' | 'native' | 'net' | Transport;
  /** Serve TLS (key, cert, ...): ALPN offers `h2` (unless `http2: false`) and `http/1.1`. */
  readonly tls?: TlsTransportOptions;
  /**
   * HTTP/2 beside HTTP/1.1 on the same port (default on): h2c by prior knowledge and `Upgrade: h2c` on
   * TCP, ALPN `h2` on TLS. `false` serves HTTP/1.1 only.
   */
  readonly http2?: false | Http2ServerOptions;
  /** Accept HTTP/1.1 (default true); with false only HTTP/2 is served and other connections are closed. */
  readonly allowHttp1?: boolean;
  /**
   * HTTP/3 on UDP, on the same port number as the TCP listener (needs `tls`: QUIC requires TLS 1.3). The
   * HTTP/1.1 and HTTP/2 responses then advertise it with `Alt-Svc: h3=":<port>"` (RFC 9114 §3.1.1).
   * Off by default; needs the optional dependency `@matrixai/quic`.
   */
  readonly http3?:
    | boolean
    | Omit<
        ListenHttp3Options,
        | 'host'
        | 'port'
        | 'key'
        | 'cert'
        | 'exchangeHost'
        | 'onError'
        | 'highWaterMarkBytes'
        | 'serverLimits'
        | 'webTransport'
      >;
  /** Limits and timeouts; see {@link DEFAULT_SERVER_LIMITS}. */
  readonly limits?: Partial<ServerLimits>;
  /** HTTP/1 parser limits and leniency (hayate/http1). */
  readonly http1?: Http1ServerOptions;
  /** Takes over connections asking for a protocol switch (Upgrade, CONNECT) other than h2c. */
  readonly onUpgrade?: UpgradeHandler;
  /**
   * Told of handler failures (a throw or rejection, answered 500 or aborted) and response timeouts
   * (`ERR_RESPONSE_TIMEOUT`). Not called for what peers do: a reset or closed connection aborts the request
   * (`req.aborted`, `req.signal`) and malformed input is published on `hayate:server:request-reject`.
   * Default: nothing is printed (a peer must not be able to flood the logs); pass `console.error` to see them.
   */
  readonly onError?: (error: unknown) => void;
  /** SO_REUSEPORT on the native transport; default true inside workers started by runWorkers. */
  readonly reusePort?: boolean;
  /**
   * Builds each connection's protocol handler (default: HTTP/1.1). Lets another protocol (HTTP/2 prior
   * knowledge, ALPN on TLS) take accepted sockets while sharing limits, timers and graceful shutdown.
   */
  readonly connectionFactory?: ConnectionFactory;
  /** Native arena geometry (first server in a thread decides). */
  readonly arena?: ArenaOptions;
  /**
   * Compress response bodies (gzip, brotli) as the client's Accept-Encoding allows, on HTTP/1.1, HTTP/2
   * and HTTP/3 alike: `true` for the defaults, or {@link CompressionOptions}. Off by default (see
   * src/server/compress.ts for why and for what is never compressed); `res.compress` decides per response.
   */
  readonly compression?: boolean | CompressionOptions;
  /**
   * W3C Trace Context (default false): each handler runs in its request's trace (the incoming
   * `traceparent`'s trace-id and flags, or a new trace), with a span id of its own; requests it makes with
   * hayate's client carry `traceparent` (parent-id: that span) and `tracestate`. `currentTraceContext()`
   * reads it. Costs an AsyncLocalStorage context per request. `req.traceparent` is parsed either way.
   */
  readonly tracing?: boolean;
  /** Server-wide WebTransport limits (`onWebTransport`); see {@link WebTransportServerLimits}. */
  readonly webTransport?: Partial<WebTransportServerLimits>;
}

/** Where a server listens. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** `native`, `net` or `tls`. */
  readonly transport: string;
}

/** An HTTP server. */
export class Server implements ProtocolStarter {
  /** What connections call: the user's handler, wrapped to add Alt-Svc when HTTP/3 listens. */
  handler: Handler;
  private userHandler: Handler;
  private h3: Http3Server | undefined;
  readonly onUpgrade: UpgradeHandler | undefined;
  readonly limits: Readonly<ServerLimits>;
  readonly wheel: TimerWheel;
  /** The resolved `compression` option every exchange reads (undefined: off). */
  readonly compression: ResolvedCompression | undefined;
  /** The `tracing` option every exchange reads. */
  readonly tracing: boolean;
  readonly transport: Transport;
  private readonly options: ServerOptions;
  private http2: Http2ServerOptions | undefined;
  /** WebSocket routes (`onWebSocket`); undefined until the first one. */
  private webSockets: WebSocketRouter | undefined = undefined;
  /** WebTransport routes (`onWebTransport`); undefined until the first one. */
  private webTransports: WebTransportRouter | undefined = undefined;
  private readonly connections = new Set<ServerConnection>();
  private listener: TransportListener | undefined;
  private isClosing = false;
  /** Idle Http1Connection cores, reused by whichever connection reads next (bounded). */
  private readonly http1Pool: Http1Connection[] = [];
  private closeWaiters: (() => void)[] = [];

  constructor(handler: Handler, options: ServerOptions = {}) {
    if (typeof handler !== 'function') throw new UsageError('ERR_INVALID_ARG', 'handler must be a function');
    this.handler = handler;
    this.userHandler = handler;
    this.h3 = undefined;
    if (options.http3 !== undefined && options.http3 !== false && options.tls === undefined) {
      throw new UsageError('ERR_INVALID_ARG', 'http3 needs tls (key, cert): QUIC always runs TLS 1.3');
    }
    this.options = options;
    this.http2 = options.http2 === false ? undefined : (options.http2 ?? {});
    const onUpgrade =
      this.http2 === undefined
        ? options.onUpgrade
        : h2cUpgradeHandler(() => this, this.http2, options.onUpgrade);
    // RFC 6455 §4.2: WebSocket upgrades on our routes first (see takesUpgrade), then the others.
    this.onUpgrade = (req, socket, head): void => {
      if (this.webSockets?.takesUpgrade(req) === true) this.webSockets.handleUpgrade(req, socket, head);
      else if (onUpgrade !== undefined) onUpgrade(req, socket, head);
      else socket.destroy();
    };
    this.limits = resolveServerLimits(options.limits);
    this.wheel = new TimerWheel(this.limits.timerTickMs);
    this.compression = resolveCompression(options.compression);
    this.tracing = options.tracing === true;
    this.transport = pickTransport(options, this.http2 !== undefined);
  }

  /** RFC 9110 §7.8: only requests an upgrade handler can take are handed over; others get the handler. */
  takesUpgrade(request: ServerRequest): boolean {
    if (this.webSockets?.takesUpgrade(request) === true) return true;
    if (this.options.onUpgrade !== undefined) return true;
    return this.http2 !== undefined && isH2cUpgrade(request);
  }

  /**
   * Serves WebSockets on `path` over HTTP/1.1 (Upgrade, RFC 6455), HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220)
   * with one handler (src/server/websocket.ts). Call it before `listen`: HTTP/2 and HTTP/3 connections
   * announce extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL) from their first SETTINGS.
   */
  onWebSocket(path: string, handler: WebSocketHandler, options?: WebSocketRouteOptions): this {
    if (this.webSockets === undefined) {
      this.webSockets = new WebSocketRouter({
        connectionAdopted: (c) => {
          this.connections.add(c);
        },
        connectionClosed: (c, error) => {
          this.connectionClosed(c, error);
        },
        reportError: (error) => {
          this.reportError(error);
        },
      });
      this.handler = this.webSockets.wrap(this.handler);
      this.userHandler = this.webSockets.wrap(this.userHandler);
      if (this.http2 !== undefined) this.http2 = { ...this.http2, enableConnectProtocol: true };
    }
    this.webSockets.add(path, handler, options);
    return this;
  }

  /**
   * Serves WebTransport sessions on `path` over HTTP/2 (RFC 8441, draft-ietf-webtrans-http2) and HTTP/3
   * (RFC 9220, draft-ietf-webtrans-http3) with one handler, which gets a W3C-shaped session
   * (src/server/webtransport.ts). Call it before `listen`: connections announce the settings WebTransport
   * needs from their first SETTINGS.
   */
  onWebTransport(path: string, handler: WebTransportHandler, options?: WebTransportRouteOptions): this {
    if (this.webTransports === undefined) {
      this.webTransports = new WebTransportRouter(
        {
          reportError: (error) => {
            this.reportError(error);
          },
        },
        this.options.webTransport,
      );
      this.handler = this.webTransports.wrap(this.handler);
      this.userHandler = this.webTransports.wrap(this.userHandler);
      if (this.http2 !== undefined) {
        this.http2 = {
          ...this.http2,
          enableConnectProtocol: true,
          extraSettings: [...(this.http2.extraSettings ?? []), ...this.webTransports.http2Settings()],
        };
      }
    }
    this.webTransports.add(path, handler, options);
    return this;
  }

  /** WebTransport sessions open now, on both HTTP versions. */
  get webTransportCount(): number {
    return this.webTransports?.size ?? 0;
  }

  /** WebSockets open now, on every HTTP version. */
  get webSocketCount(): number {
    return this.webSockets?.size ?? 0;
  }

  /** The bound address (after `listen`). */
  get address(): ServerAddress | undefined {
    const l = this.listener;
    if (l === undefined) return undefined;
    const transport = this.transport instanceof TlsTransport ? 'tls' : this.transport.name;
    return { host: l.host, port: l.port, transport };
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts listening (port 0 picks a free one). Host defaults to 127.0.0.1. */
  async listen(port = 0, host = '127.0.0.1'): Promise<ServerAddress> {
    if (this.listener !== undefined) throw new UsageError('ERR_SERVER_LISTENING', 'already listening');
    this.listener = await this.transport.listen(
      {
        host,
        port,
        backlog: this.limits.backlog,
        reusePort: this.options.reusePort ?? isHayateWorker(),
        handshakeTimeoutMs: this.limits.handshakeTimeoutMs,
      },
      (socket) => {
        this.accept(socket);
      },
    );
    const h3 = this.options.http3;
    const tls = this.options.tls;
    if (h3 !== undefined && h3 !== false && tls !== undefined) {
      const { key, cert } = tls;
      if (typeof key !== 'string' || typeof cert !== 'string') {
        throw new UsageError('ERR_INVALID_ARG', 'http3 needs tls.key and tls.cert as PEM strings');
      }
      const userHandler = this.userHandler;
      try {
        this.h3 = await listenHttp3(
          {
            ...(h3 === true ? {} : h3),
            ...(this.webSockets === undefined ? {} : { enableConnectProtocol: true }),
            ...(this.webTransports === undefined ? {} : { webTransport: this.webTransports.http3Limits() }),
            host,
            port: this.listener.port,
            key,
            cert,
            // HTTP/3 exchanges share this server's limits, timer wheel and error reporting.
            exchangeHost: {
              handler: userHandler,
              limits: this.limits,
              wheel: this.wheel,
              compression: this.compression,
              tracing: this.tracing,
              reportError: (error: unknown): void => {
                this.reportError(error);
              },
            },
          },
          userHandler,
        );
      } catch (err) {
        // Nothing half-started stays bound: the TCP listener goes too.
        const l = this.listener;
        this.listener = undefined;
        await l.close();
        throw err;
      }
      this.handler = withAltSvc(this.userHandler, this.h3.altSvc);
    }
    return this.address!;
  }

  /** The HTTP/3 listener's Alt-Svc value, when HTTP/3 listens. */
  get altSvc(): string | undefined {
    return this.h3?.altSvc;
  }

  private accept(socket: TransportSocket): void {
    if (this.isClosing || this.connections.size >= this.limits.maxConnections) {
      socket.destroy();
      return;
    }
    if (connectionOpened.hasSubscribers) connectionOpened.publish({ server: this, socket });
    const factory = this.options.connectionFactory;
    if (factory !== undefined) {
      this.connections.add(factory(this, socket));
    } else if (socket instanceof TlsSocket) {
      // RFC 9113 §3.2: ALPN "h2" selects HTTP/2 over TLS; anything else is HTTP/1.1.
      if (socket.alpnProtocol === 'h2' && this.http2 !== undefined) this.startHttp2(socket, undefined);
      else this.startHttp1(socket, undefined);
    } else if (this.http2 !== undefined) {
      this.connections.add(new PrefaceSniffer(this, socket));
    } else {
      this.startHttp1(socket, undefined);
    }
  }

  /** Serves HTTP/2 on `socket`; `initial` holds bytes already read (the preface). */
  startHttp2(socket: TransportSocket, initial: Uint8Array | undefined): void {
    const c = new Http2ServerConnection(this, socket, this.http2 ?? {});
    this.connections.add(c);
    if (connectionProtocol.hasSubscribers) connectionProtocol.publish({ connection: c, protocol: 'h2' });
    c.start(initial);
  }

  /** Serves HTTP/1.1 on `socket`; `initial` holds bytes already read while sniffing. */
  startHttp1(socket: TransportSocket, initial: Uint8Array | undefined): void {
    if (this.options.allowHttp1 === false) {
      socket.destroy();
      return;
    }
    const c = new Http1ServerConnection(this, socket, this.options.http1 ?? {});
    this.connections.add(c);
    if (connectionProtocol.hasSubscribers)
      connectionProtocol.publish({ connection: c, protocol: 'http/1.1' });
    if (initial !== undefined) c.onData(initial, 0, initial.length);
  }

  acquireHttp1(options: Http1ServerOptions): Http1Connection {
    return (
      this.http1Pool.pop() ??
      new Http1Connection({ role: 'server', limits: options.limits, leniency: options.leniency })
    );
  }

  releaseHttp1(conn: Http1Connection): void {
    // A core that saw its peer's EOF, failed, or is mid-message carries state the next connection must
    // never inherit (a stale EOF turns its first split request into a false 400): let the GC have it.
    if (!conn.isIdle || !conn.keepAlive || conn.hasOutput) return;
    // Enough for every connection busy at once in a typical load; the rest are left to the GC.
    if (this.http1Pool.length >= 256) return;
    // Lifetime: reset drops the views and carry bytes of the last connection before anyone else sees them.
    conn.reset();
    this.http1Pool.push(conn);
  }

  reportError(error: unknown): void {
    const onError = this.options.onError;
    if (onError === undefined) return;
    try {
      onError(error);
    } catch {
      // A throwing error callback must not take the connection (or the process) down with it.
    }
  }

  connectionClosed(connection: object, error: Error | undefined): void {
    this.connections.delete(connection as ServerConnection);
    if (connectionClosed.hasSubscribers) connectionClosed.publish({ server: this, connection, error });
    if (this.isClosing && this.connections.size === 0) this.resolveClose();
  }

  connectionDetached(connection: object): void {
    this.connections.delete(connection as ServerConnection);
    if (this.isClosing && this.connections.size === 0) this.resolveClose();
  }

  private resolveClose(): void {
    const w = this.closeWaiters;
    this.closeWaiters = [];
    for (const f of w) f();
  }

  /**
   * Graceful shutdown: stops accepting, closes idle connections, lets in-flight requests finish (their
   * responses carry `connection: close`), and destroys what is left after `shutdownTimeoutMs`.
   */
  async close(timeoutMs = this.limits.shutdownTimeoutMs): Promise<void> {
    this.isClosing = true;
    const l = this.listener;
    this.listener = undefined;
    const h3 = this.h3;
    this.h3 = undefined;
    // RFC 6455 §7.4.1: 1001 "going away" to every WebSocket, on every HTTP version.
    this.webSockets?.closeAll();
    this.webTransports?.closeAll();
    // HTTP/3 drains (GOAWAY) during the same grace period as the TCP connections.
    const h3Closed = h3?.close(timeoutMs);
    h3Closed?.catch(() => undefined);
    if (l !== undefined) await l.close();
    if (this.connections.size === 0) return h3Closed;
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    for (const c of [...this.connections]) c.shutdown();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([done, deadline]);
    clearTimeout(timer);
    for (const c of [...this.connections]) c.socket.destroy();
    await h3Closed;
  }
}

function pickTransport(options: ServerOptions, http2: boolean): Transport {
  if (options.tls !== undefined) {
    const alpn = options.allowHttp1 === false ? ['h2'] : http2 ? ['h2', 'http/1.1'] : ['http/1.1'];
    return new TlsTransport({ alpnProtocols: alpn, ...options.tls });
  }
  const want = options.transport ?? 'auto';
  if (typeof want === 'object') return want;
  if (want === 'net') return new NetTransport();
  const native = NativeTransport.create(options.arena, false);
  if (native !== undefined) return native;
  if (want === 'native') {
    throw new UsageError(
      'ERR_NATIVE_UNAVAILABLE',
      'transport "native" requested but the addon is unavailable',
    );
  }
  return new NetTransport();
}

/**
 * Creates a server for HTTP/1.1 and HTTP/2 (see {@link ServerOptions}). `handler` is a native
 * {@link Handler}, or an object with a WHATWG `fetch(request, info)` method (src/server/fetch.ts).
 */
export function createServer(handler: Handler | FetchApp, options: ServerOptions = {}): Server {
  if (typeof handler === 'function') {
    if (isNodeHttpApp(handler)) {
      throw new UsageError(
        'ERR_NODE_HTTP_APP',
        'this is an Express app, written for node:http request/response objects: serve it with createServer from hayate/compat',
      );
    }
    return new Server(handler, options);
  }
  return new Server(
    fetchHandler(handler, { ...options.fetch, isSecure: options.tls !== undefined }),
    options,
  );
}

/**
 * An Express application (a function with `handle`, `set` and its own `request`/`response` prototypes):
 * it replaces the prototypes of the objects it is given with node:http's, so it only runs on hayate/compat.
 */
function isNodeHttpApp(fn: object): boolean {
  const app = fn as { handle?: unknown; set?: unknown; request?: unknown; response?: unknown };
  return (
    typeof app.handle === 'function' &&
    typeof app.set === 'function' &&
    typeof app.request === 'object' &&
    typeof app.response === 'object'
  );
}
