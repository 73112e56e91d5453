/**
 * The hayate/quic UDP driver (src/transport/quic-udp.ts) as a QUIC provider: handshake, stream data both
 * ways, flow control seen through `consumed` and `onStreamAcked`, resets and STOP_SENDING, DATAGRAM
 * negotiation, close codes and kinds, the idle timeout, client destroy and listener close with live
 * connections. Every test ends with the listener empty, the sockets closed (descriptors back at their
 * baseline) and no timer of the driver left behind.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { test } from 'node:test';
import { QuicCloseKind } from '../../src/transport/quic.js';
import type { QuicCloseKindCode, QuicConnectionHandlers } from '../../src/transport/quic.js';
import { connectHayateQuic, listenHayateQuic } from '../../src/transport/quic-udp.js';
import type {
  HayateQuicClientConnection,
  HayateQuicConnection,
  HayateQuicConnectOptions,
  HayateQuicListener,
  HayateQuicListenOptions,
} from '../../src/transport/quic-udp.js';
import { NativeLoop } from '../../src/transport/native.js';
import { fdsBackTo, openFds, pattern, sleep, testCert } from '../support/traffic.js';

// The native poller's epoll fd is opened once per process and lives with it: open it before any baseline.
const hasNativeUdp = process.platform === 'linux' && NativeLoop.get(undefined, true) !== undefined;
/** The path these tests run on: native by default, node:dgram with HAYATE_QUIC_UDP=dgram or no addon. */
const expectedUdp = process.env['HAYATE_QUIC_UDP'] !== 'dgram' && hasNativeUdp ? 'native' : 'dgram';

/** Records everything a provider reports on one connection. */
class Recorder implements QuicConnectionHandlers {
  readonly data = new Map<number, Buffer[]>();
  readonly fins = new Set<number>();
  readonly resets: Array<[number, number]> = [];
  readonly stops: Array<[number, number]> = [];
  readonly datagrams: Buffer[] = [];
  readonly acked = new Map<number, number>();
  closed: { code: number; reason: string; kind: QuicCloseKindCode } | undefined;
  /** Called after every stream data delivery (for echo servers). */
  onData: ((streamId: number, bytes: Uint8Array, fin: boolean) => void) | undefined;
  private waiters: Array<() => void> = [];

  onStreamData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    let list = this.data.get(streamId);
    if (list === undefined) this.data.set(streamId, (list = []));
    // Lifetime: the provider's view is only valid during the call.
    list.push(Buffer.from(bytes));
    if (fin) this.fins.add(streamId);
    this.onData?.(streamId, bytes, fin);
    this.wake();
  }
  onStreamReset(streamId: number, code: number): void {
    this.resets.push([streamId, code]);
    this.wake();
  }
  onStopSending(streamId: number, code: number): void {
    this.stops.push([streamId, code]);
    this.wake();
  }
  onDatagram(payload: Uint8Array): void {
    this.datagrams.push(Buffer.from(payload));
    this.wake();
  }
  onStreamAcked(streamId: number, bytes: number): void {
    this.acked.set(streamId, (this.acked.get(streamId) ?? 0) + bytes);
    this.wake();
  }
  onClose(code: number, reason: string, kind: QuicCloseKindCode): void {
    this.closed = { code, reason, kind };
    this.wake();
  }

  bytes(streamId: number): Buffer {
    return Buffer.concat(this.data.get(streamId) ?? []);
  }

  received(streamId: number): number {
    return this.bytes(streamId).length;
  }

  /** Resolves once `cond` holds (checked after every callback), rejects after `ms`. */
  async until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Active timers of the process (`Timeout` resources), for the "no timer left" checks. */
function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

interface Setup {
  readonly listener: HayateQuicListener;
  readonly client: HayateQuicClientConnection;
  readonly server: HayateQuicConnection;
  readonly c: Recorder;
  readonly s: Recorder;
  /** The server connection's `alpn` as `onConnection` saw it. */
  readonly alpnAtAccept: string;
  /** The server connection's `isDatagramSupported` as `onConnection` saw it. */
  readonly datagramAtAccept: boolean;
}

/**
 * Listens, connects one client and installs recorders on both ends; runs `body`, then destroys the
 * client, closes the listener and checks connections, descriptors and timers are back at their baseline.
 */
async function withPair(
  body: (p: Setup) => Promise<void> | void,
  opts: {
    listen?: Partial<Omit<HayateQuicListenOptions, 'onConnection'>>;
    connect?: Partial<HayateQuicConnectOptions>;
  } = {},
): Promise<void> {
  const fds = openFds();
  const timers = timerCount();
  const tls = testCert();
  const s = new Recorder();
  const servers: HayateQuicConnection[] = [];
  let alpnAtAccept = '';
  let datagramAtAccept = false;
  let accepted: (c: HayateQuicConnection) => void = () => undefined;
  const acceptedP = new Promise<HayateQuicConnection>((r) => (accepted = r));
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    ...opts.listen,
    onConnection: (conn) => {
      alpnAtAccept = conn.alpn;
      datagramAtAccept = conn.isDatagramSupported;
      servers.push(conn);
      conn.setHandlers(s);
      accepted(conn);
    },
  });
  let client: HayateQuicClientConnection | undefined;
  try {
    client = await connectHayateQuic({
      host: '127.0.0.1',
      port: listener.port,
      serverName: 'localhost',
      ca: tls.cert,
      ...opts.connect,
    });
    const c = new Recorder();
    client.setHandlers(c);
    const server = await acceptedP;
    // The client completes first (RFC 9001 §4.1.1); wait for the server's end too, so closes from it are
    // sent in 1-RTT packets (before, RFC 9000 §10.2.3 turns them into transport closes).
    await s.until(() => server.core.isHandshakeComplete, 'the server handshake');
    await body({ listener, client, server, c, s, alpnAtAccept, datagramAtAccept });
  } finally {
    await client?.destroy();
    await listener.close();
  }
  assert.equal(listener.connectionCount, 0, 'connections left on the listener');
  await fdsBackTo(fds);
  const deadline = Date.now() + 2000;
  while (timerCount() > timers && Date.now() < deadline) await sleep(10);
  assert.equal(timerCount(), timers, 'timers left behind');
}

test('handshake: ALPN h3, addresses, roles, DATAGRAM negotiated by default', async () => {
  await withPair(({ listener, client, server, alpnAtAccept }) => {
    assert.equal(client.role, 'client');
    assert.equal(server.role, 'server');
    assert.equal(client.alpn, 'h3');
    assert.equal(alpnAtAccept, 'h3', 'known to the server in onConnection');
    assert.equal(server.alpn, 'h3');
    assert.equal(client.remoteAddress, '127.0.0.1');
    assert.equal(client.remotePort, listener.port);
    assert.equal(server.remoteAddress, '127.0.0.1');
    assert.ok(server.remotePort > 0 && server.remotePort !== listener.port);
    assert.equal(client.isDatagramSupported, true);
    assert.equal(server.isDatagramSupported, true);
    assert.equal(listener.connectionCount, 1);
    assert.equal(listener.udp, expectedUdp);
    assert.equal(client.udp, expectedUdp);
    assert.equal(server.udp, expectedUdp);
  });
});

test('a ClientHello over two Initial packets: onConnection still sees ALPN and DATAGRAM support', async () => {
  // Chromium's ClientHello (post-quantum key share) spans two Initials; a client offering long ALPN names
  // does the same here. The connection is announced only once the whole ClientHello (with the transport
  // parameters that say DATAGRAM, RFC 9221 §3) is in, so HTTP/3 can announce SETTINGS_H3_DATAGRAM from it.
  const longNames = ['a', 'b', 'c', 'd', 'e', 'f'].map((ch) => ch.repeat(250));
  await withPair(
    ({ alpnAtAccept, datagramAtAccept, server }) => {
      assert.equal(alpnAtAccept, 'h3');
      assert.equal(datagramAtAccept, true);
      assert.equal(server.isDatagramSupported, true);
    },
    { connect: { alpn: [...longNames, 'h3'] } },
  );
});

test('a ClientHello that never completes: the connection is never announced and ends at the handshake timeout', async () => {
  const fds = openFds();
  const tls = testCert();
  let announced = 0;
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    limits: { handshakeTimeoutMs: 400 },
    onConnection: () => {
      announced++;
    },
  });
  // A relay that passes only the client's first datagram: the second half of its ClientHello never arrives.
  const relay = createSocket('udp4');
  const back = createSocket('udp4');
  let passed = 0;
  relay.on('message', (m) => {
    if (passed++ === 0) back.send(m, listener.port, '127.0.0.1');
  });
  await new Promise<void>((r) => relay.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  try {
    const longNames = ['a', 'b', 'c', 'd', 'e', 'f'].map((ch) => ch.repeat(250));
    await assert.rejects(
      connectHayateQuic({
        host: '127.0.0.1',
        port: relay.address().port,
        serverName: 'localhost',
        ca: tls.cert,
        alpn: [...longNames, 'h3'],
        limits: { handshakeTimeoutMs: 400 },
      }),
      { code: 'ERR_QUIC_HANDSHAKE' },
    );
    const deadline = Date.now() + 3000;
    while (listener.connectionCount > 0 && Date.now() < deadline) await sleep(10);
    assert.equal(listener.connectionCount, 0, 'the half-open connection ended');
    assert.equal(announced, 0, 'never handed to onConnection');
    assert.ok(passed >= 2, `the client sent ${passed} datagrams`);
  } finally {
    await listener.close();
    await new Promise<void>((r) => {
      relay.close(r);
    });
    await new Promise<void>((r) => {
      back.close(r);
    });
  }
  await fdsBackTo(fds);
});

test('udp option: dgram forced on one side, native on the other, both talk', async () => {
  await withPair(
    ({ listener, client }) => {
      assert.equal(listener.udp, 'dgram');
      assert.equal(client.udp, hasNativeUdp ? 'native' : 'dgram');
    },
    { listen: { udp: 'dgram' }, connect: { udp: 'native' } },
  );
});

test('a certificate the client does not trust fails connect; nothing is left open', async () => {
  const fds = openFds();
  const timers = timerCount();
  const tls = testCert();
  const listener = await listenHayateQuic({ key: tls.key, cert: tls.cert, onConnection: () => undefined });
  try {
    // No `ca`: the self-signed certificate is checked against the system roots and refused (RFC 9001 §4.8).
    await assert.rejects(
      connectHayateQuic({ host: '127.0.0.1', port: listener.port, serverName: 'localhost' }),
      { code: 'ERR_QUIC_HANDSHAKE' },
    );
    await assert.rejects(
      connectHayateQuic({
        host: '127.0.0.1',
        port: listener.port,
        serverName: 'localhost',
        ca: tls.cert,
        alpn: ['not-h3'],
      }),
      { code: 'ERR_QUIC_HANDSHAKE' },
      'no ALPN overlap (RFC 9001 §8.1)',
    );
  } finally {
    await listener.close();
  }
  assert.equal(listener.connectionCount, 0);
  await fdsBackTo(fds);
  const deadline = Date.now() + 2000;
  while (timerCount() > timers && Date.now() < deadline) await sleep(10);
  assert.equal(timerCount(), timers, 'timers left behind');
});

test('stream data both ways: a 1 MiB request split in many writes, echoed back, FIN both ways', async () => {
  await withPair(async ({ client, server, c, s }) => {
    s.onData = (id, bytes, fin) => {
      server.consumed(id, bytes.length);
      // Client unidirectional streams cannot be answered on.
      if ((id & 2) !== 0) return;
      // Echo by copy: the view is only valid during the call.
      server.writeStream(id, [bytes.slice()], fin);
    };
    c.onData = (id, bytes) => {
      client.consumed(id, bytes.length);
    };
    const body = pattern(1024 * 1024, 1);
    for (let at = 0; at < body.length; at += 10_000) {
      client.writeStream(0, [body.subarray(at, Math.min(body.length, at + 10_000))], false);
      if (at % 100_000 === 0) await sleep(0);
    }
    client.writeStream(0, [], true);
    await c.until(() => c.fins.has(0), 'the echo');
    assert.ok(s.fins.has(0));
    assert.ok(s.bytes(0).equals(body));
    assert.ok(c.bytes(0).equals(body));
    // Every byte either side wrote is reported acknowledged exactly once.
    await c.until(() => c.acked.get(0) === body.length, 'client acks');
    await s.until(() => s.acked.get(0) === body.length, 'server acks');
    // A second stream and a unidirectional one (ids in order, as QUIC requires).
    client.writeStream(4, [Buffer.from('four')], true);
    client.writeStream(2, [Buffer.from('uni')], true);
    await s.until(() => s.fins.has(4) && s.fins.has(2), 'streams 4 and 2');
    assert.equal(s.bytes(2).toString(), 'uni');
    await c.until(() => c.fins.has(4), 'echo of 4');
    assert.equal(c.bytes(4).toString(), 'four');
  });
});

test('backpressure: bytes the receiver does not consume are never acked past its window', async () => {
  const windowBytes = 64 * 1024;
  await withPair(
    async ({ client, server, c, s }) => {
      // The server writes 1 MiB; the client receives but returns no credit.
      const body = pattern(1024 * 1024, 2);
      server.writeStream(1, [body], true);
      await c.until(() => c.received(1) >= windowBytes, 'one window of data');
      await sleep(200);
      assert.equal(c.received(1), windowBytes, 'the peer stopped at the stream window (RFC 9000 §4.1)');
      const acked = s.acked.get(1) ?? 0;
      assert.ok(acked <= windowBytes, `acked ${acked} above the window`);
      assert.equal(c.fins.has(1), false);
      // Returning the credit lets the rest through, and the server sees every byte acknowledged.
      c.onData = (id, bytes) => {
        client.consumed(id, bytes.length);
      };
      client.consumed(1, c.received(1));
      await c.until(() => c.fins.has(1), 'the whole body');
      assert.ok(c.bytes(1).equals(body));
      await s.until(() => s.acked.get(1) === body.length, 'every byte acknowledged');
    },
    { connect: { limits: { streamWindowBytes: windowBytes } } },
  );
});

test('RESET_STREAM and STOP_SENDING reach the peer with their codes', async () => {
  await withPair(async ({ client, server, c, s }) => {
    client.writeStream(0, [pattern(5000)], false);
    await s.until(() => s.received(0) === 5000, 'data on stream 0');
    client.resetStream(0, 0x10c);
    await s.until(() => s.resets.length === 1, 'RESET_STREAM');
    assert.deepEqual(s.resets, [[0, 0x10c]]);
    // Stopping a stream the peer already reset sends nothing (RFC 9000 §3.5: no STOP_SENDING in Reset Recvd).
    server.stopSending(0, 0x10b);
    client.writeStream(4, [pattern(100)], false);
    await s.until(() => s.received(4) === 100, 'data on stream 4');
    server.stopSending(4, 0x10d);
    await c.until(() => c.stops.some(([id]) => id === 4), 'STOP_SENDING on 4');
    assert.deepEqual(c.stops, [[4, 0x10d]]);
    // RFC 9000 §3.5: the core answered with RESET_STREAM carrying the same code, which the server sees.
    await s.until(() => s.resets.length === 2, 'RESET_STREAM in answer');
    assert.deepEqual(s.resets[1], [4, 0x10d]);
    // The server-side writer reset on stream 4 after the peer's STOP_SENDING; the connection carries on.
    client.writeStream(8, [Buffer.from('still here')], true);
    await s.until(() => s.fins.has(8), 'stream 8');
    assert.equal(s.bytes(8).toString(), 'still here');
    assert.equal(c.closed, undefined);
  });
});

test('DATAGRAM frames both ways when both sides enable them (RFC 9221)', async () => {
  await withPair(async ({ client, server, c, s }) => {
    client.sendDatagram(Buffer.from('ping'));
    await s.until(() => s.datagrams.length === 1, 'datagram to the server');
    server.sendDatagram(Buffer.from('pong'));
    await c.until(() => c.datagrams.length === 1, 'datagram to the client');
    assert.equal(s.datagrams[0]!.toString(), 'ping');
    assert.equal(c.datagrams[0]!.toString(), 'pong');
  });
});

test('DATAGRAM off on one side: neither may send one (both must announce it), sendDatagram throws', async () => {
  await withPair(
    ({ client, server }) => {
      // RFC 9221 §3: max_datagram_frame_size 0 (absent) from the server forbids DATAGRAMs to it.
      assert.equal(client.isDatagramSupported, false);
      assert.throws(
        () => {
          client.sendDatagram(Buffer.from('x'));
        },
        { code: 'ERR_QUIC_DATAGRAM_UNSUPPORTED' },
      );
      assert.equal(server.isDatagramSupported, false);
      assert.throws(
        () => {
          server.sendDatagram(Buffer.from('x'));
        },
        { code: 'ERR_QUIC_DATAGRAM_UNSUPPORTED' },
      );
    },
    { listen: { limits: { maxDatagramFrameBytes: 0 } } },
  );
});

test('close codes: application close from either side, with its reason, after the data written before it', async () => {
  await withPair(async ({ client, server, c, s }) => {
    // Data written just before close still arrives: close waits for it to be acknowledged.
    const body = pattern(300_000, 4);
    s.onData = (id, bytes) => {
      server.consumed(id, bytes.length);
    };
    client.writeStream(0, [body], true);
    client.close(0x100, 'done');
    await s.until(() => s.closed !== undefined, 'the close');
    assert.ok(s.bytes(0).equals(body), 'the request body arrived before CONNECTION_CLOSE');
    assert.ok(s.fins.has(0));
    assert.deepEqual(s.closed, { code: 0x100, reason: 'done', kind: QuicCloseKind.APPLICATION });
    await c.until(() => c.closed !== undefined, 'local close reported');
    assert.equal(c.closed!.kind, QuicCloseKind.APPLICATION);
    assert.equal(client.isClosed, true);
    await client.closed;
  });
});

test('the server closes with an application code; the client sees it as APPLICATION', async () => {
  await withPair(async ({ client, server, c }) => {
    server.close(0x101, 'general protocol error');
    await c.until(() => c.closed !== undefined, 'the close');
    assert.deepEqual(c.closed, {
      code: 0x101,
      reason: 'general protocol error',
      kind: QuicCloseKind.APPLICATION,
    });
    await client.closed;
    // Actions after the close are ignored, not thrown.
    client.writeStream(0, [Buffer.from('late')], true);
    client.resetStream(0, 1);
    client.close(0, '');
  });
});

test('idle timeout: both sides end silently with IDLE_TIMEOUT (RFC 9000 §10.1)', async () => {
  await withPair(
    async ({ listener, client, server, c, s }) => {
      const t0 = Date.now();
      await c.until(() => c.closed !== undefined && s.closed !== undefined, 'the idle timeout', 5000);
      const ms = Date.now() - t0;
      assert.equal(c.closed!.kind, QuicCloseKind.IDLE_TIMEOUT);
      assert.equal(s.closed!.kind, QuicCloseKind.IDLE_TIMEOUT);
      assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
      await client.closed;
      await server.closed;
      assert.equal(listener.connectionCount, 0);
    },
    { listen: { maxIdleTimeoutMs: 300 }, connect: { maxIdleTimeoutMs: 300 } },
  );
});

test('client destroy(): the server sees an application close, the client socket closes', async () => {
  const fds = openFds();
  const timers = timerCount();
  const tls = testCert();
  const s = new Recorder();
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    onConnection: (conn) => {
      conn.setHandlers(s);
    },
  });
  try {
    const client = await connectHayateQuic({
      host: '127.0.0.1',
      port: listener.port,
      ca: tls.cert,
      serverName: 'localhost',
    });
    const c = new Recorder();
    client.setHandlers(c);
    client.writeStream(0, [Buffer.from('hello')], false);
    await s.until(() => s.received(0) === 5, 'data');
    const withClient = openFds();
    await client.destroy();
    assert.equal(client.isClosed, true);
    assert.equal(c.closed?.kind, QuicCloseKind.APPLICATION);
    await s.until(() => s.closed !== undefined, 'the close at the server');
    assert.deepEqual(s.closed, { code: 0, reason: '', kind: QuicCloseKind.APPLICATION });
    await fdsBackTo(withClient - 1);
    await client.destroy();
    await s.until(() => listener.connectionCount === 0, 'the server forgets the connection', 3000);
  } finally {
    await listener.close();
  }
  await fdsBackTo(fds);
  const deadline = Date.now() + 2000;
  while (timerCount() > timers && Date.now() < deadline) await sleep(10);
  assert.equal(timerCount(), timers, 'timers left behind');
});

test('listener close() with live connections: CONNECTION_CLOSE to every client, socket closed', async () => {
  const fds = openFds();
  const timers = timerCount();
  const tls = testCert();
  const servers: Recorder[] = [];
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    onConnection: (conn) => {
      const r = new Recorder();
      servers.push(r);
      conn.setHandlers(r);
    },
  });
  const clients: HayateQuicClientConnection[] = [];
  const recorders: Recorder[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = await connectHayateQuic({
        host: '127.0.0.1',
        port: listener.port,
        ca: tls.cert,
        serverName: 'localhost',
      });
      const r = new Recorder();
      client.setHandlers(r);
      // Each with a stream in progress.
      client.writeStream(0, [pattern(1000, i)], false);
      clients.push(client);
      recorders.push(r);
    }
    await sleep(50);
    assert.equal(listener.connectionCount, 3);
    await listener.close();
    for (const r of recorders) {
      await r.until(() => r.closed !== undefined, 'the server close');
      assert.deepEqual(r.closed, { code: 0, reason: 'server closing', kind: QuicCloseKind.APPLICATION });
    }
    for (const c of clients) await c.closed;
    assert.equal(listener.connectionCount, 0);
    for (const r of servers) assert.equal(r.closed?.kind, QuicCloseKind.APPLICATION);
    await listener.close();
  } finally {
    for (const c of clients) await c.destroy();
    await listener.close();
  }
  await fdsBackTo(fds);
  const deadline = Date.now() + 2000;
  while (timerCount() > timers && Date.now() < deadline) await sleep(10);
  assert.equal(timerCount(), timers, 'timers left behind');
});

test('streams beyond the peer MAX_STREAMS wait and go out in order when it rises', async () => {
  await withPair(
    async ({ client, server, c, s }) => {
      s.onData = (id, bytes, fin) => {
        server.consumed(id, bytes.length);
        if (fin) server.writeStream(id, [Buffer.from(`r${id}`)], true);
      };
      const n = 50;
      for (let i = 0; i < n; i++) client.writeStream(i * 4, [Buffer.from(`q${i * 4}`)], true);
      await c.until(() => c.fins.size === n, `${n} responses`);
      for (let i = 0; i < n; i++) {
        assert.equal(s.bytes(i * 4).toString(), `q${i * 4}`);
        assert.equal(c.bytes(i * 4).toString(), `r${i * 4}`);
      }
    },
    { listen: { limits: { maxStreamsBidi: 4 } } },
  );
});

test('reset and STOP_SENDING on streams still waiting for MAX_STREAMS are sent once they open', async () => {
  await withPair(
    async ({ client, server, c, s }) => {
      s.onData = (id, bytes, fin) => {
        server.consumed(id, bytes.length);
        if (fin) server.writeStream(id, [Buffer.from(`r${id}`)], true);
      };
      for (let i = 0; i < 12; i++) client.writeStream(i * 4, [Buffer.from(`q${i * 4}`)], i !== 9);
      // Streams 36 and 44 cannot open yet (the server allows 4 at once): their actions wait in order.
      client.resetStream(36, 0x10c);
      client.stopSending(44, 0x10c);
      await s.until(() => s.resets.some(([id]) => id === 36), 'the reset of stream 36');
      assert.deepEqual(
        s.resets.find(([id]) => id === 36),
        [36, 0x10c],
      );
      // Ten answered: not 36 (its request never ended) and not 44 (we asked the server to stop sending).
      await c.until(() => c.fins.size === 10, '10 responses');
      assert.equal(c.fins.has(36) || c.fins.has(44), false);
      // RFC 9000 §3.5: the server answered our STOP_SENDING on 44 with RESET_STREAM.
      await c.until(() => c.resets.some(([id]) => id === 44), 'the reset answering STOP_SENDING on 44');
    },
    { listen: { limits: { maxStreamsBidi: 4 } } },
  );
});

test('connecting to a port where nobody answers fails at the idle timeout; nothing is left open', async () => {
  const fds = openFds();
  const timers = timerCount();
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    const t0 = Date.now();
    await assert.rejects(
      connectHayateQuic({
        host: '127.0.0.1',
        port: silent.address().port,
        verifyPeer: false,
        maxIdleTimeoutMs: 300,
      }),
      { code: 'ERR_QUIC_HANDSHAKE' },
    );
    const ms = Date.now() - t0;
    assert.ok(ms >= 250 && ms < 5000, `gave up after ${ms} ms`);
  } finally {
    await new Promise<void>((r) => {
      silent.close(r);
    });
  }
  await fdsBackTo(fds);
  const deadline = Date.now() + 2000;
  while (timerCount() > timers && Date.now() < deadline) await sleep(10);
  assert.equal(timerCount(), timers, 'timers left behind');
});

test('host names: a listener on "localhost" and a client to "localhost" work on both UDP paths', async () => {
  // Regression: the native socket took numeric addresses only ("not a numeric IP address"), so the
  // Client's Alt-Svc upgrade to h3 on https://localhost fell back to TCP.
  const tls = testCert();
  for (const udp of ['native', 'dgram'] as const) {
    const listener = await listenHayateQuic({
      host: 'localhost',
      key: tls.key,
      cert: tls.cert,
      udp,
      onConnection: () => {},
    });
    try {
      const client = await connectHayateQuic({ host: 'localhost', port: listener.port, ca: tls.cert, udp });
      assert.equal(client.alpn, 'h3');
      assert.ok(isIP(client.core.remote.address) !== 0, `numeric remote ${client.core.remote.address}`);
      await client.destroy();
    } finally {
      await listener.close();
    }
  }
});

test('0-RTT then data after the handshake, every UDP pairing: the client confirms only on an ACK of 1-RTT', async () => {
  // Regression: the server acknowledged the client's 0-RTT packet in the flight that carried its Finished;
  // the client took that for the ACK of a 1-RTT packet (RFC 9001 §4.1.2), confirmed the handshake, dropped
  // its Handshake keys before its own Finished left, and everything after the handshake hung.
  const tls = testCert();
  const quiet = {
    onStreamReset: () => {},
    onStopSending: () => {},
    onStreamAcked: () => {},
    onClose: () => {},
    onDatagram: () => {},
  };
  for (const [serverUdp, clientUdp] of [
    ['native', 'native'],
    ['dgram', 'native'],
    ['native', 'dgram'],
    ['dgram', 'dgram'],
  ] as const) {
    const listener = await listenHayateQuic({
      key: tls.key,
      cert: tls.cert,
      udp: serverUdp,
      enableEarlyData: true,
      onConnection: (q) => {
        q.setHandlers({
          ...quiet,
          onStreamData: (id, b, fin) => {
            if (fin) q.writeStream(id, [b.slice()], true);
          },
        });
      },
    });
    try {
      let ticket: Uint8Array | undefined;
      const first = await connectHayateQuic({
        host: '127.0.0.1',
        port: listener.port,
        ca: tls.cert,
        serverName: 'localhost',
        udp: clientUdp,
        onSessionTicket: (t) => (ticket = t),
      });
      for (let i = 0; i < 100 && ticket === undefined; i++) await sleep(5);
      await first.destroy();
      assert.ok(ticket !== undefined, 'a session ticket');
      const c = await connectHayateQuic({
        host: '127.0.0.1',
        port: listener.port,
        ca: tls.cert,
        serverName: 'localhost',
        udp: clientUdp,
        sessionTicket: ticket,
        earlyData: true,
      });
      try {
        const echoed = new Map<number, boolean>();
        const both = new Promise<void>((resolve) => {
          c.setHandlers({
            ...quiet,
            onStreamData: (id, _b, fin) => {
              if (fin) echoed.set(id, true);
              if (echoed.size === 2) resolve();
            },
          });
        });
        c.writeStream(0, [new Uint8Array(100)], true); // 0-RTT
        await c.handshakeCompleted;
        c.writeStream(4, [new Uint8Array(50)], true); // 1-RTT, after the handshake
        const outcome = await Promise.race([both.then(() => 'echoed'), sleep(3000).then(() => 'timeout')]);
        assert.equal(outcome, 'echoed', `${serverUdp} server, ${clientUdp} client`);
        assert.equal(c.isEarlyDataAccepted, true);
      } finally {
        await c.destroy();
      }
    } finally {
      await listener.close();
    }
  }
});
