/**
 * HTTP/3 on hayate/quic (src/quic over src/transport/quic-udp.ts) driven the way users drive it:
 * `createServer({ http3: { quicProvider: 'hayate' } })` or `listenHttp3({ quicProvider: 'hayate' })` on one
 * side, `Http3Client.connect(..., { quicProvider: 'hayate' })` or the protocol-neutral `Client` on the
 * other, over real loopback UDP. No curl (it has no HTTP/3 here). After every test the server holds no
 * HTTP/3 session and the process is back at its baseline of open descriptors.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '../../src/client/client.js';
import { Http3Client } from '../../src/client/http3-client.js';
import type { Http3ClientOptions, Http3ClientResponse } from '../../src/client/http3-client.js';
import { H3ErrorCode } from '../../src/http3/errors.js';
import type { Http3Limits } from '../../src/http3/limits.js';
import { listenHttp3 } from '../../src/server/http3.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { connectHayateQuic } from '../../src/transport/quic-udp.js';
import type { Http3Server } from '../../src/server/http3.js';
import { createServer } from '../../src/server/server.js';
import type { Handler, ServerRequest } from '../../src/server/types.js';
import { fdsBackTo, openFds, pattern, sha256, sleep, testCert } from '../support/traffic.js';
import { lossyRelay } from '../support/udp.js';

const MIB = 1024 * 1024;

function clientOptions(extra: Partial<Http3ClientOptions> = {}): Http3ClientOptions {
  return { quicProvider: 'hayate', verifyPeer: false, serverName: 'localhost', ...extra };
}

/** Live HTTP/3 sessions of every server in this process, from the server's diagnostics channels. */
class SessionCount {
  private readonly live = new Set<unknown>();
  private readonly onOpen = (m: unknown): void => {
    const { connection, protocol } = m as { connection: unknown; protocol: string };
    if (protocol === 'h3') this.live.add(connection);
  };
  private readonly onClose = (m: unknown): void => {
    this.live.delete((m as { connection: unknown }).connection);
  };

  constructor() {
    subscribe('hayate:server:connection-protocol', this.onOpen);
    subscribe('hayate:server:connection-close', this.onClose);
  }

  get size(): number {
    return this.live.size;
  }

  /** Waits (up to `ms`) for every session to close, then unsubscribes. */
  async settle(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.live.size > 0 && Date.now() < deadline) await sleep(10);
    unsubscribe('hayate:server:connection-protocol', this.onOpen);
    unsubscribe('hayate:server:connection-close', this.onClose);
    assert.equal(this.live.size, 0, 'HTTP/3 sessions left open on the server');
  }
}

/** Runs `body` against a `listenHttp3` server on hayate/quic, then checks sessions and descriptors. */
async function withServer(
  handler: Handler,
  body: (server: Http3Server, errors: unknown[]) => Promise<void>,
  extra: { idleTimeoutMs?: number; limits?: Partial<Http3Limits> } = {},
): Promise<void> {
  const fds = openFds();
  const sessions = new SessionCount();
  const errors: unknown[] = [];
  const tls = testCert();
  const server = await listenHttp3(
    {
      key: tls.key,
      cert: tls.cert,
      quicProvider: 'hayate',
      idleTimeoutMs: extra.idleTimeoutMs ?? 10_000,
      ...(extra.limits === undefined ? {} : { limits: extra.limits }),
      onError: (e) => errors.push(e),
    },
    handler,
  );
  try {
    await body(server, errors);
  } finally {
    await server.close();
    await sessions.settle();
    await fdsBackTo(fds);
  }
}

/** Reads the whole request body. */
async function readAll(req: ServerRequest): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req.body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Asserts that every request succeeded with 200 and the body `expected(i)`. */
function assertAllOk(
  results: PromiseSettledResult<Http3ClientResponse>[],
  expected: (i: number) => string,
): void {
  const failed = results.filter((r) => r.status === 'rejected');
  assert.equal(
    failed.length,
    0,
    `${failed.length} of ${results.length} failed, first: ${String(failed[0]?.reason)}`,
  );
  results.forEach((r, i) => {
    const v = (r as PromiseFulfilledResult<Http3ClientResponse>).value;
    assert.equal(v.status, 200);
    assert.equal(Buffer.from(v.body).toString(), expected(i));
  });
}

const header = (r: Http3ClientResponse, name: string): string | undefined =>
  r.headers.find(([n]) => n === name)?.[1];

/** Echo handler: digest and length of the request body; `/bytes/<n>` answers n pattern bytes. */
const echo: Handler = async (req, res) => {
  const m = /^\/bytes\/(\d+)$/.exec(req.path);
  if (m !== null) {
    await readAll(req);
    const body = pattern(Number(m[1]), 3);
    res.setHeader('content-length', String(body.length));
    res.end(body);
    return;
  }
  const body = await readAll(req);
  res.setHeader('x-method', req.method);
  res.setHeader('x-length', String(body.length));
  res.setHeader('x-sha256', sha256(body));
  res.end(req.path);
};

test('createServer({ http3: { quicProvider: "hayate" } }) serves GET and POST over hayate/quic', async () => {
  const fds = openFds();
  const sessions = new SessionCount();
  const tls = testCert();
  const server = createServer(echo, { tls, http3: { quicProvider: 'hayate', idleTimeoutMs: 10_000 } });
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    assert.equal(server.altSvc, `h3=":${port}"; ma=86400`);
    const client = await Http3Client.connect('127.0.0.1', port, clientOptions());
    try {
      const get = await client.request('GET', '/hello?x=1');
      assert.equal(get.status, 200);
      assert.equal(Buffer.from(get.body).toString(), '/hello');
      assert.equal(header(get, 'x-method'), 'GET');
      assert.equal(header(get, 'alt-svc'), undefined, 'HTTP/3 responses carry no Alt-Svc');
      const body = pattern(100_000, 1);
      const post = await client.request(
        'POST',
        '/upload',
        [['content-type', 'application/octet-stream']],
        body,
      );
      assert.equal(post.status, 200);
      assert.equal(header(post, 'x-length'), String(body.length));
      assert.equal(header(post, 'x-sha256'), sha256(body));
      assert.equal(sessions.size, 1, 'one HTTP/3 session on the server');
    } finally {
      await client.close();
    }
  } finally {
    await server.close(500);
  }
  await sessions.settle();
  await fdsBackTo(fds);
});

test('hayate Client (http3: true, quicProvider: "hayate") follows Alt-Svc to hayate/quic', async () => {
  const fds = openFds();
  const sessions = new SessionCount();
  const tls = testCert();
  const server = createServer(
    (req, res) => {
      res.end(req.protocol);
    },
    { tls, http3: { quicProvider: 'hayate' } },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const client = new Client({
    http3: true,
    quicProvider: 'hayate',
    tls: { rejectUnauthorized: false, servername: 'localhost' },
  });
  try {
    const first = await client.request(`https://127.0.0.1:${port}/`);
    assert.notEqual(await first.text(), 'h3', 'the first request learns Alt-Svc over TCP');
    const second = await client.request(`https://127.0.0.1:${port}/`);
    assert.equal(second.protocol, 'h3');
    assert.equal(await second.text(), 'h3');
    const post = await client.request(`https://127.0.0.1:${port}/p`, { method: 'POST', body: 'abc' });
    assert.equal(await post.text(), 'h3');
  } finally {
    await client.close();
    await server.close(500);
  }
  await sessions.settle();
  await fdsBackTo(fds);
});

test('request bodies written in many small chunks arrive whole; responses streamed in pieces arrive whole', async () => {
  await withServer(
    async (req, res) => {
      const body = await readAll(req);
      // Stream the response back in uneven pieces with pauses, so it spans many QUIC packets and flushes.
      res.setHeader('x-sha256', sha256(body));
      for (let at = 0; at < body.length;) {
        const n = Math.min(body.length - at, 1 + ((at * 7) % 5000));
        res.write(body.subarray(at, at + n));
        at += n;
        if (at % 3 === 0) await sleep(0);
      }
      res.end();
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        const body = pattern(300_000, 9);
        const r = await client.request('PUT', '/echo', [], body);
        assert.equal(r.status, 200);
        assert.equal(header(r, 'x-sha256'), sha256(body));
        assert.ok(Buffer.from(r.body).equals(body));
      } finally {
        await client.close();
      }
    },
  );
});

test('16 MiB both ways: a 16 MiB upload and a 16 MiB download on one connection, intact', async () => {
  await withServer(echo, async (server) => {
    const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
    try {
      const up = pattern(16 * MIB, 5);
      const t0 = performance.now();
      const [post, get] = await Promise.all([
        client.request('POST', '/up', [], up),
        client.request('GET', `/bytes/${16 * MIB}`),
      ]);
      const ms = performance.now() - t0;
      assert.equal(post.status, 200);
      assert.equal(header(post, 'x-length'), String(up.length));
      assert.equal(header(post, 'x-sha256'), sha256(up));
      assert.equal(get.status, 200);
      assert.equal(get.body.length, 16 * MIB);
      assert.equal(sha256(get.body), sha256(pattern(16 * MIB, 3)));
      console.log(`# 16 MiB up + 16 MiB down over hayate/quic: ${ms.toFixed(0)} ms`);
    } finally {
      await client.close();
    }
  });
});

/**
 * Starts one request with `start`, cancels it once the handler has called `ready` (and `delayMs` more), then
 * checks the handler's signal aborts with ERR_STREAM_RESET and the connection still serves `/ok`.
 */
async function cancelMidway(
  serve: (req: ServerRequest, res: Parameters<Handler>[1], ready: () => void) => Promise<void>,
  start: (client: Http3Client) => { streamId: number; response: Promise<unknown> },
  delayMs: number,
): Promise<void> {
  let aborted: (reason: unknown) => void = () => undefined;
  const abortedP = new Promise<unknown>((r) => (aborted = r));
  let ready: () => void = () => undefined;
  const readyP = new Promise<void>((r) => (ready = r));
  await withServer(
    async (req, res) => {
      if (req.path === '/ok') {
        res.end('ok');
        return;
      }
      req.signal.addEventListener('abort', () => {
        aborted(req.signal.reason);
      });
      await serve(req, res, ready);
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        const req = start(client);
        const rejected = assert.rejects(req.response, /gave up/);
        await readyP;
        if (delayMs > 0) await sleep(delayMs);
        assert.equal(client.cancel(req.streamId, new Error('gave up')), true);
        await rejected;
        const reason = await Promise.race([
          abortedP,
          sleep(3000).then(() => {
            throw new Error('handler never saw the cancel');
          }),
        ]);
        assert.equal((reason as { code?: string }).code, 'ERR_STREAM_RESET');
        const ok = await client.request('GET', '/ok');
        assert.equal(Buffer.from(ok.body).toString(), 'ok', 'the connection carries on');
        assert.equal(client.activeRequests, 0);
      } finally {
        await client.close();
      }
    },
  );
}

test('a client that cancels mid-response: the handler is aborted, the connection carries on', async () => {
  await cancelMidway(
    async (req, res, ready) => {
      // Far more than the stream window: the response is mid-flight when the client gives up.
      const chunk = pattern(64 * 1024);
      res.write(chunk);
      ready();
      while (!req.aborted) {
        if (!res.write(chunk)) await res.drained();
      }
    },
    (client) => client.start('GET', '/endless'),
    50,
  );
});

test('listenHttp3 close(timeoutMs) with requests in flight: they finish (GOAWAY), then a clean close', async () => {
  await withServer(
    async (req, res) => {
      await sleep(200);
      res.end(req.path);
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        const inFlight = Array.from({ length: 20 }, (_, i) => client.request('GET', `/slow/${i}`));
        await sleep(50);
        const t0 = performance.now();
        const closing = server.close(5000);
        const results = await Promise.allSettled(inFlight);
        await closing;
        // RFC 9114 §5.2: requests below the GOAWAY id are served; the connection then closes by itself.
        assert.ok(performance.now() - t0 < 2000, 'close returned once the requests were done');
        assertAllOk(results, (i) => `/slow/${i}`);
        await Promise.race([
          client.close(),
          sleep(3000).then(() => {
            throw new Error('the client never saw the connection close');
          }),
        ]);
        assert.equal(client.isClosed, true);
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  );
});

test('createServer close() with HTTP/3 requests in flight drains them within the grace period', async () => {
  const fds = openFds();
  const sessions = new SessionCount();
  const tls = testCert();
  const server = createServer(
    async (req, res) => {
      await sleep(200);
      res.end(req.path);
    },
    { tls, http3: { quicProvider: 'hayate' } },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await Http3Client.connect('127.0.0.1', port, clientOptions());
  try {
    const inFlight = Array.from({ length: 20 }, (_, i) => client.request('GET', `/in-flight/${i}`));
    await sleep(50);
    const closing = server.close(5000);
    assertAllOk(await Promise.allSettled(inFlight), (i) => `/in-flight/${i}`);
    await closing;
    // After GOAWAY the server refuses nothing already accepted but starts nothing new (RFC 9114 §5.2).
    await assert.rejects(client.request('GET', '/late'));
  } finally {
    await client.close().catch(() => undefined);
  }
  await sessions.settle();
  await fdsBackTo(fds);
});

test('close() with no grace period ends in-flight requests at once with a connection error', async () => {
  let entered: () => void = () => undefined;
  const enteredP = new Promise<void>((r) => (entered = r));
  await withServer(
    async (req, res) => {
      entered();
      await sleep(2000);
      res.end(req.path);
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        const r = client.request('GET', '/never');
        await enteredP;
        await server.close();
        await assert.rejects(r, { code: 'ERR_QUIC_CONNECTION_CLOSED' });
        assert.equal(client.isClosed, true);
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  );
});

test('1,000 concurrent small requests, 0 failures, 10 times in a row (a fresh connection each run)', async () => {
  await withServer(
    (req, res) => {
      res.setHeader('x-path', req.path);
      res.end(`small ${req.path}`);
    },
    async (server) => {
      const times: number[] = [];
      for (let run = 0; run < 10; run++) {
        const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
        try {
          const t0 = performance.now();
          const results = await Promise.allSettled(
            Array.from({ length: 1000 }, (_, i) => client.request('GET', `/r/${run}/${i}`)),
          );
          times.push(performance.now() - t0);
          const failed = results.filter((r) => r.status === 'rejected');
          assert.equal(
            failed.length,
            0,
            `run ${run}: ${failed.length} of 1000 failed, first: ${String(failed[0]?.reason)}`,
          );
          for (let i = 0; i < 1000; i++) {
            const r = (results[i] as PromiseFulfilledResult<Http3ClientResponse>).value;
            assert.equal(r.status, 200);
            assert.equal(Buffer.from(r.body).toString(), `small /r/${run}/${i}`);
          }
        } finally {
          await client.close();
        }
      }
      console.log(
        `# 1,000 concurrent requests x 10 runs (ms each): ${times.map((t) => t.toFixed(0)).join(', ')}`,
      );
    },
  );
});

test('1,000 concurrent small requests, 10 times in a row on one connection', async () => {
  await withServer(
    (req, res) => {
      res.end(`small ${req.path}`);
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      const times: number[] = [];
      try {
        for (let run = 0; run < 10; run++) {
          const t0 = performance.now();
          const results = await Promise.allSettled(
            Array.from({ length: 1000 }, (_, i) => client.request('GET', `/same/${run}/${i}`)),
          );
          times.push(performance.now() - t0);
          assertAllOk(results, (i) => `small /same/${run}/${i}`);
        }
      } finally {
        await client.close();
      }
      console.log(`# 1,000 x 10 on one connection (ms each): ${times.map((t) => t.toFixed(0)).join(', ')}`);
    },
  );
});

// 1 in 7 lost with a minimal congestion window costs a max_ack_delay (25 ms) or a PTO every few round
// trips, so the bodies stay at 1 MiB (about 4 s each here); throughput under loss is the bench's business.
test('through a relay losing every 7th datagram both ways: 500 requests and 1 MiB each way complete', async () => {
  await withServer(echo, async (server) => {
    const relay = await lossyRelay(server.port, { toServer: 7, toClient: 7 });
    try {
      const client = await Http3Client.connect(
        '127.0.0.1',
        relay.port,
        clientOptions({ idleTimeoutMs: 10_000 }),
      );
      try {
        const t0 = performance.now();
        const results = await Promise.allSettled(
          Array.from({ length: 500 }, (_, i) => client.request('GET', `/lossy/${i}`)),
        );
        assertAllOk(results, (i) => `/lossy/${i}`);
        const t1 = performance.now();
        const big = await client.request('GET', `/bytes/${MIB}`);
        assert.equal(sha256(big.body), sha256(pattern(MIB, 3)));
        const t2 = performance.now();
        const up = pattern(MIB, 8);
        const post = await client.request('POST', '/up', [], up);
        assert.equal(header(post, 'x-sha256'), sha256(up));
        const t3 = performance.now();
        console.log(
          `# lossy relay: 500 GETs ${(t1 - t0).toFixed(0)} ms, 1 MiB down ${(t2 - t1).toFixed(0)} ms, 1 MiB up ${(t3 - t2).toFixed(0)} ms`,
        );
      } finally {
        await client.close();
      }
    } finally {
      await relay.close();
    }
  });
});

test('20 clients at once, 100 requests each, on their own connections', async () => {
  await withServer(
    (req, res) => {
      res.end(req.path);
    },
    async (server) => {
      const clients = await Promise.all(
        Array.from({ length: 20 }, () => Http3Client.connect('127.0.0.1', server.port, clientOptions())),
      );
      try {
        await Promise.all(
          clients.map(async (client, c) => {
            const results = await Promise.allSettled(
              Array.from({ length: 100 }, (_, i) => client.request('GET', `/c${c}/${i}`)),
            );
            assertAllOk(results, (i) => `/c${c}/${i}`);
          }),
        );
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    },
  );
});

test('a handler that throws answers 500; one that throws mid-body resets the stream; the connection carries on', async () => {
  await withServer(
    async (req, res) => {
      if (req.path === '/throw') throw new Error('boom');
      if (req.path === '/mid') {
        res.write('partial');
        await sleep(10);
        throw new Error('boom mid-body');
      }
      res.end('fine');
    },
    async (server, errors) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        assert.equal((await client.request('GET', '/throw')).status, 500);
        await assert.rejects(client.request('GET', '/mid'), { code: 'ERR_STREAM_RESET' });
        assert.equal(Buffer.from((await client.request('GET', '/ok')).body).toString(), 'fine');
        assert.equal(errors.length, 2);
      } finally {
        await client.close();
      }
    },
  );
});

test('a client that cancels mid-upload: the handler sees the abort, the connection carries on', async () => {
  await cancelMidway(
    async (req, res, ready) => {
      // Reads slowly, so most of the body is still on its way when the client gives up.
      let n = 0;
      for await (const chunk of req.body) {
        n += chunk.length;
        ready();
        await sleep(5);
      }
      res.end(`read ${n}`);
    },
    (client) => client.start('POST', '/upload', [], pattern(8 * MIB)),
    0,
  );
});

test('a response slower than three idle timeouts arrives (keep-alive PINGs); then the idle connection closes', async () => {
  await withServer(
    async (_req, res) => {
      await sleep(1300);
      res.end('late');
    },
    async (server) => {
      const client = await Http3Client.connect(
        '127.0.0.1',
        server.port,
        clientOptions({ idleTimeoutMs: 400 }),
      );
      try {
        const r = await client.request('GET', '/slow');
        assert.equal(r.status, 200);
        assert.equal(Buffer.from(r.body).toString(), 'late');
        assert.equal(client.isClosed, false);
        // Nothing outstanding any more: no PINGs, so the idle timeout ends the connection.
        const isClosed = (): boolean => client.isClosed;
        const t0 = performance.now();
        while (!isClosed() && performance.now() - t0 < 3000) await sleep(20);
        assert.equal(isClosed(), true, 'closed when idle');
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    { idleTimeoutMs: 400 },
  );
});

test('idle timeout: a server that goes silent mid-request; the request rejects with ERR_QUIC_IDLE_TIMEOUT, both ends let go', async () => {
  let started: () => void = () => undefined;
  const startedP = new Promise<void>((r) => (started = r));
  let aborted: () => void = () => undefined;
  const abortedP = new Promise<void>((r) => (aborted = r));
  await withServer(
    (req) => {
      // Never answers; the connection's end aborts the request.
      req.signal.addEventListener('abort', () => {
        aborted();
      });
      started();
    },
    async (server) => {
      const relay = await lossyRelay(server.port, { toServer: 0, toClient: 0 });
      const client = await Http3Client.connect(
        '127.0.0.1',
        relay.port,
        clientOptions({ idleTimeoutMs: 400 }),
      );
      try {
        const pending = client.request('GET', '/silence');
        await startedP;
        relay.cut();
        const t0 = performance.now();
        // The client's keep-alive PINGs go unanswered: the idle timeout still ends it.
        await assert.rejects(pending, { code: 'ERR_QUIC_IDLE_TIMEOUT' });
        const ms = performance.now() - t0;
        assert.ok(ms >= 300 && ms < 3000, `rejected after ${ms.toFixed(0)} ms`);
        assert.equal(client.isClosed, true);
        // RFC 9000 §10.1: the effective idle timeout is the smaller of both, so the server gives up too.
        await abortedP;
      } finally {
        await client.close().catch(() => undefined);
        await relay.close();
      }
    },
  );
});

test('keepAlive: false: a request nobody answers rejects with ERR_QUIC_IDLE_TIMEOUT', async () => {
  await withServer(
    () => undefined,
    async (server) => {
      const client = await Http3Client.connect(
        '127.0.0.1',
        server.port,
        clientOptions({ idleTimeoutMs: 400, keepAlive: false }),
      );
      try {
        const t0 = performance.now();
        await assert.rejects(client.request('GET', '/silence'), { code: 'ERR_QUIC_IDLE_TIMEOUT' });
        const ms = performance.now() - t0;
        assert.ok(ms >= 300 && ms < 3000, `rejected after ${ms.toFixed(0)} ms`);
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  );
});

test('cancelling requests still waiting for MAX_STREAMS (not yet opened in QUIC) works; the rest complete', async () => {
  await withServer(
    (req, res) => {
      res.end(req.path);
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        // The server allows 100 concurrent bidirectional streams: requests past it wait in the provider.
        const started = Array.from({ length: 300 }, (_, i) => client.start('GET', `/wait/${i}`));
        const cancelled = new Set([150, 250, 299]);
        for (const i of cancelled)
          assert.equal(client.cancel(started[i]!.streamId, new Error(`cancel ${i}`)), true);
        const results = await Promise.allSettled(started.map((s) => s.response));
        results.forEach((r, i) => {
          if (cancelled.has(i)) {
            assert.equal(r.status, 'rejected');
            assert.match(String(r.reason), new RegExp(`cancel ${i}`));
          } else {
            assert.equal(
              r.status,
              'fulfilled',
              `request ${i}: ${String((r as PromiseRejectedResult).reason)}`,
            );
            assert.equal(Buffer.from(r.value.body).toString(), `/wait/${i}`);
          }
        });
        assert.equal(Buffer.from((await client.request('GET', '/after')).body).toString(), '/after');
      } finally {
        await client.close();
      }
    },
  );
});

test('a client that stops reading the response but leaves its upload open does not keep the request slot', async () => {
  let entered = 0;
  await withServer(
    async (req, res) => {
      if (req.path === '/ok') {
        res.end('ok');
        return;
      }
      entered++;
      res.write('head of a response the client will refuse');
      // Waits for a body that never ends; only the client's STOP_SENDING ends the exchange.
      let n = 0;
      for await (const chunk of req.body) n += chunk.length;
      res.end(`read ${n}`);
    },
    async (server) => {
      const quic = await connectHayateQuic({ host: '127.0.0.1', port: server.port, verifyPeer: false });
      const statuses = new Map<number, number>();
      const ended = new Set<number>();
      const session = new Http3Session(quic, {}, (e) => {
        if (e.type === 'response') statuses.set(e.streamId, e.status);
        if (e.type === 'end') ended.add(e.streamId);
      });
      const request = (path: string, fin: boolean): number => {
        let id = -1;
        session.guard(() => {
          id = session.h3.request(
            [
              [':method', fin ? 'GET' : 'POST'],
              [':scheme', 'https'],
              [':authority', 'localhost'],
              [':path', path],
            ],
            fin,
          );
          if (!fin) session.h3.sendData(id, pattern(1000), false);
        });
        return id;
      };
      try {
        // The server takes one request at a time.
        for (let i = 0; i < 3; i++) {
          const id = request(`/upload/${i}`, false);
          await waitFor(() => entered === i + 1 && statuses.get(id) === 200, `handler ${i}`);
          // STOP_SENDING only (the request stream stays open on our side): the server must abort the
          // exchange and stop reading too (its STOP_SENDING makes our QUIC stack reset the upload).
          quic.stopSending(id, H3ErrorCode.H3_REQUEST_CANCELLED);
        }
        const ok = request('/ok', true);
        await waitFor(() => ended.has(ok), 'the request after three abandoned ones');
        assert.equal(statuses.get(ok), 200);
      } finally {
        await quic.destroy();
      }
    },
    { limits: { maxConcurrentRequestStreams: 1 } },
  );
});

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('hayate Client over hayate/quic: 300 concurrent requests with bodies, then close() mid-flight', async () => {
  const fds = openFds();
  const sessions = new SessionCount();
  const tls = testCert();
  const server = createServer(echo, { tls, http3: { quicProvider: 'hayate' } });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = new Client({
    http3: true,
    quicProvider: 'hayate',
    tls: { rejectUnauthorized: false, servername: 'localhost' },
  });
  const base = `https://127.0.0.1:${port}`;
  try {
    await (await client.request(`${base}/learn-alt-svc`)).text();
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const body = pattern(100 + i * 37, i);
        const res = await client.request(`${base}/c/${i}`, { method: 'POST', body });
        assert.equal(res.protocol, 'h3');
        assert.equal(res.headers.get('x-sha256'), sha256(body));
        return res.text();
      }),
    );
    results.forEach((t, i) => {
      assert.equal(t, `/c/${i}`);
    });
    // A request in flight when the client closes settles (either way) and leaves nothing behind.
    const late = client.request(`${base}/bytes/${4 * MIB}`).then(
      (r) => r.bytes(),
      (e: unknown) => e,
    );
    await sleep(5);
    await client.close();
    await late;
  } finally {
    await client.close();
    await server.close(500);
  }
  await sessions.settle();
  await fdsBackTo(fds);
});

test('more POSTs than the stream limit, to handlers that read the body late or never: all complete', async () => {
  await withServer(
    async (req, res) => {
      if (req.path.startsWith('/unread/')) {
        // Answers without reading: the unread body's credit must still come back (RFC 9000 §4.2, §4.6).
        res.end(req.path);
        return;
      }
      // Reads only after the whole body has arrived, so some of it is unread when the stream ends.
      await sleep(5);
      const body = await req.bytes(1 << 20);
      res.end(`${req.path} ${body.length}`);
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        for (const kind of ['late', 'unread']) {
          const results = await Promise.allSettled(
            Array.from({ length: 300 }, (_, i) =>
              client.request('POST', `/${kind}/${i}`, [], pattern(100 + i * 37, i)),
            ),
          );
          assertAllOk(results, (i) => (kind === 'late' ? `/late/${i} ${100 + i * 37}` : `/unread/${i}`));
        }
        // Larger unread bodies (above the stream window) are stopped with H3_NO_ERROR, not left hanging.
        const big = await Promise.allSettled(
          Array.from({ length: 150 }, (_, i) =>
            client.request('POST', `/unread/big/${i}`, [], pattern(300_000)),
          ),
        );
        assertAllOk(big, (i) => `/unread/big/${i}`);
      } finally {
        await client.close();
      }
    },
  );
});

test('finished exchanges are not kept for the life of the connection', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const refs: WeakRef<object>[] = [];
  await withServer(
    async (req, res) => {
      refs.push(new WeakRef(req));
      if (req.method === 'POST') await req.bytes();
      res.end('x');
    },
    async (server) => {
      const client = await Http3Client.connect('127.0.0.1', server.port, clientOptions());
      try {
        for (let i = 0; i < 300; i++) {
          await client.request(
            i % 2 === 0 ? 'GET' : 'POST',
            `/r/${i}`,
            [],
            i % 2 === 0 ? undefined : pattern(1000),
          );
        }
        await sleep(50);
        gc();
        await sleep(0);
        gc();
        const alive = refs.filter((r) => r.deref() !== undefined).length;
        // The connection is still open: before the fix every request (and its exchange) stayed reachable.
        assert.ok(alive < 30, `${alive} of 300 requests still reachable`);
      } finally {
        await client.close();
      }
    },
  );
});
