import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseReason } from '../../src/quic/events.js';
import { writeNewConnectionId } from '../../src/quic/frame/writer.js';
import { EncryptionLevel } from '../../src/quic/packet/levels.js';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import { makePair, pattern, testCertificate } from './sim/harness.js';

test('handshake over the simulated link, stream data both ways, clean close', () => {
  const p = makePair();
  assert.ok(
    p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete),
    'handshake',
  );
  const cc = p.client.conn!;
  const sc = p.server.conn!;
  assert.equal(cc.alpn, 'hq-interop');
  assert.equal(sc.alpn, 'hq-interop');
  const id = cc.openStream(true)!;
  assert.equal(id, 0);
  const request = pattern(id, 5000);
  cc.writeStream(id, [request], true);
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.fin) {
      side.conn!.writeStream(e.id, [pattern(e.id + 1, 20000)], true);
    }
  };
  assert.ok(
    p.runUntil(() => (p.client.streams.get(id)?.finCount ?? 0) > 0),
    'response',
  );
  assert.deepEqual(p.server.bytes(id), request);
  assert.deepEqual(p.client.bytes(id), pattern(id + 1, 20000));
  const st = cc.stats;
  assert.ok(st.packetsSent > 5 && st.packetsReceived > 15 && st.packetsLost === 0, JSON.stringify(st));
  assert.ok(st.smoothedRttMs >= 20 && st.smoothedRttMs < 40, `srtt ${st.smoothedRttMs}`);
  assert.equal(st.bytesSent, p.link.stats[0].bytesSent);
  cc.close(0, 'bye');
  assert.ok(
    p.runUntil(() => p.server.closed !== undefined),
    'server sees close',
  );
  assert.equal(p.server.closed!.reason, CloseReason.Remote);
  assert.equal(p.server.closed!.reasonPhrase, 'bye');
  assert.equal(p.client.closed!.reason, CloseReason.Local);
  p.runUntil(() => p.clientEndpoint.connectionCount === 0 && p.serverEndpoint.connectionCount === 0);
  assert.equal(p.clientEndpoint.connectionCount, 0);
  assert.equal(p.serverEndpoint.connectionCount, 0);
});

test('many streams under MAX_STREAMS and small flow-control windows all complete', () => {
  const limits = {
    maxStreamsBidi: 8,
    maxStreamsUni: 4,
    streamWindowBytes: 4096,
    connectionWindowBytes: 16384,
  };
  const p = makePair({ clientLimits: limits, serverLimits: limits });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const total = 120;
  const sizes = new Map<number, number>();
  let opened = 0;
  let blocked = 0;
  const openMore = (): void => {
    while (opened < total) {
      const id = cc.openStream(opened % 3 !== 2);
      if (id === null) {
        blocked++;
        return;
      }
      const n = 1000 + ((opened * 997) % 9000);
      sizes.set(id, n);
      cc.writeStream(id, [pattern(id, n)], true);
      opened++;
    }
  };
  p.client.onEvent = (e) => {
    if (e.type === 'streamsAvailable') openMore();
  };
  // The server answers bidirectional streams with a short response.
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.fin && e.id % 4 === 0)
      side.conn!.writeStream(e.id, [pattern(e.id, 10)], true);
  };
  openMore();
  const allIn = (): boolean =>
    opened === total &&
    [...sizes].every(
      ([id, n]) => p.server.streams.get(id)?.finCount === 1 && p.server.streams.get(id)!.length === n,
    );
  assert.ok(p.runUntil(allIn, p.link.nowMs + 120000), `opened ${opened}, blocked ${blocked}`);
  assert.ok(blocked > 0, 'MAX_STREAMS made the client wait');
  for (const [id, n] of sizes) assert.deepEqual(p.server.bytes(id), pattern(id, n));
  // Every bidirectional response arrives too, and no stream state is left behind once all is acknowledged.
  assert.ok(
    p.runUntil(() =>
      [...sizes.keys()].every((id) => id % 4 !== 0 || p.client.streams.get(id)?.finCount === 1),
    ),
  );
});

test('DATAGRAM frames both ways (RFC 9221)', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  assert.ok(p.client.conn!.isDatagramSupported && p.server.conn!.isDatagramSupported);
  assert.ok(p.client.conn!.sendDatagram(new Uint8Array([1, 2, 3])));
  assert.ok(p.server.conn!.sendDatagram(new Uint8Array([4, 5])));
  assert.equal(p.client.conn!.sendDatagram(new Uint8Array(5000)), false, 'too large for the peer');
  assert.ok(p.runUntil(() => p.client.datagrams.length === 1 && p.server.datagrams.length === 1));
  assert.deepEqual([...p.server.datagrams[0]!], [1, 2, 3]);
  assert.deepEqual([...p.client.datagrams[0]!], [4, 5]);
});

test('RESET_STREAM and STOP_SENDING reach the peer', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const a = cc.openStream(true)!;
  cc.writeStream(a, [pattern(a, 100)], false);
  assert.ok(p.runUntil(() => (p.server.streams.get(a)?.length ?? 0) === 100));
  cc.resetStream(a, 7);
  assert.ok(p.runUntil(() => p.server.streams.get(a)?.reset !== undefined));
  assert.deepEqual(p.server.streams.get(a)!.reset, { code: 7, finalSize: 100 });
  // STOP_SENDING from the server makes the client reset its sending part with the same code.
  const b = cc.openStream(true)!;
  cc.writeStream(b, [pattern(b, 10)], false);
  assert.ok(p.runUntil(() => (p.server.streams.get(b)?.length ?? 0) === 10));
  p.server.conn!.stopSending(b, 9);
  assert.ok(
    p.runUntil(() => p.client.events.some((e) => e.type === 'stopSending' && e.id === b && e.code === 9)),
  );
  assert.ok(p.runUntil(() => p.server.streams.get(b)?.reset !== undefined));
  assert.equal(p.server.streams.get(b)!.reset!.code, 9);
});

test('idle timeout closes both sides silently (RFC 9000 §10.1)', () => {
  const p = makePair({ clientLimits: { idleTimeoutMs: 5000 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 200);
  p.link.impairments = [{ lossRate: 1 }, { lossRate: 1 }];
  const start = p.link.nowMs;
  assert.ok(p.runUntil(() => p.client.closed !== undefined && p.server.closed !== undefined));
  assert.equal(p.client.closed!.reason, CloseReason.IdleTimeout);
  assert.equal(p.server.closed!.reason, CloseReason.IdleTimeout);
  assert.ok(p.link.nowMs - start >= 4000 && p.link.nowMs - start < 7000, `${p.link.nowMs - start} ms`);
});

test('no ALPN overlap closes with CRYPTO_ERROR no_application_protocol (RFC 9001 §8.1)', () => {
  const p = makePair({ clientAlpn: ['h3'] });
  assert.ok(p.runUntil(() => p.client.closed !== undefined));
  assert.equal(p.client.closed!.reason, CloseReason.Remote);
  assert.equal(p.client.closed!.code, 0x100 + 120);
  assert.equal(p.client.isHandshakeComplete, false);
});

test('each side issues connection IDs up to the peer limit (RFC 9000 §5.1.1)', () => {
  const p = makePair({ clientLimits: { activeConnectionIdLimit: 3 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 500);
  assert.equal(p.server.conn!.localConnectionIds.length, 3);
  assert.equal(p.client.conn!.localConnectionIds.length, 4);
});

test('works over a link whose MTU is 1200 bytes', () => {
  const p = makePair({
    clientToServer: { delayMs: 5, mtu: 1200 },
    serverToClient: { delayMs: 5, mtu: 1200 },
  });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const id = p.client.conn!.openStream(false)!;
  p.client.conn!.writeStream(id, [pattern(id, 50000)], true);
  assert.ok(p.runUntil(() => p.server.streams.get(id)?.finCount === 1));
  assert.deepEqual(p.server.bytes(id), pattern(id, 50000));
  // Only DPLPMTUD probes were too big (RFC 9000 §14.4); the size in use stayed at 1200.
  const cs = p.client.conn!.stats;
  const ss = p.server.conn!.stats;
  assert.equal(p.link.stats[0].tooBig + p.link.stats[1].tooBig, cs.mtuProbesSent + ss.mtuProbesSent);
  assert.equal(cs.mtuProbesAcked + ss.mtuProbesAcked, 0);
  assert.equal(cs.pathMtuBytes, 1200);
  assert.equal(ss.pathMtuBytes, 1200);
});

test('key updates from either side keep data flowing, reordering included (RFC 9001 §6)', () => {
  const jittery = { delayMs: 10, jitterMs: 15 };
  const p = makePair({ clientToServer: jittery, serverToClient: jittery, seed: 5 });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const sc = p.server.conn!;
  assert.equal(cc.updateKeys(), false, 'not before the handshake is confirmed on the client');
  p.runUntil(() => false, p.link.nowMs + 100);
  const id = cc.openStream(false)!;
  const chunks: Uint8Array[] = [];
  let sent = 0;
  const write = (n: number): void => {
    const c = pattern(id, sent + n).subarray(sent);
    chunks.push(c);
    sent += n;
    cc.writeStream(id, [c], false);
  };
  write(20000);
  p.runUntil(() => false, p.link.nowMs + 5);
  assert.equal(cc.updateKeys(), true);
  assert.equal(cc.keyPhase, 1);
  assert.equal(cc.updateKeys(), false, 'the previous update is not acknowledged yet');
  write(20000);
  assert.ok(p.runUntil(() => (p.server.streams.get(id)?.length ?? 0) === sent));
  assert.equal(sc.keyPhase, 1, 'the server followed');
  // Now the server initiates.
  assert.ok(p.runUntil(() => sc.updateKeys()));
  assert.equal(sc.keyPhase, 0);
  write(30000);
  assert.ok(p.runUntil(() => (p.server.streams.get(id)?.length ?? 0) === sent && cc.keyPhase === 0));
  // And the client once more, then finish the stream.
  assert.ok(p.runUntil(() => cc.updateKeys()));
  cc.writeStream(id, [], true);
  assert.ok(p.runUntil(() => p.server.streams.get(id)?.finCount === 1));
  assert.deepEqual(p.server.bytes(id), pattern(id, sent));
  assert.equal(p.client.closed, undefined);
  assert.equal(p.server.closed, undefined);
});

test('an automatic key update after keyUpdateAfterPackets packets', () => {
  const p = makePair({ clientLimits: { keyUpdateAfterPackets: 20 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const id = cc.openStream(false)!;
  cc.writeStream(id, [pattern(id, 100000)], true);
  let phases = 0;
  let last = cc.keyPhase;
  assert.ok(
    p.runUntil(() => {
      if (cc.keyPhase !== last) {
        phases++;
        last = cc.keyPhase;
      }
      return p.server.streams.get(id)?.finCount === 1;
    }),
  );
  assert.ok(phases >= 2, `${phases} key updates`);
  assert.deepEqual(p.server.bytes(id), pattern(id, 100000));
});

test('a client address change is validated by the server with PATH_CHALLENGE (RFC 9000 §8.2, §9.3)', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 100);
  const sc = p.server.conn!;
  const cc = p.client.conn!;
  assert.equal(sc.stats.pathMtuBytes, 1452);
  const rebound = { address: '10.9.9.9', port: 5555 };
  p.link.addresses[0] = rebound;
  const id = cc.openStream(true)!;
  cc.writeStream(id, [pattern(id, 3000)], false);
  let sawValidation = false;
  let mtuWhileValidating = 0;
  assert.ok(
    p.runUntil(() => {
      if (sc.isPathValidating) mtuWhileValidating = sc.stats.pathMtuBytes;
      sawValidation ||= sc.isPathValidating;
      return sawValidation && !sc.isPathValidating;
    }),
  );
  assert.deepEqual(sc.remote, rebound);
  // A new host is a new path: DPLPMTUD starts over from 1200 and probes again once it is validated.
  assert.equal(mtuWhileValidating, 1200);
  p.runUntil(() => sc.stats.pathMtuBytes === 1452, p.link.nowMs + 1000);
  assert.equal(sc.stats.pathMtuBytes, 1452);
  cc.writeStream(id, [pattern(id + 1, 3000)], true);
  assert.ok(p.runUntil(() => p.server.streams.get(id)?.finCount === 1));
  assert.equal(p.server.streams.get(id)!.length, 6000);
  assert.equal(p.server.closed, undefined);
});

test('packets that arrive before their keys are kept and processed once the keys exist (RFC 9001 §5.7)', () => {
  // A long certificate chain spreads the server's flight over two datagrams; the first (Initial +
  // Handshake) arrives after the second (Handshake only), whose keys the client does not have yet.
  const leaf = nodeCrypto.pemToDer(testCertificate().cert)[0]!;
  let serverDatagrams = 0;
  const p = makePair({
    server: { certificateChain: [leaf, leaf, leaf] },
    client: { verifyPeer: false },
    serverToClient: {
      delayMs: 10,
      extraDelayMs: (i) => {
        serverDatagrams = Math.max(serverDatagrams, i + 1);
        return i === 0 ? 30 : 0;
      },
    },
  });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete, p.link.nowMs + 5000));
  // Without buffering the Handshake data would wait for a PTO (hundreds of ms).
  assert.ok(serverDatagrams >= 2);
  assert.ok(p.link.nowMs < 1100, `handshake completed at ${p.link.nowMs}`);
});

test('received DATAGRAMs waiting for the application are bounded by maxReceivedDatagrams', () => {
  const p = makePair({ serverLimits: { maxReceivedDatagrams: 4 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const sc = p.server.conn!;
  p.server.conn = null; // the server application stops reading events
  for (let i = 0; i < 10; i++) assert.ok(p.client.conn!.sendDatagram(new Uint8Array([i])));
  p.runUntil(() => false, p.link.nowMs + 200);
  p.server.conn = sc;
  p.pump();
  assert.deepEqual(
    p.server.datagrams.map((d) => d[0]),
    [0, 1, 2, 3],
  );
  for (let i = 10; i < 13; i++) p.client.conn!.sendDatagram(new Uint8Array([i]));
  assert.ok(p.runUntil(() => p.server.datagrams.length === 7));
});

test('a certificate for another name closes with a CRYPTO_ERROR the server sees too (RFC 9001 §4.8)', () => {
  const p = makePair({ client: { serverName: 'example.com' } });
  assert.ok(p.runUntil(() => p.client.closed !== undefined && p.server.closed !== undefined));
  const c = p.client.closed!;
  assert.equal(c.reason, CloseReason.Local);
  assert.ok(c.code > 0x100 && c.code <= 0x1ff, `code 0x${c.code.toString(16)}`);
  assert.equal(c.error?.wireCode, c.code);
  assert.equal(p.server.closed!.reason, CloseReason.Remote);
  assert.equal(p.server.closed!.code, c.code);
  assert.equal(p.client.isHandshakeComplete, false);
});

test('a HelloRetryRequest round (group mismatch) and a ChaCha20 suite still complete the handshake', () => {
  const p = makePair({
    server: { groups: ['x25519'], cipherSuites: [0x1303] },
    client: { groups: ['secp256r1', 'x25519'] },
  });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const tls = (p.client.conn as unknown as { tls: { isRetried: boolean; cipherSuite: number } }).tls;
  assert.equal(tls.isRetried, true);
  assert.equal(tls.cipherSuite, 0x1303);
  const id = p.client.conn!.openStream(true)!;
  p.client.conn!.writeStream(id, [pattern(id, 4000)], true);
  assert.equal(p.client.conn!.bufferedBytes(id), 4000);
  assert.ok(
    p.runUntil(() => p.server.streams.get(id)?.finCount === 1 && p.client.conn!.bufferedBytes(id) === 0),
  );
  assert.deepEqual(p.server.bytes(id), pattern(id, 4000));
});

test('ping() keeps an otherwise idle connection alive past the idle timeout', () => {
  const p = makePair({ clientLimits: { idleTimeoutMs: 3000 }, serverLimits: { idleTimeoutMs: 3000 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const end = p.link.nowMs + 10000;
  let next = p.link.nowMs + 1000;
  p.runUntil(
    () => {
      if (p.link.nowMs >= next) {
        p.client.conn!.ping();
        next += 1000;
      }
      return p.link.nowMs >= end;
    },
    end + 1,
    100,
  );
  assert.equal(p.client.closed, undefined);
  assert.equal(p.server.closed, undefined);
  // Without pings both sides time out.
  assert.ok(p.runUntil(() => p.client.closed !== undefined && p.server.closed !== undefined));
  assert.equal(p.client.closed!.reason, CloseReason.IdleTimeout);
});

test('keepAlive: a stream we opened awaiting its answer outlives the idle timeout; once done, idle closes', () => {
  const p = makePair({ clientLimits: { idleTimeoutMs: 3000 }, serverLimits: { idleTimeoutMs: 3000 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const id = cc.openStream(true)!;
  cc.writeStream(id, [pattern(id, 100)], true);
  assert.ok(
    p.runUntil(() => (p.server.streams.get(id)?.finCount ?? 0) > 0),
    'request received',
  );
  // The server sits on the request (a long poll) for three idle timeouts.
  const sent = cc.stats.packetsSent;
  const quietUntil = p.link.nowMs + 9000;
  assert.equal(
    p.runUntil(() => p.client.closed !== undefined || p.server.closed !== undefined, quietUntil),
    false,
    `closed while waiting: ${JSON.stringify(p.client.closed ?? p.server.closed)}`,
  );
  // About one PING per half idle timeout (each acknowledged), not a stream of them.
  const pings = cc.stats.packetsSent - sent;
  assert.ok(pings >= 5 && pings <= 9, `${pings} packets while waiting`);
  p.server.conn!.writeStream(id, [pattern(id + 1, 500)], true);
  assert.ok(
    p.runUntil(() => (p.client.streams.get(id)?.finCount ?? 0) > 0),
    'answer received',
  );
  // Nothing outstanding: the connection closes when idle, as before.
  const start = p.link.nowMs;
  assert.ok(p.runUntil(() => p.client.closed !== undefined && p.server.closed !== undefined));
  assert.equal(p.client.closed!.reason, CloseReason.IdleTimeout);
  assert.ok(p.link.nowMs - start >= 3000 && p.link.nowMs - start < 5000, `${p.link.nowMs - start} ms`);
});

test('keepAlive: false lets a connection with an unanswered stream close at the idle timeout', () => {
  const p = makePair({
    clientLimits: { idleTimeoutMs: 3000, keepAlive: false },
    serverLimits: { idleTimeoutMs: 3000 },
  });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const id = cc.openStream(true)!;
  cc.writeStream(id, [pattern(id, 100)], true);
  const start = p.link.nowMs;
  assert.ok(p.runUntil(() => p.client.closed !== undefined && p.server.closed !== undefined));
  assert.equal(p.client.closed!.reason, CloseReason.IdleTimeout);
  assert.ok(p.link.nowMs - start < 5000, `${p.link.nowMs - start} ms`);
});

test('more peer connection IDs than active_connection_id_limit is a CONNECTION_ID_LIMIT_ERROR', () => {
  const p = makePair({ clientLimits: { activeConnectionIdLimit: 2 } });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 200);
  const payload = new Uint8Array(64);
  const n = writeNewConnectionId(payload, 0, 7, 0, new Uint8Array(8).fill(7), new Uint8Array(16).fill(1));
  p.client.conn!.injectPayloadForTest(EncryptionLevel.OneRtt, payload.subarray(0, n), p.link.nowMs);
  assert.ok(p.runUntil(() => p.server.closed !== undefined));
  assert.equal(p.client.closed!.code, 0x09);
  assert.equal(p.server.closed!.code, 0x09);
  assert.equal(p.server.closed!.reason, CloseReason.Remote);
});

test('API misuse is a UsageError; resetting a finished, forgotten stream is a no-op', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  assert.throws(() => {
    cc.writeStream(0, [new Uint8Array(1)], false);
  }, /cannot be written/);
  assert.throws(() => {
    cc.resetStream(4, 0);
  }, /not open/);
  assert.throws(() => {
    cc.stopSending(2, 0);
  }, /cannot receive/);
  const id = cc.openStream(false)!;
  cc.writeStream(id, [new Uint8Array(10)], true);
  assert.throws(() => {
    cc.writeStream(id, [new Uint8Array(1)], false);
  }, /cannot write/);
  assert.ok(p.runUntil(() => cc.bufferedBytes(id) === 0 && p.server.streams.get(id)?.finCount === 1));
  p.runUntil(() => false, p.link.nowMs + 100);
  cc.resetStream(id, 1);
  assert.equal(p.client.closed, undefined);
  cc.close(0);
  assert.throws(() => cc.openStream(true), /closed/);
});

test('a server keeps 1-RTT packets that overtake the client Finished until the handshake completes', () => {
  // Client datagram 1 carries its Finished; the 1-RTT datagrams after it arrive first.
  const p = makePair({ clientToServer: { delayMs: 10, extraDelayMs: (i) => (i === 1 ? 30 : 0) } });
  p.client.onEvent = (e, side) => {
    if (e.type === 'handshakeComplete') {
      const id = side.conn!.openStream(false)!;
      side.conn!.writeStream(id, [pattern(id, 6000)], true);
    }
  };
  assert.ok(p.runUntil(() => p.server.streams.get(2)?.finCount === 1, p.link.nowMs + 5000));
  assert.deepEqual(p.server.bytes(2), pattern(2, 6000));
  // Processed from the buffer as soon as the Finished arrived, without waiting for retransmissions.
  assert.ok(p.link.nowMs < 1100, `done at ${p.link.nowMs}`);
  assert.equal(p.server.closed, undefined);
});

test('a lost CONNECTION_CLOSE is repeated when the peer keeps sending (RFC 9000 §10.2.1)', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 100);
  const sc = p.server.conn!;
  const id = sc.openStream(false)!;
  sc.writeStream(id, [pattern(id, 30000)], false);
  p.runUntil(() => false, p.link.nowMs + 15);
  // The client's first close is lost; the server's data keeps coming and gets another close.
  const sentBefore = p.link.stats[0].sent;
  p.link.impairments[0] = { delayMs: 10, drop: (i) => i === sentBefore };
  p.client.conn!.close(42, 'going away', true, p.link.nowMs);
  assert.ok(p.runUntil(() => p.server.closed !== undefined));
  assert.equal(p.server.closed!.code, 42);
  assert.equal(p.server.closed!.reasonPhrase, 'going away');
  assert.ok(p.link.stats[0].lost >= 1);
  // Both sides forget the connection after their closing/draining periods.
  assert.ok(
    p.runUntil(() => p.clientEndpoint.connectionCount === 0 && p.serverEndpoint.connectionCount === 0),
  );
});

test('a client migrating with a new connection ID gets answers on a new one too (RFC 9000 §9.5)', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 200);
  const cc = p.client.conn!;
  const sc = p.server.conn!;
  const clientCidsBefore = cc.localConnectionIds.map((c) => Buffer.from(c).toString('hex'));
  const serverCidsBefore = sc.localConnectionIds.map((c) => Buffer.from(c).toString('hex'));
  assert.ok(cc.rotateConnectionId());
  p.link.addresses[0] = { address: '10.7.7.7', port: 7777 };
  const id = cc.openStream(true)!;
  cc.writeStream(id, [pattern(id, 2000)], true);
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.fin) side.conn!.writeStream(e.id, [pattern(e.id, 500)], true);
  };
  assert.ok(p.runUntil(() => p.client.streams.get(id)?.finCount === 1 && !sc.isPathValidating));
  p.runUntil(() => false, p.link.nowMs + 200);
  // Each side retired the connection ID used on the old path; the other side replaced it.
  const clientCidsAfter = cc.localConnectionIds.map((c) => Buffer.from(c).toString('hex'));
  const serverCidsAfter = sc.localConnectionIds.map((c) => Buffer.from(c).toString('hex'));
  assert.ok(
    !clientCidsAfter.includes(clientCidsBefore[0]!),
    'server moved off the client CID of the old path',
  );
  assert.ok(
    !serverCidsAfter.includes(serverCidsBefore[0]!),
    'client moved off the server CID of the old path',
  );
  assert.equal(clientCidsAfter.length, clientCidsBefore.length);
  assert.equal(serverCidsAfter.length, serverCidsBefore.length);
  assert.deepEqual(sc.remote, { address: '10.7.7.7', port: 7777 });
});

/** Sends `length` bytes from the server to the client on a new client-opened stream; returns the stream. */
function download(p: ReturnType<typeof makePair>, length: number, untilMs = 120000): number {
  const cc = p.client.conn!;
  const id = cc.openStream(true)!;
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.fin) side.conn!.writeStream(e.id, [pattern(e.id, length)], true);
  };
  cc.writeStream(id, [new Uint8Array([1])], true);
  assert.ok(
    p.runUntil(() => p.client.streams.get(id)?.finCount === 1, p.link.nowMs + untilMs),
    `download of ${length} bytes`,
  );
  assert.deepEqual(p.client.bytes(id), pattern(id, length));
  return id;
}

test('DPLPMTUD on a 1500-byte path settles at 1452 (RFC 9000 §14.3)', () => {
  const link = { delayMs: 10, mtu: 1500 };
  const p = makePair({ clientToServer: link, serverToClient: link });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  download(p, 300_000);
  const s = p.server.conn!.stats;
  assert.equal(s.pathMtuBytes, 1452);
  assert.equal(p.client.conn!.stats.pathMtuBytes, 1452);
  assert.ok(s.mtuProbesAcked >= 1);
  assert.equal(p.link.stats[1].tooBig, 0);
});

test('DPLPMTUD on a 9000-byte path with a larger ceiling finds close to 9000', () => {
  const link = { delayMs: 10, mtu: 9000 };
  const limits = { maxUdpPayloadBytes: 16383 };
  const p = makePair({
    clientToServer: link,
    serverToClient: link,
    clientLimits: limits,
    serverLimits: limits,
  });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  download(p, 2_000_000);
  p.runUntil(() => false, p.link.nowMs + 5000);
  const s = p.server.conn!.stats;
  assert.ok(s.pathMtuBytes > 9000 - 32 && s.pathMtuBytes <= 9000, `server ${s.pathMtuBytes}`);
  assert.ok(p.link.stats[1].bytesSent / p.link.stats[1].sent > 4000, 'large datagrams carried the data');
  // Lost probes are no congestion signal (RFC 9000 §14.4): no loss besides them, no recovery period.
  assert.equal(s.packetsLost, s.mtuProbesSent - s.mtuProbesAcked);
  assert.ok(s.mtuProbesSent > s.mtuProbesAcked);
  assert.equal(s.ptoCount, 0);
});

test('a path MTU that drops mid-transfer is a black hole: back to 1200, search again, transfer completes', () => {
  const link = { delayMs: 10 };
  const limits = { maxUdpPayloadBytes: 16383 };
  const p = makePair({
    clientToServer: link,
    serverToClient: link,
    clientLimits: limits,
    serverLimits: limits,
  });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  download(p, 500_000);
  assert.equal(p.server.conn!.stats.pathMtuBytes, 16383);
  // The route changes: 1400 bytes at most from now on, in both directions.
  p.link.impairments = [
    { delayMs: 10, mtu: 1400 },
    { delayMs: 10, mtu: 1400 },
  ];
  download(p, 1_000_000);
  p.runUntil(() => false, p.link.nowMs + 5000);
  const s = p.server.conn!.stats;
  assert.ok(s.mtuBlackHoles >= 1);
  assert.ok(s.pathMtuBytes > 1400 - 32 && s.pathMtuBytes <= 1400, `server ${s.pathMtuBytes}`);
  assert.equal(p.client.closed, undefined);
});

test('both congestion controllers complete a transfer under 3% loss and reordering', () => {
  for (const congestionControl of ['cubic', 'newreno'] as const) {
    const link = { delayMs: 20, lossRate: 0.03, jitterMs: 5 };
    const p = makePair({
      clientToServer: link,
      serverToClient: link,
      seed: 11,
      server: { congestionControl },
      client: { congestionControl },
    });
    assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
    download(p, 1_000_000, 600_000);
    const s = p.server.conn!.stats;
    assert.ok(s.packetsLost > 0, congestionControl);
    assert.ok(s.congestionWindow >= 2 * s.pathMtuBytes, congestionControl);
  }
});

test('pacing spreads a window over the round trip instead of one burst (RFC 9002 §7.7)', () => {
  const link = { delayMs: 50 };
  const p = makePair({ clientToServer: link, serverToClient: link });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  // Record when the server's datagrams leave during a bulk transfer.
  const times: number[] = [];
  const node = p.link.nodes[1];
  const poll = node.pollTransmit.bind(node);
  node.pollTransmit = (nowMs) => {
    const out = poll(nowMs);
    if (out !== null && out.bytes.length > 1000) times.push(nowMs);
    return out;
  };
  download(p, 1_000_000);
  // Count the largest number of full datagrams sent at one instant.
  let burst = 0;
  for (let i = 0, j = 0; i < times.length; i = j) {
    while (j < times.length && times[j] === times[i]) j++;
    burst = Math.max(burst, j - i);
  }
  // The bucket holds 10 datagrams; waits under 1 ms are not taken (timer granularity), which lets at most
  // 1 ms worth of the rate 1.25 * cwnd / srtt through on top.
  const s = p.server.conn!.stats;
  const perMs = (1.25 * s.congestionWindow) / s.smoothedRttMs / s.pathMtuBytes;
  assert.ok(burst <= 10 + Math.ceil(perMs) + 1, `burst of ${burst} datagrams, ${perMs} per ms`);
  // Without pacing, each 256 KiB stream window update would release ~180 datagrams at once.
  assert.ok(burst < 30, `burst of ${burst}`);
  assert.ok(times.length > 600);
});

test('a flow-control-limited sender does not inflate its congestion window (RFC 9002 §7.8)', () => {
  // Fixed windows (auto-tuning off): the receiver's flow control, not the path, limits the sender.
  const windows = {
    streamWindowBytes: 65536,
    connectionWindowBytes: 65536,
    maxStreamWindowBytes: 65536,
    maxConnectionWindowBytes: 65536,
  };
  const p = makePair({ clientLimits: windows });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  download(p, 2_000_000);
  const s = p.server.conn!.stats;
  // At most 64 KiB in flight: the window grows only while half of it is used, so it stays near 128 KiB
  // instead of growing by every acknowledged byte (2 MB of slow start).
  assert.ok(s.congestionWindow < 200_000, `window ${s.congestionWindow}`);
  assert.ok(s.congestionWindow >= 65536, `window ${s.congestionWindow}`);
});

test('isSendSettled: false while written stream data or a FIN is unacknowledged, true once acknowledged', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  assert.equal(cc.isSendSettled, true, 'nothing written');
  const control = cc.openStream(false)!;
  cc.writeStream(control, [pattern(control, 10)], false);
  const id = cc.openStream(true)!;
  cc.writeStream(id, [pattern(id, 50_000)], true);
  assert.equal(cc.isSendSettled, false, 'written, not sent');
  p.pump();
  assert.equal(cc.isSendSettled, false, 'in flight');
  // A stream left open (an HTTP/3 control stream) settles once its bytes are acknowledged; a finished one
  // once its FIN is too.
  assert.ok(
    p.runUntil(() => cc.isSendSettled),
    'settles',
  );
  assert.equal(p.server.streams.get(id)?.finCount, 1);
  assert.equal(p.server.streams.get(control)?.length, 10);
});

test('writes to a stream reset by us or after the peer STOP_SENDING are discarded, not thrown (RFC 9000 §3.5)', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const cc = p.client.conn!;
  const a = cc.openStream(true)!;
  cc.writeStream(a, [pattern(a, 10)], false);
  assert.ok(p.runUntil(() => (p.server.streams.get(a)?.length ?? 0) === 10));
  p.server.conn!.stopSending(a, 9);
  // The STOP_SENDING is processed (and the stream reset) before the application reads the event.
  assert.ok(p.runUntil(() => p.server.streams.get(a)?.reset !== undefined));
  cc.writeStream(a, [pattern(a, 10)], true);
  const b = cc.openStream(true)!;
  cc.resetStream(b, 3);
  cc.writeStream(b, [pattern(b, 10)], true);
  assert.equal(cc.bufferedBytes(b), 0);
  // Misuse is still an error: the peer's unidirectional stream, or one never opened.
  assert.throws(() => {
    cc.writeStream(3, [pattern(3, 1)], false);
  }, /cannot be written/);
});
