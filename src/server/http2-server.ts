/**
 * An HTTP server that speaks HTTP/2 and HTTP/1.1 on one port with the protocol-neutral handler API:
 * TLS with ALPN choosing `h2` or `http/1.1`; on plain TCP, h2c by prior knowledge (the preface is sniffed)
 * and `Upgrade: h2c`, else HTTP/1.1. Same {@link Handler} as `createServer`.
 */
import { UsageError } from '../common/errors.js';
import { Http1Connection } from '../http1/connection.js';
import { NativeTransport } from '../transport/native.js';
import { NetTransport } from '../transport/net.js';
import type { SocketHandler, Transport, TransportListener, TransportSocket } from '../transport/socket.js';
import { TimerWheel } from '../transport/timer-wheel.js';
import { TlsSocket, TlsTransport } from '../transport/tls.js';
import type { TlsTransportOptions } from '../transport/tls.js';
import { Http1ServerConnection, type Http1ServerOptions } from './http1.js';
import { Http2ServerConnection, type Http2ServerOptions } from './http2.js';
import { h2cUpgradeHandler, matchPreface } from './http2-select.js';
import { resolveServerLimits, type ServerLimits } from './limits.js';
import type { ServerCore } from './server-core.js';
import type { Handler, UpgradeHandler } from './types.js';

/** Options of {@link listenHttp2}. */
export interface ListenHttp2Options {
  readonly host?: string;
  readonly port?: number;
  /** TLS options (key, cert); ALPN offers `h2` then `http/1.1`. Without them: h2c and HTTP/1.1. */
  readonly tls?: TlsTransportOptions;
  /** `net` (default without TLS), `native` (the addon), or a Transport instance. */
  readonly transport?: 'net' | 'native' | Transport;
  readonly limits?: Partial<ServerLimits>;
  readonly http2?: Http2ServerOptions;
  readonly http1?: Http1ServerOptions;
  /** Accept HTTP/1.1 too (default true). With false, non-h2 connections are closed. */
  readonly allowHttp1?: boolean;
  /** Upgrades other than h2c (WebSocket...). */
  readonly onUpgrade?: UpgradeHandler;
  readonly onError?: (error: unknown) => void;
}

/** A running server. */
export interface Http2Server {
  readonly port: number;
  /** Open connections (both protocols). */
  readonly connectionCount: number;
  /** Graceful: GOAWAY / connection: close everywhere, stop listening, wait for in-flight requests. */
  close(): Promise<void>;
}

/** Waits for the first bytes of a plain connection to tell the h2c preface from HTTP/1.1. */
class Sniffer implements SocketHandler {
  private buffered = new Uint8Array(0);
  private readonly server: Core;
  private readonly socket: TransportSocket;

  constructor(server: Core, socket: TransportSocket) {
    this.server = server;
    this.socket = socket;
    socket.setHandler(this);
  }

  onData(bytes: Uint8Array, start: number, end: number): void {
    const next = new Uint8Array(this.buffered.length + end - start);
    next.set(this.buffered, 0);
    next.set(bytes.subarray(start, end), this.buffered.length);
    this.buffered = next;
    const m = matchPreface(next, 0, next.length);
    if (m === 0) return;
    this.server.connectionDetached(this);
    if (m === 1) this.server.startHttp2(this.socket, next);
    else this.server.startHttp1(this.socket, next);
  }
  onEnd(): void {
    this.socket.end();
  }
  onDrain(): void {
    // Nothing written yet.
  }
  onClose(): void {
    this.server.connectionClosed(this);
  }
}

class Core implements ServerCore {
  readonly handler: Handler;
  readonly onUpgrade: UpgradeHandler;
  readonly limits: Readonly<ServerLimits>;
  readonly wheel: TimerWheel;
  readonly connections = new Set<object>();
  private readonly http1Pool: Http1Connection[] = [];
  private readonly options: ListenHttp2Options;
  private closeWaiters: Array<() => void> = [];

  constructor(handler: Handler, options: ListenHttp2Options) {
    this.handler = handler;
    this.options = options;
    this.limits = resolveServerLimits(options.limits);
    this.wheel = new TimerWheel(this.limits.timerTickMs);
    this.onUpgrade = h2cUpgradeHandler(() => this, options.http2 ?? {}, options.onUpgrade);
  }

  accept(socket: TransportSocket): void {
    if (this.connections.size >= this.limits.maxConnections) {
      socket.destroy();
      return;
    }
    if (socket instanceof TlsSocket) {
      // RFC 9113 §3.2: ALPN "h2" selects HTTP/2 over TLS.
      if (socket.alpnProtocol === 'h2') this.startHttp2(socket, undefined);
      else this.startHttp1(socket, undefined);
      return;
    }
    this.connections.add(new Sniffer(this, socket));
  }

  startHttp2(socket: TransportSocket, initial: Uint8Array | undefined): void {
    const c = new Http2ServerConnection(this, socket, this.options.http2 ?? {});
    this.connections.add(c);
    c.start(initial);
  }

  startHttp1(socket: TransportSocket, initial: Uint8Array | undefined): void {
    if (this.options.allowHttp1 === false) {
      socket.destroy();
      return;
    }
    const c = new Http1ServerConnection(this, socket, this.options.http1 ?? {});
    this.connections.add(c);
    if (initial !== undefined) c.onData(initial, 0, initial.length);
  }

  acquireHttp1(options: Http1ServerOptions): Http1Connection {
    return (
      this.http1Pool.pop() ??
      new Http1Connection({ role: 'server', limits: options.limits, leniency: options.leniency })
    );
  }

  releaseHttp1(conn: Http1Connection): void {
    if (this.http1Pool.length < 256) this.http1Pool.push(conn);
  }

  reportError(error: unknown): void {
    if (this.options.onError !== undefined) this.options.onError(error);
    else console.error('hayate: handler failed:', error);
  }

  connectionClosed(connection: object): void {
    this.connections.delete(connection);
    this.checkClosed();
  }

  connectionDetached(connection: object): void {
    this.connections.delete(connection);
    this.checkClosed();
  }

  private checkClosed(): void {
    if (this.connections.size > 0) return;
    const w = this.closeWaiters;
    this.closeWaiters = [];
    for (const f of w) f();
  }

  async drain(timeoutMs: number): Promise<void> {
    for (const c of [...this.connections]) {
      if (c instanceof Http2ServerConnection || c instanceof Http1ServerConnection) c.shutdown();
      else if (c instanceof Sniffer) this.connections.delete(c);
    }
    if (this.connections.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.closeWaiters.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const c of [...this.connections]) {
      if (c instanceof Http2ServerConnection || c instanceof Http1ServerConnection) c.socket.destroy();
    }
  }
}

function pickTransport(options: ListenHttp2Options): Transport {
  const t = options.transport;
  if (options.tls !== undefined) {
    if (t !== undefined) throw new UsageError('ERR_INVALID_OPTION', 'tls and transport are exclusive');
    return new TlsTransport({
      ...(options.allowHttp1 === false ? { alpnProtocols: ['h2'] } : {}),
      ...options.tls,
    });
  }
  if (t === undefined || t === 'net') return new NetTransport();
  if (t === 'native') {
    const native = NativeTransport.create(undefined, true);
    if (native === undefined)
      throw new UsageError('ERR_NATIVE_UNAVAILABLE', 'the native addon is unavailable');
    return native;
  }
  return t;
}

/** Listens and serves HTTP/2 (and HTTP/1.1 unless `allowHttp1: false`) with `handler`. */
export async function listenHttp2(options: ListenHttp2Options, handler: Handler): Promise<Http2Server> {
  const core = new Core(handler, options);
  const listener: TransportListener = await pickTransport(options).listen(
    {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      backlog: core.limits.backlog,
      reusePort: false,
    },
    (socket) => {
      core.accept(socket);
    },
  );
  return {
    port: listener.port,
    get connectionCount(): number {
      return core.connections.size;
    },
    async close(): Promise<void> {
      await listener.close();
      await core.drain(core.limits.shutdownTimeoutMs);
    },
  };
}
