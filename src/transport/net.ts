/**
 * The portable transport over node:net: used when the native addon is unavailable, and as the reference
 * the native transport is tested against. Files are sent with fs.createReadStream (no sendfile).
 */
import { createReadStream } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type {
  ListenOptions,
  SocketHandler,
  Transport,
  TransportListener,
  TransportSocket,
} from './socket.js';
import { listenError, TransportError, validatePort } from './errors.js';

/** Responses up to this size are copied into one buffer before writing (see NetSocket.write). */
const SMALL_WRITE_BYTES = 4096;

interface FileJob {
  readonly fd: number;
  readonly offset: number;
  readonly length: number;
  readonly done: (error: Error | undefined) => void;
}

/** The error a socket closed with: `ERR_SOCKET_ERROR`, the system error in `cause`, `errno` and `syscall`. */
function socketError(cause: NodeJS.ErrnoException | undefined): TransportError {
  return new TransportError(
    'ERR_SOCKET_ERROR',
    `socket error: ${cause?.code ?? cause?.message ?? 'unknown'}`,
    {
      cause,
      ...(cause?.code === undefined ? {} : { errno: cause.code }),
      ...(cause?.syscall === undefined ? {} : { syscall: cause.syscall }),
    },
  );
}

/** A node:net socket behind the {@link TransportSocket} contract. */
export class NetSocket implements TransportSocket {
  readonly transport = 'net';
  readonly socket: Socket;
  private handler: SocketHandler | undefined;
  private closed = false;
  /** Output waiting behind a file being streamed (order is preserved). */
  private readonly waiting: (Uint8Array | FileJob)[] = [];
  private waitingBytes = 0;
  private isStreaming = false;
  private isEnding = false;
  /** The last 'error' event, reported as the cause when 'close' follows. */
  private error: NodeJS.ErrnoException | undefined = undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (buf: Buffer) => {
      // After end() input is read only to see the peer's FIN (TransportSocket.end): dropped here.
      if (this.isEnding) return;
      // Lifetime: node:net hands a fresh Buffer per read, but the contract only promises the call.
      this.handler?.onData(buf, 0, buf.byteLength);
    });
    socket.on('end', () => this.handler?.onEnd());
    socket.on('drain', () => {
      if (!this.isStreaming && this.waiting.length === 0) this.handler?.onDrain();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // 'close' follows with hadError; the error itself is reported there.
      this.error = err;
    });
    socket.on('close', (hadError: boolean) => {
      if (this.closed) return;
      this.closed = true;
      this.failWaiting(new TransportError('ERR_SOCKET_CLOSED', 'socket closed'));
      this.handler?.onClose(hadError ? socketError(this.error) : undefined);
    });
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get pendingBytes(): number {
    return this.socket.writableLength + this.waitingBytes;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setHandler(handler: SocketHandler): void {
    this.handler = handler;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    if (this.isStreaming) {
      for (const c of chunks) {
        this.waiting.push(c);
        this.waitingBytes += c.byteLength;
      }
      return false;
    }
    if (chunks.length === 1) return this.socket.write(chunks[0]!);
    // A small response (head + body) goes out as one buffer: one write call instead of a corked writev
    // with its per-chunk bookkeeping. Larger ones keep the zero-copy writev.
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    if (total <= SMALL_WRITE_BYTES) return this.socket.write(Buffer.concat(chunks, total));
    this.socket.cork();
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c) && ok;
    this.socket.uncork();
    return ok && this.socket.writableLength === 0;
  }

  sendFile(fd: number, offset: number, length: number, done: (error: Error | undefined) => void): void {
    const job: FileJob = { fd, offset, length, done };
    if (this.isStreaming) {
      this.waiting.push(job);
      this.waitingBytes += length;
      return;
    }
    this.stream(job);
  }

  private stream(job: FileJob): void {
    if (this.closed) {
      job.done(new TransportError('ERR_SOCKET_CLOSED', 'socket closed'));
      return;
    }
    if (job.length === 0) {
      job.done(undefined);
      return;
    }
    this.isStreaming = true;
    const rs = createReadStream('', {
      fd: job.fd,
      start: job.offset,
      end: job.offset + job.length - 1,
      autoClose: false,
      highWaterMark: 64 * 1024,
    });
    let finished = false;
    // With autoClose off the stream emits 'end' (or 'error') but never 'close'.
    const finish = (failed: Error | undefined): void => {
      if (finished) return;
      finished = true;
      this.isStreaming = false;
      job.done(failed);
      if (failed !== undefined) {
        this.destroy(failed);
        return;
      }
      this.drainWaiting();
    };
    rs.on('data', (chunk) => {
      if (!this.socket.write(chunk)) {
        rs.pause();
        this.socket.once('drain', () => rs.resume());
      }
    });
    rs.on('error', (err) => {
      finish(err);
    });
    rs.on('end', () => {
      finish(undefined);
    });
  }

  private drainWaiting(): void {
    while (this.waiting.length > 0 && !this.isStreaming && !this.closed) {
      const next = this.waiting.shift()!;
      if (next instanceof Uint8Array) {
        this.waitingBytes -= next.byteLength;
        this.socket.write(next);
      } else {
        this.waitingBytes -= next.length;
        this.stream(next);
      }
    }
    if (!this.isStreaming && this.waiting.length === 0) {
      if (this.isEnding) this.socket.end();
      else if (this.socket.writableLength === 0) this.handler?.onDrain();
    }
  }

  private failWaiting(err: Error): void {
    for (const w of this.waiting.splice(0)) if (!(w instanceof Uint8Array)) w.done(err);
    this.waitingBytes = 0;
  }

  pause(): void {
    if (this.isEnding) return;
    this.socket.pause();
  }

  resume(): void {
    if (this.isEnding) return;
    this.socket.resume();
  }

  end(): void {
    if (this.closed || this.isEnding) return;
    this.isEnding = true;
    // A paused socket would never see the peer's FIN: nothing would ever close it (an fd leak per peer
    // that waits for us to close). Read on, discarding, so 'end' arrives and autoDestroy closes it.
    this.socket.resume();
    if (!this.isStreaming && this.waiting.length === 0) this.socket.end();
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failWaiting(error ?? new TransportError('ERR_SOCKET_CLOSED', 'socket destroyed'));
    this.socket.destroy();
    this.handler?.onClose(error);
  }
}

class NetListener implements TransportListener {
  readonly port: number;
  readonly host: string;
  private readonly server: Server;

  constructor(server: Server, host: string) {
    this.server = server;
    this.host = host;
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  close(): Promise<void> {
    // net.Server#close stops accepting at once but calls back only when every connection has ended;
    // connections are the server's business, so resolve as soon as the port is released.
    this.server.close();
    return Promise.resolve();
  }
}

/** The node:net transport. */
export class NetTransport implements Transport {
  readonly name = 'net';

  listen(
    options: ListenOptions,
    onConnection: (socket: TransportSocket) => void,
  ): Promise<TransportListener> {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
      onConnection(new NetSocket(s));
    });
    return listenNodeServer(server, options, () => new NetListener(server, options.host));
  }
}

/**
 * Binds a node:net or node:tls server: a bad port rejects before any socket is made (as on the native
 * transport), a listen failure rejects with the typed TransportError naming the address.
 */
export function listenNodeServer<L>(
  server: Server,
  options: ListenOptions,
  makeListener: () => L,
): Promise<L> {
  return new Promise((resolve, reject) => {
    // Thrown here, a bad port rejects the promise.
    const port = validatePort(options.port);
    const onError = (err: Error): void => {
      reject(listenError(err, options.host, port));
    };
    server.once('error', onError);
    server.listen({ host: options.host, port, backlog: options.backlog }, () => {
      server.off('error', onError);
      resolve(makeListener());
    });
  });
}
