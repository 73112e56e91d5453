/**
 * WebSocket routes of a server, one API for every HTTP version:
 *
 * - HTTP/1.1: the opening handshake of RFC 6455 §4.2 (GET, `Upgrade: websocket`, `Connection: Upgrade`,
 *   Sec-WebSocket-Key, Sec-WebSocket-Version 13 else 426), answered `101` on the socket the HTTP/1.1
 *   connection hands over (its upgrade path, RFC 9110 §7.8); the socket's bytes then go to the core.
 * - HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220): an extended CONNECT with `:protocol` `websocket` on a stream;
 *   the answer is `200`, and the stream's DATA carries the WebSocket bytes, with stream flow control as the
 *   backpressure. The server announces SETTINGS_ENABLE_CONNECT_PROTOCOL once a route exists.
 *
 * ```ts
 * server.onWebSocket('/chat', (ws, req) => {
 *   if (req.headers.get('origin') !== 'https://example.com') return ws.close(1008);
 *   ws.on('message', (m) => ws.send(m.isBinary ? m.data : m.text));
 * }, { protocols: ['chat.v1'], perMessageDeflate: true });
 * ```
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../common/errors.js';
import type { TransportSocket, SocketHandler } from '../transport/socket.js';
import { negotiatePerMessageDeflate } from '../websocket/extensions.js';
import type { PerMessageDeflateOptions, PerMessageDeflateParams } from '../websocket/extensions.js';
import {
  WEBSOCKET_VERSION,
  computeAccept,
  isSupportedVersion,
  isValidWebSocketKey,
} from '../websocket/handshake.js';
import { CloseCode } from '../websocket/errors.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { tunnelExchange, type ServerExchange } from './exchange.js';
import type { ServerConnection } from './server-core.js';
import type { Handler, ServerRequest, ServerResponse } from './types.js';
import { ZlibMessageDeflater, type ZlibDeflaterOptions } from './websocket-deflate.js';
import {
  WebSocket,
  checkWebSocketOptions,
  type WebSocketHttpVersion,
  type WebSocketOptions,
  type WebSocketPipe,
  type WebSocketPipeSink,
  StreamBodyPipe,
} from './websocket-socket.js';

/** Called with each accepted WebSocket and the request that opened it. A rejection closes it with 1011. */
export type WebSocketHandler = (ws: WebSocket, req: ServerRequest) => void | Promise<void>;

/** Options of one WebSocket route. */
export interface WebSocketRouteOptions extends WebSocketOptions {
  /**
   * Subprotocols we speak, in preference order (the first one the client offered in Sec-WebSocket-Protocol
   * is selected, RFC 6455 §4.2.2), or a function picking one of the offered ones (undefined: none).
   */
  readonly protocols?:
    readonly string[] | ((offered: readonly string[], req: ServerRequest) => string | undefined);
  /**
   * permessage-deflate (RFC 7692) over node:zlib when the client offers it: `true` for the defaults
   * (context takeover both ways, 15-bit windows), or the parameters we insist on plus zlib's `level` and
   * `memLevel`. Default off (as `ws`): compression costs CPU on every message.
   */
  readonly perMessageDeflate?: boolean | (PerMessageDeflateOptions & ZlibDeflaterOptions);
  /**
   * Decides before the handshake completes, with the request (Origin, cookies, path, subprotocols): true
   * accepts, false refuses with 403, a number refuses with that status (RFC 6455 §4.2.2: a server may
   * refuse with any appropriate HTTP error, for instance on an Origin it does not trust, §10.2).
   */
  readonly verify?: (req: ServerRequest) => boolean | number;
}

interface Route {
  readonly handler: WebSocketHandler;
  readonly options: WebSocketRouteOptions;
}

/** What a router needs from its server: tracking of HTTP/1.1 sockets it took over, and error reporting. */
export interface WebSocketHost {
  /** An upgraded HTTP/1.1 socket now belongs to a WebSocket (counted, shut down with the server). */
  connectionAdopted?(connection: ServerConnection): void;
  /** That socket closed. */
  connectionClosed?(connection: object, error: Error | undefined): void;
  /** A handler threw or rejected. */
  reportError?(error: unknown): void;
}

const sha1 = (data: Uint8Array): Uint8Array => createHash('sha1').update(data).digest();
const EMPTY = new Uint8Array(0);
const latin1 = new TextEncoder();

/** Whether a comma-separated header value contains `token` (case-insensitive, RFC 9110 §5.6.1). */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** Sec-WebSocket-Protocol values offered (every field line, comma-separated tokens). */
function offeredProtocols(req: ServerRequest): string[] {
  const out: string[] = [];
  for (const v of req.headers.getAll('sec-websocket-protocol')) {
    for (const p of v.split(',')) {
      const t = p.trim();
      if (t !== '') out.push(t);
    }
  }
  return out;
}

/** The WebSocket routes of one server (or of a standalone HTTP/2 or HTTP/3 listener, with {@link wrap}). */
export class WebSocketRouter {
  private readonly routes = new Map<string, Route>();
  private readonly live = new Set<WebSocket>();
  private readonly host: WebSocketHost;

  constructor(host: WebSocketHost = {}) {
    this.host = host;
  }

  /** Adds a route for `path` (the request path exactly, without the query). */
  add(path: string, handler: WebSocketHandler, options: WebSocketRouteOptions = {}): void {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new UsageError('ERR_INVALID_ARG', 'a WebSocket path must start with /');
    }
    if (typeof handler !== 'function') throw new UsageError('ERR_INVALID_ARG', 'handler must be a function');
    checkWebSocketOptions(options);
    this.routes.set(path, { handler, options });
  }

  /** WebSockets open now (every HTTP version). */
  get size(): number {
    return this.live.size;
  }

  /** Starts the closing handshake of every open WebSocket (server shutdown: 1001 GOING_AWAY). */
  closeAll(code: number = CloseCode.GOING_AWAY, reason = 'server shutting down'): void {
    for (const ws of this.live) ws.close(code, reason);
  }

  /** HTTP/1.1: whether this Upgrade request is a WebSocket for one of our routes (RFC 6455 §4.2.1). */
  takesUpgrade(req: ServerRequest): boolean {
    return this.routes.has(req.path) && hasToken(req.headers.get('upgrade'), 'websocket');
  }

  /**
   * A handler that serves extended CONNECT `websocket` requests (HTTP/2, HTTP/3) on our routes and passes
   * every other request to `next`.
   */
  wrap(next: Handler): Handler {
    return (req, res) => {
      if (req.method === 'CONNECT') {
        const x = tunnelExchange(req);
        if (x?.connectProtocol === 'websocket') {
          this.serveTunnel(x, req, res);
          return;
        }
      }
      return next(req, res);
    };
  }

  /** HTTP/1.1: answers the handshake on `socket` (taken over from the HTTP/1.1 connection). */
  handleUpgrade(req: ServerRequest, socket: TransportSocket, head: Uint8Array): void {
    const route = this.routes.get(req.path);
    const refuse = (status: number, extra = ''): void => {
      socket.write([
        latin1.encode(
          `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nconnection: close\r\ncontent-length: 0\r\n${extra}\r\n`,
        ),
      ]);
      socket.end();
    };
    if (route === undefined) {
      refuse(404);
      return;
    }
    // RFC 6455 §4.2.1: GET, HTTP/1.1 or later, Upgrade and Connection tokens, a valid key.
    if (req.method !== 'GET' || req.protocol !== 'http/1.1') {
      refuse(400);
      return;
    }
    if (!hasToken(req.headers.get('connection'), 'upgrade')) {
      refuse(400);
      return;
    }
    const key = req.headers.get('sec-websocket-key')?.trim();
    if (key === undefined || !isValidWebSocketKey(key)) {
      refuse(400);
      return;
    }
    // RFC 6455 §4.2.2: an unsupported version is answered 426 with the versions we speak.
    if (!isSupportedVersion(req.headers.get('sec-websocket-version'))) {
      refuse(426, `sec-websocket-version: ${WEBSOCKET_VERSION}\r\n`);
      return;
    }
    const status = this.verify(route, req);
    if (status !== 0) {
      refuse(status);
      return;
    }
    const protocol = selectProtocol(route.options, req);
    const deflate = negotiateDeflate(route.options, req);
    let response =
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
      `sec-websocket-accept: ${computeAccept(key, sha1)}\r\n`;
    if (protocol !== '') response += `sec-websocket-protocol: ${protocol}\r\n`;
    if (deflate !== null) response += `sec-websocket-extensions: ${deflate.response}\r\n`;
    socket.write([latin1.encode(response + '\r\n')]);
    const ws = this.create(route, protocol, deflate, 'http/1.1');
    const pipe = new SocketPipe(socket, ws.sink, ws, this.host);
    this.host.connectionAdopted?.(pipe);
    ws.attach(pipe);
    socket.resume();
    this.run(route, ws, req);
    if (head.length > 0) ws.sink.onPipeData(head, 0, head.length);
  }

  /** HTTP/2 and HTTP/3: answers an extended CONNECT (RFC 8441 §5, RFC 9220 §3) on its stream. */
  private serveTunnel(x: ServerExchange, req: ServerRequest, res: ServerResponse): void {
    const route = this.routes.get(req.path);
    const refuse = (status: number): void => {
      res.status = status;
      res.end();
    };
    if (route === undefined) {
      refuse(404);
      return;
    }
    if (!isSupportedVersion(req.headers.get('sec-websocket-version'))) {
      res.setHeader('sec-websocket-version', WEBSOCKET_VERSION);
      refuse(426);
      return;
    }
    const status = this.verify(route, req);
    if (status !== 0) {
      refuse(status);
      return;
    }
    const protocol = selectProtocol(route.options, req);
    const deflate = negotiateDeflate(route.options, req);
    res.status = 200;
    res.compress = false;
    if (protocol !== '') res.setHeader('sec-websocket-protocol', protocol);
    if (deflate !== null) res.setHeader('sec-websocket-extensions', deflate.response);
    // The head goes out now: the peer waits for it before sending (src/server/http2.ts flushes it).
    res.write(EMPTY);
    const version: WebSocketHttpVersion = req.protocol === 'h3' ? 'h3' : 'h2';
    const ws = this.create(route, protocol, deflate, version);
    const pipe = new ExchangePipe(x, req, res, ws.sink);
    ws.attach(pipe);
    this.run(route, ws, req);
    pipe.start();
  }

  private verify(route: Route, req: ServerRequest): number {
    return verifyStatus(route.options.verify, req, this.host);
  }

  private create(
    route: Route,
    protocol: string,
    deflate: { params: PerMessageDeflateParams; response: string } | null,
    httpVersion: WebSocketHttpVersion,
  ): WebSocket {
    const o = route.options;
    const z = typeof o.perMessageDeflate === 'object' ? o.perMessageDeflate : {};
    const ws = new WebSocket({
      role: 'server',
      protocol,
      extensions: deflate?.response ?? '',
      httpVersion,
      deflater: deflate === null ? undefined : new ZlibMessageDeflater(deflate.params, 'server', z),
      options: o,
    });
    this.live.add(ws);
    void ws.closed.then(() => this.live.delete(ws));
    return ws;
  }

  private run(route: Route, ws: WebSocket, req: ServerRequest): void {
    const onError = (err: unknown): void => {
      this.host.reportError?.(err);
      ws.close(CloseCode.INTERNAL_ERROR);
    };
    try {
      const r = route.handler(ws, req);
      if (r instanceof Promise) r.catch(onError);
    } catch (err) {
      onError(err);
    }
  }
}

/** RFC 6455 §4.2.2 step 5.4 (/subprotocol/): one of the client's values, or none. */
function selectProtocol(options: WebSocketRouteOptions, req: ServerRequest): string {
  const offered = offeredProtocols(req);
  if (offered.length === 0) return '';
  const p = options.protocols;
  if (p === undefined) return '';
  if (typeof p === 'function') {
    const chosen = p(offered, req);
    // A selection the client did not offer would fail its handshake (RFC 6455 §4.1): none instead.
    return chosen !== undefined && offered.includes(chosen) ? chosen : '';
  }
  for (const want of p) if (offered.includes(want)) return want;
  return '';
}

/** RFC 7692 §5: the first acceptable offer, or null (also when it would need an 8-bit zlib window). */
function negotiateDeflate(
  options: WebSocketRouteOptions,
  req: ServerRequest,
): { params: PerMessageDeflateParams; response: string } | null {
  const d = options.perMessageDeflate;
  if (d === undefined || d === false) return null;
  const offer = req.headers.getAll('sec-websocket-extensions').join(', ');
  if (offer === '') return null;
  const r = negotiatePerMessageDeflate(offer, d === true ? {} : d);
  // zlib writes no raw deflate with a 256-byte window (src/server/websocket-deflate.ts): decline.
  if (r === null || r.params.serverMaxWindowBits < 9) return null;
  return r;
}

function reasonPhrase(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 426:
      return 'Upgrade Required';
    case 500:
      return 'Internal Server Error';
    default:
      return 'Error';
  }
}

/** HTTP/1.1: the upgraded socket as a pipe; tracked by the server like any connection. */
class SocketPipe implements WebSocketPipe, SocketHandler, ServerConnection {
  readonly socket: TransportSocket;
  private readonly sink: WebSocketPipeSink;
  private readonly ws: WebSocket;
  private readonly host: WebSocketHost;

  constructor(socket: TransportSocket, sink: WebSocketPipeSink, ws: WebSocket, host: WebSocketHost) {
    this.socket = socket;
    this.sink = sink;
    this.ws = ws;
    this.host = host;
    socket.setHandler(this);
  }

  write(chunks: Uint8Array[]): boolean {
    return this.socket.write(chunks);
  }

  get pendingBytes(): number {
    return this.socket.pendingBytes;
  }

  end(): void {
    this.socket.end();
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  onData(bytes: Uint8Array, start: number, end: number): void {
    this.sink.onPipeData(bytes, start, end);
  }

  onEnd(): void {
    this.sink.onPipeEnd();
  }

  onDrain(): void {
    this.sink.onPipeDrain();
  }

  onClose(error: Error | undefined): void {
    this.sink.onPipeClose(error);
    this.host.connectionClosed?.(this, error);
  }

  /** Server shutdown: RFC 6455 §7.4.1 1001, "a server going down". */
  shutdown(): void {
    this.ws.close(CloseCode.GOING_AWAY, 'server shutting down');
  }
}

/**
 * HTTP/2 and HTTP/3: the extended CONNECT stream as a pipe. Received DATA is read from the request body
 * (each chunk read returns its stream credit, so pausing the read is the flow-control backpressure);
 * sent bytes are response body writes.
 */
class ExchangePipe extends StreamBodyPipe implements WebSocketPipe {
  private readonly x: ServerExchange;
  private readonly req: ServerRequest;
  private readonly res: ServerResponse;
  private isDrainArmed = false;

  constructor(x: ServerExchange, req: ServerRequest, res: ServerResponse, sink: WebSocketPipeSink) {
    super();
    this.x = x;
    this.req = req;
    this.res = res;
    this.sink = sink;
  }

  start(): void {
    this.req.onAbort((reason) => {
      this.close(reason);
    });
    void this.readBody(this.req.body);
  }

  write(chunks: Uint8Array[]): boolean {
    if (this.isWriteDone || this.isClosed) return false;
    const res = this.res;
    let isBelow = true;
    // One DATA frame per batch of small frames instead of one per header and payload.
    if (chunks.length > 1 && total(chunks) <= 16384) isBelow = res.write(join(chunks));
    else for (const c of chunks) isBelow = res.write(c);
    if (!isBelow && !this.isDrainArmed) {
      this.isDrainArmed = true;
      void res.drained().then(() => {
        this.isDrainArmed = false;
        if (!this.isClosed) this.sink?.onPipeDrain();
      });
    }
    return isBelow;
  }

  get pendingBytes(): number {
    return this.isClosed ? 0 : this.x.pendingBytes;
  }

  end(): void {
    if (this.isWriteDone || this.isClosed) return;
    this.isWriteDone = true;
    // RFC 8441 §5 (and RFC 9220): END_STREAM is the orderly end of the WebSocket's bytes.
    if (!this.res.finished) this.res.end();
    this.checkDone();
  }

  destroy(error?: Error): void {
    if (this.isClosed) return;
    this.x.resetTunnel(error ?? new ServerError(ServerErrorCode.StreamReset, 'WebSocket terminated'));
    this.close(error);
  }

  protected override close(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (!this.res.finished && !this.x.isClosed) {
      this.x.resetTunnel(error ?? new ServerError(ServerErrorCode.StreamReset, 'WebSocket closed'));
    }
    this.resume();
    this.sink?.onPipeClose(error);
  }
}

function total(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

function join(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(total(chunks));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Runs a tunnel route's `verify` (WebSocket and WebTransport share it): 0 to accept, else the refusal status —
 * 403 for false or a number outside 400–599, 500 (and `reportError`) when it throws.
 */
export function verifyStatus(
  verify: ((req: ServerRequest) => boolean | number) | undefined,
  req: ServerRequest,
  host: { reportError?(error: unknown): void },
): number {
  if (verify === undefined) return 0;
  let r: boolean | number;
  try {
    r = verify(req);
  } catch (err) {
    host.reportError?.(err);
    return 500;
  }
  if (r === true) return 0;
  if (r === false) return 403;
  return Number.isInteger(r) && r >= 400 && r <= 599 ? r : 403;
}
