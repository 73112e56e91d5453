/**
 * Sockets on the native addon's poller. One {@link NativeLoop} per thread owns the poller and the arena;
 * the addon calls `onBatch` once per batch of ready fds (STYLE §2), and the loop dispatches each record to
 * the socket or listener registered for that fd.
 *
 * Reads: for connected sockets the addon reads into a free arena slot itself and reports the byte count
 * (READ_DONE); the slot returns to the free list when the batch callback returns, so `onData` views are
 * valid only during the call. Writes go out immediately with writev; a partial write queues the rest and
 * arms WRITABLE interest, and `sendFile` segments continue with sendfile(2) on writability.
 * The poller is level-triggered (native/README.md), so pausing is just dropping READABLE interest.
 */
import { lookup } from 'node:dns/promises';
import { check, loadNative, NativeError, type NativeBinding } from './binding.js';
import { NativeErrno, PollEvent, PollKind, PollRecord } from './constants.js';
import { listenError, validatePort } from './errors.js';
import type {
  ListenOptions,
  SocketHandler,
  Transport,
  TransportListener,
  TransportSocket,
} from './socket.js';

const EAGAIN = -NativeErrno.EAGAIN;
const R = PollEvent.READABLE;
const W = PollEvent.WRITABLE;

/** Arena geometry; the first {@link NativeLoop.get} call in a thread decides it. */
export interface ArenaOptions {
  /**
   * Bytes per read slot (multiple of 64), the most one read(2) takes. Default 64 KiB, as node:net reads: a
   * slot is held only while its batch is dispatched (at most 256 records), and a smaller slot makes bulk
   * input cost a read and a JS dispatch per slot (16 KiB slots: 1.6x the server CPU per 16 KiB WebSocket
   * echo). At most 256 slots are touched, so up to 16 MiB resident under bursts (4 MiB with 16 KiB slots).
   */
  readonly slotSize: number;
  /**
   * Number of slots. Default 512 (32 MiB of address space, touched only as used): twice the batch size, since
   * slots are released when their batch has been dispatched.
   */
  readonly slotCount: number;
  /** Try MAP_HUGETLB (needs vm.nr_hugepages); otherwise plain pages advised with MADV_HUGEPAGE. */
  readonly hugetlb: boolean;
}

/** Default arena geometry. */
export const DEFAULT_ARENA_OPTIONS: ArenaOptions = Object.freeze({
  slotSize: 64 * 1024,
  slotCount: 512,
  hugetlb: false,
});

/** Receives the poller records for one fd. */
export interface FdHandler {
  onEvent(flags: number, slot: number, result: number): void;
}

/** A queued file segment (sendfile continuation state). */
class FileSegment {
  readonly fd: number;
  offset: number;
  remaining: number;
  readonly done: (error: Error | undefined) => void;

  constructor(fd: number, offset: number, remaining: number, done: (error: Error | undefined) => void) {
    this.fd = fd;
    this.offset = offset;
    this.remaining = remaining;
    this.done = done;
  }
}

/** The per-thread poller, arena and fd dispatch table. */
export class NativeLoop {
  private static instance: NativeLoop | undefined;
  readonly native: NativeBinding;
  readonly records: Int32Array;
  readonly arena: Uint8Array;
  readonly slotSize: number;
  private readonly handlers: (FdHandler | undefined)[] = [];
  private registered = 0;
  /** Batch callbacks received so far (one per batch, never one per fd). */
  batches = 0;
  /** Records received so far. */
  events = 0;
  /** Scratch buffer for reads when no arena slot was free. */
  readonly scratch = new Uint8Array(64 * 1024);

  private constructor(native: NativeBinding, arena: ArenaOptions) {
    this.native = native;
    const r = native.pollerStart((count) => {
      this.onBatch(count);
    });
    if (typeof r === 'number') throw new NativeError('pollerStart', r);
    this.records = r;
    const a = native.arenaInit(arena.slotSize, arena.slotCount, arena.hugetlb);
    if (a < 0 && a !== -NativeErrno.EEXIST) throw new NativeError('arenaInit', a);
    const buf = native.arenaBuffer();
    if (buf === undefined) throw new NativeError('arenaBuffer', -NativeErrno.ENOMEM);
    this.arena = new Uint8Array(buf);
    this.slotSize = native.arenaStats().slotSize;
  }

  /** The thread's loop, or `undefined` when the addon is unavailable (after one notice). */
  static get(arena: ArenaOptions = DEFAULT_ARENA_OPTIONS, quiet = false): NativeLoop | undefined {
    if (NativeLoop.instance === undefined) {
      const native = loadNative(quiet);
      if (native === undefined) return undefined;
      NativeLoop.instance = new NativeLoop(native, arena);
    }
    return NativeLoop.instance;
  }

  /** Registers `handler` for `fd` and tells the poller. */
  register(fd: number, kind: number, interest: number, handler: FdHandler, alreadyAdded = false): void {
    if (!alreadyAdded) check('pollerAdd', this.native.pollerAdd(fd, kind, interest));
    this.handlers[fd] = handler;
    if (this.registered++ === 0) this.native.pollerRef(true);
  }

  /** Forgets `fd` and closes it (close also unregisters it from the poller). */
  closeFd(fd: number): void {
    this.unregister(fd);
    this.native.close(fd);
  }

  /** Forgets `fd`'s handler without closing it (its owner closes it, e.g. `udpClose`). */
  unregister(fd: number): void {
    if (this.handlers[fd] !== undefined) {
      this.handlers[fd] = undefined;
      if (--this.registered === 0) this.native.pollerRef(false);
    }
  }

  /** Number of fds registered (sockets and listeners). */
  get registeredCount(): number {
    return this.registered;
  }

  private onBatch(count: number): void {
    this.batches++;
    this.events += count;
    const rec = this.records;
    const n = PollRecord.RECORD_INTS;
    for (let i = 0; i < count; i++) {
      const base = i * n;
      const fd = rec[base + PollRecord.FD]!;
      const flags = rec[base + PollRecord.FLAGS]!;
      const slot = rec[base + PollRecord.SLOT]!;
      const result = rec[base + PollRecord.RESULT]!;
      if ((flags & PollEvent.ACCEPTED) !== 0) {
        const listener = this.handlers[slot];
        if (listener instanceof NativeListenerImpl) listener.accepted(fd);
        else this.native.close(fd);
        continue;
      }
      this.handlers[fd]?.onEvent(flags, slot, result);
    }
  }
}

/** A connected socket on the native poller. */
export class NativeSocket implements TransportSocket, FdHandler {
  readonly transport = 'native';
  readonly fd: number;
  private readonly loop: NativeLoop;
  private handler: SocketHandler | undefined;
  private readonly queue: (Uint8Array | FileSegment)[] = [];
  /** Bytes of queue[0] already written (when it is a Uint8Array). */
  private headOffset = 0;
  private pending = 0;
  /** Bytes ever queued by write/sendFile; minus `pending`, the bytes written. */
  private accepted = 0;
  private received = 0;
  private interest: number = R;
  private isReading = true;
  private isEnding = false;
  private isPeerEnded = false;
  private closed = false;
  private peer: { address: string; port: number } | undefined;

  constructor(loop: NativeLoop, fd: number) {
    this.loop = loop;
    this.fd = fd;
  }

  get remoteAddress(): string {
    return this.peerInfo().address;
  }

  get remotePort(): number {
    return this.peerInfo().port;
  }

  get pendingBytes(): number {
    return this.pending;
  }

  get bytesRead(): number {
    return this.received;
  }

  get bytesWritten(): number {
    return this.accepted - this.pending;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private peerInfo(): { address: string; port: number } {
    if (this.peer === undefined) {
      const p = this.loop.native.peerName(this.fd);
      this.peer = typeof p === 'number' ? { address: '', port: 0 } : p;
    }
    return this.peer;
  }

  setHandler(handler: SocketHandler): void {
    this.handler = handler;
  }

  onEvent(flags: number, slot: number, result: number): void {
    if ((flags & PollEvent.READ_DONE) !== 0) {
      if (result > 0) {
        // Lifetime: the slot is released when the batch callback returns. After end() input is read only
        // to see the peer's FIN (TransportSocket.end): dropped here.
        const start = slot * this.loop.slotSize;
        this.received += result;
        if (!this.isEnding) this.handler?.onData(this.loop.arena, start, start + result);
      } else if (result === 0) {
        this.peerEnded();
      } else if (result !== EAGAIN) {
        this.destroy(new NativeError('read', result));
        return;
      }
    } else if ((flags & R) !== 0 && this.isReading) {
      // No arena slot was free: read into the scratch buffer instead.
      const got = this.loop.native.read(this.fd, this.loop.scratch);
      if (got > 0) {
        this.received += got;
        if (!this.isEnding) this.handler?.onData(this.loop.scratch, 0, got);
      } else if (got === 0) this.peerEnded();
      else if (got !== EAGAIN) {
        this.destroy(new NativeError('read', got));
        return;
      }
    }
    if (this.closed) return;
    if ((flags & PollEvent.ERROR) !== 0) {
      this.destroy(new NativeError('poll', -NativeErrno.ECONNRESET));
      return;
    }
    if ((flags & W) !== 0 && this.queue.length > 0) this.flush();
    // A hang-up while not reading would be reported again on every wait: nothing more can come or go.
    if (
      !this.isClosed &&
      (flags & PollEvent.HANGUP) !== 0 &&
      (flags & PollEvent.READ_DONE) === 0 &&
      !this.isReading
    ) {
      if (this.queue.length === 0 || (flags & W) === 0) this.destroy();
    }
  }

  private peerEnded(): void {
    if (this.isPeerEnded) return;
    this.isPeerEnded = true;
    this.isReading = false;
    this.updateInterest();
    this.handler?.onEnd();
    if (this.isEnding && this.queue.length === 0) this.destroy();
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    if (this.queue.length === 0) {
      let total = 0;
      for (const c of chunks) total += c.byteLength;
      if (total === 0) return true;
      this.accepted += total;
      const n =
        chunks.length === 1
          ? this.loop.native.write(this.fd, chunks[0]!, 0, total)
          : this.loop.native.writev(this.fd, chunks, 0);
      if (n === total) return true;
      if (n < 0 && n !== EAGAIN) {
        this.destroy(new NativeError('writev', n));
        return false;
      }
      let written = n < 0 ? 0 : n;
      let isFirst = true;
      for (const c of chunks) {
        if (written >= c.byteLength) {
          written -= c.byteLength;
          continue;
        }
        if (isFirst) this.headOffset = written;
        isFirst = false;
        this.queue.push(c);
        this.pending += c.byteLength - written;
        written = 0;
      }
      this.updateInterest();
      return false;
    }
    for (const c of chunks) {
      if (c.byteLength === 0) continue;
      this.queue.push(c);
      this.pending += c.byteLength;
      this.accepted += c.byteLength;
    }
    return false;
  }

  sendFile(fd: number, offset: number, length: number, done: (error: Error | undefined) => void): void {
    if (this.closed) {
      done(new NativeError('sendfile', -NativeErrno.EPIPE));
      return;
    }
    this.queue.push(new FileSegment(fd, offset, length, done));
    this.pending += length;
    this.accepted += length;
    if (this.queue.length === 1) this.flush();
  }

  /** Writes as much of the queue as the kernel takes; arms WRITABLE when something is left. */
  private flush(): void {
    const native = this.loop.native;
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      if (head instanceof FileSegment) {
        if (head.remaining === 0) {
          this.queue.shift();
          head.done(undefined);
          continue;
        }
        const n = native.sendfile(this.fd, head.fd, head.offset, head.remaining);
        if (n === EAGAIN) break;
        if (n <= 0) {
          // 0 means the file is shorter than announced: the response can no longer be completed.
          const err = new NativeError('sendfile', n === 0 ? -NativeErrno.EIO : n);
          this.queue.shift();
          head.done(err);
          this.destroy(err);
          return;
        }
        head.offset += n;
        head.remaining -= n;
        this.pending -= n;
        continue;
      }
      // Gather the run of byte chunks at the head (up to the addon's 64 iovecs).
      let end = 1;
      while (end < this.queue.length && end < 64 && !(this.queue[end] instanceof FileSegment)) end++;
      const batch = (end === this.queue.length ? this.queue : this.queue.slice(0, end)) as Uint8Array[];
      const n = native.writev(this.fd, batch, this.headOffset);
      if (n === EAGAIN) break;
      if (n < 0) {
        this.destroy(new NativeError('writev', n));
        return;
      }
      this.pending -= n;
      let left = n + this.headOffset;
      let consumed = 0;
      while (consumed < end && left >= (this.queue[consumed] as Uint8Array).byteLength) {
        left -= (this.queue[consumed] as Uint8Array).byteLength;
        consumed++;
      }
      this.queue.splice(0, consumed);
      this.headOffset = left;
      if (consumed < end) break;
    }
    if (this.closed) return;
    this.updateInterest();
    if (this.queue.length === 0) {
      if (this.isEnding) {
        this.loop.native.shutdown(this.fd);
        if (this.isPeerEnded) {
          this.destroy();
          return;
        }
      }
      this.handler?.onDrain();
    }
  }

  private updateInterest(): void {
    if (this.closed) return;
    const want = (this.isReading ? R : 0) | (this.queue.length > 0 ? W : 0);
    if (want === this.interest) return;
    this.interest = want;
    this.loop.native.pollerModify(this.fd, PollKind.SOCKET, want);
  }

  pause(): void {
    if (!this.isReading || this.isPeerEnded || this.isEnding) return;
    this.isReading = false;
    this.updateInterest();
  }

  resume(): void {
    if (this.isReading || this.isPeerEnded || this.closed || this.isEnding) return;
    this.isReading = true;
    this.updateInterest();
  }

  end(): void {
    if (this.closed || this.isEnding) return;
    this.isEnding = true;
    // Keep reading (discarding) until the peer's FIN, also while output is still queued, so a reset never
    // eats the response (RFC 9112 §9.6) and a paused socket still learns that the peer closed.
    if (!this.isReading && !this.isPeerEnded) {
      this.isReading = true;
      this.updateInterest();
    }
    if (this.queue.length === 0) {
      this.loop.native.shutdown(this.fd);
      if (this.isPeerEnded) this.destroy();
    }
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const queue = this.queue.splice(0);
    this.accepted -= this.pending; // never written
    this.pending = 0;
    this.loop.closeFd(this.fd);
    for (const q of queue) {
      if (q instanceof FileSegment) q.done(error ?? new NativeError('sendfile', -NativeErrno.EPIPE));
    }
    this.handler?.onClose(error);
  }
}

/** Test and internal hook: the concrete listener class (accepted fds are dispatched to it). */
class NativeListenerImpl implements TransportListener, FdHandler {
  readonly port: number;
  readonly host: string;
  private readonly loop: NativeLoop;
  private readonly fd: number;
  private readonly onConnection: (socket: TransportSocket) => void;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(loop: NativeLoop, fd: number, host: string, onConnection: (socket: TransportSocket) => void) {
    this.loop = loop;
    this.fd = fd;
    this.host = host;
    this.port = check('localPort', loop.native.localPort(fd));
    this.onConnection = onConnection;
  }

  accepted(fd: number): void {
    if (this.closed) {
      this.loop.native.close(fd);
      return;
    }
    const socket = new NativeSocket(this.loop, fd);
    // The addon already added the fd with READABLE interest.
    this.loop.register(fd, PollKind.SOCKET, R, socket, true);
    this.onConnection(socket);
  }

  onEvent(flags: number, _slot: number, result: number): void {
    if ((flags & PollEvent.ERROR) === 0 || this.closed) return;
    // EMFILE/ENFILE/ENOBUFS: level-triggered accept would spin; back off briefly, then listen again.
    if (result === -NativeErrno.EMFILE || result === -NativeErrno.ENFILE || result === -NativeErrno.ENOBUFS) {
      this.loop.native.pollerModify(this.fd, PollKind.LISTENER, 0);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        if (!this.closed) this.loop.native.pollerModify(this.fd, PollKind.LISTENER, R);
      }, 100);
      this.retry.unref();
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.retry !== undefined) clearTimeout(this.retry);
      this.loop.closeFd(this.fd);
    }
    return Promise.resolve();
  }
}

async function numericHost(host: string): Promise<string> {
  if (host === 'localhost') return '127.0.0.1';
  if (/^[0-9.]+$/.test(host) || host.includes(':')) return host;
  return (await lookup(host)).address;
}

/** The native transport (epoll/kqueue poller, arena reads, writev, sendfile). */
export class NativeTransport implements Transport {
  readonly name = 'native';
  readonly loop: NativeLoop;

  constructor(loop: NativeLoop) {
    this.loop = loop;
  }

  /** The transport, or `undefined` (after one notice unless `quiet`) when the addon is unavailable. */
  static create(arena?: ArenaOptions, quiet = false): NativeTransport | undefined {
    const loop = NativeLoop.get(arena, quiet);
    return loop === undefined ? undefined : new NativeTransport(loop);
  }

  async listen(
    options: ListenOptions,
    onConnection: (socket: TransportSocket) => void,
  ): Promise<TransportListener> {
    const port = validatePort(options.port);
    const host = await numericHost(options.host);
    const fd = this.loop.native.listen(host, port, options.backlog, options.reusePort);
    if (fd < 0) throw listenError(new NativeError('listen', fd), options.host, port);
    const listener = new NativeListenerImpl(this.loop, fd, host, onConnection);
    this.loop.register(fd, PollKind.LISTENER, R, listener);
    return listener;
  }
}
