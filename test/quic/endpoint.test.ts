import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import { QuicEndpoint } from '../../src/quic/endpoint.js';
import { CloseReason } from '../../src/quic/events.js';
import type { QuicAddress } from '../../src/quic/events.js';
import { FrameReader } from '../../src/quic/frame/reader.js';
import { FrameType } from '../../src/quic/frame/types.js';
import { writePadding, writeStreamFrame } from '../../src/quic/frame/writer.js';
import {
  decodeVersionNegotiation,
  parseHeader,
  setLongHeaderLength,
  writeLongHeader,
} from '../../src/quic/packet/header.js';
import { deriveInitialKeys, protectPacket, unprotectPacket } from '../../src/quic/packet/protection.js';
import { PacketType, QUIC_VERSION_1 } from '../../src/quic/packet/types.js';
import { makePair, testCertificate } from './sim/harness.js';

const CLIENT: QuicAddress = { address: '10.0.0.1', port: 4433 };

function serverEndpoint(extra: { retry?: boolean } = {}, staticKey?: Uint8Array): QuicEndpoint {
  const c = testCertificate();
  return new QuicEndpoint({
    crypto: nodeCrypto,
    ...(staticKey !== undefined ? { staticKey } : {}),
    server: {
      alpn: ['hq-interop'],
      certificateChain: nodeCrypto.pemToDer(c.cert),
      signingKey: nodeCrypto.loadSigningKey(c.key),
      ...extra,
    },
  });
}

function drain(ep: QuicEndpoint, nowMs: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let t = ep.pollTransmit(nowMs); t !== null; t = ep.pollTransmit(nowMs)) out.push(t.bytes);
  return out;
}

/** A client Initial (v1) carrying `frames` bytes, padded to 1200, protected with the DCID's keys. */
function clientInitial(
  dcid: Uint8Array,
  scid: Uint8Array,
  frames: Uint8Array,
  token?: Uint8Array,
): Uint8Array {
  const buf = new Uint8Array(1200);
  const fields = {
    packetType: PacketType.Initial,
    version: QUIC_VERSION_1,
    dcid,
    scid,
    packetNumber: 0,
    pnLength: 4,
    ...(token !== undefined ? { token } : {}),
  } as const;
  let pos = writeLongHeader(buf, 0, fields);
  const pnOffset = pos - 4;
  buf.set(frames, pos);
  pos += frames.length;
  pos = writePadding(buf, pos, 1200 - 16 - pos);
  setLongHeaderLength(buf, pnOffset, pos - pnOffset + 16);
  protectPacket(deriveInitialKeys(nodeCrypto, dcid).client, buf, 0, pnOffset, 4, 0, pos);
  return buf;
}

test('client datagrams with Initial packets and ack-eliciting server Initials are padded to 1200 bytes', () => {
  const p = makePair();
  const sizes: [number, number][] = [];
  p.link.impairments = [
    {
      delayMs: 10,
      drop: (_i, b) => {
        if ((b[0]! & 0xf0) === 0xc0) sizes.push([0, b.length]);
        return false;
      },
    },
    {
      delayMs: 10,
      drop: (_i, b) => {
        if ((b[0]! & 0xf0) === 0xc0) sizes.push([1, b.length]);
        return false;
      },
    },
  ];
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  assert.ok(sizes.length >= 2);
  for (const [from, n] of sizes)
    assert.ok(n >= 1200, `datagram of ${n} bytes from ${from === 0 ? 'client' : 'server'}`);
});

test('before address validation the server sends at most three times what it received (RFC 9000 §8.1)', () => {
  const p = makePair();
  // Only the client's first datagram gets through; the server's first flight is lost too so it retransmits.
  p.link.impairments = [
    { delayMs: 10, drop: (i) => i > 0 },
    { delayMs: 10, lossRate: 1 },
  ];
  p.runUntil(() => false, p.link.nowMs + 8000);
  const received = p.link.stats[0].delivered > 0 ? 1200 : 0;
  assert.equal(received, 1200);
  assert.ok(p.link.stats[1].sent > 1, 'server retransmitted');
  assert.ok(p.link.stats[1].bytesSent <= 3 * received, `server sent ${p.link.stats[1].bytesSent}`);
});

test('an unknown version gets a Version Negotiation listing version 1 (RFC 9000 §6.1)', () => {
  const ep = serverEndpoint();
  const dg = new Uint8Array(1200);
  dg.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9]);
  ep.receive(dg, CLIENT, 0);
  const out = drain(ep, 0);
  assert.equal(out.length, 1);
  const h = parseHeader(out[0]!, 0, 8)!;
  assert.equal(h.packetType, PacketType.VersionNegotiation);
  assert.deepEqual([...h.dcid], [9, 9, 9, 9]);
  assert.deepEqual([...h.scid], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(decodeVersionNegotiation(h).includes(QUIC_VERSION_1));
  // Below 1200 bytes, nothing (RFC 9000 §14.1).
  ep.receive(dg.subarray(0, 600), CLIENT, 0);
  assert.equal(drain(ep, 0).length, 0);
  assert.equal(ep.connectionCount, 0);
});

test('a client given a Version Negotiation without version 1 gives up', () => {
  const client = new QuicEndpoint({ crypto: nodeCrypto });
  const server: QuicAddress = { address: '10.0.0.2', port: 443 };
  const conn = client.connect(server, { alpn: ['hq-interop'], verifyPeer: false }, 0);
  const first = drain(client, 0)[0]!;
  const h = parseHeader(first, 0, 8)!;
  const vn = new Uint8Array(7 + h.scid.length + h.dcid.length + 4);
  vn.set([0xc0, 0, 0, 0, 0, h.scid.length, ...h.scid, h.dcid.length, ...h.dcid, 0x1a, 0x2a, 0x3a, 0x4a]);
  client.receive(vn, server, 5);
  const last = conn.nextEvent();
  assert.ok(last?.type === 'closed');
  assert.equal(last.reason, CloseReason.VersionMismatch);
  assert.equal(client.connectionCount, 0);
});

test('Retry validates the client address, then the handshake completes (RFC 9000 §8.1.2)', () => {
  const p = makePair({ server: { retry: true } });
  let retries = 0;
  p.link.impairments[1] = {
    delayMs: 10,
    drop: (_i, b) => {
      if ((b[0]! & 0xf0) === 0xf0) retries++;
      return false;
    },
  };
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  assert.equal(retries, 1);
  const id = p.client.conn!.openStream(true)!;
  p.client.conn!.writeStream(id, [new Uint8Array([1, 2, 3])], true);
  assert.ok(p.runUntil(() => p.server.streams.get(id)?.finCount === 1));
});

test('Retry tokens: none or foreign gets a Retry, a forged one INVALID_TOKEN, never a connection', () => {
  const ep = serverEndpoint({ retry: true });
  const dcid = nodeCrypto.randomBytes(8);
  const scid = nodeCrypto.randomBytes(8);
  const ping = new Uint8Array([FrameType.PING]);
  const isRetry = (b: Uint8Array): boolean => (b[0]! & 0xf0) === 0xf0;
  ep.receive(clientInitial(dcid, scid, ping), CLIENT, 0);
  const retry = drain(ep, 0);
  assert.equal(retry.length, 1);
  assert.ok(isRetry(retry[0]!));
  // A token we did not issue (e.g. another server's NEW_TOKEN): RFC 9000 §8.1.3, validate with a Retry.
  ep.receive(clientInitial(dcid, scid, ping, nodeCrypto.randomBytes(40)), CLIENT, 1);
  const again = drain(ep, 1);
  assert.equal(again.length, 1);
  assert.ok(isRetry(again[0]!));
  // One of ours with a bad MAC: CONNECTION_CLOSE INVALID_TOKEN in an Initial.
  const forged = parseHeader(retry[0]!, 0, 8)!.token.slice();
  forged[forged.length - 1]! ^= 1;
  const retryScid = parseHeader(retry[0]!, 0, 8)!.scid;
  ep.receive(clientInitial(retryScid, scid, ping, forged), CLIENT, 2);
  const closed = drain(ep, 2);
  assert.equal(closed.length, 1);
  const h = parseHeader(closed[0]!, 0, 8)!;
  assert.equal(h.packetType, PacketType.Initial);
  const res = unprotectPacket(
    deriveInitialKeys(nodeCrypto, retryScid).server,
    closed[0]!,
    0,
    h.pnOffset,
    h.packetEnd,
    -1,
  )!;
  const f = new FrameReader(res.payload, 0, res.payload.length).next();
  assert.ok(f?.type === FrameType.CONNECTION_CLOSE);
  assert.equal(f.errorCode, 0x0b);
  assert.equal(ep.connectionCount, 0);
});

test('beyond maxConnections a client is refused with CONNECTION_REFUSED (RFC 9000 §5.2.2)', () => {
  const p = makePair({ serverLimits: { maxConnections: 1 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const second = p.clientEndpoint.connect(
    p.link.addresses[1],
    { alpn: ['hq-interop'], verifyPeer: false },
    p.link.nowMs,
  );
  let closed: number | undefined;
  assert.ok(
    p.runUntil(() => {
      for (let e = second.nextEvent(); e !== null; e = second.nextEvent())
        if (e.type === 'closed') closed = e.code;
      return closed !== undefined;
    }),
  );
  assert.equal(closed, 0x02);
  assert.equal(p.serverEndpoint.connectionCount, 1);
});

test('a stateless reset from a restarted server ends the client connection (RFC 9000 §10.3)', () => {
  const key = nodeCrypto.randomBytes(32);
  const p = makePair({ serverStaticKey: key });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 200);
  const id = p.client.conn!.openStream(true)!;
  p.client.conn!.writeStream(id, [new Uint8Array(100)], false);
  const out = drain(p.clientEndpoint, p.link.nowMs);
  assert.ok(out.length > 0);
  // An endpoint with another key answers with a reset the client does not recognise.
  const stranger = serverEndpoint();
  stranger.receive(out[0]!, CLIENT, p.link.nowMs);
  const bogus = drain(stranger, p.link.nowMs);
  assert.equal(bogus.length, 1);
  assert.ok(bogus[0]!.length < out[0]!.length && (bogus[0]![0]! & 0xc0) === 0x40);
  p.clientEndpoint.receive(bogus[0]!, p.link.addresses[1], p.link.nowMs);
  assert.equal(p.client.conn!.isClosed, false, 'a reset with an unknown token is ignored');
  // The restarted server (same static key) derives the right token.
  const restarted = serverEndpoint({}, key);
  restarted.receive(out[0]!, CLIENT, p.link.nowMs);
  const reset = drain(restarted, p.link.nowMs);
  assert.equal(reset.length, 1);
  p.clientEndpoint.receive(reset[0]!, p.link.addresses[1], p.link.nowMs);
  p.client.pump();
  assert.equal(p.client.closed?.reason, CloseReason.StatelessReset);
  assert.equal(p.clientEndpoint.connectionCount, 0);
});

test('a STREAM frame in an Initial packet is a PROTOCOL_VIOLATION (RFC 9000 §12.4)', () => {
  const ep = serverEndpoint();
  const dcid = nodeCrypto.randomBytes(8);
  const scid = nodeCrypto.randomBytes(8);
  const frame = new Uint8Array(16);
  const n = writeStreamFrame(frame, 0, 0, 0, new Uint8Array([1, 2, 3]), false);
  ep.receive(clientInitial(dcid, scid, frame.subarray(0, n)), CLIENT, 0);
  const out = drain(ep, 0);
  assert.equal(out.length, 1);
  const h = parseHeader(out[0]!, 0, 8)!;
  assert.equal(h.packetType, PacketType.Initial);
  const res = unprotectPacket(
    deriveInitialKeys(nodeCrypto, dcid).server,
    out[0]!,
    0,
    h.pnOffset,
    h.packetEnd,
    -1,
  )!;
  const frames = [];
  const r = new FrameReader(res.payload, 0, res.payload.length);
  for (let f = r.next(); f !== null; f = r.next()) frames.push(f);
  const close = frames.find((f) => f.type === FrameType.CONNECTION_CLOSE);
  assert.ok(close !== undefined && close.type === FrameType.CONNECTION_CLOSE);
  assert.equal(close.errorCode, 0x0a);
  assert.equal(close.frameType, FrameType.STREAM);
});

test('stateless resets are rate-limited (RFC 9000 §10.3)', () => {
  const c = testCertificate();
  const ep = new QuicEndpoint({
    crypto: nodeCrypto,
    limits: { statelessResetsPerSecond: 5 },
    server: {
      alpn: ['x'],
      certificateChain: nodeCrypto.pemToDer(c.cert),
      signingKey: nodeCrypto.loadSigningKey(c.key),
    },
  });
  const short = (): Uint8Array => {
    const b = nodeCrypto.randomBytes(60);
    b[0] = 0x40 | (b[0]! & 0x3f);
    return b;
  };
  let sent = 0;
  for (let i = 0; i < 20; i++) {
    ep.receive(short(), CLIENT, 1000);
    sent += drain(ep, 1000).length;
  }
  assert.equal(sent, 5);
  // One second later the bucket is full again.
  for (let i = 0; i < 20; i++) {
    ep.receive(short(), CLIENT, 2000);
    sent += drain(ep, 2000).length;
  }
  assert.equal(sent, 10);
});

test('pollTransmit(into) builds connection datagrams in the caller array; a handshake and data go through', () => {
  const c = testCertificate();
  const server = serverEndpoint();
  const client = new QuicEndpoint({ crypto: nodeCrypto });
  const SERVER: QuicAddress = { address: '10.0.0.2', port: 443 };
  const conn = client.connect(SERVER, { alpn: ['hq-interop'], serverName: 'localhost', ca: [c.cert] }, 0);
  const into = new Uint8Array(65535);
  let inPlace = 0;
  let now = 0;
  // Each datagram is delivered before the next pollTransmit reuses `into`.
  const shuttle = (from: QuicEndpoint, to: QuicEndpoint, src: QuicAddress): void => {
    for (let t = from.pollTransmit(now, into); t !== null; t = from.pollTransmit(now, into)) {
      if (t.bytes.buffer === into.buffer) {
        assert.equal(t.bytes.byteOffset, 0);
        inPlace++;
      }
      to.receive(t.bytes, src, now);
    }
  };
  let serverConn: ReturnType<QuicEndpoint['connect']> | undefined;
  for (let i = 0; i < 20 && !(conn.isHandshakeComplete && serverConn?.isHandshakeComplete === true); i++) {
    now += 5;
    shuttle(client, server, CLIENT);
    for (let e = server.nextEvent(); e !== null; e = server.nextEvent()) serverConn = e.connection;
    shuttle(server, client, SERVER);
  }
  assert.ok(conn.isHandshakeComplete && serverConn?.isHandshakeComplete === true, 'handshake over `into`');
  const id = conn.openStream(true)!;
  const body = new Uint8Array(50_000).map((_, i) => i & 0xff);
  conn.writeStream(id, [body], true);
  const got: Uint8Array[] = [];
  for (let i = 0; i < 50 && got.reduce((n, b) => n + b.length, 0) < body.length; i++) {
    now += 5;
    shuttle(client, server, CLIENT);
    for (let e = serverConn.nextEvent(); e !== null; e = serverConn.nextEvent()) {
      if (e.type === 'streamData') {
        got.push(e.bytes.slice());
        serverConn.consumed(e.id, e.bytes.length);
      }
    }
    shuttle(server, client, SERVER);
  }
  const all = new Uint8Array(got.reduce((n, b) => n + b.length, 0));
  let pos = 0;
  for (const b of got) {
    all.set(b, pos);
    pos += b.length;
  }
  assert.deepEqual(all, body);
  assert.ok(inPlace > 5, `${inPlace} datagrams built in place`);
});
