/**
 * Shared pieces of the real-traffic server tests (test/server/traffic-mix, lockout, leaks and
 * test/interop/real-clients): a server on any transport with an echo-and-digest handler, raw clients
 * (HTTP/1.1 bytes, and HTTP/2 frames built by our own {@link Http2Connection} in the client role) whose
 * output is split at random offsets with random small delays, and the resource checks every such test
 * ends with (connection count 0, open descriptors back at their baseline).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Http2Connection, type Http2Event } from '../../src/http2/connection.js';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { createServer, type Server, type ServerOptions } from '../../src/server/server.js';
import type { Handler } from '../../src/server/types.js';
import { NativeLoop } from '../../src/transport/native.js';

/** Where the server under test runs: the native addon, node:net, or node:tls (ALPN h2 / http/1.1). */
export type TransportKind = 'native' | 'net' | 'tls';

/** Every transport, in the order tests run them. */
export const TRANSPORT_KINDS: readonly TransportKind[] = ['native', 'net', 'tls'];

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Open descriptors of this process. The native poller's fd lives as long as the process and opens on first
 * use (hayate/quic's default UDP path uses it too), so it is opened here, before any baseline is taken.
 */
export function openFds(): number {
  NativeLoop.get(undefined, true);
  return readdirSync('/proc/self/fd').length;
}

/** Waits (up to `ms`) until the descriptor count is back at `baseline`; sockets close asynchronously. */
export async function fdsBackTo(baseline: number, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (openFds() > baseline && Date.now() < deadline) await sleep(10);
  assert.equal(openFds(), baseline, 'descriptors left open');
}

/** What each open descriptor points at (`socket:[123]`, a path...). */
export function fdTargets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // Closed between readdir and readlink (the readdir handle itself).
    }
  }
  return out;
}

/** Deterministic body of `n` bytes. */
export function pattern(n: number, salt = 0): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7 + salt) & 0xff;
  return out;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A small deterministic PRNG (xorshift32) so one fast-check integer drives every split and delay. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
}

let certCache: { key: string; cert: string } | undefined;
/** One self-signed localhost certificate per process. */
export function testCert(): { key: string; cert: string } {
  certCache ??= selfSignedCertificate();
  return certCache;
}

/** True when `kind` can run here. A missing native addon fails in CI and skips (with a reason) elsewhere. */
export function kindAvailable(kind: TransportKind): boolean {
  if (kind !== 'native') return true;
  if (NativeLoop.get(undefined, true) !== undefined) return true;
  if (process.env['CI']) assert.fail('native addon missing in CI');
  console.log('# skip: native addon not built');
  return false;
}

/** A running server under test. */
export interface Started {
  readonly server: Server;
  readonly port: number;
  readonly kind: TransportKind;
  /** Handler errors reported through `onError`. */
  readonly errors: unknown[];
}

/** Starts `handler` on `kind` (TLS with a self-signed certificate) at 127.0.0.1:0. */
export async function startServer(
  kind: TransportKind,
  handler: Handler,
  options: Omit<ServerOptions, 'transport' | 'tls' | 'onError'> = {},
): Promise<Started> {
  const errors: unknown[] = [];
  const server = createServer(handler, {
    ...options,
    ...(kind === 'tls' ? { tls: testCert() } : { transport: kind }),
    onError: (e) => errors.push(e),
  });
  const { port } = await server.listen(0);
  return { server, port, kind, errors };
}

/**
 * Closes the server, giving up after `ms`: a leaked connection (a bug under test) must not hang the test,
 * and the timer keeps the event loop alive while node:tls waits for connections that never close.
 */
export async function stopServer(st: Started, ms = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    st.server.close(200),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Query and header names of the echo handler. */
export const ECHO = {
  /** Request header: an id the response echoes in `x-id` and in its body. */
  id: 'x-id',
  /** Request header: append this many {@link pattern} bytes (salted by the id length) after the digest line. */
  respBytes: 'x-resp-bytes',
} as const;

/**
 * The echo handler: reads the whole body, answers 200 with `x-id`, `x-digest` (SHA-256 of the body) and the
 * body `<id> <length> <digest>\n` followed by `x-resp-bytes` pattern bytes, written with backpressure.
 * `GET /download?n=N` (or `/download/N`) answers N pattern bytes with their digest in `x-digest`.
 * Every response says which protocol carried it in `x-protocol`.
 * Every request seen is logged (id, length, digest) so peers that cannot check digests (h2load) still can.
 */
export function echoHandler(log?: { id: string; length: number; digest: string }[]): Handler {
  const downloads = new Map<number, { body: Buffer; digest: string }>();
  return async (req, res) => {
    res.setHeader('x-protocol', req.protocol);
    if (req.path === '/download' || req.path.startsWith('/download/')) {
      const n = Number(req.path.slice(10) || (new URLSearchParams(req.query).get('n') ?? '0'));
      let d = downloads.get(n);
      if (d === undefined) {
        const body = pattern(n);
        d = { body, digest: sha256(body) };
        downloads.set(n, d);
      }
      res.setHeader('content-length', String(n));
      res.setHeader('x-digest', d.digest);
      for (let pos = 0; pos < n; pos += 65536) {
        if (!res.write(d.body.subarray(pos, Math.min(n, pos + 65536)))) await res.drained();
      }
      res.end();
      return;
    }
    const h = createHash('sha256');
    let length = 0;
    for await (const c of req.body) {
      h.update(c);
      length += c.length;
    }
    const digest = h.digest('hex');
    const id = req.headers.get(ECHO.id) ?? '';
    log?.push({ id, length, digest });
    const extra = Number(req.headers.get(ECHO.respBytes) ?? '0');
    res.setHeader('content-type', 'text/plain');
    res.setHeader('x-id', id);
    res.setHeader('x-digest', digest);
    const line = `${id} ${length} ${digest}\n`;
    if (extra === 0) {
      res.end(line);
      return;
    }
    res.setHeader('content-length', String(Buffer.byteLength(line) + extra));
    res.write(line);
    const body = pattern(extra, id.length);
    for (let pos = 0; pos < extra; pos += 16384) {
      if (!res.write(body.subarray(pos, Math.min(extra, pos + 16384)))) await res.drained();
    }
    res.end();
  };
}

/** The body the echo handler answers for `id` with `bodyDigest` over `bodyLength` bytes plus `extra` bytes. */
export function expectedEcho(id: string, body: Uint8Array, extra: number): Buffer {
  const line = Buffer.from(`${id} ${body.length} ${sha256(body)}\n`);
  return extra === 0 ? line : Buffer.concat([line, pattern(extra, id.length)]);
}

/** Opens a client socket to the server (TLS with `alpn` for the `tls` kind; certificate not verified). */
export function dial(
  kind: TransportKind,
  port: number,
  alpn: 'h2' | 'http/1.1' = 'http/1.1',
  allowHalfOpen = true,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s: Socket =
      kind === 'tls'
        ? tlsConnect(
            // allowHalfOpen is passed on to the TLSSocket (not in @types/node's ConnectionOptions).
            {
              host: '127.0.0.1',
              port,
              servername: 'localhost',
              rejectUnauthorized: false,
              ALPNProtocols: [alpn],
              ...({ allowHalfOpen } as object),
            },
            () => {
              s.off('error', reject);
              resolve(s);
            },
          )
        : netConnect({ host: '127.0.0.1', port, allowHalfOpen }, () => {
            s.off('error', reject);
            resolve(s);
          });
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Resolves when `socket` is closed (at once when it already is). */
export function socketClosed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) =>
    socket.once('close', () => {
      resolve();
    }),
  );
}

/**
 * Writes queued bytes to a socket in pieces of random length (a byte, a packet, up to 64 KiB), with a
 * random small delay before some pieces, as a real network splits them. `cutAfter` destroys the socket
 * once a given number of further bytes has been written (a client vanishing inside a request).
 */
export class SplitWriter {
  private readonly socket: Socket;
  private readonly rng: Prng;
  private readonly maxDelayMs: number;
  private readonly queue: Uint8Array[] = [];
  private isRunning = false;
  private budget = Infinity;
  private idleWaiters: (() => void)[] = [];
  /** Bytes written so far. */
  written = 0;
  /** Writes made so far. */
  writes = 0;

  constructor(socket: Socket, rng: Prng, maxDelayMs: number) {
    this.socket = socket;
    this.rng = rng;
    this.maxDelayMs = maxDelayMs;
  }

  /** Queues `bytes` (by reference) after everything queued before. */
  send(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    if (!this.isRunning) void this.pump();
  }

  /** Destroys the socket after `n` more bytes (0: at once, before anything queued is written). */
  cutAfter(n: number): void {
    this.budget = n;
    if (n === 0) this.socket.destroy();
  }

  /** Resolves when everything queued has been handed to the socket (or the socket is gone). */
  idle(): Promise<void> {
    if (!this.isRunning && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pieceLength(): number {
    const r = this.rng.int(10);
    if (r < 4) return 1 + this.rng.int(8);
    if (r < 7) return 1 + this.rng.int(1500);
    return 1 + this.rng.int(65536);
  }

  private take(n: number): Uint8Array {
    const first = this.queue[0]!;
    if (first.length > n) {
      this.queue[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n || this.queue.length === 1) {
      this.queue.shift();
      return first;
    }
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n && this.queue.length > 0) {
      const c = this.queue[0]!;
      const want = n - got;
      if (c.length > want) {
        parts.push(c.subarray(0, want));
        this.queue[0] = c.subarray(want);
        got += want;
      } else {
        parts.push(c);
        this.queue.shift();
        got += c.length;
      }
    }
    return Buffer.concat(parts);
  }

  private async pump(): Promise<void> {
    this.isRunning = true;
    try {
      while (this.queue.length > 0 && !this.socket.destroyed) {
        let n = this.pieceLength();
        if (n > this.budget) n = this.budget;
        const piece = this.take(n);
        this.budget -= piece.length;
        this.written += piece.length;
        this.writes++;
        const ok = this.socket.write(piece);
        if (this.budget <= 0) {
          // The client vanishes with part of its request written.
          this.queue.length = 0;
          this.socket.destroy();
          break;
        }
        if (!ok) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              this.socket.off('drain', done);
              this.socket.off('close', done);
              resolve();
            };
            this.socket.on('drain', done);
            this.socket.on('close', done);
          });
        }
        if (this.maxDelayMs > 0 && this.rng.chance(0.15)) await sleep(this.rng.int(this.maxDelayMs + 1));
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.isRunning = false;
      if (this.socket.destroyed) this.queue.length = 0;
      if (this.queue.length === 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      } else {
        void this.pump();
      }
    }
  }
}

/** One HTTP/1.x response as read off the wire. */
export interface H1Response {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
  /** The status line. */
  readonly head: string;
}

/**
 * An incremental HTTP/1.1 response reader (RFC 9112 §6): content-length and chunked bodies, interim 1xx
 * responses skipped. `error` is set (and reading stops) on anything malformed.
 */
export class H1ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  readonly responses: H1Response[] = [];
  error: string | undefined;
  private waiters: (() => void)[] = [];
  isClosed = false;

  constructor(socket?: Socket) {
    if (socket !== undefined) {
      socket.on('data', (d: Buffer) => {
        this.push(d);
      });
      socket.on('close', () => {
        this.isClosed = true;
        this.wake();
      });
      socket.on('error', () => {
        // Seen as a close.
      });
    }
  }

  /** Bytes received and not part of a complete response. */
  get rest(): Buffer {
    return this.buf;
  }

  push(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.error === undefined && this.parseOne());
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `n` responses have arrived, the socket closed, a parse error, or `ms` passed. */
  async waitFor(n: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.responses.length < n && !this.isClosed && this.error === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 100));
      });
    }
    return this.responses.length >= n;
  }

  /** Waits until the socket closes; false after `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 100));
      });
    }
    return true;
  }

  private parseOne(): boolean {
    const buf = this.buf;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buf.length > 65536) this.error = 'response head above 64 KiB';
      return false;
    }
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    const statusLine = lines[0]!;
    const m = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine + ' ');
    if (m === null) {
      this.error = `bad status line ${JSON.stringify(statusLine.slice(0, 80))}`;
      return false;
    }
    const status = Number(m[1]);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      if (c <= 0) {
        this.error = `bad field line ${JSON.stringify(l.slice(0, 80))}`;
        return false;
      }
      const name = l.slice(0, c).toLowerCase();
      const value = l.slice(c + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)!}, ${value}` : value);
    }
    let pos = end + 4;
    if (status >= 100 && status < 200) {
      this.buf = buf.subarray(pos);
      return true;
    }
    let body: Buffer;
    const te = headers.get('transfer-encoding');
    if (te !== undefined) {
      if (te.toLowerCase() !== 'chunked') {
        this.error = `unexpected transfer-encoding ${te}`;
        return false;
      }
      const parts: Buffer[] = [];
      for (;;) {
        const le = buf.indexOf('\r\n', pos);
        if (le < 0) return false;
        const size = parseInt(buf.subarray(pos, le).toString('latin1').split(';')[0]!, 16);
        if (!Number.isFinite(size)) {
          this.error = 'bad chunk size';
          return false;
        }
        pos = le + 2;
        if (size === 0) {
          // Trailer section, then the empty line.
          for (;;) {
            const te2 = buf.indexOf('\r\n', pos);
            if (te2 < 0) return false;
            const isEmpty = te2 === pos;
            pos = te2 + 2;
            if (isEmpty) break;
          }
          break;
        }
        if (buf.length < pos + size + 2) return false;
        parts.push(buf.subarray(pos, pos + size));
        pos += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      const cl = headers.get('content-length');
      const n = status === 204 || status === 304 ? 0 : cl === undefined ? -1 : Number(cl);
      if (n < 0) {
        this.error = `response ${status} without content-length or chunked`;
        return false;
      }
      if (buf.length < pos + n) return false;
      body = buf.subarray(pos, pos + n);
      pos += n;
    }
    this.responses.push({ status, headers, body, head: statusLine });
    this.buf = buf.subarray(pos);
    return true;
  }
}

/** One HTTP/2 response read by {@link H2RawClient}. */
export interface H2Response {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

interface H2Pending {
  status: number;
  headers: Map<string, string>;
  chunks: Buffer[];
  resolve(r: H2Response): void;
  reject(e: Error): void;
}

/**
 * A minimal HTTP/2 client over a raw socket: frames come from our own {@link Http2Connection} (client role,
 * HPACK encoder included) and go out through a {@link SplitWriter}, so every frame boundary is split at
 * random. DATA is acknowledged (WINDOW_UPDATE) as soon as it arrives.
 */
export class H2RawClient {
  readonly conn: Http2Connection;
  readonly writer: SplitWriter;
  readonly socket: Socket;
  private readonly pending = new Map<number, H2Pending>();
  /** Connection-level problems seen (GOAWAY with an error, a connection error raised by our core). */
  readonly problems: string[] = [];
  goaway: { lastStreamId: number; errorCode: number } | undefined;
  isClosed = false;

  constructor(socket: Socket, writer: SplitWriter) {
    this.socket = socket;
    this.writer = writer;
    this.conn = new Http2Connection({ role: 'client' });
    socket.on('data', (d: Buffer) => {
      this.onData(d);
    });
    socket.on('error', () => {
      // Seen as a close.
    });
    socket.on('close', () => {
      this.isClosed = true;
      for (const [id, p] of this.pending) p.reject(new Error(`connection closed before stream ${id} ended`));
      this.pending.clear();
    });
    this.flush();
  }

  /** Sends a request (body may be empty); resolves with the whole response. */
  request(
    method: string,
    authority: string,
    path: string,
    headers: readonly (readonly [string, string])[],
    body: Uint8Array,
  ): { id: number; response: Promise<H2Response> } {
    const fields: [string, string][] = [
      [':method', method],
      [':scheme', this.socket.constructor.name === 'TLSSocket' ? 'https' : 'http'],
      [':authority', authority],
      [':path', path],
      ...headers.map(([n, v]): [string, string] => [n, v]),
    ];
    if (body.length > 0) fields.push(['content-length', String(body.length)]);
    const id = this.conn.request(fields, { endStream: body.length === 0 });
    const response = new Promise<H2Response>((resolve, reject) => {
      this.pending.set(id, { status: 0, headers: new Map(), chunks: [], resolve, reject });
    });
    if (body.length > 0) this.conn.sendData(id, body, true);
    this.flush();
    return { id, response };
  }

  /** Resets stream `id` (CANCEL); its response promise rejects. */
  reset(id: number): void {
    this.conn.resetStream(id);
    const p = this.pending.get(id);
    this.pending.delete(id);
    p?.reject(new Error(`stream ${id} reset by us`));
    this.flush();
  }

  /** Graceful close: GOAWAY, then FIN once it is written. */
  async close(): Promise<void> {
    if (!this.conn.isClosed) this.conn.goAway();
    this.flush();
    await this.writer.idle();
    if (!this.socket.destroyed) this.socket.end();
  }

  flush(): void {
    if (this.socket.destroyed) return;
    for (const c of this.conn.takeOutput()) this.writer.send(c);
  }

  private onData(d: Buffer): void {
    try {
      this.conn.receive(d);
    } catch (e) {
      this.problems.push(`client core raised ${String(e)}`);
    }
    for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) this.onEvent(e);
    this.flush();
  }

  private onEvent(e: Http2Event): void {
    switch (e.type) {
      case 'response': {
        const p = this.pending.get(e.streamId);
        if (p === undefined) return;
        p.status = e.status;
        for (const [n, v] of e.headers.toArray()) p.headers.set(n, v);
        return;
      }
      case 'data': {
        const p = this.pending.get(e.streamId);
        // Lifetime: e.data is valid until the next receive(); keep a copy.
        if (p !== undefined && e.data.length > 0) p.chunks.push(Buffer.from(e.data));
        this.conn.consumed(e.streamId, e.data.length);
        return;
      }
      case 'end':
        this.finish(e.streamId);
        return;
      case 'streamReset': {
        const p = this.pending.get(e.streamId);
        this.pending.delete(e.streamId);
        p?.reject(new Error(`stream ${e.streamId} reset (${e.initiator}, code ${e.errorCode})`));
        return;
      }
      case 'goaway':
        this.goaway = { lastStreamId: e.lastStreamId, errorCode: e.errorCode };
        if (e.errorCode !== 0) this.problems.push(`GOAWAY with error code ${e.errorCode}`);
        return;
      case 'informational':
      case 'settings':
      case 'settingsAck':
      case 'ping':
      case 'pingAck':
      case 'drain':
      case 'request':
      case 'trailers':
        return;
    }
  }

  private finish(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.resolve({ status: p.status, headers: p.headers, body: Buffer.concat(p.chunks) });
  }
}

/** Records, per client port, when the server published that it closed the connection. */
export class CloseLog {
  private readonly portOf = new WeakMap<object, number>();
  readonly closedAt = new Map<number, number>();
  private readonly onOpen = (m: unknown): void => {
    const { socket } = m as { socket: { remotePort: number } };
    this.portOf.set(socket, socket.remotePort);
  };
  private readonly onClose = (m: unknown): void => {
    const { connection } = m as { connection: { socket?: object } };
    const s = connection.socket;
    const port = s === undefined ? undefined : this.portOf.get(s);
    if (port !== undefined) this.closedAt.set(port, Date.now());
  };

  constructor() {
    subscribe('hayate:server:connection-open', this.onOpen);
    subscribe('hayate:server:connection-close', this.onClose);
  }

  dispose(): void {
    unsubscribe('hayate:server:connection-open', this.onOpen);
    unsubscribe('hayate:server:connection-close', this.onClose);
  }
}

/**
 * Polls up to `ms` until the server has no connection and the process is back at `fds0` descriptors;
 * returns a description of what is left ('' when clean).
 */
export async function settle(
  server: Server,
  fds0: number,
  ms = 3000,
  baseline?: Map<string, string>,
): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const conns = server.connectionCount;
    const fds = openFds();
    if (conns === 0 && fds <= fds0) return '';
    if (Date.now() > deadline) {
      let extra = '';
      if (baseline !== undefined) {
        const now = fdTargets();
        const added = [...now].filter(([fd, t]) => baseline.get(fd) !== t).map(([fd, t]) => `${fd}->${t}`);
        extra = ` new fds: ${added.slice(0, 12).join(' ')}${added.length > 12 ? ' ...' : ''}`;
      }
      return `after ${ms} ms: server.connectionCount=${conns}, open fds ${fds} vs baseline ${fds0}${extra}`;
    }
    await sleep(25);
  }
}
