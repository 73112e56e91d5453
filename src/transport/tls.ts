/**
 * The portable TLS transport over node:tls, with ALPN (RFC 7301) so one port serves `h2` and `http/1.1`
 * (RFC 9113 §3.2). Sockets follow the {@link TransportSocket} contract and report the negotiated protocol.
 */
import { createServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { listenNodeServer, NetSocket } from './net.js';
import type {
  ListenOptions,
  SocketHandler,
  Transport,
  TransportListener,
  TransportSocket,
} from './socket.js';

/** ALPN identifiers offered by default, most preferred first. */
export const DEFAULT_ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1'];

/** A TLS socket: a {@link NetSocket} over the decrypted stream, plus the ALPN result. */
export class TlsSocket implements TransportSocket {
  readonly transport = 'tls';
  readonly socket: TLSSocket;
  /** The protocol chosen by ALPN (`h2`, `http/1.1`), or `false` when the client offered none. */
  readonly alpnProtocol: string | false;
  private readonly inner: NetSocket;

  constructor(socket: TLSSocket) {
    this.socket = socket;
    this.alpnProtocol = socket.alpnProtocol ?? false;
    this.inner = new NetSocket(socket);
  }

  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }
  get remotePort(): number {
    return this.inner.remotePort;
  }
  get pendingBytes(): number {
    return this.inner.pendingBytes;
  }
  get bytesRead(): number {
    return this.inner.bytesRead;
  }
  get bytesWritten(): number {
    return this.inner.bytesWritten;
  }
  /** The negotiated TLS version (`TLSv1.3`, `TLSv1.2`), or null before the handshake. */
  get tlsVersion(): string | null {
    return this.socket.getProtocol();
  }
  get isClosed(): boolean {
    return this.inner.isClosed;
  }
  setHandler(handler: SocketHandler): void {
    this.inner.setHandler(handler);
  }
  write(chunks: readonly Uint8Array[]): boolean {
    return this.inner.write(chunks);
  }
  sendFile(fd: number, offset: number, length: number, done: (error: Error | undefined) => void): void {
    this.inner.sendFile(fd, offset, length, done);
  }
  pause(): void {
    this.inner.pause();
  }
  resume(): void {
    this.inner.resume();
  }
  end(): void {
    this.inner.end();
  }
  destroy(error?: Error): void {
    this.inner.destroy(error);
  }
}

/** Options of {@link TlsTransport}: node:tls server options (key, cert, ...) plus the ALPN list. */
export interface TlsTransportOptions extends TlsOptions {
  /** ALPN protocols in preference order (default `['h2', 'http/1.1']`). */
  readonly alpnProtocols?: readonly string[];
}

class TlsListener implements TransportListener {
  readonly port: number;
  readonly host: string;
  private readonly server: ReturnType<typeof createServer>;

  constructor(server: ReturnType<typeof createServer>, host: string) {
    this.server = server;
    this.host = host;
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

/** The node:tls transport. Handshake failures are dropped silently (no socket reaches the handler). */
export class TlsTransport implements Transport {
  readonly name = 'net';
  private readonly options: TlsTransportOptions;

  constructor(options: TlsTransportOptions) {
    this.options = options;
  }

  listen(
    options: ListenOptions,
    onConnection: (socket: TransportSocket) => void,
  ): Promise<TransportListener> {
    const { alpnProtocols, ...tlsOptions } = this.options;
    const server = createServer({
      ...tlsOptions,
      ALPNProtocols: [...(alpnProtocols ?? DEFAULT_ALPN_PROTOCOLS)],
      allowHalfOpen: true,
      ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeout: options.handshakeTimeoutMs }),
    });
    server.on('secureConnection', (s: TLSSocket) => {
      s.setNoDelay(true);
      onConnection(new TlsSocket(s));
    });
    server.on('tlsClientError', (_err: Error, s: TLSSocket) => {
      // A failed or timed-out handshake never became a connection; nothing to report. With a listener
      // here node:tls leaves the socket to us: destroy it, or every failed handshake keeps a descriptor.
      s.destroy();
    });
    return listenNodeServer(server, options, () => new TlsListener(server, options.host));
  }
}
