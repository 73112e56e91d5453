/**
 * `createServer(handler, options)`: an HTTP/1.1 server on the native transport (epoll/kqueue addon) when it
 * is available, else on node:net. `listen()` and `close()` return promises; `close()` is graceful.
 */
import { UsageError } from '../common/errors.js';
import { Http1Connection } from '../http1/connection.js';
import { NativeTransport, type ArenaOptions } from '../transport/native.js';
import { NetTransport } from '../transport/net.js';
import type { Transport, TransportListener, TransportSocket } from '../transport/socket.js';
import { TimerWheel } from '../transport/timer-wheel.js';
import { connectionClosed, connectionOpened } from './diagnostics.js';
import { Http1ServerConnection, type Http1ServerOptions } from './http1.js';
import { resolveServerLimits, type ServerLimits } from './limits.js';
import type { ConnectionFactory, ServerConnection, ServerCore } from './server-core.js';
import type { Handler, UpgradeHandler } from './types.js';
import { isHayateWorker } from './workers.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** `auto` (default): native when the addon loads, else node:net (with one notice). */
  readonly transport?: 'auto' | 'native' | 'net';
  /** Limits and timeouts; see {@link DEFAULT_SERVER_LIMITS}. */
  readonly limits?: Partial<ServerLimits>;
  /** HTTP/1 parser limits and leniency (hayate/http1). */
  readonly http1?: Http1ServerOptions;
  /** Takes over connections asking for a protocol switch (Upgrade, CONNECT). */
  readonly onUpgrade?: UpgradeHandler;
  /** Called with errors thrown by handlers (default: console.error). */
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
}

/** Where a server listens. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** `native` or `net`. */
  readonly transport: string;
}

/** An HTTP server. */
export class Server implements ServerCore {
  readonly handler: Handler;
  readonly onUpgrade: UpgradeHandler | undefined;
  readonly limits: Readonly<ServerLimits>;
  readonly wheel: TimerWheel;
  readonly transport: Transport;
  private readonly options: ServerOptions;
  private readonly connections = new Set<ServerConnection>();
  private listener: TransportListener | undefined;
  private isClosing = false;
  /** Idle Http1Connection cores, reused by whichever connection reads next (bounded). */
  private readonly http1Pool: Http1Connection[] = [];
  private closeWaiters: (() => void)[] = [];

  constructor(handler: Handler, options: ServerOptions = {}) {
    if (typeof handler !== 'function') throw new UsageError('ERR_INVALID_ARG', 'handler must be a function');
    this.handler = handler;
    this.options = options;
    this.onUpgrade = options.onUpgrade;
    this.limits = resolveServerLimits(options.limits);
    this.wheel = new TimerWheel(this.limits.timerTickMs);
    this.transport = pickTransport(options);
  }

  /** The bound address (after `listen`). */
  get address(): ServerAddress | undefined {
    const l = this.listener;
    return l === undefined ? undefined : { host: l.host, port: l.port, transport: this.transport.name };
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
      },
      (socket) => {
        this.accept(socket);
      },
    );
    return this.address!;
  }

  private accept(socket: TransportSocket): void {
    if (this.isClosing || this.connections.size >= this.limits.maxConnections) {
      socket.destroy();
      return;
    }
    const factory = this.options.connectionFactory;
    const c =
      factory === undefined
        ? new Http1ServerConnection(this, socket, this.options.http1 ?? {})
        : factory(this, socket);
    this.connections.add(c);
    if (connectionOpened.hasSubscribers) connectionOpened.publish({ server: this, socket });
  }

  acquireHttp1(options: Http1ServerOptions): Http1Connection {
    return (
      this.http1Pool.pop() ??
      new Http1Connection({ role: 'server', limits: options.limits, leniency: options.leniency })
    );
  }

  releaseHttp1(conn: Http1Connection): void {
    // Enough for every connection busy at once in a typical load; the rest are left to the GC.
    if (this.http1Pool.length < 256) this.http1Pool.push(conn);
  }

  reportError(error: unknown): void {
    if (this.options.onError !== undefined) this.options.onError(error);
    else console.error('hayate: handler failed:', error);
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
    if (l !== undefined) await l.close();
    if (this.connections.size === 0) return;
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    for (const c of [...this.connections]) c.shutdown();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([done, deadline]);
    clearTimeout(timer);
    for (const c of [...this.connections]) c.socket.destroy();
  }
}

function pickTransport(options: ServerOptions): Transport {
  const want = options.transport ?? 'auto';
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

/** Creates an HTTP/1.1 server. */
export function createServer(handler: Handler, options: ServerOptions = {}): Server {
  return new Server(handler, options);
}
