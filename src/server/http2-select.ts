/**
 * Protocol selection for HTTP/2 on a server (RFC 9113 §3): the h2c connection preface (prior knowledge),
 * and the HTTP/1.1 `Upgrade: h2c` path (RFC 7540 §3.2, still honoured for compatibility, RFC 9113 §3.1).
 * ALPN (`h2` vs `http/1.1`) is read from the TLS socket by the server that accepts it.
 */
import { assertNever } from '../common/errors.js';
import { CONNECTION_PREFACE } from '../http2/frame/header.js';
import type { SocketHandler, TransportSocket } from '../transport/socket.js';
import { TimerNode } from '../transport/timer-wheel.js';
import { requestRejected } from './diagnostics.js';
import { Http2ServerConnection, type Http2ServerOptions } from './http2.js';
import type { ServerConnection, ServerCore } from './server-core.js';
import type { ServerRequest, UpgradeHandler } from './types.js';

/** Whether `bytes[start, end)` begins the HTTP/2 preface: 1 yes, 0 not yet known, -1 no. */
export function matchPreface(bytes: Uint8Array, start: number, end: number): -1 | 0 | 1 {
  const n = Math.min(end - start, CONNECTION_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[start + i] !== CONNECTION_PREFACE[i]) return -1;
  return n === CONNECTION_PREFACE.length ? 1 : 0;
}

/** Decodes base64url without padding (RFC 7540 §3.2.1 HTTP2-Settings); undefined when malformed. */
export function decodeHttp2Settings(value: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*=*$/.test(value)) return undefined;
  const bytes = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  return bytes.length % 6 === 0 ? new Uint8Array(bytes) : undefined;
}

const SWITCHING = new TextEncoder().encode(
  'HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n',
);

/** True when `req` asks for `Upgrade: h2c` with an HTTP2-Settings field and no body (what we accept). */
export function isH2cUpgrade(req: ServerRequest): boolean {
  const upgrade = req.headers.get('upgrade');
  if (upgrade === undefined || !upgrade.split(',').some((t) => t.trim().toLowerCase() === 'h2c'))
    return false;
  if (req.headers.get('http2-settings') === undefined) return false;
  // RFC 7540 §3.2: a request body would have to be read in HTTP/1.1 first; such requests stay on HTTP/1.1.
  const length = req.headers.get('content-length');
  return req.headers.get('transfer-encoding') === undefined && (length === undefined || length === '0');
}

/**
 * An {@link UpgradeHandler} that switches `Upgrade: h2c` requests to HTTP/2 (answering 101, then serving the
 * request as stream 1 with `core.handler`) and passes other upgrades to `next` (or closes the socket).
 */
export function h2cUpgradeHandler(
  getCore: () => ServerCore,
  options: Http2ServerOptions = {},
  next?: UpgradeHandler,
): UpgradeHandler {
  return (req: ServerRequest, socket: TransportSocket, head: Uint8Array): void => {
    const settings = isH2cUpgrade(req) ? decodeHttp2Settings(req.headers.get('http2-settings')!) : undefined;
    if (settings === undefined) {
      if (next !== undefined) next(req, socket, head);
      else socket.destroy();
      return;
    }
    socket.write([SWITCHING]);
    const c = new Http2ServerConnection(getCore(), socket, options);
    const fields: Array<[string, string]> = [];
    for (const [n, v] of req.headers.toArray()) {
      if (
        n === 'connection' ||
        n === 'upgrade' ||
        n === 'http2-settings' ||
        n === 'host' ||
        n === 'keep-alive'
      )
        continue;
      fields.push([n, v]);
    }
    c.startUpgrade(
      settings,
      { method: req.method, scheme: 'http', authority: req.headers.get('host'), path: req.target, fields },
      head,
    );
  };
}

/** A server that can start either protocol on a socket whose first bytes were read already. */
export interface ProtocolStarter extends ServerCore {
  startHttp2(socket: TransportSocket, initial: Uint8Array | undefined): void;
  startHttp1(socket: TransportSocket, initial: Uint8Array | undefined): void;
}

/** What the sniffer's one timer is waiting for. */
const SniffTimer = { None: 0, Header: 1, Linger: 2 } as const;
type SniffTimer = (typeof SniffTimer)[keyof typeof SniffTimer];

/** The answer HTTP/1.1 gives a connection that sent no request head in time (see http1.ts). */
const REQUEST_TIMEOUT = new TextEncoder().encode(
  'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
);

/**
 * Holds a plain-TCP connection until its first bytes tell the h2c preface (RFC 9113 §3.3, prior knowledge)
 * from HTTP/1.1; an HTTP/1 request differs at its first byte, so only a real preface is waited for.
 *
 * The wait is bounded like an HTTP/1.1 request head: `limits.headerTimeoutMs` on the server's timer wheel,
 * from accept. A connection that sent nothing then gets the 408 HTTP/1.1 would send; one that sent part of
 * the preface is closed without an answer (it is neither a request nor a connection yet). What is buffered
 * meanwhile is at most the 24-byte preface, copied into one fixed buffer.
 */
export class PrefaceSniffer implements SocketHandler, ServerConnection {
  readonly socket: TransportSocket;
  private readonly server: ProtocolStarter;
  /** The bytes read so far, all of them a strict prefix of the preface; allocated on the first split read. */
  private buffered: Uint8Array | undefined = undefined;
  private bufferedLength = 0;
  private readonly timer: TimerNode;
  private timerMode: SniffTimer = SniffTimer.None;

  constructor(server: ProtocolStarter, socket: TransportSocket) {
    this.server = server;
    this.socket = socket;
    this.timer = new TimerNode(() => {
      this.onTimeout();
    });
    socket.setHandler(this);
    this.setTimer(SniffTimer.Header, server.limits.headerTimeoutMs);
  }

  onData(bytes: Uint8Array, start: number, end: number): void {
    // After a timeout nothing more is read into a protocol: the connection is closing.
    if (this.timerMode !== SniffTimer.Header) return;
    const have = this.bufferedLength;
    if (have === 0) {
      const m = matchPreface(bytes, start, end);
      // Decided on the first read (the usual case): hand the read itself over, no copy.
      // Lifetime: both start* calls consume `initial` before returning.
      if (m !== 0) this.handOver(m === 1, bytes.subarray(start, end));
      else this.keep(bytes, start, end);
      return;
    }
    // RFC 9113 §3.4: the preface is fixed bytes, so the new ones are compared from where the last read stopped.
    const n = Math.min(end - start, CONNECTION_PREFACE.length - have);
    let isPreface = true;
    for (let i = 0; i < n; i++) {
      if (bytes[start + i] !== CONNECTION_PREFACE[have + i]) {
        isPreface = false;
        break;
      }
    }
    if (isPreface && have + n < CONNECTION_PREFACE.length) {
      this.keep(bytes, start, end);
      return;
    }
    // Decided: the next protocol gets the buffered prefix and this read as one chunk (one copy, once).
    const initial = new Uint8Array(have + end - start);
    initial.set(this.buffered!.subarray(0, have), 0);
    initial.set(bytes.subarray(start, end), have);
    this.handOver(isPreface, initial);
  }

  /** Appends an undecided read (always short enough to stay a strict prefix of the preface). */
  private keep(bytes: Uint8Array, start: number, end: number): void {
    const buf = (this.buffered ??= new Uint8Array(CONNECTION_PREFACE.length));
    buf.set(bytes.subarray(start, end), this.bufferedLength);
    this.bufferedLength += end - start;
  }

  private handOver(isHttp2: boolean, initial: Uint8Array): void {
    this.setTimer(SniffTimer.None, 0);
    this.buffered = undefined;
    this.server.connectionDetached(this);
    if (isHttp2) this.server.startHttp2(this.socket, initial);
    else this.server.startHttp1(this.socket, initial);
  }

  private setTimer(mode: SniffTimer, ms: number): void {
    this.timerMode = mode;
    if (mode === SniffTimer.None) this.server.wheel.cancel(this.timer);
    else this.server.wheel.schedule(this.timer, ms);
  }

  private onTimeout(): void {
    const mode = this.timerMode;
    if (this.socket.isClosed) return;
    switch (mode) {
      case SniffTimer.Header:
        if (this.bufferedLength === 0) {
          // RFC 9110 §15.5.9: 408 for a connection that sent no request in time, then close. The close is
          // graceful (RFC 9112 §9.6: keep reading until the peer's FIN, so a reset never eats the 408);
          // a peer that never closes its side is cut off after one more timeout.
          if (requestRejected.hasSubscribers) {
            requestRejected.publish({ socket: this.socket, error: undefined, status: 408 });
          }
          this.socket.write([REQUEST_TIMEOUT]);
          this.socket.end();
          this.setTimer(SniffTimer.Linger, this.server.limits.headerTimeoutMs);
        } else {
          // Part of the preface: an HTTP/2 client that stalled. It cannot parse an HTTP/1.1 answer and no
          // HTTP/2 connection exists yet to carry a GOAWAY, so it is just closed.
          this.timerMode = SniffTimer.None;
          this.socket.destroy();
        }
        return;
      case SniffTimer.Linger:
        this.timerMode = SniffTimer.None;
        this.socket.destroy();
        return;
      case SniffTimer.None:
        return;
      default:
        assertNever(mode, 'sniffer timer');
    }
  }

  onEnd(): void {
    this.socket.end();
  }

  onDrain(): void {
    // Nothing is written before the protocol is known.
  }

  onClose(): void {
    this.setTimer(SniffTimer.None, 0);
    this.server.connectionClosed(this, undefined);
  }

  /** Nothing in flight yet: close at once. */
  shutdown(): void {
    this.socket.destroy();
  }
}
