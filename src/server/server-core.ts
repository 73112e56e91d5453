/** What a protocol connection needs from its server (kept apart so connections never import the server). */
import type { Http1Connection } from '../http1/connection.js';
import type { Http1ServerOptions } from './http1.js';
import type { TransportSocket } from '../transport/socket.js';
import type { TimerWheel } from '../transport/timer-wheel.js';
import type { ServerLimits } from './limits.js';
import type { Handler, ServerRequest, UpgradeHandler } from './types.js';

/** What the server tracks per connection (for graceful shutdown); HTTP/1.1 and HTTP/2 connections fit. */
export interface ServerConnection {
  readonly socket: TransportSocket;
  /** Finish in-flight work, then close; close at once when idle. */
  shutdown(): void;
}

/**
 * Builds the protocol connection for an accepted socket (see `ServerOptions.connectionFactory`). The
 * default makes an HTTP/1.1 connection; a factory can sniff the h2c preface or read ALPN first. The
 * returned object is the one the connection later passes to `core.connectionClosed` / `connectionDetached`.
 */
export type ConnectionFactory = (core: ServerCore, socket: TransportSocket) => ServerConnection;

/** The server as seen by one connection. */
export interface ServerCore {
  readonly handler: Handler;
  readonly onUpgrade: UpgradeHandler | undefined;
  /** Whether `onUpgrade` takes this `Upgrade`/CONNECT request over; otherwise the handler answers it. */
  takesUpgrade(request: ServerRequest): boolean;
  readonly limits: Readonly<ServerLimits>;
  readonly wheel: TimerWheel;
  /** A handler threw or rejected. */
  reportError(error: unknown): void;
  /** The connection's socket closed. */
  connectionClosed(connection: object, error: Error | undefined): void;
  /** A server-role Http1Connection, from the pool when one is parked there. */
  acquireHttp1(options: Http1ServerOptions): Http1Connection;
  /** Parks an idle Http1Connection (between messages, nothing pending) for reuse. */
  releaseHttp1(conn: Http1Connection): void;
  /** The connection handed its socket to an upgrade handler and is no longer tracked. */
  connectionDetached(connection: object): void;
}
