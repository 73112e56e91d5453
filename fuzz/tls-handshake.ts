/**
 * jsfuzz target: the TLS 1.3 handshake of hayate/quic (src/quic/tls/session.ts, RFC 8446 in QUIC mode,
 * RFC 9001 §4) as client or server, fed arbitrary CRYPTO bytes, framed handshake messages of any type and
 * the real peer's messages with single-byte changes, beside a real deterministic peer
 * (fuzz/lib/tls-harness.ts) that can be relayed to at any point.
 *
 * Input layout:
 *   byte 0: bit 0 test the client (else the server); bits 1-2 the client's cipher suites (0x1301, 0x1302,
 *           0x1303, all three); bit 3 the client offers P-256 first (HelloRetryRequest); bit 4 the client
 *           verifies the certificate; bit 5 maxHandshakeMessageBytes 512
 *   then records: kind (1 byte) | length (u16 BE) | payload; kind & 3 (see TlsRecord):
 *     0: raw CRYPTO bytes at level (kind >> 2) % 3
 *     1: one framed handshake message, type payload[0], at level (kind >> 2) % 3
 *     2: 1 + (kind >> 2) relay rounds between the peers
 *     3: the peer's next output chunk with one byte changed
 *
 * Bad input must end in a typed error: a QuicError carrying a TLS alert as CRYPTO_ERROR 0x100 + alert
 * (RFC 9001 §4.8) or an RFC 9000 §20 transport error (CRYPTO_BUFFER_EXCEEDED, TRANSPORT_PARAMETER_ERROR,
 * PROTOCOL_VIOLATION); the session then stays failed with that error. The target throws a plain Error (a
 * crash) for anything else: another exception, an internal_error alert wrapping a non-QuicError (a bug the
 * session caught), events out of order (keys for a level below one already announced, completion twice or
 * without ALPN), or output that keeps growing.
 */
import { QuicError } from '../src/common/errors';
import { TransportErrorCode } from '../src/quic/errors';
import type { TlsEvent } from '../src/quic/tls/session';
import { LEVEL_OF, TlsOption, TlsRecord, drain, frameMessage, makeSessions } from './lib/tls-harness';
import type { TlsSide } from './lib/tls-harness';

const KNOWN_TRANSPORT_CODES = new Set<number>(Object.values(TransportErrorCode));
/** Output a session may produce in one run before it counts as runaway (a full flight is a few KiB). */
const MAX_OUTPUT_BYTES = 256 * 1024;
const MAX_RELAY_ROUNDS = 8;

function fail(what: string, cause?: unknown): never {
  const err = new Error(`invariant: ${what}`);
  if (cause !== undefined) (err as Error & { cause: unknown }).cause = cause;
  throw err;
}

/** Checks a throw from a session: only a QuicError with a TLS alert or a transport code is acceptable. */
function checkError(who: string, err: unknown): QuicError {
  if (!(err instanceof QuicError)) fail(`${who} threw a non-QuicError`, err);
  const code = err.wireCode;
  const isAlert = code >= TransportErrorCode.CRYPTO_ERROR && code <= TransportErrorCode.CRYPTO_ERROR + 0xff;
  if (!isAlert && !KNOWN_TRANSPORT_CODES.has(code))
    fail(`${who} closed with code 0x${code.toString(16)}`, err);
  if (code === TransportErrorCode.CRYPTO_ERROR) fail(`${who} sent CRYPTO_ERROR without an alert`, err);
  // internal_error (80) wrapping something other than a QuicError is a bug the session caught.
  if (
    code === TransportErrorCode.CRYPTO_ERROR + 80 &&
    !(err.cause === undefined || err.cause instanceof QuicError)
  ) {
    fail(`${who} hit an internal error: ${err.message}`, err.cause);
  }
  return err;
}

class Run {
  readonly target: TlsSide;
  readonly peer: TlsSide;
  failed: QuicError | undefined = undefined;
  private isPeerFailed = false;
  private outputBytes = 0;
  private checkedEvents = 0;
  private readLevel = -1;
  private writeLevel = -1;
  private isComplete = false;

  constructor(options: number) {
    const { client, server } = makeSessions(options);
    const isClient = (options & TlsOption.client) !== 0;
    this.target = isClient ? client : server;
    this.peer = isClient ? server : client;
    drain(this.target);
    drain(this.peer);
  }

  /** Feeds bytes to the session under test; answers false once it failed. */
  feed(level: number, data: Uint8Array): boolean {
    if (this.failed !== undefined) return false;
    try {
      this.target.session.receive(LEVEL_OF[level % 3]!, data);
    } catch (err) {
      this.failed = checkError('session under test', err);
      // RFC 9001 §4.8: the handshake is over; the same error answers any later input.
      try {
        this.target.session.receive(LEVEL_OF[0]!, Uint8Array.of(1));
        fail('a failed session accepted more input');
      } catch (again) {
        if (again !== this.failed) fail('a failed session threw another error', again);
      }
      return false;
    }
    this.afterTarget();
    return true;
  }

  private afterTarget(): void {
    drain(this.target);
    for (; this.checkedEvents < this.target.events.length; this.checkedEvents++) {
      this.checkEvent(this.target.events[this.checkedEvents]!);
    }
    let bytes = 0;
    for (const p of this.target.pending) bytes += p.data.length;
    if (bytes + this.outputBytes > MAX_OUTPUT_BYTES) fail(`output above ${MAX_OUTPUT_BYTES} bytes`);
  }

  private checkEvent(e: TlsEvent): void {
    switch (e.type) {
      case 'keys': {
        // RFC 9001 §4.1.4: keys only ever move up a level, per direction.
        const last = e.direction === 'read' ? this.readLevel : this.writeLevel;
        if (e.level <= last) fail(`${e.direction} keys for level ${e.level} after ${last}`);
        if (e.direction === 'read') this.readLevel = e.level;
        else this.writeLevel = e.level;
        return;
      }
      case 'peerTransportParameters':
      case 'earlyKeys':
      case 'earlyData':
      case 'sessionTicket':
        return;
      case 'handshakeComplete':
        if (this.isComplete) fail('handshakeComplete twice');
        if (this.target.session.alpn === undefined) fail('complete without ALPN');
        this.isComplete = true;
        return;
    }
  }

  /** One relay round: the peer's output to the session under test, then the other way. */
  relay(): void {
    const toTarget = this.peer.pending.splice(0);
    for (const o of toTarget) if (!this.feed(o.level, o.data)) return;
    const toPeer = this.target.pending.splice(0);
    for (const o of toPeer) {
      this.outputBytes += o.data.length;
      if (this.isPeerFailed) continue;
      try {
        this.peer.session.receive(o.level, o.data);
      } catch (err) {
        // The peer may refuse what the session under test produced after fuzzed input; typed errors only.
        checkError('real peer', err);
        this.isPeerFailed = true;
      }
      drain(this.peer);
    }
  }

  /** The peer's next chunk to the session under test, one byte changed. */
  mutate(payload: Uint8Array): void {
    const next = this.peer.pending.shift();
    if (next === undefined || next.data.length === 0) return;
    const data = next.data.slice();
    const at = (((payload[0] ?? 0) << 8) | (payload[1] ?? 0)) % data.length;
    data[at] = data[at]! ^ (payload[2] || 1);
    this.feed(next.level, data);
  }
}

export function fuzz(buf: Buffer): void {
  if (buf.length === 0) return;
  const run = new Run(buf[0]!);
  let pos = 1;
  while (pos + 3 <= buf.length && run.failed === undefined) {
    const kind = buf[pos]!;
    const length = (buf[pos + 1]! << 8) | buf[pos + 2]!;
    const payload = buf.subarray(pos + 3, Math.min(buf.length, pos + 3 + length));
    pos += 3 + length;
    const arg = kind >> 2;
    switch (kind & 3) {
      case TlsRecord.raw:
        run.feed(arg, payload);
        break;
      case TlsRecord.message:
        if (payload.length > 0) run.feed(arg, frameMessage(payload[0]!, payload.subarray(1)));
        break;
      case TlsRecord.relay:
        for (let i = 0; i <= Math.min(arg, MAX_RELAY_ROUNDS); i++) run.relay();
        // The length field carries nothing here: its payload bytes are skipped like any other.
        break;
      case TlsRecord.mutate:
        run.mutate(payload);
        break;
    }
  }
}
