/**
 * The portable transport over node:net: used when the native addon is unavailable, and as the reference
 * the native transport is tested against. Files are read into pooled buffers and written (no sendfile).
 */
import { read, readSync } from 'node:fs';
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

/** Read size of a file sent over node:net (fs.createReadStream's default highWaterMark). */
const FILE_CHUNK_BYTES = 64 * 1024;
/**
 * A whole file (or range) up to this size is read synchronously: for a page-cached file a 16 KiB read
 * takes microseconds, like the synchronous open/fstat before it (src/server/static.ts), while a thread-pool
 * read costs two event-loop turns and queues behind every other file of the process (measured with the
 * example app, 100 connections on a 134-byte file: 11.6k req/s, p99 145 ms before).
 */
const SYNC_READ_BYTES = 16 * 1024;
/** Free file read buffers kept for reuse by every socket of the process (2 MiB at most). */
const MAX_POOLED_CHUNKS = 32;

/**
 * A reusable file read buffer. Reuse is the point: a fresh 64 KiB buffer per read (what
 * fs.createReadStream allocates) is external memory that only a scavenge or a full mark-compact frees,
 * and a server whose JS side allocates little ran into external-memory-driven mark-compacts every few
 * requests (server/static-1m: twice the full GCs of the same server a few commits earlier; pooled, the
 * CPU per response is about half of either).
 */
class FileChunk {
  readonly bytes: Buffer = Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES);
  /**
   * The socket's write callback: node:net calls it once the bytes reached the kernel, or with an error
   * once it no longer holds them (never while libuv may still read the buffer), so the chunk is free.
   */
  readonly release = (): void => {
    if (freeChunks.length < MAX_POOLED_CHUNKS) freeChunks.push(this);
  };
}

const freeChunks: FileChunk[] = [];

function takeChunk(): FileChunk {
  return freeChunks.pop() ?? new FileChunk();
}

/**
 * One file being sent on a {@link NetSocket}: reads a chunk ahead while the previous one is written and
 * waits for 'drain' before writing more (the socket holds at most one chunk beyond its high-water mark).
 */
class FileSend {
  private readonly owner: NetSocket;
  private readonly job: FileJob;
  private readonly end: number;
  /** Offset of the next read. */
  private readPos: number;
  /** A chunk read and not yet written, `readyBytes` long. */
  private ready: FileChunk | null = null;
  private readyBytes = 0;
  private isWaitingForDrain = false;
  private reading: FileChunk | null = null;
  private readonly onRead = (err: NodeJS.ErrnoException | null, bytesRead: number): void => {
    const chunk = this.reading!;
    this.reading = null;
    if (err !== null || bytesRead === 0) {
      chunk.release();
      this.owner.fileDone(
        err ??
          new TransportError(
            'ERR_FILE_TRUNCATED',
            `file ended at offset ${this.readPos} before ${this.end} (sendFile length)`,
          ),
      );
      return;
    }
    this.readPos += bytesRead;
    this.ready = chunk;
    this.readyBytes = bytesRead;
    this.pump();
  };

  constructor(owner: NetSocket, job: FileJob) {
    this.owner = owner;
    this.job = job;
    this.readPos = job.offset;
    this.end = job.offset + job.length;
  }

  get done(): (error: Error | undefined) => void {
    return this.job.done;
  }

  /** 'drain' arrived: write the chunk read ahead, if any, and go on. */
  drained(): void {
    this.isWaitingForDrain = false;
    this.pump();
  }

  /** Writes what can be written, starts the next read, or ends: called after every event. */
  pump(): void {
    if (this.owner.isClosed) {
      // A read in flight still uses the fd (the caller closes it after `done`): its callback ends this.
      if (this.reading !== null) return;
      this.ready?.release();
      this.ready = null;
      this.owner.fileDone(new TransportError('ERR_SOCKET_CLOSED', 'socket closed'));
      return;
    }
    const ready = this.ready;
    if (ready !== null && !this.isWaitingForDrain) {
      this.ready = null;
      const n = this.readyBytes;
      const view = n === ready.bytes.byteLength ? ready.bytes : ready.bytes.subarray(0, n);
      this.isWaitingForDrain = !this.owner.socket.write(view, ready.release);
    }
    if (this.ready !== null || this.reading !== null) return;
    if (this.readPos >= this.end) {
      this.owner.fileDone(undefined);
      return;
    }
    const chunk = takeChunk();
    this.reading = chunk;
    const want = Math.min(FILE_CHUNK_BYTES, this.end - this.readPos);
    if (want === this.end - this.job.offset && want <= SYNC_READ_BYTES) {
      let bytesRead = 0;
      let error: NodeJS.ErrnoException | null = null;
      try {
        bytesRead = readSync(this.job.fd, chunk.bytes, 0, want, this.readPos);
      } catch (e) {
        error = e as NodeJS.ErrnoException;
      }
      this.onRead(error, bytesRead);
      return;
    }
    read(this.job.fd, chunk.bytes, 0, want, this.readPos, this.onRead);
  }
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
  /** The file being sent; output queued meanwhile waits in `waiting`. */
  private file: FileSend | null = null;
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
      if (this.file !== null) this.file.drained();
      else if (this.waiting.length === 0) this.handler?.onDrain();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // 'close' follows with hadError; the error itself is reported there.
      this.error = err;
    });
    socket.on('close', (hadError: boolean) => {
      if (this.closed) return;
      this.closed = true;
      this.failWaiting(new TransportError('ERR_SOCKET_CLOSED', 'socket closed'));
      this.file?.pump();
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

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get bytesWritten(): number {
    // node:net counts what it accepted, still-buffered bytes included.
    return this.socket.bytesWritten - this.socket.writableLength;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setHandler(handler: SocketHandler): void {
    this.handler = handler;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    if (this.file !== null) {
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
    // The stream's own verdict: 'drain' (and so onDrain) follows exactly when a write returned false.
    // Returning false for bytes merely buffered (writableLength > 0) waited for a 'drain' that never came:
    // node:tls on Node 22+ buffers after uncork, and HTTP/2 over TLS stalled after ~96 KiB.
    return ok;
  }

  sendFile(fd: number, offset: number, length: number, done: (error: Error | undefined) => void): void {
    const job: FileJob = { fd, offset, length, done };
    if (this.file !== null) {
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
    this.file = new FileSend(this, job);
    this.file.pump();
  }

  /** The file being sent is done (or failed, which closes the socket): goes on with what waits behind it. */
  fileDone(failed: Error | undefined): void {
    const done = this.file!.done;
    this.file = null;
    done(failed);
    if (failed !== undefined) {
      this.destroy(failed);
      return;
    }
    this.drainWaiting();
  }

  private drainWaiting(): void {
    while (this.waiting.length > 0 && this.file === null && !this.closed) {
      const next = this.waiting.shift()!;
      if (next instanceof Uint8Array) {
        this.waitingBytes -= next.byteLength;
        this.socket.write(next);
      } else {
        this.waitingBytes -= next.length;
        this.stream(next);
      }
    }
    if (this.file === null && this.waiting.length === 0) {
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
    if (this.file === null && this.waiting.length === 0) this.socket.end();
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failWaiting(error ?? new TransportError('ERR_SOCKET_CLOSED', 'socket destroyed'));
    this.file?.pump();
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
