/**
 * Session resumption and 0-RTT for HTTP/3 on hayate/quic over real loopback UDP (RFC 9001 §4.6, RFC 9114
 * §10.9, RFC 8470): a second connection resumes with the ticket of the first, sends a GET in 0-RTT which
 * the handler sees marked `earlyData`, gets 425 for a method the server does not take in early data and
 * retries it after the handshake. Descriptors return to their baseline after every test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { UsageError } from '../../src/common/errors.js';
import { Http3Client } from '../../src/client/http3-client.js';
import type { Http3ClientOptions } from '../../src/client/http3-client.js';
import { listenHttp3 } from '../../src/server/http3.js';
import type { Http3Server, ListenHttp3Options } from '../../src/server/http3.js';
import { createServer } from '../../src/server/server.js';
import type { Handler } from '../../src/server/types.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { connectHayateQuic } from '../../src/transport/quic-udp.js';
import type { QuicConnection } from '../../src/transport/quic.js';
import { fdsBackTo, openFds, sleep, testCert } from '../support/traffic.js';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly earlyData: boolean;
  readonly header: string | undefined;
}

function clientOptions(extra: Partial<Http3ClientOptions> = {}): Http3ClientOptions {
  return { quicProvider: 'hayate', verifyPeer: false, serverName: 'localhost', ...extra };
}

async function withServer(
  extra: Partial<ListenHttp3Options>,
  body: (server: Http3Server, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const fds = openFds();
  const seen: Seen[] = [];
  const handler: Handler = async (req, res) => {
    let size = 0;
    for await (const c of req.body) size += c.length;
    seen.push({
      method: req.method,
      path: req.path,
      earlyData: req.earlyData,
      header: req.headers.get('early-data'),
    });
    res.end(`${req.method} ${req.path} early=${String(req.earlyData)} body=${String(size)}`);
  };
  const tls = testCert();
  const server = await listenHttp3(
    { key: tls.key, cert: tls.cert, quicProvider: 'hayate', idleTimeoutMs: 10_000, ...extra },
    handler,
  );
  try {
    await body(server, seen);
  } finally {
    await server.close();
    await fdsBackTo(fds);
  }
}

/** A first connection: one GET, then the session ticket the server sent. */
async function firstVisit(server: Http3Server): Promise<Uint8Array> {
  let ticket: Uint8Array | undefined;
  const c = await Http3Client.connect(
    server.host,
    server.port,
    clientOptions({ onSessionTicket: (t) => (ticket = t) }),
  );
  try {
    const r = await c.request('GET', '/first');
    assert.equal(r.status, 200);
    assert.equal(c.isResumed, false);
    for (let i = 0; i < 200 && ticket === undefined; i++) await sleep(5);
    assert.ok(ticket, 'the server sent a session ticket');
    return ticket;
  } finally {
    await c.close();
  }
}

test('a second connection resumes and its GET is answered from 0-RTT, marked earlyData', async () => {
  await withServer({ enableEarlyData: true }, async (server, seen) => {
    const ticket = await firstVisit(server);
    const c = await Http3Client.connect(
      server.host,
      server.port,
      clientOptions({ sessionTicket: ticket, earlyData: true }),
    );
    try {
      const get = c.request('GET', '/early');
      // A POST is not sent in 0-RTT: it waits for the handshake (RFC 8470 §4).
      const post = c.request('POST', '/submit', [], new TextEncoder().encode('payload'));
      const [g, p] = await Promise.all([get, post]);
      assert.equal(g.status, 200);
      assert.equal(Buffer.from(g.body).toString(), 'GET /early early=true body=0');
      assert.equal(p.status, 200);
      assert.equal(Buffer.from(p.body).toString(), 'POST /submit early=false body=7');
      assert.equal(c.isResumed, true);
      assert.equal(c.isEarlyDataAccepted, true);
      const early = seen.find((s) => s.path === '/early');
      assert.deepEqual(early, { method: 'GET', path: '/early', earlyData: true, header: '1' });
      assert.equal(seen.find((s) => s.path === '/submit')?.header, undefined);
    } finally {
      await c.close();
    }
  });
});

test('a method the server does not take in 0-RTT is answered 425 and retried after the handshake', async () => {
  await withServer({ enableEarlyData: true, earlyDataMethods: ['OPTIONS'] }, async (server, seen) => {
    const ticket = await firstVisit(server);
    const c = await Http3Client.connect(
      server.host,
      server.port,
      clientOptions({ sessionTicket: ticket, earlyData: true }),
    );
    try {
      const r = await c.request('GET', '/retry');
      assert.equal(r.status, 200);
      assert.equal(Buffer.from(r.body).toString(), 'GET /retry early=false body=0');
      assert.equal(c.isEarlyDataAccepted, true);
      // The handler ran once, for the retry; the 0-RTT attempt never reached it.
      assert.deepEqual(
        seen.filter((s) => s.path === '/retry').map((s) => s.earlyData),
        [false],
      );
    } finally {
      await c.close();
    }
  });
});

test('with early data off (the default) the second connection resumes and its GET goes in 1-RTT', async () => {
  await withServer({}, async (server, seen) => {
    const ticket = await firstVisit(server);
    const c = await Http3Client.connect(
      server.host,
      server.port,
      clientOptions({ sessionTicket: ticket, earlyData: true }),
    );
    try {
      const r = await c.request('GET', '/late');
      assert.equal(Buffer.from(r.body).toString(), 'GET /late early=false body=0');
      assert.equal(c.isResumed, true);
      assert.equal(c.isEarlyDataAccepted, false);
      assert.equal(seen.find((s) => s.path === '/late')?.earlyData, false);
    } finally {
      await c.close();
    }
  });
});

test('Client keeps the ticket per origin: a later HTTP/3 connection resumes and sends its GET in 0-RTT', async () => {
  const fds = openFds();
  const tls = testCert();
  const server = createServer(
    (req, res) => {
      res.end(`${req.protocol} early=${String(req.earlyData)}`);
    },
    { tls, http3: { quicProvider: 'hayate', enableEarlyData: true } },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  // QUIC idle timeout = max(connectTimeoutMs, idleTimeoutMs): the h3 connection ends after 1 s idle.
  const client = new Client({
    http3: true,
    quicProvider: 'hayate',
    http3EarlyData: true,
    connectTimeoutMs: 1000,
    idleTimeoutMs: 200,
    tls: { rejectUnauthorized: false, servername: 'localhost' },
  });
  const url = `https://127.0.0.1:${port}/`;
  try {
    assert.notEqual(await (await client.request(url)).text(), 'h3 early=false', 'Alt-Svc learnt over TCP');
    assert.equal(await (await client.request(url)).text(), 'h3 early=false');
    await sleep(1500);
    assert.equal(await (await client.request(url)).text(), 'h3 early=true');
  } finally {
    await client.close();
    await server.close(500);
  }
  await fdsBackTo(fds);
});

/** An HTTP/3 session over `quic` that sends requests as soon as asked (in 0-RTT when the connection can). */
function rawSession(quic: QuicConnection): {
  send(method: string, path: string, body: Uint8Array): Promise<{ status: number; body: string }>;
} {
  const waiting = new Map<
    number,
    { status: number; body: string; done: (r: { status: number; body: string }) => void }
  >();
  const session = new Http3Session(quic, {}, (e) => {
    if (e.type !== 'response' && e.type !== 'data' && e.type !== 'end') return;
    const w = waiting.get(e.streamId);
    if (w === undefined) return;
    if (e.type === 'response') w.status = e.status;
    else if (e.type === 'data') w.body += Buffer.from(e.data).toString();
    else w.done({ status: w.status, body: w.body });
  });
  return {
    send: (method, path, body) =>
      new Promise((done) => {
        session.guard(() => {
          const id = session.h3.request(
            [
              [':method', method],
              [':scheme', 'https'],
              [':authority', 'localhost'],
              [':path', path],
            ],
            false,
          );
          waiting.set(id, { status: 0, body: '', done });
          session.h3.sendData(id, body, true);
        });
      }),
  };
}

test('a POST that arrives in 0-RTT is answered 425 without reaching the handler; sent again after the handshake it is served', async () => {
  await withServer({ enableEarlyData: true }, async (server, seen) => {
    const ticket = await firstVisit(server);
    const quic = await connectHayateQuic({
      host: server.host,
      port: server.port,
      serverName: 'localhost',
      verifyPeer: false,
      sessionTicket: ticket,
      earlyData: true,
    });
    try {
      assert.equal(quic.canSendEarlyData, true);
      const h3 = rawSession(quic);
      const payload = new TextEncoder().encode('payload');
      const early = await h3.send('POST', '/submit', payload);
      assert.equal(early.status, 425);
      assert.equal(quic.isEarlyDataAccepted, true, 'the POST went in accepted 0-RTT');
      assert.equal(seen.length, 1, 'only the first visit reached the handler');
      await quic.handshakeCompleted;
      const again = await h3.send('POST', '/submit', payload);
      assert.equal(again.status, 200);
      assert.equal(again.body, 'POST /submit early=false body=7');
    } finally {
      await quic.destroy();
    }
  });
});

test('0-RTT options on the quiche provider throw at the call', async () => {
  const tls = testCert();
  await assert.rejects(
    listenHttp3(
      { key: tls.key, cert: tls.cert, enableEarlyData: true, quicProvider: 'quiche' },
      (_req, res) => {
        res.end();
      },
    ),
    UsageError,
  );
  await assert.rejects(
    Http3Client.connect('127.0.0.1', 9, {
      sessionTicket: Uint8Array.of(1),
      earlyData: true,
      quicProvider: 'quiche',
    }),
    UsageError,
  );
});
