/**
 * `listenHttp2(options, handler)`: creates and starts a {@link Server} in one call and returns a small
 * handle. The protocol selection itself (ALPN, h2c preface, `Upgrade: h2c`) lives in `Server`.
 */
import type { Transport } from '../transport/socket.js';
import type { TlsTransportOptions } from '../transport/tls.js';
import type { Http1ServerOptions } from './http1.js';
import type { Http2ServerOptions } from './http2.js';
import type { ServerLimits } from './limits.js';
import { createServer } from './server.js';
import type { Handler, UpgradeHandler } from './types.js';

/** Options of {@link listenHttp2}. */
export interface ListenHttp2Options {
  readonly host?: string;
  readonly port?: number;
  /** TLS options (key, cert); ALPN offers `h2` then `http/1.1`. Without them: h2c and HTTP/1.1. */
  readonly tls?: TlsTransportOptions;
  /** `net` (default), `native` (the addon), `auto`, or a Transport instance; ignored with `tls`. */
  readonly transport?: 'auto' | 'net' | 'native' | Transport;
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

/** Listens and serves HTTP/2 (and HTTP/1.1 unless `allowHttp1: false`) with `handler`. */
export async function listenHttp2(options: ListenHttp2Options, handler: Handler): Promise<Http2Server> {
  const server = createServer(handler, {
    transport: options.transport ?? 'net',
    http2: options.http2 ?? {},
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.http1 === undefined ? {} : { http1: options.http1 }),
    ...(options.allowHttp1 === undefined ? {} : { allowHttp1: options.allowHttp1 }),
    ...(options.onUpgrade === undefined ? {} : { onUpgrade: options.onUpgrade }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  const address = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    port: address.port,
    get connectionCount(): number {
      return server.connectionCount;
    },
    close: () => server.close(),
  };
}
