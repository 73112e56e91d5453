/**
 * {@link Server}: node:http's `http.Server` shape over a hayate server, so frameworks written for node:http
 * (Express, Koa, Fastify via `serverFactory`) run on hayate's HTTP/1.1 and HTTP/2 (and HTTP/3 with the
 * `http3` option) unchanged. A thin layer over the public `hayate/server` API (STYLE §2).
 *
 * Fidelity choices:
 * - `listen()` binds all IPv4 interfaces when no host is given (`0.0.0.0`, node:http binds `::`);
 *   `localhost` means `127.0.0.1`. Unix sockets and handles are not supported.
 * - `close()` is hayate's graceful close (idle connections close at once, in-flight requests finish,
 *   the rest is destroyed after `limits.shutdownTimeoutMs`). `closeIdleConnections()` is a no-op (close
 *   already does it); `closeAllConnections()` destroys every connection and also stops listening.
 * - Timeouts come from hayate's `limits` (`headerTimeoutMs`, `keepAliveTimeoutMs`, `bodyTimeoutMs`,
 *   `responseTimeoutMs`); `timeout`, `keepAliveTimeout`, `requestTimeout`, `headersTimeout` and
 *   `setTimeout()` are accepted and ignored.
 * - `'connection'`, `'clientError'`, `'upgrade'` and `'checkContinue'` are never emitted: hayate answers
 *   malformed requests itself and sends `100 Continue` when the body is first read.
 */
import { EventEmitter } from 'node:events';
import {
  createServer as createHayateServer,
  UsageError,
  type Server as HayateServer,
  type ServerOptions,
  type ServerRequest,
  type ServerResponse as HayateResponse,
} from '../server/index.js';
import { IncomingMessage, type CompatHost } from './incoming-message.js';
import { adoptPrototypes, type AppClasses } from './prototypes.js';
import { ServerResponse } from './server-response.js';

/** node:http's request listener, with this module's request and response. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * A listener typed for node:http's own classes (an Express app, Koa's `app.callback()`, Fastify's handler):
 * accepted as it is, and called with this module's request and response.
 */
export type NodeRequestListener = (req: never, res: never) => unknown;

/** What {@link Server.address} returns. */
export interface AddressInfo {
  readonly address: string;
  readonly family: string;
  readonly port: number;
}

/** The object form of {@link Server.listen}'s arguments. */
export interface ListenOptions {
  readonly port?: number | string;
  readonly host?: string;
  readonly backlog?: number;
}

/** The request and response classes when no Express-style app is the only listener. */
const BASE_CLASSES: AppClasses = { Request: IncomingMessage, Response: ServerResponse };

function notRunning(): UsageError {
  return new UsageError('ERR_SERVER_NOT_RUNNING', 'Server is not running.');
}

/** `http.Server` over a hayate server; see the file comment for what differs. */
export class Server extends EventEmitter implements CompatHost {
  listening = false;
  localAddress = '';
  localPort = 0;
  readonly isEncrypted: boolean;
  /** Accepted and ignored (see the file comment): hayate's `limits` set the timeouts. */
  timeout = 0;
  keepAliveTimeout = 5000;
  requestTimeout = 300_000;
  headersTimeout = 60_000;
  maxHeadersCount: number | null = null;
  maxRequestsPerSocket: number | null = 0;
  private readonly options: ServerOptions;
  private hayateServer: HayateServer;
  private isUsed = false;
  private readonly handler: (req: ServerRequest, res: HayateResponse) => Promise<void> | undefined;
  /** What requests and responses are built from: an app's own subclasses while it is the only listener. */
  private classes: AppClasses = BASE_CLASSES;

  constructor(options: ServerOptions, listener: RequestListener | undefined) {
    super();
    this.options = options;
    this.isEncrypted = options.tls !== undefined;
    this.handler = (req, res) => this.handle(req, res);
    this.hayateServer = createHayateServer(this.handler, options);
    // Express apps get this module's request/response prototypes (src/compat/prototypes.ts).
    this.on('newListener', (event: string | symbol, added: unknown) => {
      if (event !== 'request') return;
      const classes = adoptPrototypes(added);
      // Fired before the listener is added: a second listener gets requests of the base classes.
      this.classes = this.listenerCount('request') === 0 ? (classes ?? BASE_CLASSES) : BASE_CLASSES;
    });
    this.on('removeListener', (event: string | symbol) => {
      if (event !== 'request') return;
      const rest = this.listeners('request');
      this.classes = rest.length === 1 ? (adoptPrototypes(rest[0]) ?? BASE_CLASSES) : BASE_CLASSES;
    });
    if (listener !== undefined) this.on('request', listener);
  }

  /** The hayate server underneath (replaced when the server listens again after `close()`). */
  get hayate(): HayateServer {
    return this.hayateServer;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.hayateServer.connectionCount;
  }

  private handle(req: ServerRequest, res: HayateResponse): Promise<void> | undefined {
    const { Request, Response } = this.classes;
    const message = new Request(req, this);
    const response = new Response(res, message);
    try {
      this.emit('request', message, response);
    } catch (err) {
      // node:http would let this crash the process; here the exchange answers 500 (or aborts) and the
      // server's `onError` hears of it.
      response.destroy(err instanceof Error ? err : new UsageError('ERR_LISTENER_THROW', String(err)));
    }
    return response.afterListener();
  }

  /**
   * Starts listening: `listen(port[, host][, backlog][, callback])` or `listen({ port, host }[, callback])`.
   * `'listening'` (and `callback`) follow once bound; a failure is an `'error'` event.
   */
  listen(...args: unknown[]): this {
    let callback: (() => void) | undefined;
    if (typeof args[args.length - 1] === 'function') callback = args.pop() as () => void;
    let port: unknown = 0;
    let host: unknown;
    const first = args[0];
    if (typeof first === 'object' && first !== null) {
      const o = first as ListenOptions & { path?: unknown };
      if (o.path !== undefined)
        throw new UsageError('ERR_INVALID_ARG_VALUE', 'unix sockets are not supported');
      port = o.port ?? 0;
      host = o.host;
    } else {
      port = first ?? 0;
      host = args[1];
    }
    const portNumber = typeof port === 'string' && port !== '' ? Number(port) : port;
    if (
      typeof portNumber !== 'number' ||
      !Number.isInteger(portNumber) ||
      portNumber < 0 ||
      portNumber > 65535
    ) {
      throw new UsageError(
        'ERR_SOCKET_BAD_PORT',
        `Port should be >= 0 and < 65536. Received ${String(port)}.`,
      );
    }
    let address = typeof host === 'string' && host !== '' ? host : '0.0.0.0';
    if (address === 'localhost') address = '127.0.0.1';
    if (callback !== undefined) this.once('listening', callback);
    if (this.isUsed) this.hayateServer = createHayateServer(this.handler, this.options);
    this.isUsed = true;
    this.hayateServer.listen(portNumber, address).then(
      (bound) => {
        this.localAddress = bound.host;
        this.localPort = bound.port;
        this.listening = true;
        this.emit('listening');
      },
      (err: unknown) => {
        this.emit('error', err);
      },
    );
    return this;
  }

  /** `{ address, family, port }` once listening, else null. */
  address(): AddressInfo | null {
    if (!this.listening) return null;
    const address = this.localAddress;
    return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port: this.localPort };
  }

  /**
   * Stops accepting and closes gracefully; `'close'` (and `callback`) follow once every connection is gone.
   * Not listening: `callback` gets `ERR_SERVER_NOT_RUNNING`, as with node:http.
   */
  close(callback?: (error?: Error) => void): this {
    if (!this.listening) {
      if (callback !== undefined) process.nextTick(callback, notRunning());
      return this;
    }
    this.listening = false;
    if (callback !== undefined) this.once('close', callback);
    this.hayateServer.close().then(
      () => this.emit('close'),
      (err: unknown) => this.emit('error', err),
    );
    return this;
  }

  /** Destroys every connection now; this also stops listening (see the file comment). */
  closeAllConnections(): void {
    this.listening = false;
    void this.hayateServer.close(0).then(undefined, (err: unknown) => this.emit('error', err));
  }

  /** No-op: `close()` already closes idle connections (see the file comment). */
  closeIdleConnections(): void {
    // Nothing to do.
  }

  /** Reports the open connection count (node:net's `getConnections`). */
  getConnections(callback: (error: Error | null, count: number) => void): this {
    process.nextTick(callback, null, this.hayateServer.connectionCount);
    return this;
  }

  /** Accepted and ignored: hayate's `limits` set the timeouts. */
  setTimeout(msecs?: number, callback?: () => void): this;
  setTimeout(msecs?: number): this {
    if (typeof msecs === 'number') this.timeout = msecs;
    return this;
  }

  /** No-op. */
  ref(): this {
    return this;
  }

  /** No-op. */
  unref(): this {
    return this;
  }
}

/**
 * node:http's `createServer([options][, requestListener])` on hayate: `options` are hayate's
 * {@link ServerOptions} (`tls`, `http2`, `http3`, `limits`, `transport`, `onError`, ...).
 *
 * ```ts
 * import { createServer } from 'hayate/compat';
 * createServer(expressApp).listen(3000);
 * createServer(koaApp.callback()).listen(3000);
 * fastify({ serverFactory: (handler) => createServer(handler) });
 * ```
 */
export function createServer(requestListener?: RequestListener): Server;
export function createServer(options: ServerOptions, requestListener?: RequestListener): Server;
export function createServer(requestListener: NodeRequestListener): Server;
export function createServer(options: ServerOptions, requestListener: NodeRequestListener): Server;
export function createServer(
  options?: ServerOptions | RequestListener | NodeRequestListener,
  requestListener?: RequestListener | NodeRequestListener,
): Server {
  if (typeof options === 'function') return new Server({}, options as RequestListener);
  return new Server(options ?? {}, requestListener as RequestListener | undefined);
}
