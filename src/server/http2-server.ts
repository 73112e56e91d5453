/**
 * A standalone HTTP/2 server: h2c by prior knowledge on a plain transport, or h2 over TLS (ALPN `h2`).
 * The combined HTTP/1.1 + HTTP/2 server uses {@link Http2ServerSession} directly.
 */
import { NetTransport } from '../transport/net.js';
import type { Transport, TransportListener } from '../transport/socket.js';
import { TlsTransport } from '../transport/tls.js';
import type { TlsTransportOptions } from '../transport/tls.js';
import { Http2ServerSession } from './http2.js';
import type { Http2Handler, Http2ServerOptions } from './http2.js';

/** Options of {@link listenHttp2}. */
export interface ListenHttp2Options extends Http2ServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** TLS options (key, cert); without them the server speaks h2c with prior knowledge. */
  readonly tls?: TlsTransportOptions;
  /** A transport to listen with (default node:net, or node:tls when `tls` is given). */
  readonly transport?: Transport;
}

/** A running HTTP/2 server. */
export interface Http2Server {
  readonly port: number;
  /** Sends GOAWAY to every session and stops listening. */
  close(): Promise<void>;
}

/** Listens and serves HTTP/2 with `handler`. */
export async function listenHttp2(options: ListenHttp2Options, handler: Http2Handler): Promise<Http2Server> {
  const transport =
    options.transport ??
    (options.tls === undefined
      ? new NetTransport()
      : new TlsTransport({ alpnProtocols: ['h2'], ...options.tls }));
  const sessions = new Set<Http2ServerSession>();
  const listener: TransportListener = await transport.listen(
    { host: options.host ?? '127.0.0.1', port: options.port ?? 0, backlog: 511, reusePort: false },
    (socket) => {
      const session = new Http2ServerSession(socket, handler, options);
      sessions.add(session);
      session.onClosed = () => sessions.delete(session);
      session.start();
    },
  );
  return {
    port: listener.port,
    async close(): Promise<void> {
      for (const s of sessions) s.shutdown();
      await listener.close();
    },
  };
}
