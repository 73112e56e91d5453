/** What a protocol connection needs from its server (kept apart so connections never import the server). */
import type { Http1Connection } from '../http1/connection.js';
import type { Http1ServerOptions } from './http1.js';
import type { TimerWheel } from '../transport/timer-wheel.js';
import type { ServerLimits } from './limits.js';
import type { Handler, UpgradeHandler } from './types.js';

/** The server as seen by one connection. */
export interface ServerCore {
  readonly handler: Handler;
  readonly onUpgrade: UpgradeHandler | undefined;
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
