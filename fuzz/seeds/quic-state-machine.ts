/**
 * Generates corpus/quic-state-machine/ seeds in the record format of fuzz/quic-state-machine.ts: the real
 * handshake flights of the deterministic pair (fuzz/lib/quic-harness.ts) replayed as raw datagrams for
 * several option sets (both roles, every cipher suite, HelloRetryRequest, Retry), the client's ClientHello
 * in forged Initials (whole, truncated, coalesced with a Handshake packet), every RFC 9000 §19 frame type
 * injected and in forged 1-RTT packets after the handshake, malformed and misplaced frames, limit breaches
 * with small limits, key updates, migration, timers and application actions. Run after `npm run build`:
 * `node dist/fuzz/seeds/quic-state-machine.js`. Replaces the folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import { encodeFrame } from '../../src/quic/frame/writer.js';
import { FrameType } from '../../src/quic/frame/types.js';
import type { Frame } from '../../src/quic/frame/types.js';
import { parseHeader } from '../../src/quic/packet/header.js';
import { PacketType } from '../../src/quic/packet/types.js';
import { deriveInitialKeys, unprotectPacket } from '../../src/quic/packet/protection.js';
import { projectRoot } from '../../test/support/vectors.js';
import { CLIENT_ADDRESS, QuicPair, SERVER_ADDRESS, internals, type PairConfig } from '../lib/quic-harness.js';

const out = join(projectRoot, 'corpus', 'quic-state-machine');

// Option bits and record kinds of the target (see its header comment).
const O = {
  client: 1,
  after: 2,
  small: 4,
  aes256: 0x08,
  chacha: 0x10,
  p256: 0x20,
  retry: 0x40,
  autoRelay: 0x80,
};
const K = { raw: 0, forge: 1, inject: 2, time: 3, relay: 4, action: 5, lose: 6, reorder: 7 };
const L = { initial: 0, handshake: 1, oneRtt: 2, nextPhase: 3 };

function rec(kind: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat([Buffer.of(kind, payload.length >>> 8, payload.length & 0xff), payload]);
}
/** A time record: `ms` travels in the length field, with no payload. */
function time(ms: number, thenRelay = false): Buffer {
  return Buffer.of(K.time | (thenRelay ? 8 : 0), ms >>> 8, ms & 0xff);
}
function forge(
  level: number,
  payload: Uint8Array,
  flags: { more?: boolean; pad?: boolean; other?: boolean } = {},
): Buffer {
  const kind =
    K.forge |
    (level << 3) |
    (flags.more === true ? 0x20 : 0) |
    (flags.pad === true ? 0x40 : 0) |
    (flags.other === true ? 0x80 : 0);
  return rec(kind, payload);
}
function inject(level: number, payload: Uint8Array): Buffer {
  return rec(K.inject | (level << 3), payload);
}
function relay(rounds = 1): Buffer {
  return rec(K.relay | ((rounds - 1) << 3));
}
function action(a: number, arg = 0, arg2 = 0, data: Uint8Array = new Uint8Array(0)): Buffer {
  return rec(K.action, Buffer.concat([Buffer.of(a, arg, arg2), data]));
}
function input(options: number, records: readonly Buffer[]): Buffer {
  return Buffer.concat([Buffer.of(options), ...records]);
}
function frames(...fs: Frame[]): Uint8Array {
  return Buffer.concat(fs.map((f) => encodeFrame(f)));
}

function configOf(options: number): PairConfig {
  return {
    smallLimits: (options & O.small) !== 0,
    cipherSuite: [0x1301, 0x1302, 0x1303, 0x1301][(options >> 3) & 3]!,
    isP256: (options & O.p256) !== 0,
    isRetry: (options & O.retry) !== 0,
  };
}

/** The datagrams each side sends while the pair completes its handshake. */
function flights(options: number): { toServer: Uint8Array[]; toClient: Uint8Array[] } {
  const pair = new QuicPair(configOf(options), () => undefined);
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  if (!pair.completeHandshake(40, (s, b) => (s ? toServer : toClient).push(b.slice()))) {
    throw new Error(`handshake of options 0x${options.toString(16)} did not complete`);
  }
  return { toServer, toClient };
}

/** The plaintext frames of the client's first Initial (CRYPTO with the ClientHello, then PADDING). */
function clientHelloPayload(): Uint8Array {
  const first = flights(0).toServer[0]!;
  const h = parseHeader(first, 0, 8)!;
  const keys = deriveInitialKeys(nodeCrypto, h.dcid).client;
  const p = unprotectPacket(keys, first, h.headerStart, h.pnOffset, h.packetEnd, -1)!;
  let end = p.payload.length;
  while (end > 0 && p.payload[end - 1] === 0) end--;
  return p.payload.slice(0, end);
}

/**
 * The server's first flight as plaintext frames: its Initial (ServerHello) and Handshake (EncryptedExtensions
 * to Finished) payloads, decrypted with the Initial keys and the client's Handshake read keys.
 */
function serverFlightPlaintext(options: number): { initial: Uint8Array; handshake: Uint8Array } | null {
  const pair = new QuicPair(configOf(options), () => undefined);
  const first = pair.client.pollTransmit(pair.nowMs)!;
  const odcid = parseHeader(first.bytes, 0, 8)!.dcid.slice();
  pair.server.receive(first.bytes, CLIENT_ADDRESS, pair.nowMs);
  pair.pump();
  const reply = pair.server.pollTransmit(pair.nowMs);
  if (reply === null) return null;
  pair.client.receive(reply.bytes, SERVER_ADDRESS, pair.nowMs);
  const initialKeys = deriveInitialKeys(nodeCrypto, odcid).server;
  const handshakeKeys = internals(pair.clientConn).spaces[1]!.readKeys;
  let initial: Uint8Array | null = null;
  let handshake: Uint8Array | null = null;
  const d = reply.bytes;
  for (let off = 0; off < d.length;) {
    const h = parseHeader(d, off, 8);
    if (h === null) break;
    const keys = h.packetType === PacketType.Initial ? initialKeys : handshakeKeys;
    const p = keys === null ? null : unprotectPacket(keys, d, h.headerStart, h.pnOffset, h.packetEnd, -1);
    if (p !== null && h.packetType === PacketType.Initial) initial = p.payload;
    if (p !== null && h.packetType === PacketType.Handshake) handshake = p.payload;
    off = h.packetEnd;
  }
  return initial !== null && handshake !== null ? { initial, handshake } : null;
}

const EMPTY = new Uint8Array(0);
// Fill bytes are not printable: jsfuzz's versifier (on by default) parses inputs that are 90% printable
// as text, and long printable runs make its rhymes (and the fuzzer's memory) explode.
const bytes = (n: number, v = 0xa5): Uint8Array => new Uint8Array(n).fill(v);

/** One valid frame of every type, as the peer of a connection in `role` would send it after the handshake. */
function everyFrame(role: 'server' | 'client'): Frame[] {
  // Streams the peer may open (RFC 9000 §2.1): client-initiated 0/2 towards a server, 1/3 towards a client.
  const bidi = role === 'server' ? 0 : 1;
  const uni = role === 'server' ? 2 : 3;
  const list: Frame[] = [
    { type: FrameType.PADDING, length: 3 },
    { type: FrameType.PING },
    { type: FrameType.ACK, largest: 2, ackDelay: 10, ranges: [2, 0], ecn: null },
    { type: FrameType.ACK_ECN, largest: 1, ackDelay: 0, ranges: [1, 0], ecn: { ect0: 1, ect1: 0, ce: 0 } },
    { type: FrameType.RESET_STREAM, streamId: bidi, errorCode: 7, finalSize: 5 },
    { type: FrameType.STOP_SENDING, streamId: bidi, errorCode: 8 },
    { type: FrameType.CRYPTO, offset: 0, data: bytes(4, 0x04) },
    { type: FrameType.STREAM, streamId: bidi, offset: 0, data: bytes(12), fin: true },
    { type: FrameType.STREAM, streamId: uni, offset: 3, data: bytes(5), fin: false },
    { type: FrameType.MAX_DATA, maximum: 1 << 22 },
    { type: FrameType.MAX_STREAM_DATA, streamId: bidi, maximum: 1 << 20 },
    { type: FrameType.MAX_STREAMS_BIDI, maximum: 200 },
    { type: FrameType.MAX_STREAMS_UNI, maximum: 200 },
    { type: FrameType.DATA_BLOCKED, limit: 1000 },
    { type: FrameType.STREAM_DATA_BLOCKED, streamId: bidi, limit: 100 },
    { type: FrameType.STREAMS_BLOCKED_BIDI, limit: 5 },
    { type: FrameType.STREAMS_BLOCKED_UNI, limit: 5 },
    {
      type: FrameType.NEW_CONNECTION_ID,
      sequenceNumber: 1,
      retirePriorTo: 0,
      connectionId: bytes(8, 0x11),
      statelessResetToken: bytes(16, 0x22),
    },
    { type: FrameType.RETIRE_CONNECTION_ID, sequenceNumber: 1 },
    { type: FrameType.PATH_CHALLENGE, data: bytes(8, 0x33) },
    { type: FrameType.PATH_RESPONSE, data: bytes(8, 0x44) },
    { type: FrameType.DATAGRAM, data: bytes(6, 0x55) },
    { type: FrameType.CONNECTION_CLOSE, errorCode: 0x0a, frameType: 0x08, reason: Buffer.from('bye') },
    { type: FrameType.CONNECTION_CLOSE_APP, errorCode: 0x100, frameType: 0, reason: EMPTY },
  ];
  // NEW_TOKEN and HANDSHAKE_DONE only flow from server to client (RFC 9000 §19.7, §19.20).
  if (role === 'client') {
    list.push({ type: FrameType.NEW_TOKEN, token: bytes(16, 0x66) }, { type: FrameType.HANDSHAKE_DONE });
  }
  return list;
}

const seeds: Buffer[] = [];

// Real handshake flights replayed as raw datagrams, for each role and option set.
for (const base of [0, O.aes256, O.chacha, O.p256, O.retry, O.small, O.p256 | O.chacha]) {
  const f = flights(base);
  seeds.push(
    input(
      base,
      f.toServer.map((d) => rec(K.raw, d)),
    ),
  );
  seeds.push(
    input(
      base | O.client,
      f.toClient.map((d) => rec(K.raw, d)),
    ),
  );
  // The same handshake driven by the pair itself, then a request on stream 0 and a timer.
  seeds.push(input(base, [relay(8), action(0, 0, 0, Buffer.from('GET /\r\n')), relay(2), time(100, true)]));
}
seeds.push(input(O.autoRelay, [time(5), time(5), time(5), time(5), time(5), time(5)]));

// The ClientHello in forged Initials: whole, truncated, split across two CRYPTO frames, coalesced with a
// Handshake packet, and too small a datagram (dropped, RFC 9000 §14.1).
const ch = clientHelloPayload();
seeds.push(input(0, [forge(L.initial, ch, { pad: true }), relay(3)]));
seeds.push(input(0, [forge(L.initial, ch.subarray(0, ch.length - 20), { pad: true })]));
seeds.push(input(0, [forge(L.initial, ch)]));
seeds.push(
  input(0, [
    forge(L.initial, ch, { more: true }),
    forge(L.handshake, frames({ type: FrameType.PING })),
    relay(2),
  ]),
);
{
  // The ClientHello (a CRYPTO frame at offset 0) in two halves, second half first.
  const crypto = ch.subarray(0, ch.length);
  const half = Math.floor(crypto.length / 2);
  const dataStart = 1 + 1 + 2; // type, offset 0, 2-byte length
  const data = crypto.subarray(dataStart);
  seeds.push(
    input(0, [
      forge(L.initial, frames({ type: FrameType.CRYPTO, offset: half, data: data.subarray(half) }), {
        pad: true,
      }),
      forge(L.initial, frames({ type: FrameType.CRYPTO, offset: 0, data: data.subarray(0, half) }), {
        pad: true,
      }),
      relay(4),
    ]),
  );
}
// A client under test completing its handshake with forged server packets only (the real server's
// flight, decrypted; the real one is lost), for each cipher suite and with P-256.
for (const base of [0, O.aes256, O.chacha, O.p256]) {
  const f = serverFlightPlaintext(base);
  if (f === null) throw new Error(`no server flight for options 0x${base.toString(16)}`);
  seeds.push(
    input(base | O.client, [
      forge(L.initial, f.initial),
      lose(),
      forge(L.handshake, f.handshake),
      relay(1),
      time(100, true),
    ]),
  );
  // Coalesced in one datagram, as the real server sends them: the target forges with the keys the client
  // holds when the datagram is built, so the Handshake packet (keys not derived yet) is left out.
  seeds.push(
    input(base | O.client, [forge(L.initial, f.initial, { more: true }), forge(L.handshake, f.handshake)]),
  );
}
// Mid-handshake server (it answered the real Initial): a forged Handshake packet coalesced with a 1-RTT
// packet, which waits for the handshake to complete (RFC 9001 §5.7), then the real client finishes.
seeds.push(
  input(0, [
    relay(1),
    forge(L.handshake, frames({ type: FrameType.PING }), { more: true }),
    forge(L.oneRtt, frames({ type: FrameType.PING }, { type: FrameType.MAX_DATA, maximum: 1 << 24 })),
    relay(3),
  ]),
);
// A client under test given a forged server Initial (garbage CRYPTO) and an ACK of its Initial.
seeds.push(
  input(O.client, [
    forge(L.initial, frames({ type: FrameType.ACK, largest: 0, ackDelay: 0, ranges: [0, 0], ecn: null })),
    forge(L.initial, frames({ type: FrameType.CRYPTO, offset: 0, data: Buffer.of(2, 0, 0, 4, 3, 3, 0, 0) })),
  ]),
);
// Frames not allowed before the handshake (RFC 9000 §12.4 Table 3), injected at Initial and Handshake.
for (const role of [0, O.client]) {
  seeds.push(
    input(role, [
      relay(2),
      inject(
        L.initial,
        frames({ type: FrameType.STREAM, streamId: 0, offset: 0, data: bytes(3), fin: false }),
      ),
    ]),
  );
  seeds.push(input(role, [relay(2), inject(L.handshake, frames({ type: FrameType.MAX_DATA, maximum: 5 }))]));
  seeds.push(input(role, [inject(L.initial, EMPTY)]));
}

// After the handshake: every frame type injected, and in a forged 1-RTT packet, for both roles.
for (const role of ['server', 'client'] as const) {
  const options = O.after | (role === 'client' ? O.client : 0);
  const all = everyFrame(role);
  for (const f of all) {
    seeds.push(input(options, [inject(L.oneRtt, frames(f)), relay(2)]));
    seeds.push(input(options, [forge(L.oneRtt, frames(f)), relay(1)]));
    // Truncated by one byte: FRAME_ENCODING_ERROR (or a shorter valid frame).
    const enc = encodeFrame(f);
    if (enc.length > 1) seeds.push(input(options, [inject(L.oneRtt, enc.subarray(0, enc.length - 1))]));
  }
  // Everything but the closes in one packet, then the peers talk.
  seeds.push(
    input(options, [
      forge(
        L.oneRtt,
        frames(
          ...all.filter(
            (f) => f.type !== FrameType.CONNECTION_CLOSE && f.type !== FrameType.CONNECTION_CLOSE_APP,
          ),
        ),
      ),
      relay(3),
      time(50, true),
    ]),
  );
  // Unknown frame type, a non-minimal type encoding, an empty packet, HANDSHAKE_DONE from a client.
  seeds.push(input(options, [inject(L.oneRtt, Buffer.of(0x21))]));
  seeds.push(input(options, [inject(L.oneRtt, Buffer.of(0x40, 0x01))]));
  seeds.push(input(options, [inject(L.oneRtt, EMPTY)]));
  seeds.push(input(options, [inject(L.oneRtt, frames({ type: FrameType.HANDSHAKE_DONE }))]));
  // Key update by the peer (next key phase), then traffic.
  seeds.push(
    input(options, [forge(L.nextPhase, frames({ type: FrameType.PING })), relay(2), action(7), relay(2)]),
  );
  // Migration: a non-probing packet from a new address, then path validation over the relay.
  seeds.push(
    input(options, [
      forge(
        L.oneRtt,
        frames({ type: FrameType.PATH_CHALLENGE, data: bytes(8, 1) }, { type: FrameType.PING }),
        { other: true },
      ),
      relay(2),
      time(1000, true),
    ]),
  );
  // Coalesced 1-RTT packets (the second is ignored: a short header runs to the datagram end).
  seeds.push(
    input(options, [
      forge(L.oneRtt, frames({ type: FrameType.PING }), { more: true }),
      forge(L.oneRtt, frames({ type: FrameType.PING })),
    ]),
  );
  // Application actions: streams, resets, datagrams, connection IDs, close.
  seeds.push(
    input(options, [
      action(0, 0, 0, Buffer.from('hello')),
      action(0, 1, 0, Buffer.from('uni')),
      relay(2),
      action(3, role === 'server' ? 1 : 0, 9),
      action(4, role === 'server' ? 0 : 1, 9),
      action(8, 0, 0, Buffer.from('dgram')),
      action(9),
      action(6),
      relay(3),
      action(5, 0, 0),
      relay(2),
    ]),
  );
  // Loss and timers: PTO probes, then the idle timeout.
  seeds.push(
    input(options, [action(0, 2, 0, bytes(3000)), lose(), time(300), lose(), time(1000, true), time(40000)]),
  );
}

function lose(): Buffer {
  return rec(K.lose);
}

// Limits (small): stream beyond the window, too many streams, too many connection IDs, many ACK ranges,
// a CRYPTO offset beyond the buffer, reassembly of many out-of-order pieces, a large DATAGRAM.
{
  const options = O.after | O.small;
  seeds.push(
    input(options, [
      inject(
        L.oneRtt,
        frames({ type: FrameType.STREAM, streamId: 0, offset: 600, data: bytes(10), fin: false }),
      ),
    ]),
  );
  seeds.push(
    input(options, [
      inject(
        L.oneRtt,
        frames({ type: FrameType.STREAM, streamId: 40, offset: 0, data: bytes(1), fin: false }),
      ),
    ]),
  );
  seeds.push(
    input(options, [
      inject(L.oneRtt, frames({ type: FrameType.RESET_STREAM, streamId: 0, errorCode: 0, finalSize: 5000 })),
    ]),
  );
  const ncids: Frame[] = [];
  for (let i = 1; i <= 4; i++) {
    ncids.push({
      type: FrameType.NEW_CONNECTION_ID,
      sequenceNumber: i,
      retirePriorTo: i > 2 ? i - 1 : 0,
      connectionId: bytes(8, i),
      statelessResetToken: bytes(16, i),
    });
  }
  seeds.push(input(options, [inject(L.oneRtt, frames(...ncids))]));
  const pieces: Frame[] = [];
  for (let i = 0; i < 20; i++)
    pieces.push({ type: FrameType.STREAM, streamId: 4, offset: 1 + i * 3, data: bytes(1), fin: false });
  seeds.push(input(options, [inject(L.oneRtt, frames(...pieces)), relay(1)]));
  const gaps: Buffer[] = [];
  for (let i = 0; i < 10; i++)
    gaps.push(
      forge(L.oneRtt, frames({ type: FrameType.PING })),
      inject(L.oneRtt, frames({ type: FrameType.PING })),
    );
  seeds.push(input(options, [...gaps, relay(1)]));
  seeds.push(
    input(options, [inject(L.oneRtt, frames({ type: FrameType.CRYPTO, offset: 100000, data: bytes(4) }))]),
  );
  seeds.push(input(options, [inject(L.oneRtt, frames({ type: FrameType.DATAGRAM, data: bytes(100) }))]));
  seeds.push(
    input(options, [inject(L.oneRtt, frames({ type: FrameType.MAX_STREAMS_BIDI, maximum: 2 ** 60 }))]),
  );
  seeds.push(
    input(options | O.client, [
      action(0, 0, 0, bytes(700)),
      action(0, 0, 0),
      action(0, 0, 0),
      action(0, 0, 0),
      relay(3),
    ]),
  );
}
// Raw garbage: a stateless-reset-sized datagram, a version negotiation, an unknown version Initial.
seeds.push(input(O.after, [rec(K.raw, Buffer.concat([Buffer.of(0x41), bytes(39, 0xc1)]))]));
seeds.push(
  input(O.after | O.client, [
    rec(
      K.raw,
      Buffer.concat([
        Buffer.of(0x80, 0, 0, 0, 0, 8),
        bytes(8, 1),
        Buffer.of(8),
        bytes(8, 2),
        Buffer.of(0xff, 0, 0, 0x1d),
      ]),
    ),
  ]),
);
seeds.push(
  input(0, [
    rec(
      K.raw,
      Buffer.concat([Buffer.of(0xc0, 0xba, 0xba, 0xba, 0xba, 8), bytes(8, 1), Buffer.of(0), bytes(1200, 0)]),
    ),
  ]),
);

// Minimised fuzz findings (test/regress/quic-state-machine-*.test.ts), kept as seeds.
seeds.push(
  Buffer.from('0007000012000210010300b841000d110602028000ffff03020401010600000375e8030064140000', 'hex'),
);
seeds.push(Buffer.from('0212001c0b02001d0806a73d4c6dfdaa02800100001004020001000002020002', 'hex'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const s of seeds) writeFileSync(join(out, createHash('sha256').update(s).digest('hex')), s);
console.log(`${seeds.length} seeds in ${out}`);
