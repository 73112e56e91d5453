/**
 * QUIC provider over the optional dependency `@matrixai/quic` 2.0.9 (Node bindings to Cloudflare's quiche,
 * shipped as a prebuilt binary). It adapts the package's web-stream API to {@link QuicConnection}:
 * streams by id, FIN, RESET_STREAM / STOP_SENDING with application codes, and connection close.
 *
 * Limits of this adapter (the package exposes no more): no DATAGRAM frames (`isDatagramSupported` is
 * false), and `onStreamAcked` reports bytes accepted by quiche's send buffer rather than bytes the peer
 * acknowledged. quiche only accepts what the peer's flow control (and the congestion window) allows, so
 * a peer that reads slowly still holds bytes back here, where HTTP/3 sees them as unacknowledged.
 *
 * Receiving: quiche returns stream credit (MAX_STREAM_DATA) as the application reads from it
 * (`stream_recv`), so this adapter stops reading a stream once {@link READ_AHEAD_BYTES} delivered bytes
 * wait to be `consumed()`, and the peer's window stays closed until the user catches up.
 */
import { createHmac, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import type { Socket } from 'node:dgram';
import type { QuicConnection, QuicConnectionHandlers } from './quic.js';
import { QuicCloseKind, QuicProviderError } from './quic.js';
import { validatePort } from './errors.js';

// Structural types for the parts of @matrixai/quic used here, so this file type-checks (and fails with a
// clear message at run time) when the optional dependency is absent.
interface MxStream {
  readonly streamId: number;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}
interface MxConnectionError {
  readonly isApp: boolean;
  readonly errorCode: number;
  readonly reason: Uint8Array;
}
interface MxConnection extends EventTarget {
  readonly type: 'client' | 'server';
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly closedP: Promise<void>;
  newStream(type: 'bidi' | 'uni'): MxStream;
  stop(opts: { isApp: true; errorCode: number; reason: Uint8Array; force: boolean }): Promise<void>;
  getConnectionError(): MxConnectionError | undefined;
}
interface MxServer extends EventTarget {
  readonly port: number;
  readonly host: string;
  start(opts: { host: string; port: number }): Promise<void>;
  stop(opts: { force: boolean }): Promise<void>;
}
interface MxClient {
  readonly connection: MxConnection;
  destroy(opts: { force: boolean }): Promise<void>;
}
interface MxLoggerModule {
  default: new (key?: string, level?: number) => unknown;
}
interface MxModule {
  QUICServer: new (opts: unknown) => MxServer;
  QUICClient: { createQUICClient(opts: unknown): Promise<MxClient> };
  QUICConnection: { prototype: object };
  QUICStream: { prototype: object };
  events: {
    EventQUICServerConnection: { name: string };
    EventQUICConnectionStream: { name: string };
    EventQUICStreamSend: new () => Event;
  };
}

/** Carries an application error code through the package's reason/code mapping. */
class StreamCode {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

const reasonToCode = (_type: 'read' | 'write', reason?: unknown): number =>
  reason instanceof StreamCode ? reason.code : 0;
const codeToReason = (_type: 'read' | 'write', code: number): StreamCode => new StreamCode(code);

/** The package's stream error event (`events.EventQUICStreamError`; events are named after their class). */
const STREAM_ERROR_EVENT = 'EventQUICStreamError';

/** A variable, not a literal, so the build does not need the optional package's types. */
const QUICHE_PACKAGE: string = '@matrixai/quic';

/** The package's logger (a dependency of @matrixai/quic); optional. */
const LOGGER_PACKAGE: string = '@matrixai/logger';
/** @matrixai/logger LogLevel.WARN. */
const LOG_LEVEL_WARN = 3;
let quietLogger: unknown;

let loaded: Promise<MxModule> | undefined;

/**
 * Loads `@matrixai/quic` once (and applies the handshake-stream workaround). Rejects with
 * `ERR_QUIC_PROVIDER_MISSING` when the optional dependency is not installed.
 */
export function loadQuiche(): Promise<MxModule> {
  loaded ??= (async () => {
    let mod: MxModule;
    try {
      mod = (await import(QUICHE_PACKAGE)) as MxModule;
    } catch (cause) {
      throw new QuicProviderError(
        'ERR_QUIC_PROVIDER_MISSING',
        "HTTP/3 over UDP needs the optional dependency '@matrixai/quic' (npm install @matrixai/quic@2.0.9); " +
          'it is missing or its native quiche binary does not load on this platform',
        { cause },
      );
    }
    patchHandshakeStreams(mod.QUICConnection.prototype);
    patchFinWithData(mod.QUICStream.prototype, mod.events.EventQUICStreamSend);
    try {
      // The package logs every connection and stream at INFO; hayate only wants its warnings.
      const logging = (await import(LOGGER_PACKAGE)) as MxLoggerModule;
      quietLogger = new logging.default('hayate-quic', LOG_LEVEL_WARN);
    } catch {
      quietLogger = undefined;
    }
    return mod;
  })();
  return loaded;
}

const PATCHED = Symbol('hayate.patchedHandshakeStreams');
const DEFERRED = Symbol('hayate.deferredStreams');

type Patchable = Record<string | symbol, unknown>;

function ownSymbol(obj: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(obj).find((s) => s.description === description);
}

/** True while the connection's `start()` is still running (async-init's private `_status` is 'starting'). */
export function isStarting(conn: object): boolean {
  const sym = ownSymbol(conn, '_status');
  return sym !== undefined && (conn as Patchable)[sym] === 'starting';
}

/**
 * Workaround for @matrixai/quic 2.0.9: `QUICConnection.processStreams()` runs as soon as quiche reports
 * the handshake done, which happens inside `recv()` while `start()` is still pending. There it treats every
 * new peer stream as arriving on a *stopping* connection and calls `streamShutdown(id, Write)` and
 * `streamShutdown(id, Read)` on it. On a peer-initiated unidirectional stream the write shutdown throws
 * quiche's InvalidStreamState, which escapes `recv()` and crashes the process; on other streams it silently
 * rejects them. Every HTTP/3 peer opens its control and QPACK streams in its first flight, so this hits
 * every connection. The patch makes `processStreams()` a no-op while the connection is starting and runs it
 * once `start()` has resolved (on the next macrotask, after the caller has installed its stream listener).
 * Nothing is lost: quiche keeps the stream data and `readable()` reports those streams again.
 * Covered by test/transport/quic-quiche.test.ts ("handshake streams are deferred, not rejected").
 */
export function patchHandshakeStreams(proto: object): void {
  const p = proto as Patchable;
  if (p[PATCHED] === true) return;
  const processStreams = p['processStreams'] as (this: object) => void;
  const start = p['start'] as (this: object, ...args: unknown[]) => Promise<void>;
  const send = p['send'] as ((this: object) => Promise<void>) | undefined;
  p['processStreams'] = function (this: Patchable): void {
    if (isStarting(this)) {
      this[DEFERRED] = true;
      return;
    }
    processStreams.call(this);
  };
  p['start'] = function (this: Patchable, ...args: unknown[]): Promise<void> {
    const started = start.apply(this, args);
    started.then(
      () => {
        setImmediate(() => {
          if (this[DEFERRED] !== true) return;
          this[DEFERRED] = false;
          processStreams.call(this);
          void send?.call(this).catch(() => undefined);
        });
      },
      () => undefined,
    );
    return started;
  };
  p[PATCHED] = true;
}

/** Chunks (views made for the purpose) that `writableWrite` sends with the FIN (see patchFinWithData). */
const FIN_CHUNKS = new WeakSet<Uint8Array>();

interface PatchableStream {
  readonly streamId: number;
  readonly connection: { conn: { streamSend(id: number, data: Uint8Array, fin: boolean): number | null } };
  resolveWritableP?: () => void;
  rejectWritableP?: (reason: unknown) => void;
  dispatchEvent(e: Event): boolean;
}

/**
 * Lets the last chunk of a stream carry the FIN. @matrixai/quic 2.0.9 always writes with `fin = false` and
 * ends the stream with a separate empty write on `close()`; quiche 0.18 then sends the FIN in its own
 * STREAM frame, and once the data before it is acknowledged it does not retransmit a lost FIN, so the
 * peer waits for the end of the response until its idle timeout (seen under loopback UDP loss with 100+
 * concurrent requests). For a chunk in {@link FIN_CHUNKS}, `writableWrite` passes `fin = true` to every
 * `streamSend` (quiche drops the FIN from a partial write, and the rest is retried with it). A failing
 * send falls back to the package's own path, which reports STOP_SENDING and other errors.
 * Covered by test/server/http3-udp.test.ts ("200 concurrent GETs").
 */
export function patchFinWithData(proto: object, sendEvent: new () => Event): void {
  const p = proto as Patchable;
  if (p[PATCHED] === true) return;
  const original = p['writableWrite'] as (this: PatchableStream, chunk: Uint8Array) => Promise<void>;
  p['writableWrite'] = async function (this: PatchableStream, chunk: Uint8Array): Promise<void> {
    if (!FIN_CHUNKS.has(chunk)) return original.call(this, chunk);
    let rest = chunk;
    for (;;) {
      let sent: number;
      try {
        sent = this.connection.conn.streamSend(this.streamId, rest, true) ?? 0;
      } catch {
        return original.call(this, rest);
      }
      this.dispatchEvent(new sendEvent());
      if (sent >= rest.byteLength) return;
      rest = rest.subarray(sent);
      // Resolved by the package's QUICStream.write() once quiche reports the stream writable again.
      await new Promise<void>((resolve, reject) => {
        this.resolveWritableP = resolve;
        this.rejectWritableP = reject;
      });
    }
  };
  p[PATCHED] = true;
}

/** Delivered bytes of one stream waiting for `consumed()` above which reading pauses. */
export const READ_AHEAD_BYTES = 256 * 1024;
/** UDP receive buffer asked for (SO_RCVBUF; Linux caps it at net.core.rmem_max). */
export const UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;

interface StreamEntry {
  readonly stream: MxStream;
  writer: WritableStreamDefaultWriter<Uint8Array> | null;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
  /** Settles when the chunks queued so far have reached quiche (or failed). */
  chain: Promise<void>;
  /** Chunks not yet given to quiche, in order. */
  readonly queue: Uint8Array[];
  isFinQueued: boolean;
  isFinSent: boolean;
  isPumping: boolean;
  /** Bytes delivered to the user and not yet `consumed()`. */
  unconsumed: number;
  resumeRead: (() => void) | null;
}

type Pending = (h: QuicConnectionHandlers) => void;

const EMPTY = new Uint8Array(0);

/** A {@link QuicConnection} over one `@matrixai/quic` connection. */
export class QuicheConnection implements QuicConnection {
  readonly role: 'client' | 'server';
  readonly alpn = 'h3';
  readonly isDatagramSupported = false;
  private readonly conn: MxConnection;
  private readonly streams: Map<number, StreamEntry>;
  private handlers: QuicConnectionHandlers | null;
  private readonly pending: Pending[];
  private isClosing: boolean;
  private readonly waiting: Array<{ streamId: number; chunks: Uint8Array[]; fin: boolean }>;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the QUIC connection has closed. */
  readonly closed: Promise<void>;
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(conn: MxConnection, streamEventName: string) {
    this.conn = conn;
    this.role = conn.type;
    this.streams = new Map();
    this.handlers = null;
    this.pending = [];
    this.isClosing = false;
    this.waiting = [];
    this.retryTimer = undefined;
    this.remoteAddress = conn.remoteHost;
    this.remotePort = conn.remotePort;
    conn.addEventListener(streamEventName, (evt) => {
      const stream = (evt as CustomEvent<MxStream>).detail;
      this.readLoop(this.entry(stream));
    });
    this.closed = conn.closedP.then(() => {
      const e = conn.getConnectionError();
      const inner = (conn as unknown as { conn?: { isTimedOut?(): boolean } }).conn;
      // RFC 9000 §10.1: an idle timeout closes silently; quiche records no error for it, which the
      // package would report as a close with code 0.
      const kind =
        e === undefined && inner?.isTimedOut?.() === true
          ? QuicCloseKind.IDLE_TIMEOUT
          : e?.isApp === false
            ? QuicCloseKind.TRANSPORT
            : QuicCloseKind.APPLICATION;
      this.emit((h) => {
        h.onClose(e?.errorCode ?? 0, e === undefined ? '' : new TextDecoder().decode(e.reason), kind);
      });
    });
  }

  setHandlers(handlers: QuicConnectionHandlers): void {
    this.handlers = handlers;
    for (const p of this.pending.splice(0)) p(handlers);
  }

  writeStream(streamId: number, chunks: readonly Uint8Array[], fin: boolean): void {
    if (this.streams.get(streamId) === undefined && this.isLocal(streamId)) {
      // RFC 9000 §4.6: a new local stream needs MAX_STREAMS credit. Streams open in id order, so once one
      // waits, every later new stream waits behind it.
      if (this.waiting.length > 0 || !this.tryOpen(streamId)) {
        this.waiting.push({ streamId, chunks: chunks.slice(), fin });
        this.scheduleRetry();
        return;
      }
    }
    this.write(streamId, chunks, fin);
  }

  private write(streamId: number, chunks: readonly Uint8Array[], fin: boolean): void {
    const e = this.streams.get(streamId);
    if (e === undefined || e.isFinQueued) return;
    for (const c of chunks) if (c.length > 0) e.queue.push(c);
    if (fin) e.isFinQueued = true;
    if (e.isPumping) return;
    e.isPumping = true;
    e.chain = this.pump(e).then(
      () => {
        e.isPumping = false;
      },
      () => {
        e.isPumping = false;
        e.queue.length = 0;
      },
    );
  }

  /**
   * Feeds queued chunks to quiche one at a time (each resolves once quiche took it all, i.e. the peer's
   * credit allowed it) and reports each as acknowledged. The FIN goes with the last chunk: a tail chunk
   * without a FIN behind it waits one macrotask first, since HTTP/3 often ends the stream right after.
   */
  private async pump(e: StreamEntry): Promise<void> {
    const id = e.stream.streamId;
    e.writer ??= e.stream.writable.getWriter();
    const writer = e.writer;
    let held: Uint8Array | undefined;
    for (;;) {
      const c = e.queue[0];
      if (c === undefined) {
        if (!e.isFinQueued) {
          // Not pumping from here on, synchronously: a write made in the microtasks that the last ack
          // released (a handler past `drained()`) must start a new pump, not queue behind this finished one
          // (it did, and the stream stalled until the idle timeout; test/server/http3-udp.test.ts).
          e.isPumping = false;
          return;
        }
        if (!e.isFinSent) {
          // Nothing left to carry it: an empty FIN (the data went out earlier).
          e.isFinSent = true;
          await writer.close();
          // QUICStream's close handler queues the FIN in quiche but, unlike a write, does not ask the
          // connection to send, so a FIN after the last write would wait for unrelated traffic.
          await this.kick();
        }
        return;
      }
      // Only request streams end; control and QPACK streams never carry a FIN (RFC 9114 §6.2.1).
      if (e.queue.length === 1 && !e.isFinQueued && held !== c && (id & 2) === 0) {
        held = c;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      e.queue.shift();
      const isLast = e.queue.length === 0 && e.isFinQueued;
      if (isLast) {
        // A view of its own, so the marker cannot leak to another stream writing the same buffer.
        const v = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
        FIN_CHUNKS.add(v);
        e.isFinSent = true;
        await writer.write(v);
        this.emit((h) => {
          h.onStreamAcked(id, c.length);
        });
        await writer.close();
        await this.kick();
        return;
      }
      await writer.write(c);
      this.emit((h) => {
        h.onStreamAcked(id, c.length);
      });
    }
  }

  consumed(streamId: number, bytes: number): void {
    const e = this.streams.get(streamId);
    if (e === undefined || bytes <= 0) return;
    e.unconsumed -= bytes;
    if (e.unconsumed < READ_AHEAD_BYTES && e.resumeRead !== null) {
      const resume = e.resumeRead;
      e.resumeRead = null;
      resume();
    }
  }

  resetStream(streamId: number, code: number): void {
    const e = this.streams.get(streamId);
    if (e === undefined) return;
    e.writer ??= e.stream.writable.getWriter();
    void e.writer.abort(new StreamCode(code)).catch(() => undefined);
  }

  stopSending(streamId: number, code: number): void {
    const e = this.streams.get(streamId);
    if (e === undefined) return;
    if (e.reader !== null) void e.reader.cancel(new StreamCode(code)).catch(() => undefined);
    else void e.stream.readable.cancel(new StreamCode(code)).catch(() => undefined);
  }

  sendDatagram(): void {
    throw new QuicProviderError('ERR_QUIC_DATAGRAM', '@matrixai/quic 2.0.9 exposes no DATAGRAM frames');
  }

  close(code: number, reason: string): void {
    if (this.isClosing) return;
    this.isClosing = true;
    // Let queued stream writes reach quiche first, so a graceful close (H3_NO_ERROR) follows the data.
    const writes = [...this.streams.values()].map((e) => e.chain);
    const reasonBytes = new TextEncoder().encode(reason);
    void Promise.all(writes)
      .then(async () => {
        // `stop()` destroys every stream first, which sends RESET_STREAM on each (the peer would see its
        // control stream reset: H3_CLOSED_CRITICAL_STREAM) before CONNECTION_CLOSE. Closing the quiche
        // connection first makes it draining, so the stream teardown in `stop()` sends nothing more.
        const inner = this.conn as unknown as {
          conn?: { close(isApp: boolean, code: number, reason: Uint8Array): void };
          send?: () => Promise<void>;
        };
        try {
          inner.conn?.close(true, code, reasonBytes);
          await inner.send?.call(this.conn);
        } catch {
          // Already closing or closed: stop() below copes.
        }
        await this.conn.stop({ isApp: true, errorCode: code, reason: reasonBytes, force: true });
      })
      .catch(() => undefined);
  }

  /** Asks the package to flush quiche's pending packets (its protected `send()`). */
  private async kick(): Promise<void> {
    const send = (this.conn as unknown as { send?: () => Promise<void> }).send;
    await send?.call(this.conn).catch(() => undefined);
  }

  /** True once quiche is draining or closed (a CONNECTION_CLOSE was sent or received). */
  private isDraining(): boolean {
    const inner = (this.conn as unknown as { conn?: { isDraining(): boolean; isClosed(): boolean } }).conn;
    return inner !== undefined && (inner.isDraining() || inner.isClosed());
  }

  private emit(fn: Pending): void {
    if (this.handlers === null) this.pending.push(fn);
    else fn(this.handlers);
  }

  private entry(stream: MxStream): StreamEntry {
    let e = this.streams.get(stream.streamId);
    if (e === undefined) {
      e = {
        stream,
        writer: null,
        reader: null,
        chain: Promise.resolve(),
        queue: [],
        isFinQueued: false,
        isFinSent: false,
        isPumping: false,
        unconsumed: 0,
        resumeRead: null,
      };
      this.streams.set(stream.streamId, e);
      this.watchStopSending(stream);
    }
    return e;
  }

  /**
   * The package learns of a peer's STOP_SENDING only when it next writes the stream (quiche lists a stopped
   * stream as writable); it then errors the writable side with the peer's code (our `StreamCode`) and
   * dispatches a stream error. That is the one place the code reaches us: report it, so HTTP/3 can abort
   * the request (RFC 9114 §4.1.1) and answer with RESET_STREAM (RFC 9000 §3.5).
   */
  private watchStopSending(stream: MxStream): void {
    const id = stream.streamId;
    (stream as unknown as EventTarget).addEventListener(STREAM_ERROR_EVENT, (evt) => {
      const err = (evt as Event & { detail?: { cause?: unknown; name?: string } }).detail;
      if (err?.name !== 'ErrorQUICStreamPeerWrite' || !(err.cause instanceof StreamCode)) return;
      if (this.isClosing || this.isDraining()) return;
      const code = err.cause.code;
      this.emit((h) => {
        h.onStopSending(id, code);
      });
    });
  }

  private isLocal(streamId: number): boolean {
    return (streamId & 1) === (this.role === 'client' ? 0 : 1);
  }

  /** Writes queued for streams that could not be opened yet, once credit allows, in order. */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.isClosing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      while (this.waiting.length > 0) {
        const w = this.waiting[0]!;
        if (this.streams.get(w.streamId) === undefined && !this.tryOpen(w.streamId)) {
          this.scheduleRetry();
          return;
        }
        this.waiting.shift();
        this.write(w.streamId, w.chunks, w.fin);
      }
    }, 1);
  }

  /** Opens local stream `streamId`; false when the peer's stream limit is reached (retry later). */
  private tryOpen(streamId: number): boolean {
    const isBidi = (streamId & 2) === 0;
    // Ask quiche first: a failed `newStream()` still marks the id as used inside the package (its
    // `isStreamUsed()` records ids as a side effect), so the same id could never be opened again.
    const inner = (
      this.conn as unknown as { conn?: { peerStreamsLeftBidi(): number; peerStreamsLeftUni(): number } }
    ).conn;
    if (inner !== undefined && (isBidi ? inner.peerStreamsLeftBidi() : inner.peerStreamsLeftUni()) <= 0)
      return false;
    const stream = this.conn.newStream(isBidi ? 'bidi' : 'uni');
    if (stream.streamId !== streamId) {
      // The package numbers streams itself; HTTP/3 opens them in id order, so the two must agree.
      throw new QuicProviderError(
        'ERR_QUIC_STREAM_ID',
        `opened stream ${stream.streamId} while HTTP/3 expected ${streamId}`,
      );
    }
    const e = this.entry(stream);
    if (isBidi) this.readLoop(e);
    return true;
  }

  private readLoop(e: StreamEntry): void {
    if (e.reader !== null) return;
    const id = e.stream.streamId;
    // Local unidirectional streams have nothing to read.
    if ((id & 2) !== 0 && (id & 1) === (this.role === 'client' ? 0 : 1)) return;
    const reader = e.stream.readable.getReader();
    e.reader = reader;
    void (async () => {
      try {
        for (;;) {
          if (e.unconsumed >= READ_AHEAD_BYTES) {
            // Leave the rest in quiche: its stream window (MAX_STREAM_DATA) opens only as we read.
            await new Promise<void>((resolve) => (e.resumeRead = resolve));
            if (this.isClosing) return;
          }
          const r = await reader.read();
          if (r.done) {
            this.emit((h) => {
              h.onStreamData(id, EMPTY, true);
            });
            return;
          }
          const bytes = r.value;
          e.unconsumed += bytes.length;
          this.emit((h) => {
            h.onStreamData(id, bytes, false);
          });
        }
      } catch (err) {
        // Only a peer's RESET_STREAM carries a StreamCode; other errors mean the connection is going
        // away, which onClose reports.
        if (err instanceof StreamCode && !this.isClosing && !this.isDraining()) {
          const code = err.code;
          this.emit((h) => {
            h.onStreamReset(id, code);
          });
        }
      }
    })();
  }
}

/**
 * Raises the UDP receive buffer of the package's socket (`QUICServer.socket` / `QUICClient.socket` hold a
 * QUICSocket whose `socket` is the dgram socket). Loopback drops datagrams when a burst overflows the
 * default buffer (net.core.rmem_default, often 208 KiB), which quiche must then recover by retransmission.
 * Best effort: Linux caps the size at net.core.rmem_max and unprivileged processes cannot exceed it.
 */
function raiseRecvBuffer(owner: unknown): void {
  const socket = (owner as { socket?: { socket?: Socket } } | undefined)?.socket?.socket;
  try {
    socket?.setRecvBufferSize(UDP_RECV_BUFFER_BYTES);
  } catch {
    // Not settable here (platform or permissions): keep the default.
  }
}

/** TLS and listening options of {@link listenQuiche}. */
export interface QuicheListenOptions {
  readonly host?: string;
  readonly port?: number;
  /** PEM private key and certificate chain. */
  readonly key: string;
  readonly cert: string;
  /** ALPN protocols offered; default ["h3"]. */
  readonly alpn?: readonly string[];
  /** Idle timeout in ms (0 = none). Default 30 000. */
  readonly maxIdleTimeoutMs?: number;
  /** Called for every new connection, before any stream data is delivered. */
  readonly onConnection: (conn: QuicheConnection) => void;
}

/** A listening QUIC endpoint. */
export interface QuicheListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function retryTokenCrypto(): unknown {
  // Stateless retry tokens (RFC 9000 §8.1.2) are HMAC-signed by the package through these callbacks.
  const key = randomBytes(32);
  const sign = (k: ArrayBuffer, data: ArrayBuffer): Buffer =>
    createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.length),
    ops: {
      sign: (k: ArrayBuffer, data: ArrayBuffer): Promise<ArrayBuffer> => {
        const s = sign(k, data);
        return Promise.resolve(s.buffer.slice(s.byteOffset, s.byteOffset + s.length) as ArrayBuffer);
      },
      verify: (k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer): Promise<boolean> => {
        const s = sign(k, data);
        const b = Buffer.from(sig);
        return Promise.resolve(b.length === s.length && timingSafeEqual(b, s));
      },
    },
  };
}

function quicConfig(
  alpn: readonly string[] | undefined,
  idleMs: number | undefined,
): Record<string, unknown> {
  return {
    applicationProtos: [...(alpn ?? ['h3'])],
    maxIdleTimeout: idleMs ?? 30_000,
    // HTTP/3 opens three unidirectional streams per side plus requests; quiche's defaults suffice, but
    // the per-stream buffer is raised so large responses are not throttled by a 4 KiB read chunk.
    readableChunkSize: 64 * 1024,
    initialMaxStreamsUni: 16,
    // Matches DEFAULT_HTTP3_LIMITS.maxConcurrentRequestStreams.
    initialMaxStreamsBidi: 100,
  };
}

/** Listens for QUIC (HTTP/3) connections on UDP. */
export async function listenQuiche(options: QuicheListenOptions): Promise<QuicheListener> {
  const port = validatePort(options.port ?? 0);
  const mod = await loadQuiche();
  const server = new mod.QUICServer({
    crypto: retryTokenCrypto(),
    config: {
      ...quicConfig(options.alpn, options.maxIdleTimeoutMs),
      key: options.key,
      cert: options.cert,
      verifyPeer: false,
    },
    reasonToCode,
    codeToReason,
    ...(quietLogger === undefined ? {} : { logger: quietLogger }),
  });
  server.addEventListener(mod.events.EventQUICServerConnection.name, (evt) => {
    const conn = (evt as CustomEvent<MxConnection>).detail;
    options.onConnection(new QuicheConnection(conn, mod.events.EventQUICConnectionStream.name));
  });
  await server.start({ host: options.host ?? '127.0.0.1', port });
  raiseRecvBuffer(server);
  return {
    host: server.host,
    port: server.port,
    close: () => server.stop({ force: true }),
  };
}

/** Options of {@link connectQuiche}. */
export interface QuicheConnectOptions {
  readonly host: string;
  readonly port: number;
  /** SNI and certificate name; default `host`. */
  readonly serverName?: string;
  readonly alpn?: readonly string[];
  /** Verify the server certificate (default true); `ca` adds trusted PEM roots. */
  readonly verifyPeer?: boolean;
  readonly ca?: string;
  readonly maxIdleTimeoutMs?: number;
}

/** A client connection; `destroy()` tears down the socket. */
export interface QuicheClientConnection extends QuicheConnection {
  destroy(): Promise<void>;
}

/** Opens a QUIC connection to a server (ALPN "h3" by default). */
export async function connectQuiche(options: QuicheConnectOptions): Promise<QuicheClientConnection> {
  const mod = await loadQuiche();
  const client = await mod.QUICClient.createQUICClient({
    host: options.host,
    port: options.port,
    serverName: options.serverName ?? options.host,
    crypto: {
      ops: {
        randomBytes: (data: ArrayBuffer): Promise<void> => {
          webcrypto.getRandomValues(new Uint8Array(data));
          return Promise.resolve();
        },
      },
    },
    config: {
      ...quicConfig(options.alpn, options.maxIdleTimeoutMs),
      verifyPeer: options.verifyPeer ?? true,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    },
    reasonToCode,
    codeToReason,
    ...(quietLogger === undefined ? {} : { logger: quietLogger }),
  });
  raiseRecvBuffer(client);
  const conn = new QuicheConnection(client.connection, mod.events.EventQUICConnectionStream.name);
  const destroy = async (): Promise<void> => {
    // QUICClient.destroy() waits for a client close event that never comes when the connection was closed
    // through QuicheConnection.close() (which closes quiche directly, see there); stopping the connection
    // and the client's own UDP socket is all destroy() would do.
    await client.connection
      .stop({ isApp: true, errorCode: 0, reason: new Uint8Array(0), force: true })
      .catch(() => undefined);
    const socket = (client as unknown as { socket?: { stop(o: { force: boolean }): Promise<void> } }).socket;
    await socket?.stop({ force: true }).catch(() => undefined);
  };
  return Object.assign(conn, { destroy });
}
