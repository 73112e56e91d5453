/**
 * The native UDP socket (src/transport/udp-native.ts) on real loopback sockets: recvmmsg batches with one
 * JS call each, GSO sends arriving as datagrams of the right sizes (with and without GRO on the receiver),
 * ECN codepoints set on send and read on receive (IPv4 and IPv6), the EAGAIN path, and descriptors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UdpMeta } from '../../src/transport/constants.js';
import { NativeLoop } from '../../src/transport/native.js';
import {
  CONNECTED_PEER,
  encodeUdpAddress,
  formatUdpAddress,
  NativeUdpSocket,
  type NativeUdpHandler,
  type NativeUdpOptions,
} from '../../src/transport/udp-native.js';
import { fdsBackTo, openFds } from '../support/traffic.js';

const M = UdpMeta.META_INTS;

interface Received {
  readonly bytes: Buffer;
  readonly ecn: number;
  readonly from: string;
  readonly port: number;
}

/** A socket that records every datagram (GRO buffers split into their segments) and every batch size. */
class Sink implements NativeUdpHandler {
  readonly got: Received[] = [];
  readonly batches: number[] = [];
  /** Kernel records (before GRO splitting) per batch. */
  readonly segmented: number[] = [];
  writable = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  onReceive(s: NativeUdpSocket, count: number): void {
    this.batches.push(count);
    for (let i = 0; i < count; i++) {
      const b = i * M;
      const off = s.recvMeta[b + UdpMeta.OFFSET]!;
      const len = s.recvMeta[b + UdpMeta.LENGTH]!;
      const seg = s.recvMeta[b + UdpMeta.SEGMENT]!;
      const ecn = s.recvMeta[b + UdpMeta.ECN]!;
      const from = formatUdpAddress(s.recvMeta, b);
      const port = s.recvMeta[b + UdpMeta.PORT]!;
      if (seg > 0) this.segmented.push(len);
      const step = seg > 0 ? seg : len;
      for (let p = off; p < off + len; p += step) {
        const bytes = Buffer.from(s.recvBuffer.subarray(p, Math.min(p + step, off + len)));
        this.got.push({ bytes, ecn, from, port });
      }
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.got.length < w.n) return true;
      w.resolve();
      return false;
    });
  }

  onWritable(): void {
    this.writable++;
  }

  until(n: number, ms = 3000): Promise<void> {
    if (this.got.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`received ${this.got.length} of ${n} datagrams`));
      }, ms);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

function requireUdp(t: { skip(msg: string): void }): boolean {
  if (process.platform !== 'linux') {
    t.skip('the native UDP path is Linux only');
    return false;
  }
  if (NativeLoop.get(undefined, true) === undefined) {
    if (process.env['CI']) assert.fail('native addon missing in CI');
    t.skip('native addon not built');
    return false;
  }
  return true;
}

function open(options: Partial<NativeUdpOptions>, handler: NativeUdpHandler): NativeUdpSocket {
  const s = NativeUdpSocket.open({ host: '127.0.0.1', port: 0, ...options }, handler);
  assert.ok(s !== undefined, 'native UDP socket available');
  return s;
}

function datagram(size: number, tag: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (tag * 7 + i) & 0xff;
  b[0] = tag & 0xff;
  return b;
}

test('many datagrams arrive in few recvmmsg batches, one JS call per batch, bytes intact', async (t) => {
  if (!requireUdp(t)) return;
  const rx = new Sink();
  const b = open({ batch: 64 }, rx);
  const a = open({}, new Sink());
  const to = encodeUdpAddress('127.0.0.1', b.localPort);
  const sent: Uint8Array[] = [];
  // Distinct sizes: no GSO run can form, every datagram is its own message.
  for (let i = 0; i < 200; i++) {
    const d = datagram(100 + i, i);
    sent.push(d);
    assert.ok(a.queue(d, 0, d.length, to, 0));
    if (a.queuedCount === a.batch) assert.ok(a.flush());
  }
  assert.ok(a.flush());
  await rx.until(200);
  assert.equal(rx.got.length, 200);
  for (let i = 0; i < 200; i++) assert.deepEqual(new Uint8Array(rx.got[i]!.bytes), sent[i]);
  assert.equal(rx.got[0]!.from, '127.0.0.1');
  assert.equal(rx.got[0]!.port, a.localPort);
  assert.ok(Math.max(...rx.batches) > 1, `batches: ${rx.batches.join(',')}`);
  assert.ok(rx.batches.length < 200 / 2, `${rx.batches.length} JS calls for 200 datagrams`);
  assert.equal(b.receiveRecords, 200);
  a.close();
  b.close();
});

test('a GSO send of equal-sized datagrams is received as separate datagrams of the right sizes', async (t) => {
  if (!requireUdp(t)) return;
  const a = open({}, new Sink());
  assert.ok(a.isGsoEnabled, 'UDP_SEGMENT available (Linux 4.18+)');
  // Receiver with 64 KiB slots: GRO on, the kernel may hand over the run as one buffer with a segment size.
  const rxGro = new Sink();
  const b = open({}, rxGro);
  // Receiver with small slots: GRO off, the kernel segments.
  const rxPlain = new Sink();
  const c = open({ slotBytes: 2048 }, rxPlain);
  assert.ok(b.isGroEnabled);
  assert.ok(!c.isGroEnabled);
  const sizes = [1200, 1200, 1200, 1200, 700];
  for (const [s, port] of [
    [rxGro, b.localPort],
    [rxPlain, c.localPort],
  ] as const) {
    const to = encodeUdpAddress('127.0.0.1', port);
    sizes.forEach((n, i) => {
      assert.ok(a.queue(datagram(n, i), 0, n, to, 0));
    });
    const calls = a.sendCalls;
    assert.ok(a.flush());
    assert.equal(a.sendCalls - calls, 1, 'one sendmmsg for the run');
    await s.until(sizes.length);
    assert.deepEqual(
      s.got.map((g) => g.bytes.length),
      sizes,
    );
    s.got.forEach((g, i) => {
      assert.deepEqual(new Uint8Array(g.bytes), datagram(sizes[i]!, i));
    });
  }
  assert.ok(rxGro.segmented.length > 0, 'GRO receiver got at least one coalesced buffer');
  assert.equal(rxPlain.segmented.length, 0);
  assert.equal(a.droppedCount, 0);
  a.close();
  b.close();
  c.close();
});

for (const [family, host] of [
  ['IPv4', '127.0.0.1'],
  ['IPv6', '::1'],
] as const) {
  test(`${family}: the ECN codepoint set on send is read on receive`, async (t) => {
    if (!requireUdp(t)) return;
    const rx = new Sink();
    const b = open({ host }, rx);
    const a = open({ host }, new Sink());
    const to = encodeUdpAddress(host, b.localPort);
    const codepoints = [0, 1, 2, 3, 2, 0];
    for (let i = 0; i < codepoints.length; i++) {
      const d = datagram(1000, i);
      assert.ok(a.queue(d, 0, d.length, to, codepoints[i]!));
    }
    assert.ok(a.flush());
    await rx.until(codepoints.length);
    assert.deepEqual(
      rx.got.map((g) => g.ecn),
      codepoints,
    );
    assert.equal(rx.got[0]!.from, host);
    assert.equal(rx.got[0]!.port, a.localPort);
    a.close();
    b.close();
  });
}

test('IPv6 dual-stack socket talks to an IPv4 peer (v4-mapped both ways) and to a connected peer', async (t) => {
  if (!requireUdp(t)) return;
  const rx6 = new Sink();
  const six = open({ host: '::' }, rx6);
  const rx4 = new Sink();
  const four = open({ host: '127.0.0.1' }, rx4);
  assert.ok(six.queue(datagram(300, 1), 0, 300, encodeUdpAddress('127.0.0.1', four.localPort), 2));
  assert.ok(six.flush());
  await rx4.until(1);
  assert.equal(rx4.got[0]!.ecn, 2);
  assert.equal(rx4.got[0]!.port, six.localPort);
  assert.ok(four.queue(datagram(400, 2), 0, 400, encodeUdpAddress('127.0.0.1', six.localPort), 1));
  assert.ok(four.flush());
  await rx6.until(1);
  assert.equal(rx6.got[0]!.from, '127.0.0.1', 'v4-mapped source reported as IPv4');
  assert.equal(rx6.got[0]!.ecn, 1);
  // Connected: FAMILY 0 sends to the peer given to connect.
  const peer = open({ host: '::1' }, rx6);
  six.connect('::1', peer.localPort);
  assert.ok(six.queue(datagram(500, 3), 0, 500, CONNECTED_PEER, 0));
  assert.ok(six.flush());
  await rx6.until(2);
  assert.equal(rx6.got[1]!.bytes.length, 500);
  assert.equal(rx6.got[1]!.from, '::1');
  six.close();
  four.close();
  peer.close();
});

test('address codec round-trips IPv4, IPv6 (RFC 5952 text) and v4-mapped forms', () => {
  const meta = new Int32Array(M);
  const put = (a: ReturnType<typeof encodeUdpAddress>): string => {
    meta[UdpMeta.FAMILY] = a.family;
    meta[UdpMeta.ADDR0] = a.a0;
    meta[UdpMeta.ADDR1] = a.a1;
    meta[UdpMeta.ADDR2] = a.a2;
    meta[UdpMeta.ADDR3] = a.a3;
    return formatUdpAddress(meta, 0);
  };
  for (const s of [
    '127.0.0.1',
    '255.1.0.254',
    '::1',
    '::',
    'fe80::1:2',
    '2001:db8::ff00:42:8329',
    '1:0:0:2::3',
  ]) {
    assert.equal(put(encodeUdpAddress(s, 1)), s);
  }
  assert.equal(put(encodeUdpAddress('::ffff:10.1.2.3', 1)), '10.1.2.3');
  assert.equal(put(encodeUdpAddress('2001:db8:0:0:1:0:0:1', 1)), '2001:db8::1:0:0:1');
  assert.throws(() => encodeUdpAddress('localhost', 1), TypeError);
});

test('EAGAIN keeps the queue, arms writability and sends it all once writable; bursts lose nothing locally', async (t) => {
  if (!requireUdp(t)) return;
  const rx = new Sink();
  const b = open({ bufferBytes: 8 * 1024 * 1024 }, rx);
  const tx = new Sink();
  const a = open({}, tx);
  const to = encodeUdpAddress('127.0.0.1', b.localPort);
  // Loopback frees send buffers at once, so the kernel never says EAGAIN there: the addon's hook does.
  NativeLoop.get()!.native.udpFailSends(a.fd, 1);
  for (let i = 0; i < 40; i++) assert.ok(a.queue(datagram(1000 + i, i), 0, 1000 + i, to, 0));
  assert.equal(a.flush(), false);
  assert.ok(a.isBlocked);
  assert.equal(a.queuedCount, 40);
  // Blocked: flushing again does not call the kernel.
  const calls = a.sendCalls;
  assert.equal(a.flush(), false);
  assert.equal(a.sendCalls, calls);
  await rx.until(40);
  assert.equal(tx.writable, 1, 'onWritable once the queue drained');
  assert.ok(!a.isBlocked);
  assert.equal(a.queuedCount, 0);
  rx.got.forEach((g, i) => {
    assert.equal(g.bytes.length, 1000 + i);
  });
  // A burst far larger than one batch: canQueue flushes full batches, every datagram leaves the socket.
  const before = a.sendCalls;
  let queued = 0;
  for (let i = 0; i < 2000; i++) {
    if (!a.canQueue(1200)) break;
    assert.ok(a.queue(datagram(1200, i), 0, 1200, to, 0));
    queued++;
  }
  a.flush();
  assert.equal(queued, 2000);
  assert.equal(a.queuedCount, 0);
  assert.equal(a.droppedCount, 0);
  assert.ok(a.sendCalls - before >= 2000 / a.batch, 'one sendmmsg per full batch');
  await rx.until(40 + 1, 3000);
  a.close();
  b.close();
});

test('close releases the descriptor and the poller registration; closing twice is harmless', (t) => {
  if (!requireUdp(t)) return;
  const loop = NativeLoop.get()!;
  const baseFds = openFds();
  const baseRegistered = loop.registeredCount;
  const socks = [open({}, new Sink()), open({ host: '::1' }, new Sink()), open({ host: '::' }, new Sink())];
  assert.equal(openFds(), baseFds + 3);
  assert.equal(loop.registeredCount, baseRegistered + 3);
  for (const s of socks) s.close();
  for (const s of socks) s.close();
  assert.equal(loop.registeredCount, baseRegistered);
  return fdsBackTo(baseFds);
});
