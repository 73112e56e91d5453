/**
 * HTTP/3 benchmarks (area `http3`).
 *
 * - `small-gets-100-concurrent`: 100 concurrent small GETs on an established connection, hayate HTTP/3
 *   (two Http3Connections, stream output handed straight across: QUIC cost left out) against hayate
 *   HTTP/2 (two Http2Connections, bytes handed straight across) with the same request, response and
 *   handler work. Goal: HTTP/3 at least 80% of HTTP/2.
 * - `small-gets-memory-quic`: the same HTTP/3 exchange through the seeded in-memory QUIC provider.
 * - `loopback-udp`: requests/s and a 100 MiB download over loopback UDP with the quiche provider
 *   (@matrixai/quic), beside gtlsserver's figures for the same hayate client when gtlsserver is installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Http2Connection } from '../src/http2/connection.js';
import { Http3Connection } from '../src/http3/connection.js';
import type { Http3Output } from '../src/http3/connection.js';
import { Http3Session } from '../src/server/http3-session.js';
import { selfSignedCertificate } from '../src/server/cert.js';
import { Http3Client } from '../src/client/http3-client.js';
import { listenHttp3 } from '../src/server/http3.js';
import { MemoryQuicPair } from '../src/transport/quic-memory.js';
import { freeUdpPort } from '../test/support/udp.js';
import type { BenchOptions, BenchRecord } from './lib/report.js';
import { runTinyCases } from './lib/report.js';

export const area = 'http3';

const N = 100;
const BODY = new TextEncoder().encode('hello, world\n');
const REQUEST: Array<[string, string]> = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'bench.example'],
  [':path', '/index.html'],
  ['user-agent', 'hayate-bench/1'],
  ['accept', '*/*'],
];
const RESPONSE: Array<[string, string]> = [
  [':status', '200'],
  ['content-type', 'text/plain'],
  ['content-length', String(BODY.length)],
];

function deliver3(to: Http3Connection, o: Http3Output): void {
  if (o.type === 'stream') {
    for (let i = 0; i < o.chunks.length; i++) {
      to.receiveStream(o.streamId, o.chunks[i]!, o.fin && i === o.chunks.length - 1);
    }
    if (o.chunks.length === 0 && o.fin) to.receiveStream(o.streamId, new Uint8Array(0), true);
  }
}

function pump3(from: Http3Connection, to: Http3Connection): void {
  for (let o = from.takeOutput(); o !== null; o = from.takeOutput()) deliver3(to, o);
}

function h3Pair(): { client: Http3Connection; server: Http3Connection } {
  const client = new Http3Connection({ role: 'client' });
  const server = new Http3Connection({ role: 'server', limits: { maxConcurrentRequestStreams: 1000 } });
  pump3(client, server);
  pump3(server, client);
  while (client.nextEvent() !== null);
  while (server.nextEvent() !== null);
  return { client, server };
}

function h3Round(client: Http3Connection, server: Http3Connection): void {
  for (let i = 0; i < N; i++) client.request(REQUEST, true);
  pump3(client, server);
  for (let e = server.nextEvent(); e !== null; e = server.nextEvent()) {
    if (e.type === 'request') {
      server.respond(e.streamId, RESPONSE);
      server.sendData(e.streamId, BODY, true);
    }
  }
  pump3(server, client);
  let done = 0;
  for (let e = client.nextEvent(); e !== null; e = client.nextEvent()) if (e.type === 'end') done++;
  pump3(client, server); // QPACK acknowledgments
  while (server.nextEvent() !== null);
  if (done !== N) throw new Error(`http3 round finished ${done} of ${N}`);
}

function h2Pair(): { client: Http2Connection; server: Http2Connection } {
  // The client's bandwidth probes are PINGs; without a clock the server's PING budget never refills, so
  // the benchmark lifts it (it measures framing, not flood protection).
  const client = new Http2Connection({ role: 'client', limits: { maxControlFrameBurst: Infinity } });
  const server = new Http2Connection({
    role: 'server',
    limits: { maxConcurrentStreams: 1000, maxControlFrameBurst: Infinity },
  });
  for (let i = 0; i < 3; i++) {
    for (const c of client.takeOutput()) server.receive(c);
    for (const c of server.takeOutput()) client.receive(c);
  }
  while (client.nextEvent() !== null);
  while (server.nextEvent() !== null);
  return { client, server };
}

function h2Round(client: Http2Connection, server: Http2Connection): void {
  for (let i = 0; i < N; i++) client.request(REQUEST, { endStream: true });
  for (const c of client.takeOutput()) server.receive(c);
  for (let e = server.nextEvent(); e !== null; e = server.nextEvent()) {
    if (e.type === 'request') {
      server.respond(e.streamId, RESPONSE);
      server.sendData(e.streamId, BODY, true);
    }
  }
  for (const c of server.takeOutput()) client.receive(c);
  let done = 0;
  for (let e = client.nextEvent(); e !== null; e = client.nextEvent()) {
    if (e.type === 'data') {
      client.consumed(e.streamId, e.data.length);
      if (e.endStream) done++;
    } else if (e.type === 'response' && e.endStream) done++;
  }
  for (const c of client.takeOutput()) server.receive(c);
  while (server.nextEvent() !== null);
  if (done !== N) throw new Error(`http2 round finished ${done} of ${N}`);
}

function memoryQuicRound(): () => void {
  const pair = new MemoryQuicPair();
  let done = 0;
  new Http3Session(pair.server, { limits: { maxConcurrentRequestStreams: 1000 } }, (e, s) => {
    if (e.type === 'request') {
      s.h3.respond(e.streamId, RESPONSE);
      s.h3.sendData(e.streamId, BODY, true);
    }
  });
  const client = new Http3Session(pair.client, {}, (e) => {
    if (e.type === 'end') done++;
  });
  pair.run();
  return () => {
    done = 0;
    client.guard(() => {
      for (let i = 0; i < N; i++) client.h3.request(REQUEST, true);
    });
    pair.run();
    if (done !== N) throw new Error(`memory quic round finished ${done} of ${N}`);
  };
}

function cert(): { key: string; cert: string; dir: string } | undefined {
  try {
    const c = selfSignedCertificate({ keepFiles: true });
    return { key: c.key, cert: c.cert, dir: c.dir! };
  } catch {
    return undefined;
  }
}

/** Requests/s (batches of 100 concurrent GETs for ~timeMs) and one 100 MiB download with Http3Client. */
async function measureClient(
  port: number,
  timeMs: number,
  bigPath: string,
  subject: string,
): Promise<BenchRecord[]> {
  const peer = subject !== 'hayate-h3-server';
  let client: Http3Client | undefined;
  try {
    client = await Http3Client.connect('127.0.0.1', port, {
      verifyPeer: false,
      serverName: 'localhost',
      maxBodyBytes: 200 << 20,
    });
    let count = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < timeMs) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = 0; i < N; i++) batch.push(client.request('GET', '/small.txt'));
      await Promise.all(batch);
      count += N;
    }
    const rps = count / ((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const big = await client.request('GET', bigPath);
    const sec = (performance.now() - t1) / 1000;
    return [
      { bench: `${area}/loopback-udp-small-gets`, subject, peer, hz: rps },
      {
        bench: `${area}/loopback-udp-100MiB`,
        subject,
        peer,
        hz: 1 / sec,
        seconds: Number(sec.toFixed(2)),
        MBps: Number((big.body.length / 1e6 / sec).toFixed(1)),
      },
    ];
  } catch (err) {
    // A failed run is reported, not fatal: the other areas' figures still print.
    const error = (err as Error).message;
    return [
      { bench: `${area}/loopback-udp-small-gets`, subject, peer, error },
      { bench: `${area}/loopback-udp-100MiB`, subject, peer, error },
    ];
  } finally {
    await client?.close().catch(() => undefined);
  }
}

async function loopback(options: BenchOptions): Promise<BenchRecord[]> {
  const tls = cert();
  if (tls === undefined) return [];
  const hundred = new Uint8Array(100 << 20).fill(0x61);
  const small = new TextEncoder().encode('hello, world\n');
  const out: BenchRecord[] = [];
  const server = await listenHttp3({ key: tls.key, cert: tls.cert }, (req, res) => {
    res.end(req.path === '/big.bin' ? hundred : small);
  });
  try {
    out.push(...(await measureClient(server.port, options.timeMs, '/big.bin', 'hayate-h3-server')));
  } finally {
    await server.close();
  }
  const gtls = '/usr/sbin/gtlsserver';
  if (existsSync(gtls)) {
    const htdocs = mkdtempSync(join(tmpdir(), 'hayate-bench-htdocs-'));
    writeFileSync(join(htdocs, 'small.txt'), small);
    writeFileSync(join(htdocs, 'big.bin'), hundred);
    const port = await freeUdpPort();
    const p = spawn(
      gtls,
      ['-q', '-d', htdocs, '127.0.0.1', String(port), join(tls.dir, 'key.pem'), join(tls.dir, 'cert.pem')],
      {
        stdio: 'ignore',
      },
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      out.push(...(await measureClient(port, options.timeMs, '/big.bin', 'gtlsserver')));
    } finally {
      p.kill('SIGTERM');
    }
  }
  return out;
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const h3 = h3Pair();
  const h2 = h2Pair();
  const mem = memoryQuicRound();
  const records = await runTinyCases(
    area,
    [
      {
        name: 'small-gets-100-concurrent',
        opsPerCall: N,
        subjects: [
          {
            subject: 'hayate-http3',
            peer: false,
            fn: () => {
              h3Round(h3.client, h3.server);
            },
          },
          {
            subject: 'hayate-http2',
            peer: true,
            fn: () => {
              h2Round(h2.client, h2.server);
            },
          },
        ],
      },
      {
        name: 'small-gets-memory-quic',
        opsPerCall: N,
        subjects: [{ subject: 'hayate-http3-memory-quic', peer: false, fn: mem }],
      },
    ],
    options,
  );
  if (process.env['HAYATE_BENCH_UDP'] !== '0') records.push(...(await loopback(options)));
  return records;
}
