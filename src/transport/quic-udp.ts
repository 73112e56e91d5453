/**
 * hayate/quic on UDP: one UDP socket per {@link QuicEndpoint}, the endpoint's deadlines on one timer, and
 * each connection presented to HTTP/3 as a {@link QuicConnection} (src/transport/quic.ts), so
 * `Http3Session`, the HTTP/3 server and the client run on it exactly as on the quiche adapter.
 *
 * The socket is the native addon's (udp-native.ts: one JS call per recvmmsg batch, one sendmmsg per
 * flush with UDP GSO runs, ECN both ways) by default where the addon has it, node:dgram otherwise or when
 * asked (`udp: 'dgram'`). The core is sans-I/O (src/quic): this file feeds it datagrams with
 * `performance.now()` timestamps, drains `pollTransmit` after every input batch and every user action
 * (coalesced into one microtask, so one flush sends everything in one batch), and arms a single timer at
 * the endpoint's next deadline.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { QuicConnectionCore } from '../quic/connection.js';
import { QuicEndpoint } from '../quic/endpoint.js';
import type { QuicTransmit } from '../quic/endpoint.js';
import type { QuicAddress, QuicEvent } from '../quic/events.js';
import { CloseReason, isSameAddress } from '../quic/events.js';
import type { QuicLimits } from '../quic/limits.js';
import type { CongestionControlName } from '../quic/recovery/congestion.js';
import { nodeCrypto } from '../quic/crypto/node.js';
import { SessionTicketKeys } from '../quic/tls/ticket.js';
import type { SessionTicketOptions } from '../quic/tls/ticket.js';
import { QuicCloseKind, QuicProviderError } from './quic.js';
import type { QuicCloseKindCode, QuicConnection, QuicConnectionHandlers } from './quic.js';
import { UdpMeta } from './constants.js';
import { quicCryptoProvider } from './native-aead.js';
import {
  CONNECTED_PEER,
  encodeUdpAddress,
  formatUdpAddress,
  NativeUdpSocket,
  type NativeUdpHandler,
  type UdpAddress,
} from './udp-native.js';

const UDP_META_INTS = UdpMeta.META_INTS;

/** Receive buffer asked of the kernel: a burst of full-size datagrams at 1 Gbit/s for a few ms. */
const UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
const UDP_SEND_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Longest a `close` waits for the stream data already written to be acknowledged: a few round trips with
 * losses on a slow path; a peer that stops reading (zero window) cannot keep the connection open longer.
 */
const CLOSE_LINGER_MS = 3000;

/** The core events the handlers see. */
type HandlerEvent = Extract<
  QuicEvent,
  { type: 'streamData' | 'streamReset' | 'stopSending' | 'streamAcked' | 'datagram' | 'closed' }
>;

function closeKind(e: Extract<QuicEvent, { type: 'closed' }>): QuicCloseKindCode {
  if (e.reason === CloseReason.IdleTimeout || e.reason === CloseReason.HandshakeTimeout) {
    return QuicCloseKind.IDLE_TIMEOUT;
  }
  return e.isApplication ? QuicCloseKind.APPLICATION : QuicCloseKind.TRANSPORT;
}

function callHandler(h: QuicConnectionHandlers, e: HandlerEvent): void {
  switch (e.type) {
    case 'streamData':
      h.onStreamData(e.id, e.bytes, e.fin);
      return;
    case 'streamReset':
      h.onStreamReset(e.id, e.code);
      return;
    case 'stopSending':
      h.onStopSending(e.id, e.code);
      return;
    case 'streamAcked':
      h.onStreamAcked(e.id, e.bytes);
      return;
    case 'datagram':
      h.onDatagram(e.bytes);
      return;
    case 'closed':
      h.onClose(e.code, e.reasonPhrase, closeKind(e));
      return;
  }
}

/** An action on a local stream held until the peer's MAX_STREAMS lets the stream open (RFC 9000 §4.6). */
type BlockedAction =
  | { readonly op: 'write'; readonly streamId: number; readonly chunks: Uint8Array[]; readonly fin: boolean }
  | { readonly op: 'reset' | 'stop'; readonly streamId: number; readonly code: number };

/** A {@link QuicConnection} over one hayate/quic connection core. */
export class HayateQuicConnection implements QuicConnection {
  readonly role: 'client' | 'server';
  readonly core: QuicConnectionCore;
  private readonly driver: UdpQuicDriver;
  private handlers: QuicConnectionHandlers | null;
  private readonly pending: HandlerEvent[];
  private alpnValue: string;
  private isEnded: boolean;
  /** Next local stream id of each type (index = id & 3) not yet opened in the core. */
  private readonly nextLocal: number[];
  /**
   * Actions on local streams that MAX_STREAMS does not allow yet, in order: writes, and resets and
   * STOP_SENDING (a request cancelled before its stream could open), replayed once the stream opens.
   */
  private readonly blocked: BlockedAction[];
  /** A `close` waiting for the written stream data to be acknowledged, and its bound. */
  private lingeringClose: { code: number; reason: string } | null;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private resolveClosed!: () => void;
  /** Resolves when the connection is over (closed, drained, timed out or reset). */
  readonly closed: Promise<void>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set once the handshake completes, rejected if the connection ends first (client connect). */
  handshake: { resolve: () => void; reject: (e: Error) => void } | null;
  /** Client: called with each session ticket the server sends (RFC 8446 §4.6.1), for `sessionTicket`. */
  onSessionTicket: ((ticket: Uint8Array) => void) | null;
  private settleHandshake: { resolve: () => void; reject: (e: Error) => void } | null;
  /**
   * Resolves when the handshake completes, rejects if the connection ends first. A client that sent
   * 0-RTT awaits it before retrying what the server answered with 425 (RFC 8470 §5.2).
   */
  readonly handshakeCompleted: Promise<void>;

  constructor(
    driver: UdpQuicDriver,
    core: QuicConnectionCore,
    role: 'client' | 'server',
    remote: QuicAddress,
  ) {
    this.driver = driver;
    this.core = core;
    this.role = role;
    this.handlers = null;
    this.pending = [];
    this.alpnValue = '';
    this.isEnded = false;
    this.nextLocal = [0, 1, 2, 3];
    this.blocked = [];
    this.handshake = null;
    this.lingeringClose = null;
    this.lingerTimer = undefined;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.onSessionTicket = null;
    this.settleHandshake = null;
    this.handshakeCompleted = new Promise((resolve, reject) => {
      this.settleHandshake = { resolve, reject };
    });
    // Awaiting it is optional: a failed handshake also reaches the handlers' onClose.
    this.handshakeCompleted.catch(() => undefined);
  }

  /** True once the handshake resumed a session with a ticket (RFC 8446 §2.2). */
  get isResumed(): boolean {
    return this.core.isResumed;
  }

  /** True once 0-RTT data was accepted (client: by the server; server: by this side), RFC 9001 §4.6. */
  get isEarlyDataAccepted(): boolean {
    return this.core.isEarlyDataAccepted;
  }

  /** Server: true while stream data arriving now came in 0-RTT packets (replayable, RFC 8470 §1). */
  get isInEarlyData(): boolean {
    return this.core.isInEarlyData;
  }

  /** Client: true while writes go in 0-RTT packets, before the handshake completes (RFC 9001 §4.6.1). */
  get canSendEarlyData(): boolean {
    return this.core.canSendEarlyData;
  }

  isEarlyStream(streamId: number): boolean {
    return this.core.isEarlyStream(streamId);
  }

  /**
   * The core knows the protocol as soon as TLS chose it (a server: on the ClientHello), so a server
   * connection has it already in `onConnection`, before its handshake completes.
   */
  get alpn(): string {
    return this.core.alpn ?? this.alpnValue;
  }

  get isDatagramSupported(): boolean {
    return this.core.isDatagramSupported;
  }

  /** The UDP implementation carrying this connection. */
  get udp(): UdpImplementation {
    return this.driver.port.kind;
  }

  /** True once the connection has ended. */
  get isClosed(): boolean {
    return this.isEnded;
  }

  setHandlers(handlers: QuicConnectionHandlers): void {
    this.handlers = handlers;
    for (const e of this.pending.splice(0)) callHandler(handlers, e);
  }

  writeStream(streamId: number, chunks: readonly Uint8Array[], fin: boolean): void {
    if (this.isEnded) return;
    if (this.isLocal(streamId) && !this.openLocalUpTo(streamId)) {
      // The peer's MAX_STREAMS does not allow the stream yet (RFC 9000 §4.6): hold the writes until it does.
      this.blocked.push({ op: 'write', streamId, chunks: [...chunks], fin });
      return;
    }
    this.core.writeStream(streamId, chunks, fin);
    this.driver.scheduleFlush();
  }

  /** A local stream not opened in the core yet: its writes wait for MAX_STREAMS. */
  private isBlockedLocal(streamId: number): boolean {
    return this.isLocal(streamId) && streamId >= this.nextLocal[streamId & 3]!;
  }

  private isLocal(streamId: number): boolean {
    return (streamId & 1) === (this.role === 'client' ? 0 : 1);
  }

  /**
   * The provider contract lets the user open a local stream by writing to it; the core opens streams in
   * id order (RFC 9000 §2.1), so open every id of that type up to `streamId`. False when MAX_STREAMS
   * stops it (or blocked writes are still waiting, to keep the order).
   */
  private openLocalUpTo(streamId: number): boolean {
    const type = streamId & 3;
    if (streamId < this.nextLocal[type]!) return true;
    if (this.blocked.length > 0) return false;
    const bidi = (type & 2) === 0;
    while (this.nextLocal[type]! <= streamId) {
      const id = this.core.openStream(bidi);
      if (id === null) return false;
      this.nextLocal[type] = id + 4;
    }
    return true;
  }

  private retryBlocked(): void {
    const waiting = this.blocked.splice(0);
    for (let i = 0; i < waiting.length; i++) {
      const w = waiting[i]!;
      if (this.blocked.length === 0 && this.openLocalUpTo(w.streamId)) {
        if (w.op === 'write') this.core.writeStream(w.streamId, w.chunks, w.fin);
        else if (w.op === 'reset') this.core.resetStream(w.streamId, w.code);
        else this.core.stopSending(w.streamId, w.code);
      } else {
        this.blocked.push(w);
      }
    }
    this.driver.scheduleFlush();
  }

  consumed(streamId: number, bytes: number): void {
    if (this.isEnded) return;
    this.core.consumed(streamId, bytes);
    this.driver.scheduleFlush();
  }

  resetStream(streamId: number, code: number): void {
    if (this.isEnded) return;
    if (this.isBlockedLocal(streamId)) {
      this.blocked.push({ op: 'reset', streamId, code });
      return;
    }
    this.core.resetStream(streamId, code);
    this.driver.scheduleFlush();
  }

  stopSending(streamId: number, code: number): void {
    if (this.isEnded) return;
    if (this.isBlockedLocal(streamId)) {
      this.blocked.push({ op: 'stop', streamId, code });
      return;
    }
    this.core.stopSending(streamId, code);
    this.driver.scheduleFlush();
  }

  sendDatagram(payload: Uint8Array): void {
    if (!this.core.isDatagramSupported) {
      throw new QuicProviderError('ERR_QUIC_DATAGRAM_UNSUPPORTED', 'the peer did not enable DATAGRAM frames');
    }
    if (this.isEnded) return;
    this.core.sendDatagram(payload);
    this.driver.scheduleFlush();
  }

  /**
   * CONNECTION_CLOSE with an application error code, once every byte (and FIN) already written on a stream
   * is acknowledged, or after {@link CLOSE_LINGER_MS}: CONNECTION_CLOSE ends the streams abruptly (RFC 9000
   * §10.2), so closing at once would lose the end of responses written just before (an HTTP/3 server
   * closes right after the last response of a GOAWAY, RFC 9114 §5.2).
   */
  close(code: number, reason: string): void {
    if (this.isEnded || this.lingeringClose !== null) return;
    this.lingeringClose = { code, reason };
    if (this.core.isSendSettled) {
      this.closeNow();
      return;
    }
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.closeNow();
    }, CLOSE_LINGER_MS);
  }

  private closeNow(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const c = this.lingeringClose;
    if (c === null || this.isEnded) return;
    this.core.close(c.code, c.reason, true, performance.now());
    this.driver.scheduleFlush();
  }

  /** Hands the core's events to the handlers (or queues them until `setHandlers`). */
  dispatch(): void {
    for (let e = this.core.nextEvent(); e !== null; e = this.core.nextEvent()) this.deliver(e);
    if (this.lingeringClose !== null && !this.isEnded && this.core.isSendSettled) {
      this.closeNow();
      // The core queued CONNECTION_CLOSE and its `closed` event: the caller's pump sends it now.
      for (let e = this.core.nextEvent(); e !== null; e = this.core.nextEvent()) this.deliver(e);
    }
  }

  private deliver(e: QuicEvent): void {
    switch (e.type) {
      case 'handshakeComplete':
        this.alpnValue = e.alpn;
        this.handshake?.resolve();
        this.handshake = null;
        this.settleHandshake?.resolve();
        this.settleHandshake = null;
        return;
      case 'sessionTicket':
        this.onSessionTicket?.(e.ticket);
        return;
      case 'streamOpened':
        return;
      case 'streamsAvailable':
        if (this.blocked.length > 0) this.retryBlocked();
        return;
      case 'streamData':
      case 'streamReset':
      case 'stopSending':
      case 'streamAcked':
      case 'datagram':
        this.emit(e);
        return;
      case 'closed': {
        this.isEnded = true;
        if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
        this.lingerTimer = undefined;
        if (this.handshake !== null) {
          this.handshake.reject(
            new QuicProviderError(
              'ERR_QUIC_HANDSHAKE',
              `QUIC handshake failed: ${e.error?.message ?? e.reasonPhrase} (code 0x${e.code.toString(16)})`,
              { cause: e.error },
            ),
          );
          this.handshake = null;
        }
        this.settleHandshake?.reject(
          new QuicProviderError('ERR_QUIC_HANDSHAKE', `QUIC connection ended before its handshake completed`),
        );
        this.settleHandshake = null;
        this.emit(e);
        this.driver.forget(this);
        this.resolveClosed();
        return;
      }
    }
  }

  /** Hands `e` to the handlers, or holds it until `setHandlers` (no closure per event). */
  private emit(e: HandlerEvent): void {
    if (this.handlers === null) this.pending.push(e);
    else callHandler(this.handlers, e);
  }
}

/** Which UDP implementation carries an endpoint: the addon's batched socket or node:dgram. */
export type UdpImplementation = 'native' | 'dgram';

/**
 * The UDP implementation used when an option does not choose: `'native'` (falling back to node:dgram when
 * the addon or its UDP support is missing), or what `HAYATE_QUIC_UDP=dgram|native` says.
 */
function defaultUdp(): UdpImplementation {
  return process.env['HAYATE_QUIC_UDP'] === 'dgram' ? 'dgram' : 'native';
}

/** Largest datagram the driver ever queues (an IPv6 UDP payload limit rounded up). */
const MAX_DATAGRAM_BYTES = 65535;

/** A UDP socket as the driver sees it: datagrams in through the driver, out through `send` + `flush`. */
interface UdpPort {
  readonly kind: UdpImplementation;
  readonly address: string;
  readonly port: number;
  /** Whether one more datagram can be taken now (false: wait for the port to pump again). */
  canSend(): boolean;
  /**
   * Where the next datagram may be built in place (the native send buffer), or undefined. Lifetime:
   * until the next `send`/`flush`.
   */
  scratch(): Uint8Array | undefined;
  send(t: QuicTransmit): void;
  /** Hands everything queued to the kernel (one sendmmsg on the native port). */
  flush(): void;
  /** Closes once every datagram already handed over has left (a CONNECTION_CLOSE must leave first). */
  close(): Promise<void>;
}

/** node:dgram: one send call per datagram, the portable path. */
class DgramPort implements UdpPort {
  readonly kind = 'dgram';
  readonly address: string;
  readonly port: number;
  private readonly socket: Socket;
  /** Datagrams handed to the socket whose send callback has not run yet. */
  private pendingSends: number;
  /** Set by `close`: close the socket once `pendingSends` reaches 0. */
  private closeSocket: (() => void) | null;
  private readonly onSent: () => void;
  private closing: Promise<void> | null;

  constructor(socket: Socket, driver: UdpQuicDriver) {
    this.socket = socket;
    const a = socket.address();
    this.address = a.address;
    this.port = a.port;
    this.pendingSends = 0;
    this.closeSocket = null;
    this.closing = null;
    this.onSent = () => {
      if (--this.pendingSends === 0 && this.closeSocket !== null) this.closeSocket();
    };
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      driver.receive(msg, { address: rinfo.address, port: rinfo.port }, performance.now(), undefined);
      driver.scheduleFlush();
    });
  }

  canSend(): boolean {
    return true;
  }

  scratch(): undefined {
    return undefined;
  }

  send(t: QuicTransmit): void {
    this.pendingSends++;
    this.socket.send(t.bytes, t.remote.port, t.remote.address, this.onSent);
  }

  flush(): void {
    // node:dgram sends on its own.
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.closeSocket = () => {
        this.socket.close(() => {
          resolve();
        });
      };
      if (this.pendingSends === 0) this.closeSocket();
    });
    return this.closing;
  }
}

/** Bound on the receive-side address cache of a native port (peers remembered as QuicAddress objects). */
const ADDRESS_CACHE_ENTRIES = 4096;

/**
 * The addon's socket: one JS call per recvmmsg batch, datagrams out in one sendmmsg per pump with GSO
 * runs, ECN both ways. Source addresses arrive as integers and map to cached {@link QuicAddress} objects,
 * so a batch from known peers builds no strings.
 */
class NativePort implements UdpPort, NativeUdpHandler {
  readonly kind = 'native';
  readonly address: string;
  readonly port: number;
  readonly socket: NativeUdpSocket;
  private readonly driver: UdpQuicDriver;
  /** Peers by a hash of their integer form; each bucket is checked field by field. */
  private readonly peers: Map<number, { meta: Int32Array; remote: QuicAddress }[]>;
  private peerCount: number;
  /** The last destination encoded, by object identity (a connection sends to one remote object). */
  private lastRemote: QuicAddress | null;
  private lastTo: UdpAddress;
  /** The connected peer, whose datagrams use the connected address (no per-send route lookup). */
  private connected: QuicAddress | null;
  /** The send-buffer view last handed out by `scratch`. */
  private scratchView: Uint8Array | null;

  constructor(driver: UdpQuicDriver, host: string, port: number) {
    this.driver = driver;
    this.peers = new Map();
    this.peerCount = 0;
    this.lastRemote = null;
    this.lastTo = CONNECTED_PEER;
    this.connected = null;
    this.scratchView = null;
    const s = NativeUdpSocket.open({ host, port }, this);
    if (s === undefined) throw new QuicProviderError('ERR_QUIC_UDP_NATIVE', 'native UDP unavailable');
    this.socket = s;
    this.address = host;
    this.port = s.localPort;
  }

  /** Opens a native port, or returns undefined when the addon has no UDP here (the caller uses dgram). */
  static open(driver: UdpQuicDriver, host: string, port: number): NativePort | undefined {
    try {
      return new NativePort(driver, host, port);
    } catch (err) {
      if (err instanceof QuicProviderError) return undefined;
      throw err;
    }
  }

  connect(remote: QuicAddress): void {
    this.socket.connect(remote.address, remote.port);
    this.connected = remote;
  }

  onReceive(s: NativeUdpSocket, count: number): void {
    const meta = s.recvMeta;
    const buf = s.recvBuffer;
    const driver = this.driver;
    // One clock reading per batch: the datagrams of one recvmmsg arrived together.
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      const b = i * UDP_META_INTS;
      const len = meta[b + UdpMeta.LENGTH]!;
      if (len <= 0) continue;
      const off = meta[b + UdpMeta.OFFSET]!;
      const seg = meta[b + UdpMeta.SEGMENT]!;
      const ecn = meta[b + UdpMeta.ECN]!;
      const remote = this.peerOf(meta, b);
      // Lifetime: the views die with this call; the endpoint keeps no reference to a datagram's bytes.
      if (seg > 0 && seg < len) {
        const end = off + len;
        for (let p = off; p < end; p += seg)
          driver.receive(buf.subarray(p, Math.min(p + seg, end)), remote, now, ecn);
      } else {
        driver.receive(buf.subarray(off, off + len), remote, now, ecn);
      }
    }
    driver.scheduleFlush();
  }

  onWritable(): void {
    this.driver.scheduleFlush();
  }

  private peerOf(meta: Int32Array, b: number): QuicAddress {
    const port = meta[b + UdpMeta.PORT]!;
    const key = (meta[b + UdpMeta.ADDR0]! ^ meta[b + UdpMeta.ADDR3]! ^ (port << 7)) | 0;
    let bucket = this.peers.get(key);
    if (bucket !== undefined) {
      for (let k = 0; k < bucket.length; k++) {
        const e = bucket[k]!;
        const m = e.meta;
        if (
          m[0] === meta[b + UdpMeta.FAMILY] &&
          m[1] === port &&
          m[2] === meta[b + UdpMeta.ADDR0] &&
          m[3] === meta[b + UdpMeta.ADDR1] &&
          m[4] === meta[b + UdpMeta.ADDR2] &&
          m[5] === meta[b + UdpMeta.ADDR3]
        ) {
          return e.remote;
        }
      }
    }
    if (this.peerCount >= ADDRESS_CACHE_ENTRIES) {
      this.peers.clear();
      this.peerCount = 0;
      bucket = undefined;
    }
    const remote: QuicAddress = { address: formatUdpAddress(meta, b), port };
    const entry = {
      meta: Int32Array.of(
        meta[b + UdpMeta.FAMILY]!,
        port,
        meta[b + UdpMeta.ADDR0]!,
        meta[b + UdpMeta.ADDR1]!,
        meta[b + UdpMeta.ADDR2]!,
        meta[b + UdpMeta.ADDR3]!,
      ),
      remote,
    };
    if (bucket === undefined) this.peers.set(key, [entry]);
    else bucket.push(entry);
    this.peerCount++;
    return remote;
  }

  canSend(): boolean {
    return this.socket.canQueue(MAX_DATAGRAM_BYTES);
  }

  scratch(): Uint8Array {
    this.scratchView = this.socket.reserve();
    return this.scratchView;
  }

  send(t: QuicTransmit): void {
    const r = t.remote;
    if (r !== this.lastRemote) {
      this.lastRemote = r;
      this.lastTo =
        this.connected !== null && isSameAddress(r, this.connected)
          ? CONNECTED_PEER
          : encodeUdpAddress(r.address, r.port);
    }
    const b = t.bytes;
    const v = this.scratchView;
    this.scratchView = null;
    // Built in place by the core: only the record is added (no copy).
    if (v !== null && b.buffer === v.buffer && b.byteOffset === v.byteOffset) {
      this.socket.commit(b.length, this.lastTo, t.ecn ?? 0);
    } else {
      this.socket.queue(b, 0, b.length, this.lastTo, t.ecn ?? 0);
    }
  }

  flush(): void {
    this.socket.flush();
  }

  close(): Promise<void> {
    this.socket.close();
    return Promise.resolve();
  }
}

/** Drives one endpoint on one UDP socket. */
class UdpQuicDriver {
  readonly endpoint: QuicEndpoint;
  /** Set by {@link attach} right after construction. */
  port!: UdpPort;
  private readonly connections: Set<HayateQuicConnection>;
  private readonly onConnection: ((c: HayateQuicConnection) => void) | undefined;
  /**
   * Server connections not announced to `onConnection` yet: their ClientHello is still incomplete (it may
   * span several Initial packets, as Chromium's does), so ALPN and the peer's transport parameters
   * (DATAGRAM support, RFC 9221 §3) are unknown. Events they produce meanwhile wait in their own queue.
   */
  private readonly unannounced: HayateQuicConnection[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number;
  private isFlushScheduled: boolean;
  private isStopped: boolean;
  private closing: Promise<void> | null;
  private readonly flushNow: () => void;
  private readonly onTimer: () => void;
  /** Called after a pump that leaves the endpoint without connections (a client's socket then closes). */
  onIdle: (() => Promise<void>) | null = null;

  constructor(endpoint: QuicEndpoint, onConnection?: (c: HayateQuicConnection) => void) {
    this.endpoint = endpoint;
    this.connections = new Set();
    this.onConnection = onConnection;
    this.unannounced = [];
    this.timer = undefined;
    this.timerAt = Infinity;
    this.isFlushScheduled = false;
    this.isStopped = false;
    this.closing = null;
    this.flushNow = () => {
      this.isFlushScheduled = false;
      this.pump();
    };
    this.onTimer = () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      if (this.isStopped) return;
      this.endpoint.handleTimeout(performance.now());
      this.pump();
    };
  }

  /**
   * Opens the socket: the addon's when `udp` is `'native'` and it has UDP here, node:dgram otherwise.
   * A bind failure rejects.
   */
  async attach(udp: UdpImplementation, host: string, port: number): Promise<void> {
    if (udp === 'native') {
      const p = NativePort.open(this, host, port);
      if (p !== undefined) {
        this.port = p;
        return;
      }
    }
    this.port = new DgramPort(await bindSocket(host, port), this);
  }

  /** One datagram from the socket (the caller schedules the flush once per batch). */
  receive(bytes: Uint8Array, remote: QuicAddress, nowMs: number, ecn: number | undefined): void {
    if (this.isStopped) return;
    this.endpoint.receive(bytes, remote, nowMs, ecn);
  }

  /** Wraps a core this driver owns. */
  adopt(core: QuicConnectionCore, role: 'client' | 'server', remote: QuicAddress): HayateQuicConnection {
    const c = new HayateQuicConnection(this, core, role, remote);
    this.connections.add(c);
    return c;
  }

  forget(c: HayateQuicConnection): void {
    this.connections.delete(c);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Pumps once the current task's user actions are all queued (one flush for many writes). */
  scheduleFlush(): void {
    if (this.isFlushScheduled || this.isStopped) return;
    this.isFlushScheduled = true;
    queueMicrotask(this.flushNow);
  }

  /** New connections, events, datagrams out (one batch), then the timer: until nothing changes. */
  pump(): void {
    if (this.isStopped) return;
    for (let ev = this.endpoint.nextEvent(); ev !== null; ev = this.endpoint.nextEvent()) {
      this.unannounced.push(this.adopt(ev.connection, 'server', ev.connection.remote));
    }
    for (const c of this.connections) c.dispatch();
    if (this.unannounced.length > 0) this.announce();
    const now = performance.now();
    const port = this.port;
    // A port without room (EAGAIN with a full queue) pumps again once writable.
    while (port.canSend()) {
      const t = this.endpoint.pollTransmit(now, port.scratch());
      if (t === null) break;
      port.send(t);
    }
    port.flush();
    // Handlers run during dispatch may have queued more; they scheduled another flush.
    this.arm();
    if (this.onIdle !== null && this.endpoint.connectionCount === 0) void this.onIdle();
  }

  /**
   * Hands server connections whose ClientHello is complete (TLS chose the ALPN, and the transport parameters
   * came in the same message) to `onConnection`; one that ended before that is dropped unannounced.
   */
  private announce(): void {
    let kept = 0;
    for (let i = 0; i < this.unannounced.length; i++) {
      const c = this.unannounced[i]!;
      if (c.core.alpn !== undefined) this.onConnection?.(c);
      else if (!c.isClosed) this.unannounced[kept++] = c;
    }
    this.unannounced.length = kept;
  }

  private arm(): void {
    const at = this.endpoint.nextDeadline();
    if (at === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer !== undefined && at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(at - performance.now())));
  }

  /** CONNECTION_CLOSE on every connection, flushed now. */
  closeAll(code: number, reason: string): void {
    const now = performance.now();
    for (const c of this.connections) c.core.close(code, reason, true, now);
    this.pump();
  }

  /**
   * Stops driving the endpoint and closes the socket once every datagram already handed to it has been
   * sent (closing the socket earlier would cancel them: a CONNECTION_CLOSE must leave first).
   */
  shutdown(): Promise<void> {
    this.isStopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.closing ??= this.port.close();
    return this.closing;
  }
}

function tuneSocket(socket: Socket): void {
  try {
    socket.setRecvBufferSize(UDP_RECV_BUFFER_BYTES);
    socket.setSendBufferSize(UDP_SEND_BUFFER_BYTES);
  } catch {
    // Capped by net.core.rmem_max / wmem_max or not settable here: keep the defaults.
  }
}

function bindSocket(host: string, port: number): Promise<Socket> {
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      tuneSocket(socket);
      resolve(socket);
    });
  });
}

/** Options of {@link listenHayateQuic}: the same shape as the quiche adapter's, plus QUIC limits. */
export interface HayateQuicListenOptions {
  readonly host?: string;
  readonly port?: number;
  /** PEM private key and certificate chain (leaf first). */
  readonly key: string;
  readonly cert: string;
  /** ALPN protocols accepted; default ["h3"]. */
  readonly alpn?: readonly string[];
  /** Idle timeout in ms; default 30 000 (`limits.idleTimeoutMs`). */
  readonly maxIdleTimeoutMs?: number;
  /** QUIC limits (see `QuicLimits` in hayate/quic). */
  readonly limits?: Partial<QuicLimits>;
  /** Congestion controller of every connection: `'cubic'` (default, RFC 9438) or `'newreno'` (RFC 9002). */
  readonly congestionControl?: CongestionControlName;
  /** Answer every new client with a Retry first (address validation, RFC 9000 §8.1.2). Default false. */
  readonly retry?: boolean;
  /**
   * UDP implementation: `'native'` (default: the addon's recvmmsg/sendmmsg socket with GSO, GRO and ECN,
   * Linux; node:dgram where it is unavailable) or `'dgram'` (force node:dgram). `HAYATE_QUIC_UDP` sets
   * the default.
   */
  readonly udp?: UdpImplementation;
  /**
   * Session tickets for resumption (RFC 8446 §4.6.1): on by default (true = default options); false turns
   * resumption off. Keys live in this listener's memory and rotate; see `SessionTicketOptions`.
   */
  readonly sessionTickets?: boolean | SessionTicketOptions;
  /**
   * Accept 0-RTT from resumed clients (RFC 9001 §4.6). Default false: early data can be replayed, and the
   * anti-replay record is per listener, so a deployment with several listeners or processes behind one
   * name must opt in knowing that (RFC 8446 §8). HTTP/3 on top also limits it to safe methods.
   */
  readonly enableEarlyData?: boolean;
  /** Called for every new connection, before any stream data is delivered. */
  readonly onConnection: (conn: HayateQuicConnection) => void;
}

/** A listening hayate/quic endpoint. */
export interface HayateQuicListener {
  readonly host: string;
  readonly port: number;
  /** The UDP implementation in use (`'dgram'` when native was asked for but is unavailable). */
  readonly udp: UdpImplementation;
  /** Live connections. */
  readonly connectionCount: number;
  /** Closes every connection (CONNECTION_CLOSE, NO_ERROR) and the socket. */
  close(): Promise<void>;
}

function limitsWithIdle(
  limits: Partial<QuicLimits> | undefined,
  idleMs: number | undefined,
): Partial<QuicLimits> {
  return idleMs === undefined ? { ...limits } : { ...limits, idleTimeoutMs: idleMs };
}

/** Listens for QUIC connections on UDP with hayate/quic. */
export async function listenHayateQuic(options: HayateQuicListenOptions): Promise<HayateQuicListener> {
  const host = options.host ?? '127.0.0.1';
  const limits = limitsWithIdle(options.limits, options.maxIdleTimeoutMs);
  const ticketOptions = options.sessionTickets ?? true;
  const endpoint = new QuicEndpoint({
    crypto: quicCryptoProvider(),
    limits,
    server: {
      alpn: options.alpn ?? ['h3'],
      limits,
      ...(ticketOptions === false
        ? {}
        : {
            sessionTickets: new SessionTicketKeys(nodeCrypto, ticketOptions === true ? {} : ticketOptions),
            enableEarlyData: options.enableEarlyData ?? false,
            // Ticket ages are wall-clock; the core's clock is performance.now().
            wallClockOffsetMs: Date.now() - performance.now(),
          }),
      ...(options.congestionControl === undefined ? {} : { congestionControl: options.congestionControl }),
      certificateChain: nodeCrypto.pemToDer(options.cert),
      signingKey: nodeCrypto.loadSigningKey(options.key),
      retry: options.retry ?? false,
    },
  });
  const driver = new UdpQuicDriver(endpoint, options.onConnection);
  // The native socket binds numeric addresses only: a name (`localhost`) resolves first, to IPv4 as a
  // client's name does (connectHayateQuic), else to whatever it has.
  const bindAddress =
    isIP(host) !== 0 ? host : (await lookup(host, { family: 4 }).catch(() => lookup(host))).address;
  await driver.attach(options.udp ?? defaultUdp(), bindAddress, options.port ?? 0);
  return {
    host: driver.port.address,
    port: driver.port.port,
    udp: driver.port.kind,
    get connectionCount(): number {
      return driver.connectionCount;
    },
    async close(): Promise<void> {
      driver.closeAll(0, 'server closing');
      await driver.shutdown();
    },
  };
}

/** Options of {@link connectHayateQuic}. */
export interface HayateQuicConnectOptions {
  readonly host: string;
  readonly port: number;
  /** SNI and certificate name; default `host` (IP literals send no SNI, RFC 6066 §3). */
  readonly serverName?: string;
  readonly alpn?: readonly string[];
  /** Verify the server certificate (default true) against `ca` (PEM) or the system roots. */
  readonly verifyPeer?: boolean;
  readonly ca?: string;
  readonly maxIdleTimeoutMs?: number;
  readonly limits?: Partial<QuicLimits>;
  /** Congestion controller of every connection: `'cubic'` (default, RFC 9438) or `'newreno'` (RFC 9002). */
  readonly congestionControl?: CongestionControlName;
  /** UDP implementation, as {@link HayateQuicListenOptions.udp}. */
  readonly udp?: UdpImplementation;
  /** A ticket given to `onSessionTicket` by an earlier connection to this server: resume that session. */
  readonly sessionTicket?: Uint8Array;
  /**
   * With `sessionTicket`: send 0-RTT (RFC 9001 §4.6.1). The connection then resolves at once, before the
   * handshake, and what is written goes in 0-RTT packets; send only what is safe to replay.
   */
  readonly earlyData?: boolean;
  /** Called with each session ticket the server sends; store it (it holds a secret) to resume later. */
  readonly onSessionTicket?: (ticket: Uint8Array) => void;
}

/** A client connection; `destroy()` closes it and its socket. */
export interface HayateQuicClientConnection extends HayateQuicConnection {
  destroy(): Promise<void>;
}

/** Opens a QUIC connection with hayate/quic and resolves once the handshake completes. */
export async function connectHayateQuic(
  options: HayateQuicConnectOptions,
): Promise<HayateQuicClientConnection> {
  const limits = limitsWithIdle(options.limits, options.maxIdleTimeoutMs);
  const endpoint = new QuicEndpoint({ crypto: quicCryptoProvider(), limits });
  const driver = new UdpQuicDriver(endpoint);
  const family = isIP(options.host);
  // A host name resolves first (IPv4, as node:dgram resolves for an IPv4 socket): the native socket takes
  // numeric addresses only, and the core compares each datagram's source with this address (RFC 9000 §9.3).
  const address = family === 0 ? (await lookup(options.host, { family: 4 })).address : options.host;
  await driver.attach(options.udp ?? defaultUdp(), family === 6 ? '::' : '0.0.0.0', 0);
  const remote = { address, port: options.port };
  // A connected socket skips the route lookup per send and hears only its server.
  if (driver.port instanceof NativePort) driver.port.connect(remote);
  const serverName = options.serverName ?? options.host;
  const core = endpoint.connect(
    remote,
    {
      alpn: options.alpn ?? ['h3'],
      ...(options.congestionControl === undefined ? {} : { congestionControl: options.congestionControl }),
      limits,
      serverName,
      verifyPeer: options.verifyPeer ?? true,
      ...(options.ca === undefined ? {} : { ca: [options.ca] }),
      ...(options.sessionTicket === undefined
        ? {}
        : { sessionTicket: options.sessionTicket, earlyData: options.earlyData === true }),
      wallClockOffsetMs: Date.now() - performance.now(),
    },
    performance.now(),
  );
  const conn = driver.adopt(core, 'client', remote);
  conn.onSessionTicket = options.onSessionTicket ?? null;
  const ready = new Promise<void>((resolve, reject) => {
    conn.handshake = { resolve, reject };
  });
  const closeSocket = (): Promise<void> => driver.shutdown();
  // The application is told at once; the socket stays for the closing or draining period (RFC 9000 §10.2)
  // so a late packet still gets CONNECTION_CLOSE, and closes when the core is done with it.
  driver.onIdle = closeSocket;
  driver.pump();
  try {
    // RFC 9001 §4.6.1: with 0-RTT keys the application may write before the handshake completes.
    if (!core.canSendEarlyData) await ready;
    else ready.catch(() => undefined);
  } catch (err) {
    await closeSocket();
    throw err;
  }
  const destroy = async (): Promise<void> => {
    if (!conn.isClosed) {
      core.close(0, '', true, performance.now());
      driver.pump();
    }
    await closeSocket();
  };
  return Object.assign(conn, { destroy });
}
