/**
 * UDP sockets on the native addon's poller (Linux): each readable wakeup drains one recvmmsg batch into a
 * receive buffer owned by the socket and makes ONE `onReceive(socket, count)` call with the datagrams
 * described in `recvMeta` (offset, length, GRO segment size, ECN, source address as integers; see
 * {@link UdpMeta}); sends are queued into a send buffer and leave in one sendmmsg call per `flush`, with
 * equal-sized runs to one destination as one UDP GSO message. An EAGAIN keeps the queue and arms WRITABLE
 * interest; `onWritable` tells the owner once it drained. node:dgram stays the portable path (quic-udp.ts).
 */
import { isIP } from 'node:net';
import { check, NativeError } from './binding.js';
import { NativeErrno, PollEvent, PollKind, UdpMeta } from './constants.js';
import { NativeLoop, type FdHandler } from './native.js';

const EAGAIN = -NativeErrno.EAGAIN;
const M = UdpMeta.META_INTS;

/** Geometry and kernel buffer sizes of a {@link NativeUdpSocket}. */
export interface NativeUdpOptions {
  /** Numeric local address; an IPv6 socket is dual-stack. */
  readonly host: string;
  /** Local port; 0 picks one. */
  readonly port: number;
  /** Datagrams per recvmmsg/sendmmsg call. Default 64: GRO-sized slots make that 4 MiB of receive buffer. */
  readonly batch?: number;
  /**
   * Bytes per receive slot. Default 65536: UDP GRO is enabled only when a slot can hold a coalesced
   * 64 KiB message; smaller slots (at least the largest datagram expected) turn GRO off.
   */
  readonly slotBytes?: number;
  /** Bytes of the send queue. Default 1 MiB: 64 full-size loopback datagrams of 16 KiB. */
  readonly sendBytes?: number;
  /** SO_RCVBUF and SO_SNDBUF asked of the kernel (capped by net.core.rmem_max/wmem_max). Default 4 MiB. */
  readonly bufferBytes?: number;
}

/** Defaults of {@link NativeUdpOptions}. */
export const DEFAULT_NATIVE_UDP_OPTIONS = Object.freeze({
  batch: 64,
  slotBytes: 65536,
  sendBytes: 1024 * 1024,
  bufferBytes: 4 * 1024 * 1024,
});

/** What a {@link NativeUdpSocket} reports to its owner. */
export interface NativeUdpHandler {
  /**
   * One received batch: records `0..count-1` of `socket.recvMeta` over `socket.recvBuffer`.
   * Lifetime: the buffer is reused by the next batch; views must not outlive the call.
   */
  onReceive(socket: NativeUdpSocket, count: number): void;
  /** The send queue drained after an EAGAIN: more datagrams may be queued. */
  onWritable(socket: NativeUdpSocket): void;
}

/** A destination in the integer form the addon reads (see {@link encodeUdpAddress}). */
export interface UdpAddress {
  /** 4 or 6; 0 = the connected peer. */
  readonly family: number;
  readonly port: number;
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly a3: number;
}

/** The connected peer of a socket (`NativeUdpSocket.connect`). */
export const CONNECTED_PEER: UdpAddress = Object.freeze({ family: 0, port: 0, a0: 0, a1: 0, a2: 0, a3: 0 });

function parseV4(s: string): number {
  let w = 0;
  let part = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      w = (w << 8) | part;
      part = 0;
    } else {
      part = part * 10 + (c - 0x30);
    }
  }
  return (w << 8) | part;
}

/** Encodes a numeric IPv4 or IPv6 address for the addon; throws a TypeError for anything else. */
export function encodeUdpAddress(address: string, port: number): UdpAddress {
  const kind = isIP(address);
  if (kind === 4) return { family: 4, port, a0: parseV4(address), a1: 0, a2: 0, a3: 0 };
  if (kind !== 6) throw new TypeError(`not a numeric IP address: ${JSON.stringify(address.slice(0, 64))}`);
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const dot = text.lastIndexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    const v4 = parseV4(text.slice(colon + 1)) >>> 0;
    text = `${text.slice(0, colon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const groups = new Array<number>(8).fill(0);
  const gap = text.indexOf('::');
  const head = gap >= 0 ? text.slice(0, gap) : text;
  const tail = gap >= 0 ? text.slice(gap + 2) : '';
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  for (let i = 0; i < hs.length; i++) groups[i] = parseInt(hs[i]!, 16);
  for (let i = 0; i < ts.length; i++) groups[8 - ts.length + i] = parseInt(ts[i]!, 16);
  const w = (i: number): number => (groups[2 * i]! << 16) | groups[2 * i + 1]! | 0;
  if (w(0) === 0 && w(1) === 0 && w(2) === 0xffff) {
    return { family: 4, port, a0: w(3), a1: 0, a2: 0, a3: 0 };
  }
  return { family: 6, port, a0: w(0), a1: w(1), a2: w(2), a3: w(3) };
}

/** The text form of the address in record `base` of `meta` (RFC 5952 for IPv6). */
export function formatUdpAddress(meta: Int32Array, base: number): string {
  if (meta[base + UdpMeta.FAMILY] === 4) {
    const a = meta[base + UdpMeta.ADDR0]!;
    return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const g: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = meta[base + UdpMeta.ADDR0 + i]! >>> 0;
    g.push(w >>> 16, w & 0xffff);
  }
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::" (the first when tied).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number): string =>
    g
      .slice(a, b)
      .map((x) => x.toString(16))
      .join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/** A UDP socket on the native poller; see the file comment. */
export class NativeUdpSocket implements FdHandler {
  readonly fd: number;
  /** The local address given at open, and the bound port. */
  readonly localAddress: string;
  readonly localPort: number;
  /** Receive slots; `recvMeta` describes the datagrams of the current batch. */
  readonly recvBuffer: Uint8Array;
  readonly recvMeta: Int32Array;
  /** Send queue bytes and records. */
  readonly sendBuffer: Uint8Array;
  readonly sendMeta: Int32Array;
  readonly batch: number;
  /** UDP GSO (UDP_SEGMENT) and GRO were accepted by the kernel for this socket. */
  readonly isGsoEnabled: boolean;
  readonly isGroEnabled: boolean;
  /** Recvmmsg batches delivered and datagram records in them (statistics). */
  receiveBatches: number;
  receiveRecords: number;
  /** sendmmsg calls made and EAGAIN results seen (statistics). */
  sendCalls: number;
  sendBlocked: number;
  private readonly loop: NativeLoop;
  private readonly handler: NativeUdpHandler;
  /** Records queued, and bytes of the send buffer in use. */
  private queued: number;
  private usedBytes: number;
  /** An EAGAIN left records queued; WRITABLE interest is armed. */
  private isBlockedFlag: boolean;
  private isClosedFlag: boolean;

  private constructor(
    loop: NativeLoop,
    handler: NativeUdpHandler,
    fd: number,
    host: string,
    bufs: { recv: Uint8Array; recvMeta: Int32Array; send: Uint8Array; sendMeta: Int32Array; batch: number },
  ) {
    this.loop = loop;
    this.handler = handler;
    this.fd = fd;
    this.localAddress = host;
    this.localPort = check('localPort', loop.native.localPort(fd));
    this.recvBuffer = bufs.recv;
    this.recvMeta = bufs.recvMeta;
    this.sendBuffer = bufs.send;
    this.sendMeta = bufs.sendMeta;
    this.batch = bufs.batch;
    const info = loop.native.udpInfo(fd);
    this.isGsoEnabled = info > 0 && (info & UdpMeta.INFO_GSO) !== 0;
    this.isGroEnabled = info > 0 && (info & UdpMeta.INFO_GRO) !== 0;
    this.receiveBatches = 0;
    this.receiveRecords = 0;
    this.sendCalls = 0;
    this.sendBlocked = 0;
    this.queued = 0;
    this.usedBytes = 0;
    this.isBlockedFlag = false;
    this.isClosedFlag = false;
  }

  /**
   * Opens a socket, or returns `undefined` when the addon is unavailable or has no UDP support on this
   * platform (the caller then uses node:dgram). Throws a {@link NativeError} when the bind itself fails.
   */
  static open(options: NativeUdpOptions, handler: NativeUdpHandler): NativeUdpSocket | undefined {
    if (process.platform !== 'linux') return undefined;
    const loop = NativeLoop.get(undefined, true);
    if (loop === undefined) return undefined;
    const batch = options.batch ?? DEFAULT_NATIVE_UDP_OPTIONS.batch;
    const slotBytes = options.slotBytes ?? DEFAULT_NATIVE_UDP_OPTIONS.slotBytes;
    const sendBytes = options.sendBytes ?? DEFAULT_NATIVE_UDP_OPTIONS.sendBytes;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1024) {
      throw new RangeError(`batch must be an integer in 1..1024, got ${String(batch)}`);
    }
    if (!Number.isInteger(slotBytes) || slotBytes < 1200 || slotBytes > 65536) {
      throw new RangeError(`slotBytes must be an integer in 1200..65536, got ${String(slotBytes)}`);
    }
    if (!Number.isInteger(sendBytes) || sendBytes < 65536) {
      throw new RangeError(`sendBytes must be an integer of at least 65536, got ${String(sendBytes)}`);
    }
    const bufs = {
      recv: new Uint8Array(batch * slotBytes),
      recvMeta: new Int32Array(batch * M),
      send: new Uint8Array(sendBytes),
      sendMeta: new Int32Array(batch * M),
      batch,
    };
    const fd = loop.native.udpOpen(
      options.host,
      options.port,
      bufs.recv,
      bufs.recvMeta,
      bufs.send,
      bufs.sendMeta,
      batch,
      slotBytes,
      options.bufferBytes ?? DEFAULT_NATIVE_UDP_OPTIONS.bufferBytes,
    );
    if (fd === -NativeErrno.ENOSYS) return undefined;
    check('udpOpen', fd);
    let s: NativeUdpSocket;
    try {
      s = new NativeUdpSocket(loop, handler, fd, options.host, bufs);
      loop.register(fd, PollKind.UDP, PollEvent.READABLE, s);
    } catch (err) {
      loop.native.udpClose(fd);
      throw err;
    }
    return s;
  }

  /** Sends to `host:port` when a record's address is {@link CONNECTED_PEER}, and receives only from it. */
  connect(host: string, port: number): void {
    check('udpConnect', this.loop.native.udpConnect(this.fd, host, port));
  }

  /** True while an EAGAIN holds queued datagrams (WRITABLE interest armed). */
  get isBlocked(): boolean {
    return this.isBlockedFlag;
  }

  get isClosed(): boolean {
    return this.isClosedFlag;
  }

  /** Datagrams queued and not yet sent. */
  get queuedCount(): number {
    return this.queued;
  }

  /** Datagrams the kernel refused for good (EMSGSIZE, ...): dropped, as UDP may. */
  get droppedCount(): number {
    const n = this.loop.native.udpDropped(this.fd);
    return n < 0 ? 0 : n;
  }

  /**
   * Whether a datagram of up to `sizeBytes` can be queued now; flushes a full queue first. False while
   * blocked by EAGAIN with no room left (the owner waits for `onWritable`).
   */
  canQueue(sizeBytes: number): boolean {
    if (this.isClosedFlag) return false;
    if (this.queued < this.batch && this.usedBytes + sizeBytes <= this.sendBuffer.length) return true;
    this.flush();
    return this.queued < this.batch && this.usedBytes + sizeBytes <= this.sendBuffer.length;
  }

  /**
   * Copies `bytes[start, end)` into the send queue for `to` with ECN codepoint `ecn` (0..3). Returns false
   * (queuing nothing) when there is no room: check {@link canQueue} first.
   */
  queue(bytes: Uint8Array, start: number, end: number, to: UdpAddress, ecn: number): boolean {
    const len = end - start;
    if (!this.canQueue(len)) return false;
    const off = this.usedBytes;
    this.sendBuffer.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), off);
    this.record(off, len, to, ecn);
    return true;
  }

  /**
   * The free part of the send buffer, for a producer that writes a datagram in place and then calls
   * {@link commit} (no copy). Check {@link canQueue} first. Lifetime: valid until the next queue, commit
   * or flush.
   */
  reserve(): Uint8Array {
    return this.sendBuffer.subarray(this.usedBytes);
  }

  /** Queues the `len` bytes written at the start of {@link reserve}'s array, like {@link queue}. */
  commit(len: number, to: UdpAddress, ecn: number): void {
    if (this.queued >= this.batch || this.usedBytes + len > this.sendBuffer.length) {
      throw new RangeError(`commit of ${String(len)} bytes without room: call canQueue first`);
    }
    this.record(this.usedBytes, len, to, ecn);
  }

  private record(off: number, len: number, to: UdpAddress, ecn: number): void {
    const m = this.sendMeta;
    const b = this.queued * M;
    m[b + UdpMeta.OFFSET] = off;
    m[b + UdpMeta.LENGTH] = len;
    m[b + UdpMeta.SEGMENT] = 0;
    m[b + UdpMeta.ECN] = ecn & 3;
    m[b + UdpMeta.FAMILY] = to.family;
    m[b + UdpMeta.PORT] = to.port;
    m[b + UdpMeta.ADDR0] = to.a0;
    m[b + UdpMeta.ADDR1] = to.a1;
    m[b + UdpMeta.ADDR2] = to.a2;
    m[b + UdpMeta.ADDR3] = to.a3;
    this.queued++;
    this.usedBytes = off + len;
  }

  /** Sends the queue (one sendmmsg per call). Returns true when it is empty afterwards. */
  flush(): boolean {
    if (this.queued === 0) return true;
    if (this.isBlockedFlag || this.isClosedFlag) return false;
    this.sendCalls++;
    const r = this.loop.native.udpSend(this.fd, this.queued);
    if (r === EAGAIN) {
      this.block();
      return false;
    }
    if (r < 0) throw new NativeError('udpSend', r);
    if (r === this.queued) {
      this.queued = 0;
      this.usedBytes = 0;
      return true;
    }
    // Partial: keep the rest in place (their bytes stay where they are) and wait for writability.
    this.sendMeta.copyWithin(0, r * M, this.queued * M);
    this.queued -= r;
    this.block();
    return false;
  }

  private block(): void {
    this.sendBlocked++;
    if (this.isBlockedFlag) return;
    this.isBlockedFlag = true;
    check(
      'pollerModify',
      this.loop.native.pollerModify(this.fd, PollKind.UDP, PollEvent.READABLE | PollEvent.WRITABLE),
    );
  }

  /** @internal poller dispatch. */
  onEvent(flags: number, _slot: number, result: number): void {
    if (this.isClosedFlag) return;
    if ((flags & PollEvent.READ_DONE) !== 0 && result > 0) {
      this.receiveBatches++;
      this.receiveRecords += result;
      this.handler.onReceive(this, result);
    }
    // The receive handler may have closed the socket.
    if ((flags & PollEvent.WRITABLE) !== 0 && this.isBlockedFlag && !this.isClosed) {
      this.isBlockedFlag = false;
      this.loop.native.pollerModify(this.fd, PollKind.UDP, PollEvent.READABLE);
      if (this.flush()) this.handler.onWritable(this);
    }
  }

  /** Closes the socket; queued datagrams are sent first when the kernel takes them now. */
  close(): void {
    if (this.isClosedFlag) return;
    if (!this.isBlockedFlag) this.flush();
    this.isClosedFlag = true;
    this.loop.unregister(this.fd);
    this.loop.native.udpClose(this.fd);
  }
}
