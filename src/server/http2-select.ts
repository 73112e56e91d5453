/**
 * Protocol selection for HTTP/2 on a server (RFC 9113 §3): the h2c connection preface (prior knowledge),
 * and the HTTP/1.1 `Upgrade: h2c` path (RFC 7540 §3.2, still honoured for compatibility, RFC 9113 §3.1).
 * ALPN (`h2` vs `http/1.1`) is read from the TLS socket by the server that accepts it.
 */
import { CONNECTION_PREFACE } from '../http2/frame/header.js';
import type { SocketHandler, TransportSocket } from '../transport/socket.js';
import { Http2ServerConnection, type Http2ServerOptions } from './http2.js';
import type { ServerConnection, ServerCore } from './server-core.js';
import type { ServerRequest, UpgradeHandler } from './types.js';

/** Whether `bytes[start, end)` begins the HTTP/2 preface: 1 yes, 0 not yet known, -1 no. */
export function matchPreface(bytes: Uint8Array, start: number, end: number): -1 | 0 | 1 {
  const n = Math.min(end - start, CONNECTION_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[start + i] !== CONNECTION_PREFACE[i]) return -1;
  return n === CONNECTION_PREFACE.length ? 1 : 0;
}

/** Decodes base64url without padding (RFC 7540 §3.2.1 HTTP2-Settings); undefined when malformed. */
export function decodeHttp2Settings(value: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*=*$/.test(value)) return undefined;
  const bytes = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  return bytes.length % 6 === 0 ? new Uint8Array(bytes) : undefined;
}

const SWITCHING = new TextEncoder().encode(
  'HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n',
);

/** True when `req` asks for `Upgrade: h2c` with an HTTP2-Settings field and no body (what we accept). */
export function isH2cUpgrade(req: ServerRequest): boolean {
  const upgrade = req.headers.get('upgrade');
  if (upgrade === undefined || !upgrade.split(',').some((t) => t.trim().toLowerCase() === 'h2c'))
    return false;
  if (req.headers.get('http2-settings') === undefined) return false;
  // RFC 7540 §3.2: a request body would have to be read in HTTP/1.1 first; such requests stay on HTTP/1.1.
  const length = req.headers.get('content-length');
  return req.headers.get('transfer-encoding') === undefined && (length === undefined || length === '0');
}

/**
 * An {@link UpgradeHandler} that switches `Upgrade: h2c` requests to HTTP/2 (answering 101, then serving the
 * request as stream 1 with `core.handler`) and passes other upgrades to `next` (or closes the socket).
 */
export function h2cUpgradeHandler(
  getCore: () => ServerCore,
  options: Http2ServerOptions = {},
  next?: UpgradeHandler,
): UpgradeHandler {
  return (req: ServerRequest, socket: TransportSocket, head: Uint8Array): void => {
    const settings = isH2cUpgrade(req) ? decodeHttp2Settings(req.headers.get('http2-settings')!) : undefined;
    if (settings === undefined) {
      if (next !== undefined) next(req, socket, head);
      else socket.destroy();
      return;
    }
    socket.write([SWITCHING]);
    const c = new Http2ServerConnection(getCore(), socket, options);
    const fields: Array<[string, string]> = [];
    for (const [n, v] of req.headers.toArray()) {
      if (
        n === 'connection' ||
        n === 'upgrade' ||
        n === 'http2-settings' ||
        n === 'host' ||
        n === 'keep-alive'
      )
        continue;
      fields.push([n, v]);
    }
    c.startUpgrade(
      settings,
      { method: req.method, scheme: 'http', authority: req.headers.get('host'), path: req.target, fields },
      head,
    );
  };
}

/** A server that can start either protocol on a socket whose first bytes were read already. */
export interface ProtocolStarter extends ServerCore {
  startHttp2(socket: TransportSocket, initial: Uint8Array | undefined): void;
  startHttp1(socket: TransportSocket, initial: Uint8Array | undefined): void;
}

/**
 * Holds a plain-TCP connection until its first bytes tell the h2c preface (RFC 9113 §3.3, prior knowledge)
 * from HTTP/1.1; an HTTP/1 request differs at its first byte, so only a real preface is waited for.
 */
export class PrefaceSniffer implements SocketHandler, ServerConnection {
  readonly socket: TransportSocket;
  private readonly server: ProtocolStarter;
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(server: ProtocolStarter, socket: TransportSocket) {
    this.server = server;
    this.socket = socket;
    socket.setHandler(this);
  }

  onData(bytes: Uint8Array, start: number, end: number): void {
    // Lifetime: the transport's buffer dies after this call; keep a copy while undecided.
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
    // Nothing is written before the protocol is known.
  }

  onClose(): void {
    this.server.connectionClosed(this, undefined);
  }

  /** Nothing in flight yet: close at once. */
  shutdown(): void {
    this.socket.destroy();
  }
}
