import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { Client, ClientError } from '../../src/client/index.js';
import type { ClientOptions } from '../../src/client/index.js';
import { selfSignedCertificate, type SelfSignedCertificate } from '../../src/server/cert.js';
import { BIG, BIG_SHA, chunks, fdCount, nodeHandler, resetSeen, seen, sha256, until } from './support.js';

let cert: SelfSignedCertificate | undefined;
try {
  cert = selfSignedCertificate();
} catch {
  cert = undefined;
}

interface Peer {
  readonly name: string;
  readonly protocol: 'http/1.1' | 'h2';
  readonly tls: boolean;
  readonly client: ClientOptions;
  /** Starts the server; `connections` counts accepted TCP connections. */
  start(): { server: NetServer; connections: () => number };
}

function counting(server: NetServer, event: string): { server: NetServer; connections: () => number } {
  let n = 0;
  server.on(event, () => n++);
  return { server, connections: () => n };
}

const peers: Peer[] = [
  {
    name: 'node:http',
    protocol: 'http/1.1',
    tls: false,
    client: {},
    start: () => counting(http.createServer(nodeHandler), 'connection'),
  },
  {
    name: 'node:https (ALPN picks http/1.1)',
    protocol: 'http/1.1',
    tls: true,
    client: {},
    start: () =>
      counting(https.createServer({ key: cert!.key, cert: cert!.cert }, nodeHandler), 'secureConnection'),
  },
  {
    name: 'node:http2 h2c',
    protocol: 'h2',
    tls: false,
    client: { http2PriorKnowledge: true },
    start: () => counting(http2.createServer(nodeHandler), 'session'),
  },
  {
    name: 'node:http2 over TLS (ALPN h2)',
    protocol: 'h2',
    tls: true,
    client: {},
    start: () =>
      counting(
        http2.createSecureServer({ key: cert!.key, cert: cert!.cert, allowHTTP1: true }, nodeHandler),
        'session',
      ),
  },
];

for (const peer of peers) {
  describe(`Client against ${peer.name}`, () => {
    test('5 MiB GET and POSTs with digests, reuse, abort mid-response, clean close', async (t) => {
      if (peer.tls && cert === undefined) {
        t.skip('openssl missing');
        return;
      }
      resetSeen();
      const fds0 = fdCount();
      const { server, connections } = peer.start();
      const sockets = new Set<import('node:net').Socket>();
      server.on('connection', (s: import('node:net').Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const base = `${peer.tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`;
      const client = new Client({ ...peer.client, ...(peer.tls ? { tls: { ca: cert!.cert } } : {}) });
      try {
        const big = await client.request(`${base}/big`);
        assert.equal(big.protocol, peer.protocol);
        assert.equal(big.headers.get('x-sha256'), BIG_SHA);
        assert.equal(sha256(await big.bytes()), BIG_SHA);

        const p1 = await client.request(`${base}/sha`, { method: 'POST', body: BIG });
        assert.deepEqual(JSON.parse(await p1.text()), { sha: BIG_SHA, n: BIG.length, trailer: null });
        const p2 = await client.request(`${base}/sha`, {
          method: 'POST',
          body: chunks(BIG),
          trailers: [['x-t', 'tv']],
        });
        assert.deepEqual(JSON.parse(await p2.text()), { sha: BIG_SHA, n: BIG.length, trailer: 'tv' });
        for (let i = 0; i < 3; i++) {
          const r = await client.request(`${base}/r${i}`);
          assert.match(await r.text(), new RegExp(`^node (1\\.1|2\\.0) GET /r${i}$`));
        }
        assert.equal(connections(), 1, 'every request so far on one connection');

        const ac = new AbortController();
        const slow = await client.request(`${base}/slow`, { signal: ac.signal });
        const it = slow.body[Symbol.asyncIterator]();
        assert.equal((await it.next()).done, false);
        ac.abort();
        await assert.rejects(
          async () => {
            for (;;) if ((await it.next()).done === true) break;
          },
          (err: unknown) => err instanceof ClientError && err.code === 'ERR_CLIENT_ABORTED',
        );
        assert.ok(await until(() => seen.slowAborted === 1), 'the server saw the abort');
        const last = await client.request(`${base}/last`);
        assert.equal(last.status, 200);
        await last.text();
        // h1 had to close the aborted connection; h2 kept its one session.
        assert.equal(connections(), peer.protocol === 'h2' ? 1 : 2);
      } finally {
        await client.close();
        assert.ok(await until(() => sockets.size === 0), 'server-side sockets closed');
        await new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        );
      }
      assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
    });
  });
}

test('an h2 stream reset by the server is ERR_STREAM_RESET with its wire code', async () => {
  const fds0 = fdCount();
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new Client({ http2PriorKnowledge: true });
  try {
    await assert.rejects(client.request(`${base}/reset-now`), (err: unknown) => {
      assert.ok(err instanceof ClientError);
      assert.equal(err.code, 'ERR_STREAM_RESET');
      assert.equal(err.wireCode, 0xb);
      assert.equal((err.cause as { code: string }).code, 'ERR_H2_STREAM_RESET');
      return true;
    });
  } finally {
    await client.close();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
  assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
});

test('HTTP/1.1 backpressure: an unread body pauses the socket and stalls node:http', async () => {
  const fds0 = fdCount();
  let written = 0;
  let isDone = false;
  const total = 64 * 1024 * 1024;
  const server = http.createServer((_req, res) => {
    const buf = new Uint8Array(65536);
    const pump = (): void => {
      while (written < total) {
        written += buf.length;
        if (!res.write(buf)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
      isDone = true;
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new Client({ highWaterMark: 65536 });
  try {
    const res = await client.request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const it = res.body[Symbol.asyncIterator]();
    let read = 0;
    const first = await it.next();
    read += first.done === true ? 0 : first.value.length;
    await new Promise((r) => setTimeout(r, 300));
    // Kernel buffers hold some megabytes; the rest waits for the reader.
    assert.equal(isDone, false);
    assert.ok(written < total / 2, `server wrote ${written} bytes before stalling`);
    for (let r = await it.next(); r.done !== true; r = await it.next()) read += r.value.length;
    assert.equal(read, total);
    assert.equal(isDone, true);
  } finally {
    await client.close();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
  assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
});

after(() => {
  cert = undefined;
});
