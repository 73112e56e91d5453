import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { after, before, describe, test } from 'node:test';
import { Client, ClientError } from '../../src/client/index.js';
import type { ClientOptions, ClientResponse } from '../../src/client/index.js';
import { selfSignedCertificate, type SelfSignedCertificate } from '../../src/server/cert.js';
import { createServer, type Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/types.js';
import { BIG, BIG_SHA, chunks, fdCount, handler, resetSeen, seen, sha256, until } from './support.js';

let cert: SelfSignedCertificate | undefined;
try {
  cert = selfSignedCertificate();
} catch {
  cert = undefined;
}

interface Setup {
  readonly name: string;
  readonly protocol: 'http/1.1' | 'h2';
  readonly tls: boolean;
  readonly client: ClientOptions;
}

const setups: Setup[] = [
  { name: 'HTTP/1.1', protocol: 'http/1.1', tls: false, client: {} },
  { name: 'h2c prior knowledge', protocol: 'h2', tls: false, client: { http2PriorKnowledge: true } },
  { name: 'h2 over TLS (ALPN)', protocol: 'h2', tls: true, client: {} },
];

async function json(res: ClientResponse): Promise<{ sha: string; n: number; trailer: string | null }> {
  return JSON.parse(await res.text()) as { sha: string; n: number; trailer: string | null };
}

for (const setup of setups) {
  describe(`Client against hayate's server: ${setup.name}`, () => {
    let server: Server;
    let base: string;
    let fds0: number;
    const options = (): ClientOptions =>
      setup.tls ? { ...setup.client, tls: { ca: cert!.cert } } : setup.client;

    before(async () => {
      fds0 = fdCount();
      if (setup.tls && cert === undefined) return;
      server = createServer(handler, {
        transport: 'net',
        ...(setup.tls ? { tls: { key: cert!.key, cert: cert!.cert } } : {}),
      });
      const { port } = await server.listen(0, '127.0.0.1');
      base = `${setup.tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`;
    });

    after(async () => {
      if (setup.tls && cert === undefined) return;
      await server.close();
      assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
    });

    test('GET a 5 MiB body and POST 5 MiB bodies (bytes and streamed), digests checked', async (t) => {
      if (setup.tls && cert === undefined) {
        t.skip('openssl missing');
        return;
      }
      const client = new Client(options());
      try {
        const res = await client.request(`${base}/big`);
        assert.equal(res.status, 200);
        assert.equal(res.protocol, setup.protocol);
        assert.equal(res.headers.get('X-SHA256'), BIG_SHA);
        assert.equal(sha256(await res.bytes()), BIG_SHA);

        const r1 = await client.request(`${base}/sha`, { method: 'POST', body: BIG });
        assert.deepEqual(await json(r1), { sha: BIG_SHA, n: BIG.length, trailer: null });
        assert.equal(r1.trailers?.get('x-done'), 'yes');

        const r2 = await client.request(
          { origin: base, path: '/sha' },
          { method: 'PUT', body: chunks(BIG), trailers: [['x-t', 'v1']] },
        );
        assert.equal(r2.protocol, setup.protocol);
        assert.deepEqual(await json(r2), { sha: BIG_SHA, n: BIG.length, trailer: 'v1' });
      } finally {
        await client.close();
      }
      assert.ok(await until(() => server.connectionCount === 0), 'server connections closed');
      assert.equal(client.socketCount, 0);
    });

    test('sequential requests reuse one connection', async (t) => {
      if (setup.tls && cert === undefined) {
        t.skip('openssl missing');
        return;
      }
      resetSeen();
      const client = new Client(options());
      try {
        for (let i = 0; i < 5; i++) {
          const res = await client.request(`${base}/n${i}`);
          assert.equal(await res.text(), `${setup.protocol === 'h2' ? 'h2' : 'http/1.1'} GET /n${i}`);
        }
        assert.equal(seen.ports.size, 1, 'one client port seen by the server');
        assert.equal(server.connectionCount, 1);
        assert.equal(client.socketCount, 1);
      } finally {
        await client.close();
      }
      assert.ok(await until(() => server.connectionCount === 0));
    });

    test('an AbortSignal aborts mid-response; the server sees it; the client goes on', async (t) => {
      if (setup.tls && cert === undefined) {
        t.skip('openssl missing');
        return;
      }
      resetSeen();
      const client = new Client(options());
      try {
        const ac = new AbortController();
        const res = await client.request(`${base}/slow`, { signal: ac.signal });
        const it = res.body[Symbol.asyncIterator]();
        const first = await it.next();
        assert.equal(first.done, false);
        ac.abort(new Error('user gave up'));
        await assert.rejects(
          async () => {
            for (;;) if ((await it.next()).done === true) break;
          },
          (err: unknown) => {
            assert.ok(err instanceof ClientError);
            assert.equal(err.code, 'ERR_CLIENT_ABORTED');
            assert.equal((err.cause as Error).message, 'user gave up');
            return true;
          },
        );
        assert.ok(await until(() => seen.slowAborted === 1), 'handler saw the abort');
        // h1 closed its connection (the only way to cancel); h2 reset only the stream.
        if (setup.protocol === 'http/1.1') assert.ok(await until(() => server.connectionCount === 0));
        else assert.equal(server.connectionCount, 1);
        const again = await client.request(`${base}/after`);
        assert.equal(await again.text(), `${setup.protocol === 'h2' ? 'h2' : 'http/1.1'} GET /after`);
        // An already aborted signal rejects at once.
        await assert.rejects(client.request(`${base}/x`, { signal: AbortSignal.abort() }), {
          code: 'ERR_CLIENT_ABORTED',
        });
      } finally {
        await client.close();
      }
      assert.ok(await until(() => server.connectionCount === 0));
    });

    // On every protocol (HTTP/1.1 too, since res.write() counts what the core holds): the server stalls.
    test('an unread body stalls the server (backpressure); reading resumes it', async (t) => {
      if (setup.tls && cert === undefined) {
        t.skip('openssl missing');
        return;
      }
      resetSeen();
      const client = new Client({ ...options(), highWaterMark: 64 * 1024 });
      try {
        const res = await client.request(`${base}/huge`);
        const it = res.body[Symbol.asyncIterator]();
        let total = 0;
        const first = await it.next();
        total += first.done === true ? 0 : first.value.length;
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(seen.hugeDone, false, 'the server is still waiting to write');
        for (let r = await it.next(); r.done !== true; r = await it.next()) total += r.value.length;
        assert.equal(total, 16 * BIG.length);
        assert.equal(seen.hugeDone, true);
      } finally {
        await client.close();
      }
      assert.ok(await until(() => server.connectionCount === 0));
    });

    test('bytes(max) rejects with ERR_BODY_TOO_LARGE and frees the exchange', async (t) => {
      if (setup.tls && cert === undefined) {
        t.skip('openssl missing');
        return;
      }
      const client = new Client(options());
      try {
        const res = await client.request(`${base}/big`);
        await assert.rejects(res.bytes(100_000), (err: unknown) => {
          assert.ok(err instanceof ClientError);
          assert.equal(err.code, 'ERR_BODY_TOO_LARGE');
          return true;
        });
        assert.throws(() => res.body, { name: 'UsageError', code: 'ERR_CLIENT_BODY_USED' });
        const again = await client.request(`${base}/ok`);
        assert.equal(again.status, 200);
        await again.text();
      } finally {
        await client.close();
      }
      assert.ok(await until(() => server.connectionCount === 0));
    });
  });
}

test('a response cut mid-body is ERR_STREAM_RESET on h2 and ERR_CONNECTION_CLOSED on HTTP/1.1', async () => {
  const fds0 = fdCount();
  const failing: Handler = async (_req, res) => {
    res.write('partial');
    await new Promise((r) => setTimeout(r, 20));
    throw new Error('handler failed mid-body');
  };
  const server = createServer(failing, { transport: 'net', onError: () => undefined });
  const { port } = await server.listen(0, '127.0.0.1');
  for (const [options, code] of [
    [{ http2PriorKnowledge: true }, 'ERR_STREAM_RESET'],
    [{}, 'ERR_CONNECTION_CLOSED'],
  ] as const) {
    const client = new Client(options);
    try {
      const res = await client.request(`http://127.0.0.1:${port}/`);
      await assert.rejects(res.text(), (err: unknown) => {
        assert.ok(err instanceof ClientError);
        assert.equal(err.code, code);
        if (code === 'ERR_STREAM_RESET') assert.equal(err.wireCode, 0x2);
        return true;
      });
    } finally {
      await client.close();
    }
  }
  await server.close();
  assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
});

describe('HTTP/1.1 pool', () => {
  test('maxConnectionsPerOrigin bounds concurrent connections; idle ones close after idleTimeoutMs', async () => {
    resetSeen();
    const fds0 = fdCount();
    const server = createServer(handler, { transport: 'net' });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = new Client({ maxConnectionsPerOrigin: 2, idleTimeoutMs: 200 });
    try {
      let peak = 0;
      const all = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const res = await client.request(`http://127.0.0.1:${port}/c${i}`);
          peak = Math.max(peak, server.connectionCount);
          return res.text();
        }),
      );
      assert.deepEqual(
        all,
        Array.from({ length: 8 }, (_, i) => `http/1.1 GET /c${i}`),
      );
      assert.equal(seen.ports.size, 2, 'two connections carried eight requests');
      assert.ok(peak <= 2);
      assert.ok(await until(() => server.connectionCount === 0), 'idle connections closed by the client');
      assert.equal(client.socketCount, 0);
    } finally {
      await client.close();
      await server.close();
    }
    assert.ok(await until(() => fdCount() <= fds0));
  });
});

describe('Alt-Svc (RFC 7838) and HTTP/3', () => {
  test('a second request follows Alt-Svc h3 to HTTP/3; abort resets the h3 stream', async (t) => {
    if (cert === undefined) {
      t.skip('openssl missing');
      return;
    }
    try {
      const { loadQuiche } = await import('../../src/transport/quic-quiche.js');
      await loadQuiche();
    } catch (err) {
      if (process.env['CI'] !== undefined) throw err;
      t.skip(String(err));
      return;
    }
    resetSeen();
    const fds0 = fdCount();
    const server = createServer(handler, {
      transport: 'net',
      tls: { key: cert.key, cert: cert.cert },
      http3: true,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const base = `https://localhost:${port}`;
    const client = new Client({ http3: true, tls: { ca: cert.cert } });
    try {
      const first = await client.request(`${base}/one`);
      assert.equal(first.protocol, 'h2');
      assert.equal(first.headers.get('alt-svc'), `h3=":${port}"; ma=86400`);
      assert.equal(await first.text(), 'h2 GET /one');
      const second = await client.request(`${base}/two`);
      assert.equal(second.protocol, 'h3');
      assert.equal(await second.text(), 'h3 GET /two');

      // 1 MiB, not 5: the quiche provider moves about 1 MB/s on loopback (README, Performance).
      const big = await client.request(`${base}/big?n=1048576`);
      assert.equal(big.protocol, 'h3');
      assert.equal(sha256(await big.bytes()), sha256(BIG.subarray(0, 1 << 20)));
      const post = await client.request(`${base}/sha`, {
        method: 'POST',
        body: chunks(BIG.subarray(0, 1 << 20)),
      });
      assert.equal(post.protocol, 'h3');
      assert.deepEqual(await json(post), {
        sha: sha256(BIG.subarray(0, 1 << 20)),
        n: 1 << 20,
        trailer: null,
      });

      const ac = new AbortController();
      const slow = client.request(`${base}/slow`, { signal: ac.signal });
      assert.ok(await until(() => seen.slowStarted === 1));
      ac.abort();
      const abortedAt = Date.now();
      await assert.rejects(slow, { name: 'ClientError', code: 'ERR_CLIENT_ABORTED' });
      // The handler streams for 3 s; the abort must not wait for it.
      assert.ok(Date.now() - abortedAt < 1000);
      const after = await client.request(`${base}/after`);
      assert.equal(after.protocol, 'h3');
      assert.equal(await after.text(), 'h3 GET /after');
    } finally {
      await client.close();
      await server.close();
    }
    assert.ok(await until(() => server.connectionCount === 0));
    assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
  });

  test('an Alt-Svc alternative that does not answer falls back to TCP and is not retried', async (t) => {
    if (cert === undefined) {
      t.skip('openssl missing');
      return;
    }
    // The QUIC module and the resolver's threads hold descriptors for the process lifetime: count after them.
    try {
      const { loadQuiche } = await import('../../src/transport/quic-quiche.js');
      await loadQuiche();
    } catch (err) {
      if (process.env['CI'] !== undefined) throw err;
      t.skip(String(err));
      return;
    }
    await lookup('localhost');
    const fds0 = fdCount();
    // A UDP socket that never answers: it counts the QUIC connection attempts (one source port each).
    const silent = createSocket('udp4');
    const sources = new Set<number>();
    silent.on('message', (_msg, rinfo) => sources.add(rinfo.port));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const udpPort = silent.address().port;
    const advertise: Handler = (req, res) => {
      res.setHeader('alt-svc', `h3=":${udpPort}"; ma=60`);
      return handler(req, res);
    };
    const server = createServer(advertise, { transport: 'net', tls: { key: cert.key, cert: cert.cert } });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = new Client({
      http3: true,
      tls: { ca: cert.cert },
      connectTimeoutMs: 300,
      idleTimeoutMs: 500,
    });
    try {
      for (const path of ['/a', '/b', '/c', '/d']) {
        const res = await client.request(`https://127.0.0.1:${port}${path}`, {});
        assert.equal(res.protocol, 'h2');
        assert.equal(await res.text(), `h2 GET ${path}`);
      }
      assert.equal(sources.size, 1, 'one QUIC attempt, then the origin is marked broken');
    } finally {
      await client.close();
      await server.close();
      silent.close();
    }
    assert.ok(await until(() => fdCount() <= fds0, 8000), `fds ${fdCount()} back to ${fds0}`);
  });
});

after(() => {
  cert = undefined;
});
