/**
 * {@link CompatSocket}: what `req.socket` / `res.socket` are under `hayate/compat`. Not a `net.Socket`: hayate
 * does not hand its transport sockets to handlers (one connection carries many HTTP/2 streams, and the native
 * transport has no `net.Socket` at all). It carries what frameworks read (addresses, `encrypted`,
 * `readable`/`writable`, `destroyed`) and emits `'close'` when the peer goes away while the request's
 * response is open, which is what on-finished, Koa and Fastify listen for. One facade per request, made on
 * first access.
 */
import { EventEmitter } from 'node:events';
import type { ServerRequest } from '../server/index.js';
import type { CompatHost, IncomingMessage } from './incoming-message.js';
import { watchListeners } from './watch-listeners.js';

/** A socket-shaped facade over one request's connection (see the file comment). */
export class CompatSocket extends EventEmitter {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  readonly localAddress: string;
  readonly localPort: number;
  /** `true` on TLS, `undefined` otherwise (as `tls.TLSSocket` / `net.Socket`). */
  readonly encrypted: true | undefined;
  /** `'h2'` on HTTP/2, `false` otherwise (as `tls.TLSSocket#alpnProtocol`). */
  readonly alpnProtocol: string | false;
  destroyed = false;
  /** The request this facade belongs to. */
  readonly message: IncomingMessage;
  private readonly request: ServerRequest;

  constructor(message: IncomingMessage, req: ServerRequest, host: CompatHost) {
    super();
    this.message = message;
    this.request = req;
    this.remoteAddress = req.remoteAddress;
    this.remotePort = req.remotePort;
    this.remoteFamily = req.remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
    // The listening address: hayate does not report each connection's own local address.
    this.localAddress = host.localAddress;
    this.localPort = host.localPort;
    this.encrypted = host.isEncrypted ? true : undefined;
    this.alpnProtocol = req.protocol === 'h2' ? 'h2' : false;
  }

  get readable(): boolean {
    return !this.destroyed && !this.request.aborted;
  }

  get writable(): boolean {
    return !this.destroyed && !this.request.aborted;
  }

  /** `{ address, family, port }` of the listening side. */
  address(): { address: string; family: string; port: number } {
    return {
      address: this.localAddress,
      family: this.localAddress.includes(':') ? 'IPv6' : 'IPv4',
      port: this.localPort,
    };
  }

  /** Ends this request's response abnormally (HTTP/1.1: the connection closes; HTTP/2: the stream resets). */
  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.message.compatResponse?.destroy(error);
    return this;
  }

  /** As {@link destroy}. */
  end(): this {
    return this.destroy();
  }

  /** The peer went away: `'close'` (once). */
  peerClosed(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close', false);
  }

  /** No-op: hayate's timeouts are the server's `limits`. */
  setTimeout(msecs?: number, callback?: () => void): this;
  setTimeout(): this {
    return this;
  }

  /** No-op: the transport owns socket options. */
  setNoDelay(): this {
    return this;
  }

  /** No-op. */
  setKeepAlive(): this {
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

  /** No-op (writes are batched per event-loop turn by the server). */
  cork(): void {
    // Nothing to do.
  }

  /** No-op. */
  uncork(): void {
    // Nothing to do.
  }
}

watchListeners(CompatSocket.prototype, new Set<string | symbol>(['close', 'error']), (socket) => {
  socket.message.compatResponse?.watchAbort();
});
