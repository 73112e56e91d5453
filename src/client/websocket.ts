/**
 * WebSocket client (`hayate/client`): `ws://` and `wss://` over HTTP/1.1 (the RFC 6455 §4.1 Upgrade
 * handshake) and over HTTP/2 (RFC 8441 extended CONNECT) when asked for, or, for `wss://` with
 * `httpVersion: 'auto'`, when ALPN selects h2 and the server announces SETTINGS_ENABLE_CONNECT_PROTOCOL.
 * The object returned is the same {@link WebSocket} server handlers get.
 *
 * ```ts
 * const ws = await connectWebSocket('wss://example.com/chat', { protocols: ['chat.v1'] });
 * ws.send('hello');
 * for await (const m of ws) console.log(m.text);
 * ```
 */
import { randomFillSync } from 'node:crypto';
import { createHash } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { UsageError } from '../common/errors.js';
import { acceptPerMessageDeflateResponse, buildPerMessageDeflateOffer } from '../websocket/extensions.js';
import type { PerMessageDeflateOptions, PerMessageDeflateParams } from '../websocket/extensions.js';
import { WEBSOCKET_VERSION, computeAccept, generateKey } from '../websocket/handshake.js';
import { ZlibMessageDeflater, type ZlibDeflaterOptions } from '../server/websocket-deflate.js';
import {
  WebSocket,
  checkWebSocketOptions,
  type WebSocketHttpVersion,
  type WebSocketOptions,
  type WebSocketPipe,
  type WebSocketPipeSink,
  StreamBodyPipe,
} from '../server/websocket-socket.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  HandshakeDeadline,
  handshakeError as tunnelHandshakeError,
} from './deadline.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { Http2ClientSession, type Http2ClientResponse } from './http2.js';

/** Options of {@link connectWebSocket}. */
export interface WebSocketClientOptions extends WebSocketOptions {
  /** Subprotocols offered (Sec-WebSocket-Protocol), in preference order. */
  readonly protocols?: string | readonly string[];
  /** Extra request header fields (Origin, Cookie, Authorization...). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Offer permessage-deflate (RFC 7692): `true` for the defaults, or the parameters to offer. Default off. */
  readonly perMessageDeflate?: boolean | (PerMessageDeflateOptions & ZlibDeflaterOptions);
  /**
   * `http/1.1` (default for `ws://`): Upgrade. `h2`: extended CONNECT over HTTP/2 (h2c prior knowledge
   * for `ws://`, ALPN h2 for `wss://`); fails when the server does not enable it. `auto` (default for
   * `wss://`): ALPN offers h2 and http/1.1; h2 is used when the server enables extended CONNECT, else the
   * client reconnects with HTTP/1.1.
   */
  readonly httpVersion?: 'http/1.1' | 'h2' | 'auto';
  /** TLS options for `wss://` (ca, servername, rejectUnauthorized...). */
  readonly tls?: ConnectionOptions;
  /** Time for connecting plus the handshake; default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Largest HTTP/1.1 response head accepted; default 16 KiB. */
  readonly maxResponseHeadBytes?: number;
}

const DEFAULT_MAX_HEAD = 16 * 1024;
const sha1 = (data: Uint8Array): Uint8Array => createHash('sha1').update(data).digest();
const randomFill = (dst: Uint8Array): void => {
  randomFillSync(dst);
};

/** A failed WebSocket handshake (HTTP/1.1, HTTP/2 and, in websocket-h3.ts, HTTP/3). */
export function handshakeError(message: string, cause?: unknown): ClientError {
  return tunnelHandshakeError('WebSocket', message, cause);
}

/** Opens a WebSocket to `url` (`ws:`, `wss:`; `http:` and `https:` are accepted as aliases). */
export async function connectWebSocket(
  url: string | URL,
  options: WebSocketClientOptions = {},
): Promise<WebSocket> {
  const u = typeof url === 'string' ? new URL(url) : url;
  let isSecure: boolean;
  if (u.protocol === 'wss:' || u.protocol === 'https:') isSecure = true;
  else if (u.protocol === 'ws:' || u.protocol === 'http:') isSecure = false;
  else throw new UsageError('ERR_WS_INVALID_URL', `unsupported scheme ${u.protocol}`);
  // RFC 6455 §3: no fragment identifiers in WebSocket URIs.
  if (u.hash !== '') throw new UsageError('ERR_WS_INVALID_URL', 'a WebSocket URL has no fragment');
  checkWebSocketOptions(options);
  const version = options.httpVersion ?? (isSecure ? 'auto' : 'http/1.1');
  const deadline = new HandshakeDeadline(
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    'WebSocket',
  );
  try {
    if (version === 'http/1.1') {
      const socket = openSocket(u, isSecure, ['http/1.1'], options.tls);
      deadline.onExpiry(() => socket.destroy());
      return await deadline.race(handshakeHttp1(socket, u, options));
    }
    if (!isSecure) {
      const session = new Http2ClientSession(new URL(`http://${u.host}`), {});
      deadline.onExpiry(() => {
        session.destroy();
      });
      const ws = await deadline.race(handshakeHttp2(session, u, options, true));
      // With isRequired, handshakeHttp2 throws rather than returning null.
      return ws!;
    }
    const socket = openTls(u, version === 'h2' ? ['h2'] : ['h2', 'http/1.1'], options.tls);
    deadline.onExpiry(() => socket.destroy());
    const alpn = await deadline.race(secureConnected(socket));
    if (alpn !== 'h2') {
      if (version === 'h2') {
        socket.destroy();
        throw handshakeError(`server did not select h2 (ALPN ${String(alpn)})`);
      }
      return await deadline.race(handshakeHttp1(socket, u, options));
    }
    const session = new Http2ClientSession(new URL(`https://${u.host}`), {}, socket);
    deadline.onExpiry(() => {
      session.destroy();
    });
    const ws = await deadline.race(handshakeHttp2(session, u, options, version === 'h2'));
    if (ws !== null) return ws;
    // The server speaks h2 without extended CONNECT: HTTP/1.1 on a new connection.
    const h1 = openSocket(u, true, ['http/1.1'], options.tls);
    deadline.onExpiry(() => h1.destroy());
    return await deadline.race(handshakeHttp1(h1, u, options));
  } finally {
    deadline.clear();
  }
}

function openSocket(u: URL, isSecure: boolean, alpn: string[], tls: ConnectionOptions | undefined): Socket {
  if (isSecure) return openTls(u, alpn, tls);
  const socket = netConnect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) });
  socket.setNoDelay(true);
  return socket;
}

function openTls(u: URL, alpn: string[], tls: ConnectionOptions | undefined): TLSSocket {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const socket = tlsConnect({
    host,
    port: Number(u.port || 443),
    servername: host,
    ALPNProtocols: alpn,
    ...tls,
  });
  socket.setNoDelay(true);
  return socket;
}

function secureConnected(socket: TLSSocket): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new ClientError(ClientErrorCode.CONNECT_FAILED, err.message, { cause: err }));
    };
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      resolve(socket.alpnProtocol ?? false);
    });
    socket.once('error', onError);
  });
}

function offeredProtocols(options: WebSocketClientOptions): string[] {
  const p = options.protocols;
  if (p === undefined) return [];
  return typeof p === 'string' ? [p] : [...p];
}

function deflateOffer(options: WebSocketClientOptions): PerMessageDeflateOptions | undefined {
  const d = options.perMessageDeflate;
  if (d === undefined || d === false) return undefined;
  return d === true ? {} : d;
}

/** RFC 6455 §4.1: the server's subprotocol must be one we offered. */
function checkProtocol(selected: string | undefined, offered: readonly string[]): string {
  if (selected === undefined || selected === '') return '';
  if (!offered.includes(selected))
    throw handshakeError(`server selected subprotocol ${selected.slice(0, 32)} we did not offer`);
  return selected;
}

function checkExtensions(
  header: string | undefined,
  offer: PerMessageDeflateOptions | undefined,
): PerMessageDeflateParams | null {
  if (header === undefined || header.trim() === '') return null;
  if (offer === undefined) throw handshakeError('server selected an extension we did not offer');
  try {
    return acceptPerMessageDeflateResponse(header, offer);
  } catch (err) {
    throw handshakeError('bad Sec-WebSocket-Extensions', err);
  }
}

function makeWebSocket(
  options: WebSocketClientOptions,
  protocol: string,
  extensions: string,
  params: PerMessageDeflateParams | null,
  httpVersion: WebSocketHttpVersion,
): WebSocket {
  const z = typeof options.perMessageDeflate === 'object' ? options.perMessageDeflate : {};
  return new WebSocket({
    role: 'client',
    protocol,
    extensions: params === null ? '' : extensions,
    httpVersion,
    deflater: params === null ? undefined : new ZlibMessageDeflater(params, 'client', z),
    options,
  });
}

// ---- HTTP/1.1 ---------------------------------------------------------------------------------------

const latin1Decoder = new TextDecoder('latin1');

async function handshakeHttp1(socket: Socket, u: URL, options: WebSocketClientOptions): Promise<WebSocket> {
  const key = generateKey(randomFill);
  const offered = offeredProtocols(options);
  const offer = deflateOffer(options);
  let head =
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
    `sec-websocket-key: ${key}\r\nsec-websocket-version: ${WEBSOCKET_VERSION}\r\n`;
  if (offered.length > 0) head += `sec-websocket-protocol: ${offered.join(', ')}\r\n`;
  if (offer !== undefined) head += `sec-websocket-extensions: ${buildPerMessageDeflateOffer(offer)}\r\n`;
  for (const [n, v] of options.headers ?? []) {
    if (/[\r\n]/.test(n) || /[\r\n]/.test(v)) throw new UsageError('ERR_INVALID_ARG', 'header with CR or LF');
    head += `${n}: ${v}\r\n`;
  }
  socket.write(head + '\r\n', 'latin1');
  const { status, fields, rest } = await readResponseHead(
    socket,
    options.maxResponseHeadBytes ?? DEFAULT_MAX_HEAD,
  );
  const get = (name: string): string | undefined => fields.get(name);
  try {
    // RFC 6455 §4.1: anything but 101 fails the handshake (redirects are not followed).
    if (status !== 101) throw handshakeError(`status ${status}`);
    if (get('upgrade')?.trim().toLowerCase() !== 'websocket') throw handshakeError('no Upgrade: websocket');
    if (!(get('connection') ?? '').split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) {
      throw handshakeError('no Connection: Upgrade');
    }
    if (get('sec-websocket-accept')?.trim() !== computeAccept(key, sha1)) {
      throw handshakeError('bad Sec-WebSocket-Accept');
    }
    const protocol = checkProtocol(get('sec-websocket-protocol')?.trim(), offered);
    const extHeader = get('sec-websocket-extensions');
    const params = checkExtensions(extHeader, offer);
    const ws = makeWebSocket(options, protocol, extHeader?.trim() ?? '', params, 'http/1.1');
    const pipe = new NetPipe(socket, ws.sink);
    ws.attach(pipe, rest);
    return ws;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Reads an HTTP/1.1 response head; resolves with its status, fields (last value wins) and the bytes after. */
function readResponseHead(
  socket: Socket,
  maxBytes: number,
): Promise<{ status: number; fields: Map<string, string>; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new ClientError(ClientErrorCode.CONNECT_FAILED, err.message, { cause: err }));
    };
    const onClose = (): void => {
      cleanup();
      reject(
        new ClientError(
          ClientErrorCode.CONNECTION_CLOSED,
          'connection closed during the WebSocket handshake',
        ),
      );
    };
    const onData = (d: Buffer): void => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > maxBytes) {
          cleanup();
          socket.destroy();
          reject(handshakeError(`response head above ${maxBytes} bytes`));
        }
        return;
      }
      cleanup();
      // Nothing more is read until the pipe takes over (bytes after the head are kept as `rest`).
      socket.pause();
      const lines = latin1Decoder.decode(buf.subarray(0, end)).split('\r\n');
      const m = /^HTTP\/1\.1 (\d{3})(?: |$)/.exec(lines[0] ?? '');
      if (m === null) {
        socket.destroy();
        reject(handshakeError('malformed status line'));
        return;
      }
      const fields = new Map<string, string>();
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        const prev = fields.get(name);
        fields.set(name, prev === undefined ? value : `${prev}, ${value}`);
      }
      resolve({ status: Number(m[1]), fields, rest: new Uint8Array(buf.subarray(end + 4)) });
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** A node:net (or node:tls) socket as a pipe. */
class NetPipe implements WebSocketPipe {
  private readonly socket: Socket;
  private readonly sink: WebSocketPipeSink;
  private error: Error | undefined = undefined;

  constructor(socket: Socket, sink: WebSocketPipeSink) {
    this.socket = socket;
    this.sink = sink;
    socket.on('data', (d: Buffer) => {
      sink.onPipeData(d, 0, d.length);
    });
    socket.on('end', () => {
      sink.onPipeEnd();
    });
    socket.on('drain', () => {
      sink.onPipeDrain();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      sink.onPipeClose(this.error);
    });
    socket.resume();
  }

  write(chunks: Uint8Array[]): boolean {
    const s = this.socket;
    if (s.destroyed || s.writableEnded) return false;
    if (chunks.length === 1) return s.write(chunks[0]!);
    s.cork();
    let ok = true;
    for (const c of chunks) ok = s.write(c);
    s.uncork();
    return ok;
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
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
}

// ---- HTTP/2 -----------------------------------------------------------------------------------------

/**
 * RFC 8441 §4-§5: waits for the server's SETTINGS (a PING's answer follows them), then sends the extended
 * CONNECT. Returns null when the server did not enable it and `isRequired` is false.
 */
async function handshakeHttp2(
  session: Http2ClientSession,
  u: URL,
  options: WebSocketClientOptions,
  isRequired: boolean,
): Promise<WebSocket | null> {
  try {
    await session.ping();
  } catch (err) {
    session.destroy();
    throw new ClientError(ClientErrorCode.CONNECT_FAILED, 'HTTP/2 connection failed', { cause: err });
  }
  if (!session.conn.remoteSettings.enableConnectProtocol) {
    session.destroy();
    if (isRequired) throw handshakeError('the HTTP/2 server does not enable extended CONNECT (RFC 8441)');
    return null;
  }
  const offered = offeredProtocols(options);
  const offer = deflateOffer(options);
  const headers: Array<[string, string]> = [
    [':protocol', 'websocket'],
    ['sec-websocket-version', WEBSOCKET_VERSION],
  ];
  if (offered.length > 0) headers.push(['sec-websocket-protocol', offered.join(', ')]);
  if (offer !== undefined) headers.push(['sec-websocket-extensions', buildPerMessageDeflateOffer(offer)]);
  for (const [n, v] of options.headers ?? []) headers.push([n.toLowerCase(), v]);
  const pipe = new Http2Pipe(session, options.highWaterMarkBytes ?? 64 * 1024);
  let res: Http2ClientResponse;
  try {
    res = await session.request({
      method: 'CONNECT',
      path: `${u.pathname}${u.search}`,
      headers,
      body: pipe.body(),
    });
  } catch (err) {
    session.destroy();
    throw handshakeError('extended CONNECT failed', err);
  }
  try {
    // RFC 8441 §5: a 2xx answer opens the WebSocket.
    if (res.status < 200 || res.status > 299) throw handshakeError(`status ${res.status}`);
    const protocol = checkProtocol(res.header('sec-websocket-protocol')?.trim(), offered);
    const extHeader = res.header('sec-websocket-extensions');
    const params = checkExtensions(extHeader, offer);
    const ws = makeWebSocket(options, protocol, extHeader?.trim() ?? '', params, 'h2');
    pipe.attach(ws.sink, res);
    ws.attach(pipe);
    return ws;
  } catch (err) {
    session.destroy();
    throw err;
  }
}

/**
 * The extended CONNECT stream as a pipe: sent bytes are the request body (an async iterable the session
 * pulls only while the stream has window, so the queue here is the backpressure), received bytes the
 * response body. One session per WebSocket: closing the WebSocket closes the session.
 */
class Http2Pipe extends StreamBodyPipe implements WebSocketPipe {
  private readonly session: Http2ClientSession;
  private readonly highWaterMark: number;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private wakeWriter: (() => void) | undefined = undefined;
  private streamId = 0;

  constructor(session: Http2ClientSession, highWaterMark: number) {
    super();
    this.session = session;
    this.highWaterMark = highWaterMark;
  }

  async *body(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.queue.length > 0) {
        const chunks = this.queue;
        this.queue = [];
        const n = this.queued;
        this.queued = 0;
        const wasAbove = n >= this.highWaterMark;
        yield chunks.length === 1 ? chunks[0]! : join(chunks, n);
        if (wasAbove && this.queued < this.highWaterMark) this.sink?.onPipeDrain();
        continue;
      }
      if (this.isWriteDone || this.isClosed) return;
      await new Promise<void>((resolve) => (this.wakeWriter = resolve));
    }
  }

  attach(sink: WebSocketPipeSink, res: Http2ClientResponse): void {
    this.sink = sink;
    this.streamId = res.streamId;
    void this.readBody(res.body);
  }

  write(chunks: Uint8Array[]): boolean {
    if (this.isWriteDone || this.isClosed) return false;
    for (const c of chunks) {
      // Lifetime: the core never reuses handed-out chunks, so they are queued by reference.
      this.queue.push(c);
      this.queued += c.length;
    }
    this.notifyWriter();
    return this.queued < this.highWaterMark;
  }

  private notifyWriter(): void {
    const w = this.wakeWriter;
    this.wakeWriter = undefined;
    w?.();
  }

  get pendingBytes(): number {
    return this.queued;
  }

  end(): void {
    if (this.isWriteDone) return;
    this.isWriteDone = true;
    this.notifyWriter();
    this.checkDone();
  }

  destroy(error?: Error): void {
    if (this.isClosed) return;
    if (this.streamId !== 0) {
      this.session.cancel(
        this.streamId,
        error ?? new ClientError(ClientErrorCode.ABORTED, 'WebSocket terminated'),
      );
    }
    this.close(error);
  }

  protected override close(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.notifyWriter();
    this.resume();
    void this.session.close().then(
      () => undefined,
      () => undefined,
    );
    this.sink?.onPipeClose(error);
  }
}

function join(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
