/**
 * jsfuzz target: hayate/quic connections (src/quic/connection.ts behind src/quic/endpoint.ts) fed
 * arbitrary datagrams, forged protected packets and injected frames, before or after a completed
 * handshake, as the server or as the client. A real peer (deterministic, see fuzz/lib/quic-harness.ts)
 * runs beside the connection under test and can be relayed to at any point.
 *
 * Input layout:
 *   byte 0: bit 0 test the client (else the server); bit 1 complete the handshake first;
 *           bit 2 small limits; bits 3-4 the client's cipher suite (0x1301, 0x1302, 0x1303, 0x1301);
 *           bit 5 the client offers P-256 first (HelloRetryRequest); bit 6 the server sends Retry;
 *           bit 7 relay between the peers after every record
 *   then records: kind (1 byte) | length (u16 BE) | payload; kind & 7:
 *     0: raw datagram to the endpoint under test (kind bit 3: from a new address)
 *     1: forged packet carrying `payload` as frames, protected with the keys the peer would use (so it
 *        passes authentication): kind bits 3-4 level (Initial, Handshake, 1-RTT, 1-RTT of the next key
 *        phase); bit 5 coalesce with the next forged packet; bit 6 pad the datagram to 1200 bytes;
 *        bit 7 from a new address. The keys are the target's read keys when the datagram is built (a level
 *        it has no keys for is left out); before a server connection exists, Initials use the real
 *        client's keys and DCID, so they create it with the fuzzed ClientHello
 *     2: `injectPayloadForTest` of `payload` at level (kind >> 3) % 3 (bypasses packet protection)
 *     3: advance the clock by `length` ms and run due timers (kind bit 3: then relay)
 *     4: relay 1 + (kind >> 3) rounds between the peers
 *     5: an application action on the connection under test, chosen by payload[0]
 *     6: lose whatever both sides have queued for each other
 *     7: relay in reverse order (reordering)
 *
 * Nothing may throw out of the endpoints or connections; a QuicError closes the connection. The target
 * throws a plain Error (a crash) when an invariant breaks: a local close with INTERNAL_ERROR or with a
 * code that is not an RFC 9000 §20 transport error, events after `closed`, data after a FIN, memory above
 * the limits (streams, reassembly, CRYPTO buffers, ACK ranges, connection IDs, queues), the 3x
 * anti-amplification limit, oversized datagrams, or pollTransmit / timers that do not settle.
 */
import { QuicError, UsageError } from '../src/common/errors';
import type { QuicConnectionCore } from '../src/quic/connection';
import type { QuicEndpoint } from '../src/quic/endpoint';
import { TransportErrorCode } from '../src/quic/errors';
import { CloseReason } from '../src/quic/events';
import type { QuicAddress, QuicEvent } from '../src/quic/events';
import { setLongHeaderLength, writeLongHeader, writeShortHeader } from '../src/quic/packet/header';
import { EncryptionLevel } from '../src/quic/packet/levels';
import type { EncryptionLevelCode } from '../src/quic/packet/levels';
import { nodeCrypto } from '../src/quic/crypto/node';
import { deriveInitialKeys, nextGenerationKeys, protectPacket } from '../src/quic/packet/protection';
import type { PacketKeys } from '../src/quic/packet/protection';
import { PacketType, QUIC_VERSION_1 } from '../src/quic/packet/types';
import { CLIENT_ADDRESS, OTHER_ADDRESS, QuicPair, SERVER_ADDRESS, internals } from './lib/quic-harness';

const CIPHER_SUITES = [0x1301, 0x1302, 0x1303, 0x1301];
/** Datagrams one pollTransmit drain may produce before it counts as not terminating. */
const MAX_DATAGRAMS_PER_DRAIN = 2000;
/** Datagrams kept in flight per direction between relays. */
const MAX_WIRE = 256;
const TAG = 16;
const MAX_FORGED_PAYLOAD = 8192;
/** A DCID no connection uses: forged Initials to it make the server create a connection. */
const FUZZ_DCID = Uint8Array.of(0xf0, 0x0d, 0xca, 0xfe, 0xf0, 0x0d, 0xca, 0xfe);

const KNOWN_TRANSPORT_CODES = new Set<number>(Object.values(TransportErrorCode));

function fail(what: string, cause?: unknown): never {
  const err = new Error(`invariant: ${what}`);
  if (cause !== undefined) (err as Error & { cause: unknown }).cause = cause;
  throw err;
}

/** Per-connection event bookkeeping. */
interface Seen {
  isClosed: boolean;
  readonly finished: Set<number>;
}

function isTransportCodeAllowed(code: number): boolean {
  // RFC 9000 §20.1: the defined codes, and CRYPTO_ERROR 0x0100-0x01ff carrying a TLS alert.
  return KNOWN_TRANSPORT_CODES.has(code) || (code >= 0x100 && code <= 0x1ff);
}

class Run {
  readonly pair: QuicPair;
  readonly isClientUnderTest: boolean;
  private readonly seen = new Map<QuicConnectionCore, Seen>();
  private toPeer: { bytes: Uint8Array; remote: QuicAddress }[] = [];
  private pending: { level: number; payload: Uint8Array }[] = [];
  private forgedPn = 0;
  private readonly expectedServerCid: Uint8Array;

  constructor(opts: number) {
    this.isClientUnderTest = (opts & 1) !== 0;
    this.pair = new QuicPair(
      {
        smallLimits: (opts & 4) !== 0,
        cipherSuite: CIPHER_SUITES[(opts >> 3) & 3]!,
        isP256: (opts & 0x20) !== 0,
        isRetry: (opts & 0x40) !== 0,
      },
      (c, e) => {
        this.onEvent(c, e);
      },
    );
    this.expectedServerCid = QuicPair.expectedServerCid(this.pair.server.limits.connectionIdLength);
  }

  get target(): QuicEndpoint {
    return this.isClientUnderTest ? this.pair.client : this.pair.server;
  }
  get peer(): QuicEndpoint {
    return this.isClientUnderTest ? this.pair.server : this.pair.client;
  }
  get peerAddress(): QuicAddress {
    return this.isClientUnderTest ? SERVER_ADDRESS : CLIENT_ADDRESS;
  }
  get targetAddress(): QuicAddress {
    return this.isClientUnderTest ? CLIENT_ADDRESS : SERVER_ADDRESS;
  }
  get targetConn(): QuicConnectionCore | undefined {
    return this.isClientUnderTest ? this.pair.clientConn : this.pair.serverConn;
  }

  private onEvent(c: QuicConnectionCore, e: QuicEvent): void {
    let s = this.seen.get(c);
    if (s === undefined) {
      s = { isClosed: false, finished: new Set() };
      this.seen.set(c, s);
    }
    if (s.isClosed) fail(`${c.role} event ${e.type} after closed`);
    switch (e.type) {
      case 'closed':
        s.isClosed = true;
        if (e.reason === CloseReason.Local && e.error !== undefined && !e.isApplication) {
          if (e.code === TransportErrorCode.INTERNAL_ERROR) {
            fail(`${c.role} closed with INTERNAL_ERROR: ${e.reasonPhrase}`, e.error.cause ?? e.error);
          }
          if (!isTransportCodeAllowed(e.code))
            fail(`${c.role} closed with unknown code 0x${e.code.toString(16)}`);
        }
        break;
      case 'streamData':
        if (s.finished.has(e.id)) fail(`${c.role} data on stream ${e.id} after its FIN`);
        if (e.fin) s.finished.add(e.id);
        // The application reads everything at once, returning the credit (as a real one would).
        if (e.bytes.length > 0) c.consumed(e.id, e.bytes.length);
        break;
      case 'handshakeComplete':
      case 'streamOpened':
      case 'streamReset':
      case 'stopSending':
      case 'streamAcked':
      case 'streamsAvailable':
      case 'datagram':
      case 'sessionTicket':
        break;
    }
  }

  /** Pulls everything the endpoint under test wants to send (it goes to the peer on the next relay). */
  drainTarget(): void {
    // DPLPMTUD (RFC 9000 §14.3) raises the datagram size up to the probing ceiling of the path.
    const l = this.target.limits;
    const limit = Math.max(l.maxDatagramBytes, l.maxUdpPayloadBytes, l.maxLoopbackUdpPayloadBytes);
    for (let n = 0; ; n++) {
      if (n > MAX_DATAGRAMS_PER_DRAIN) fail('pollTransmit does not terminate');
      const t = this.target.pollTransmit(this.pair.nowMs);
      if (t === null) break;
      if (t.bytes.length > limit) fail(`datagram of ${t.bytes.length} bytes above ${limit}`);
      if (this.toPeer.length >= MAX_WIRE) this.toPeer.shift();
      this.toPeer.push(t);
    }
    this.pair.pump();
  }

  relay(rounds: number, isReversed: boolean): void {
    for (let r = 0; r < rounds; r++) {
      this.pair.nowMs += 1;
      const out = this.toPeer;
      this.toPeer = [];
      if (isReversed) out.reverse();
      for (const t of out) this.peer.receive(t.bytes, this.targetAddress, this.pair.nowMs);
      this.pair.pump();
      const back: QuicAddress[] = [];
      const backBytes: Uint8Array[] = [];
      for (let n = 0; ; n++) {
        if (n > MAX_DATAGRAMS_PER_DRAIN) fail('peer pollTransmit does not terminate');
        const t = this.peer.pollTransmit(this.pair.nowMs);
        if (t === null) break;
        back.push(t.remote);
        backBytes.push(t.bytes);
      }
      if (isReversed) backBytes.reverse();
      for (const b of backBytes) this.target.receive(b, this.peerAddress, this.pair.nowMs);
      this.pair.pump();
      this.drainTarget();
    }
  }

  lose(): void {
    this.toPeer = [];
    for (
      let t = this.peer.pollTransmit(this.pair.nowMs);
      t !== null;
      t = this.peer.pollTransmit(this.pair.nowMs)
    );
    this.pair.pump();
  }

  advance(ms: number): void {
    this.pair.nowMs += ms;
    const now = this.pair.nowMs;
    for (const ep of [this.target, this.peer]) {
      // Timers must settle: after handling what is due (and sending what that queued), the next deadline
      // is in the future, or the loop would spin in a real driver.
      let settled = false;
      for (let i = 0; i < 8 && !settled; i++) {
        const d = ep.nextDeadline();
        if (d !== undefined && Number.isNaN(d)) fail('nextDeadline is NaN');
        if (d === undefined || d > now) settled = true;
        else {
          ep.handleTimeout(now);
          this.pair.pump();
          if (ep === this.target) this.drainTarget();
          else for (let t = ep.pollTransmit(now); t !== null; t = ep.pollTransmit(now));
          this.pair.pump();
        }
      }
      if (!settled) fail(`${ep === this.target ? 'target' : 'peer'} timers do not settle at ${now}`);
    }
  }

  /** Keys and addressing the peer would use to send a packet at `level` to the connection under test. */
  private forgeContext(level: number): {
    keys: PacketKeys;
    keyPhase: boolean;
    dcid: Uint8Array;
    scid: Uint8Array;
    token: Uint8Array;
    pn: number;
  } | null {
    const conn = this.targetConn;
    const lvl = Math.min(level, 2) as EncryptionLevelCode;
    if (conn === undefined || conn.isClosed) {
      // No server connection yet: an Initial under the client's keys, to the client's DCID.
      if (lvl !== EncryptionLevel.Initial) return null;
      const client = internals(this.pair.clientConn);
      const keys = client.spaces[0]!.writeKeys ?? deriveInitialKeys(nodeCrypto, FUZZ_DCID).client;
      const dcid = client.spaces[0]!.writeKeys !== null ? client.activePeerCid.cid : FUZZ_DCID;
      return {
        keys,
        keyPhase: false,
        dcid,
        scid: client.localCids[0]?.cid ?? FUZZ_DCID,
        token: client.retryToken,
        pn: this.forgedPn++,
      };
    }
    const t = internals(conn);
    const space = t.spaces[lvl]!;
    let keys = space.readKeys;
    if (keys === null || space.isDiscarded) return null;
    let keyPhase = t.keyUpdate.readPhase === 1;
    if (level === 3) {
      keys = nextGenerationKeys(nodeCrypto, keys);
      keyPhase = !keyPhase;
    }
    return {
      keys,
      keyPhase,
      dcid: t.localCids[0]!.cid,
      // A client takes the SCID of the first server Initial as the server's CID (RFC 9000 §7.2); before
      // any, forge with the one the real server will choose, so its transport parameters still match.
      scid: this.isClientUnderTest && !t.isInitialDcidSwitched ? this.expectedServerCid : t.activePeerCid.cid,
      token: this.isClientUnderTest ? new Uint8Array(0) : internals(this.pair.clientConn).retryToken,
      pn: space.ack.largestReceived + 1 + this.pending.length,
    };
  }

  forge(
    level: number,
    payload: Uint8Array,
    isMore: boolean,
    isPadded: boolean,
    isOtherAddress: boolean,
  ): void {
    // A long header's Length field holds at most 16383 (RFC 9000 §17.2 as written here): cap payloads.
    this.pending.push({ level, payload: payload.subarray(0, MAX_FORGED_PAYLOAD) });
    if (isMore && this.pending.length < 4) return;
    const packets = this.pending;
    this.pending = [];
    const buf = new Uint8Array(1300 + packets.reduce((n, p) => n + p.payload.length + 128, 0));
    let pos = 0;
    const built: {
      keys: PacketKeys;
      start: number;
      pnOffset: number;
      pn: number;
      end: number;
      isLong: boolean;
    }[] = [];
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const ctx = this.forgeContext(p.level);
      if (ctx === null) continue;
      const start = pos;
      const isLong = p.level < 2;
      let payloadStart: number;
      if (isLong) {
        payloadStart = writeLongHeader(buf, pos, {
          packetType: p.level === 0 ? PacketType.Initial : PacketType.Handshake,
          version: QUIC_VERSION_1,
          dcid: ctx.dcid,
          scid: ctx.scid,
          token: ctx.token,
          packetNumber: ctx.pn,
          pnLength: 4,
        });
      } else {
        payloadStart = writeShortHeader(buf, pos, ctx.dcid, ctx.pn, 4, ctx.keyPhase);
      }
      buf.set(p.payload, payloadStart);
      let end = payloadStart + p.payload.length;
      // The last packet absorbs the padding (PADDING frames are zero bytes), so it stays one packet.
      if (i === packets.length - 1 && isPadded && end + TAG < 1200) end = 1200 - TAG;
      built.push({ keys: ctx.keys, start, pnOffset: payloadStart - 4, pn: ctx.pn, end, isLong });
      pos = end + TAG;
    }
    if (built.length === 0) return;
    for (const b of built) {
      if (b.isLong) setLongHeaderLength(buf, b.pnOffset, b.end + TAG - b.pnOffset);
      protectPacket(b.keys, buf, b.start, b.pnOffset, 4, b.pn, b.end);
    }
    this.target.receive(
      buf.subarray(0, pos),
      isOtherAddress ? OTHER_ADDRESS : this.peerAddress,
      this.pair.nowMs,
    );
  }

  flush(): void {
    if (this.pending.length > 0)
      this.forge(this.pending[this.pending.length - 1]!.level, new Uint8Array(0), false, false, false);
  }

  inject(level: number, payload: Uint8Array): void {
    const conn = this.targetConn;
    if (conn === undefined) return;
    conn.injectPayloadForTest((level % 3) as EncryptionLevelCode, payload, this.pair.nowMs);
  }

  action(p: Uint8Array): void {
    const conn = this.targetConn;
    if (conn === undefined || p.length === 0) return;
    const a = p[0]! % 10;
    const arg = p.length > 1 ? p[1]! : 0;
    const arg2 = p.length > 2 ? p[2]! : 0;
    const data = p.subarray(Math.min(p.length, 3));
    try {
      switch (a) {
        case 0: {
          const id = conn.openStream((arg & 1) === 0);
          if (id !== null) conn.writeStream(id, [data.slice()], (arg & 2) !== 0);
          break;
        }
        case 1:
          conn.writeStream(arg, [data.slice()], (arg2 & 1) !== 0);
          break;
        case 2:
          conn.consumed(arg, arg2);
          break;
        case 3:
          conn.resetStream(arg, arg2);
          break;
        case 4:
          conn.stopSending(arg, arg2);
          break;
        case 5:
          conn.close(arg, 'fuzz', (arg2 & 1) === 0, this.pair.nowMs);
          break;
        case 6:
          conn.ping();
          break;
        case 7:
          conn.updateKeys();
          break;
        case 8:
          conn.sendDatagram(data.slice());
          break;
        default:
          conn.rotateConnectionId();
          break;
      }
    } catch (err) {
      // API misuse (a stream that does not exist, a closed connection) is the caller's error, not a bug.
      if (!(err instanceof UsageError) || err.code === 'ERR_QUIC_INTERNAL') throw err;
    }
    this.pair.pump();
  }

  check(): void {
    const conns = [this.pair.clientConn, ...this.pair.serverConns];
    for (const c of conns) checkConnection(c);
    for (const ep of [this.pair.client, this.pair.server]) {
      if (ep.connectionCount > ep.limits.maxConnections) {
        fail(`${ep.connectionCount} connections above ${ep.limits.maxConnections}`);
      }
    }
  }
}

function checkConnection(c: QuicConnectionCore): void {
  const t = internals(c);
  const l = c.limits;
  let peerStreams = 0;
  const peerBit = c.role === 'server' ? 0 : 1;
  for (const [id, s] of t.streams) {
    if ((id & 1) === peerBit) peerStreams++;
    const r = s.recv;
    if (r !== null) {
      if (r.highestOffset > r.credit.limit)
        fail(`stream ${id} received to ${r.highestOffset} above ${r.credit.limit}`);
      // Auto-tuning may grow a window, never past the maximum; what is buffered stays within it.
      const maxWindow = Math.max(l.streamWindowBytes, l.maxStreamWindowBytes);
      if (r.credit.window > maxWindow) fail(`stream ${id} window ${r.credit.window} above ${maxWindow}`);
      if (r.bufferedBytes > r.credit.window) fail(`stream ${id} buffers ${r.bufferedBytes} bytes`);
    }
  }
  if (peerStreams > l.maxStreamsBidi + l.maxStreamsUni) fail(`${peerStreams} peer streams tracked`);
  if (t.connRecv.received > t.connRecv.limit)
    fail(`connection received ${t.connRecv.received} above ${t.connRecv.limit}`);
  for (const s of t.spaces) {
    if (s.crypto.bufferedBytes > l.maxCryptoBufferBytes + l.maxHandshakeMessageBytes) {
      fail(`CRYPTO buffer of ${s.crypto.bufferedBytes} bytes`);
    }
    const ranges = s.ack.trackedRanges().length / 2;
    if (ranges > l.maxAckRanges) fail(`${ranges} ACK ranges above ${l.maxAckRanges}`);
  }
  // One above the limit: the NEW_CONNECTION_ID that breaches it is stored before the connection closes.
  if (t.peerCids.length > l.activeConnectionIdLimit + 1) fail(`${t.peerCids.length} peer connection IDs`);
  if (t.localCids.length > l.maxIssuedConnectionIds + 1) fail(`${t.localCids.length} local connection IDs`);
  if (t.pendingRetireSeqs.length > 4 * l.activeConnectionIdLimit + 4) {
    fail(`${t.pendingRetireSeqs.length} pending RETIRE_CONNECTION_ID`);
  }
  if (t.undecryptable.length > l.maxBufferedUndecryptable)
    fail(`${t.undecryptable.length} undecryptable packets`);
  if (t.pathResponses.length > 4) fail(`${t.pathResponses.length} PATH_RESPONSEs queued`);
  if (t.outDatagrams.length > l.maxPendingDatagrams) fail(`${t.outDatagrams.length} datagrams queued`);
  if (t.events.length > 0) fail(`${t.events.length} events left after draining`);
  // RFC 9000 §8.1: three times the bytes received before the address is validated.
  if (
    c.role === 'server' &&
    !t.isAddressValidated &&
    t.bytesSentUnvalidated > 3 * t.bytesReceivedUnvalidated
  ) {
    fail(
      `sent ${t.bytesSentUnvalidated} bytes to an unvalidated address that sent ${t.bytesReceivedUnvalidated}`,
    );
  }
}

export function fuzz(buf: Buffer): void {
  if (buf.length < 1) return;
  const opts = buf[0]!;
  const run = new Run(opts);
  const pair = run.pair;
  try {
    if ((opts & 2) !== 0 && !pair.completeHandshake()) {
      fail('the handshake of the reference pair did not complete');
    }
    run.drainTarget();
    run.check();
    const autoRelay = (opts & 0x80) !== 0;
    let pos = 1;
    while (pos + 3 <= buf.length) {
      const kind = buf[pos]!;
      const len = (buf[pos + 1]! << 8) | buf[pos + 2]!;
      pos += 3;
      const payload = buf.subarray(pos, Math.min(buf.length, pos + len));
      pos += len;
      if ((kind & 7) !== 1) run.flush();
      switch (kind & 7) {
        case 0:
          run.target.receive(payload, (kind & 8) !== 0 ? OTHER_ADDRESS : run.peerAddress, pair.nowMs);
          break;
        case 1:
          run.forge((kind >> 3) & 3, payload, (kind & 0x20) !== 0, (kind & 0x40) !== 0, (kind & 0x80) !== 0);
          break;
        case 2:
          run.inject(kind >> 3, payload);
          break;
        case 3:
          run.advance(len);
          if ((kind & 8) !== 0) run.relay(1, false);
          break;
        case 4:
          run.relay(1 + (kind >> 3), false);
          break;
        case 5:
          run.action(payload);
          break;
        case 6:
          run.lose();
          break;
        default:
          run.relay(1, true);
          break;
      }
      pair.pump();
      run.drainTarget();
      if (autoRelay) run.relay(1, false);
      run.check();
    }
    run.flush();
    run.drainTarget();
    run.check();
  } catch (err) {
    // Nothing from the QUIC layer may escape: a QuicError here means an endpoint or connection threw.
    if (err instanceof QuicError) fail('a QuicError escaped the endpoint', err);
    throw err;
  }
}
