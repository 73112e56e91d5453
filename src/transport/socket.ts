/**
 * The byte-pipe contract every transport implements (native poller, node:net, later node:tls). It knows
 * no HTTP: the server feeds `onData` bytes into a protocol core and writes the core's `takeOutput()` chunks.
 */

/** Callbacks a socket's owner installs with {@link TransportSocket.setHandler}. */
export interface SocketHandler {
  /**
   * Bytes arrived. Lifetime: `bytes[start..end)` is valid only during this call (it may be an arena slot
   * reused right after); copy anything kept longer.
   */
  onData(bytes: Uint8Array, start: number, end: number): void;
  /** The peer finished sending (FIN). Writing is still possible until `end()` or `destroy()`. */
  onEnd(): void;
  /** All queued output has been handed to the kernel. */
  onDrain(): void;
  /** The socket is closed; `error` when it closed because of one. Called exactly once. */
  onClose(error: Error | undefined): void;
}

/** A connected, non-blocking stream socket. */
export interface TransportSocket {
  /** `native` or `net` (or `tls`). */
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes accepted by `write`/`sendFile` and not yet handed to the kernel. */
  readonly pendingBytes: number;
  readonly isClosed: boolean;
  /** Bytes received from the peer so far (after TLS decryption on `tls`). */
  readonly bytesRead: number;
  /** Bytes handed to the kernel so far (files included; before TLS encryption on `tls`). */
  readonly bytesWritten: number;
  setHandler(handler: SocketHandler): void;
  /**
   * Queues `chunks` in order (writev). Lifetime: the transport keeps references to the chunks until they
   * are written, so callers must not mutate them afterwards. Returns false when the transport holds more
   * than it should (above its high-water mark): `onDrain` follows once it has written it; true otherwise.
   */
  write(chunks: readonly Uint8Array[]): boolean;
  /**
   * Queues `length` bytes of the open file `fd` from `offset`, after any earlier output (sendfile(2) on the
   * native transport, a read stream on the portable ones). `done` runs once they are written or failed.
   * The caller keeps ownership of `fd` and closes it after `done`.
   */
  sendFile(fd: number, offset: number, length: number, done: (error: Error | undefined) => void): void;
  /** Stops delivering `onData` (backpressure) until `resume()`. Ignored after `end()`. */
  pause(): void;
  resume(): void;
  /**
   * Half-closes (FIN) once queued output is written, then closes when the peer is done (or at once when it
   * already was). From this call on the socket reads and discards whatever the peer still sends (no more
   * `onData`, whether paused or not) so the peer's FIN is seen and reported with `onEnd`; a peer that never
   * closes is the owner's to time out with `destroy()`.
   */
  end(): void;
  /** Closes now, dropping queued output. */
  destroy(error?: Error): void;
}

/** Options for {@link Transport.listen}. */
export interface ListenOptions {
  /** Numeric address or `localhost`. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly backlog: number;
  /** SO_REUSEPORT (native transport): let several threads/processes bind the same port. */
  readonly reusePort: boolean;
  /**
   * TLS transports: time a new connection has to complete its handshake before it is destroyed (a peer
   * that never sends a ClientHello must not hold a descriptor for node:tls's 120 s default).
   */
  readonly handshakeTimeoutMs?: number;
}

/** A listening socket. */
export interface TransportListener {
  readonly port: number;
  readonly host: string;
  /** Stops accepting and closes the listening socket. Existing connections are untouched. */
  close(): Promise<void>;
}

/** A transport: something that can listen and hand out {@link TransportSocket}s. */
export interface Transport {
  readonly name: 'native' | 'net';
  listen(options: ListenOptions, onConnection: (socket: TransportSocket) => void): Promise<TransportListener>;
}
