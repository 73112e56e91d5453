/**
 * The QUIC interop matrix under impairment (issue 14): hayate/quic against ngtcp2 (gtlsclient, gtlsserver)
 * and quiche (`@matrixai/quic`) in both roles, and against itself, through a UDP relay that drops, reorders
 * and moves the client to a new port (test/support/udp.ts `impairedRelay`). Each cell is one scenario:
 * handshake and transfer under loss, key update under loss, migration (NAT rebinding mid-transfer), and
 * datagrams where the peer has them (hayate only: gtlsclient's HTTP/3 client and the quiche adapter send
 * none). The relay's generator is seeded, so a failing cell replays. Session resumption has its own tests
 * (test/interop/quic-resumption.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { H3ErrorCode } from '../../src/http3/errors.js';
import type { Http3Session } from '../../src/server/http3-session.js';
import { connectQuiche, listenQuiche } from '../../src/transport/quic-quiche.js';
import { connectHayateQuic, listenHayateQuic } from '../../src/transport/quic-udp.js';
import type { HayateQuicConnection } from '../../src/transport/quic-udp.js';
import { selfSignedCert } from '../http3/tls.js';
import { quicheAvailable, requirePeer } from '../support/peers.js';
import { freeUdpPort, impairedRelay } from '../support/udp.js';
import type { RelayImpairment } from '../support/udp.js';
import {
  assertCleanClientClose,
  assertLossyClose,
  fetchAll,
  gtlsclientFetch,
  MEDIUM,
  resourceServer,
} from './quic-support.js';

/** 2% loss each way (the handshake's datagrams too) and 3% of datagrams overtaken by later ones. */
const LOSSY: RelayImpairment = { lossRate: 0.02, reorderRate: 0.03, reorderDelayMs: 3, seed: 14 };
/** quiche through @matrixai/quic moves 1–7 MB/s: its cells move 1 MiB. */
const SMALL = MEDIUM.subarray(0, 1 << 20);

/** hayate/quic's client to 127.0.0.1:`port` (the relay), trusting `ca` for the name localhost. */
function connectLocal(port: number, ca: string): ReturnType<typeof connectHayateQuic> {
  return connectHayateQuic({ host: '127.0.0.1', port, serverName: 'localhost', ca });
}

function readDownloaded(dir: string, name: string): Buffer {
  return Buffer.from(readFileSync(join(dir, name)));
}

test('matrix: gtlsclient → hayate/quic, handshake and 4 MiB + 20 small under 2% loss and reordering', async () => {
  const paths = ['/medium', ...Array.from({ length: 20 }, (_, i) => `/s${i}`)];
  const { r, dir, qlog, seen, sessions, leftOpen, relay } = await gtlsclientFetch(paths, [], {
    relay: LOSSY,
  });
  assertCleanClientClose(r, qlog, seen, sessions, true);
  assert.ok(readDownloaded(dir, 'medium').equals(Buffer.from(MEDIUM)), '4 MiB intact');
  for (let i = 0; i < 20; i++) assert.equal(readFileSync(join(dir, `s${i}`), 'utf8'), `resource /s${i}\n`);
  assert.ok(relay!.stats.dropped > 0, `the relay dropped ${relay!.stats.dropped} datagrams`);
  assert.equal(leftOpen, 0);
  // The NewSessionTicket (1-RTT CRYPTO) goes ahead of the response's STREAM data, in one packet (another if
  // that one is lost): it used to take the last bytes of ~17 full packets.
  const withTicket = qlog
    .split('\n')
    .filter((l) => l.includes('"transport:packet_received"') && l.includes('"packet_type":"1RTT"'))
    .filter((l) => l.includes('"frame_type":"crypto"')).length;
  assert.ok(withTicket >= 1 && withTicket <= 3, `1-RTT packets with CRYPTO frames: ${withTicket}`);
});

test('matrix: gtlsclient → hayate/quic, key updates every 50 ms under loss', async () => {
  const { r, dir, qlog, seen, sessions, relay, keyUpdates } = await gtlsclientFetch(
    ['/medium'],
    ['--key-update=20ms'],
    {
      relay: LOSSY,
    },
  );
  assertCleanClientClose(r, qlog, seen, sessions, true);
  assert.ok(readDownloaded(dir, 'medium').equals(Buffer.from(MEDIUM)));
  // RFC 9001 §6.2: hayate followed each of the client's updates with its own keys.
  assert.equal(keyUpdates.length, 1);
  assert.ok(keyUpdates[0]! >= 1, `hayate went through ${keyUpdates[0]} key updates`);
  assert.ok(relay!.stats.dropped > 0);
});

test('matrix: gtlsclient → hayate/quic, the client moves to a new port mid-transfer (NAT rebinding)', async () => {
  const { r, dir, qlog, seen, sessions, remotePorts, relay } = await gtlsclientFetch(['/medium'], [], {
    relay: { ...LOSSY, lossRate: 0.01, rebindAfter: 60 },
  });
  assertCleanClientClose(r, qlog, seen, sessions, true);
  assert.ok(readDownloaded(dir, 'medium').equals(Buffer.from(MEDIUM)), 'transfer intact across the move');
  // RFC 9000 §9.3: hayate validated the new path and sends there; the relay's original port is gone.
  assert.equal(remotePorts.length, 1);
  assert.notEqual(remotePorts[0], relay!.port);
  assert.match(qlog, /path_challenge/, 'hayate probed the new path');
});

/** Starts gtlsserver on a free port serving `files`; resolves with its port and a stop function. */
async function startGtlsserver(files: Record<string, Uint8Array | string>) {
  const server = requirePeer('gtlsserver', 'apt-get install ngtcp2-server')!;
  const tls = selfSignedCert()!;
  const htdocs = mkdtempSync(join(tmpdir(), 'hayate-htdocs-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(htdocs, name), body);
  const port = await freeUdpPort();
  const proc = spawn(
    server,
    ['-q', '-d', htdocs, '127.0.0.1', String(port), join(tls.dir, 'key.pem'), join(tls.dir, 'cert.pem')],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 300));
  return { port, cert: tls.cert, stop: () => proc.kill('SIGTERM') };
}

// Without a port move: see the next cell.
test('matrix: hayate/quic → gtlsserver under loss, with hayate-initiated key updates', async () => {
  const peer = await startGtlsserver({ 'small.txt': 'small\n', 'medium.bin': MEDIUM });
  const relay = await impairedRelay(peer.port, LOSSY);
  let updates = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  try {
    const quic = await connectLocal(relay.port, peer.cert);
    // RFC 9001 §6: hayate starts key updates while data flows; each is allowed once the last was acknowledged.
    ticker = setInterval(() => {
      if (quic.core.updateKeys()) updates++;
    }, 40);
    try {
      const { status, bodies, session } = await fetchAll(quic, ['/small.txt', '/medium.bin', '/missing']);
      assert.equal(session.error, undefined);
      assert.deepEqual(status, [200, 200, 404]);
      assert.equal(bodies[0]!.toString(), 'small\n');
      assert.ok(bodies[1]!.equals(Buffer.from(MEDIUM)), '4 MiB intact');
      assert.equal(session.closeCode, H3ErrorCode.H3_NO_ERROR);
      assert.ok(updates >= 2, `hayate updated its keys ${updates} times`);
      assert.equal(quic.core.stats.keyUpdates, updates);
      assert.ok(relay.stats.dropped > 0, `the relay dropped ${relay.stats.dropped}`);
    } finally {
      await quic.destroy();
    }
  } finally {
    clearInterval(ticker);
    await relay.close();
    peer.stop();
  }
});

/**
 * A move for peer servers: no loss in the 500 ms after it. Diagnosed with relay traces: when the relay drops
 * the challenge or the one datagram with hayate's PATH_RESPONSE (RFC 9000 §8.2.2 allows one per challenge),
 * gtlsserver (ngtcp2 0.12, Debian 12) and quiche send no new PATH_CHALLENGE: they spend their 3x
 * amplification budget on the unvalidated path on stream data (small packets, one per ACK), give up
 * validation 0.2–0.8 s later and return to the old, closed port; the download stalls until the idle timeout
 * (1 run in ~10 under load). hayate's server challenges again when a challenge is declared lost and waits
 * 3x a new path's PTO (test/quic/connection-migration.test.ts).
 */
const MOVED: RelayImpairment = { ...LOSSY, rebindAfter: 80, lossFreeAfterRebindMs: 500 };

test('matrix: hayate/quic → gtlsserver under loss, the client moves to a new port mid-transfer', async () => {
  const peer = await startGtlsserver({ 'small.txt': 'small\n', 'medium.bin': MEDIUM });
  const relay = await impairedRelay(peer.port, MOVED);
  try {
    const quic = await connectLocal(relay.port, peer.cert);
    try {
      const { status, bodies, session } = await fetchAll(quic, ['/small.txt', '/medium.bin']);
      assert.equal(session.error, undefined);
      assert.deepEqual(status, [200, 200]);
      // The relay closed its old port 200 ms after the move: the rest came over the new one.
      assert.ok(relay.stats.relayed > 1000, `relayed ${relay.stats.relayed}`);
      assert.ok(bodies[1]!.equals(Buffer.from(MEDIUM)), '4 MiB intact across the move');
      assert.equal(session.closeCode, H3ErrorCode.H3_NO_ERROR);
      assert.ok(relay.stats.dropped > 0, `the relay dropped ${relay.stats.dropped}`);
    } finally {
      await quic.destroy();
    }
  } finally {
    await relay.close();
    peer.stop();
  }
});

// Regression: with the port move this cell stalled until quiche's idle timeout in about 1 of 6-10 runs:
// the path validation deadline was 3x the current PTO (tens of ms on loopback), one lost PATH_CHALLENGE or
// PATH_RESPONSE failed it, and hayate went back to the relay's old, closed port (RFC 9000 §8.2.4 asks for
// 3x the larger of that and a new path's PTO).
test('matrix: quiche client → hayate/quic under loss, key updates, moving to a new port mid-transfer', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const tls = selfSignedCert()!;
  const sessions: Http3Session[] = [];
  const conns: HayateQuicConnection[] = [];
  let closed!: (code: number) => void;
  const closedP = new Promise<number>((r) => (closed = r));
  const serve = resourceServer(sessions, closed);
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    onConnection: (quic) => {
      conns.push(quic);
      serve(quic);
    },
  });
  const relay = await impairedRelay(listener.port, { ...LOSSY, rebindAfter: 80 });
  // RFC 9001 §6: hayate's server updates its keys while it sends; quiche follows each update.
  let updates = 0;
  const ticker = setInterval(() => {
    if (conns[0]?.core.updateKeys() === true) updates++;
  }, 30);
  try {
    const quic = await connectQuiche({
      host: '127.0.0.1',
      port: relay.port,
      serverName: 'localhost',
      verifyPeer: false,
    });
    try {
      const { status, bodies, session } = await fetchAll(quic, ['/a', '/medium', '/b']);
      const diagnosis = (): string =>
        `server ${JSON.stringify(conns[0]?.core.stats)} remote ${JSON.stringify(conns[0]?.core.remote)}; ` +
        `relay ${JSON.stringify(relay.stats)}; lengths ${bodies.map((b) => b.length).join(',')}`;
      assert.equal(session.error, undefined);
      assert.deepEqual(status, [200, 200, 200], diagnosis());
      assert.equal(bodies[0]!.toString(), 'resource /a\n');
      assert.ok(bodies[1]!.equals(Buffer.from(MEDIUM)), `4 MiB intact: ${diagnosis()}`);
      assertLossyClose(await closedP, relay);
      assert.notEqual(conns[0]!.core.remote.port, conns[0]!.remotePort, 'hayate follows the new port');
      assert.ok(updates >= 2, `hayate updated its keys ${updates} times`);
      assert.equal(conns[0]!.core.stats.keyUpdates, updates);
    } finally {
      await quic.destroy();
    }
  } finally {
    clearInterval(ticker);
    await relay.close();
    await listener.close();
  }
  assert.equal(listener.connectionCount, 0);
});

test('matrix: hayate/quic client → quiche server under loss, key updates, moving to a new port mid-transfer', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const tls = selfSignedCert()!;
  const sessions: Http3Session[] = [];
  let closed!: (code: number) => void;
  const closedP = new Promise<number>((r) => (closed = r));
  const listener = await listenQuiche({
    key: tls.key,
    cert: tls.cert,
    onConnection: resourceServer(sessions, closed),
  });
  const relay = await impairedRelay(listener.port, MOVED);
  let updates = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  try {
    const quic = await connectLocal(relay.port, tls.cert);
    // RFC 9001 §6: hayate updates its keys while data flows; quiche follows each update.
    ticker = setInterval(() => {
      if (quic.core.updateKeys()) updates++;
    }, 30);
    try {
      const { status, bodies, session } = await fetchAll(quic, ['/a', '/medium']);
      assert.equal(session.error, undefined);
      assert.deepEqual(status, [200, 200]);
      assert.ok(bodies[1]!.subarray(0, SMALL.length).equals(Buffer.from(SMALL)));
      assert.ok(bodies[1]!.equals(Buffer.from(MEDIUM)), '4 MiB intact');
      assertLossyClose(await closedP, relay);
      assert.ok(relay.stats.dropped > 0);
      assert.ok(updates >= 2, `hayate updated its keys ${updates} times`);
      assert.equal(quic.core.stats.keyUpdates, updates);
    } finally {
      await quic.destroy();
    }
  } finally {
    clearInterval(ticker);
    await relay.close();
    await listener.close();
  }
});

test('matrix: hayate/quic ↔ hayate/quic, datagrams and a stream under loss, client moved mid-way', async () => {
  const tls = selfSignedCert()!;
  const conns: HayateQuicConnection[] = [];
  let echoed = 0;
  const streamBytes: Uint8Array[] = [];
  let streamDone!: () => void;
  const streamEnded = new Promise<void>((r) => (streamDone = r));
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    onConnection: (quic) => {
      conns.push(quic);
      quic.setHandlers({
        onStreamData: (id, bytes, fin) => {
          streamBytes.push(bytes.slice());
          quic.consumed(id, bytes.length);
          if (fin) streamDone();
        },
        onStreamReset: () => {},
        onStopSending: () => {},
        // RFC 9221 §5: unreliable, so the echo may be lost too; each one goes back as it came.
        onDatagram: (payload) => {
          echoed++;
          quic.sendDatagram(payload);
        },
        onStreamAcked: () => {},
        onClose: () => {},
      });
    },
  });
  const relay = await impairedRelay(listener.port, LOSSY);
  try {
    const quic = await connectLocal(relay.port, tls.cert);
    assert.equal(quic.isDatagramSupported, true);
    const back = new Set<number>();
    quic.setHandlers({
      onStreamData: () => {},
      onStreamReset: () => {},
      onStopSending: () => {},
      onDatagram: (payload) => back.add(new DataView(payload.buffer, payload.byteOffset).getUint32(0)),
      onStreamAcked: () => {},
      onClose: () => {},
    });
    try {
      const SENT = 300;
      for (let i = 0; i < SENT; i++) {
        const d = new Uint8Array(100);
        new DataView(d.buffer).setUint32(0, i);
        quic.sendDatagram(d);
        if (i === 150) await relay.rebind();
        if (i % 25 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      quic.writeStream(0, [MEDIUM], true);
      await streamEnded;
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        Buffer.concat(streamBytes).equals(Buffer.from(MEDIUM)),
        '4 MiB stream intact across the move',
      );
      // 2% loss each way: about 96% come back. Less than 80% means datagrams were lost beyond the link's loss.
      assert.ok(back.size >= SENT * 0.8 && back.size <= SENT, `${back.size} of ${SENT} datagrams echoed`);
      assert.ok(echoed >= back.size);
      assert.notEqual(conns[0]!.core.remote.port, conns[0]!.remotePort, 'the server follows the new port');
    } finally {
      await quic.destroy();
    }
  } finally {
    await relay.close();
    await listener.close();
  }
  assert.equal(listener.connectionCount, 0);
});
