/** Interop with Node's http2 module: node as client against hayate's server, and as server against hayate's client. */
import { strict as assert } from 'node:assert';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../src/server/http2-client.js';
import type { Http2Server } from '../../src/server/http2-server.js';
import { makeCert, pattern, startServer } from './http2-support.js';

function nodeRequest(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array,
  trailers?: http2.OutgoingHttpHeaders,
): Promise<{
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders;
}> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, {
      endStream: body === undefined,
      waitForTrailers: trailers !== undefined,
    });
    let status = 0;
    let head: http2.IncomingHttpHeaders = {};
    let tr: http2.IncomingHttpHeaders = {};
    const parts: Buffer[] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
      head = h;
    });
    req.on('trailers', (t) => {
      tr = t;
    });
    if (trailers !== undefined)
      req.on('wantTrailers', () => {
        req.sendTrailers(trailers);
      });
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      resolve({ status, headers: head, body: Buffer.concat(parts), trailers: tr });
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

for (const mode of ['h2c', 'tls'] as const) {
  describe(`node:http2 client -> hayate server (${mode})`, () => {
    let server: Http2Server;
    let session: http2.ClientHttp2Session;
    const cert = mode === 'tls' ? makeCert() : undefined;
    before(async () => {
      server = await startServer(cert);
      const url = `${mode === 'tls' ? 'https' : 'http'}://localhost:${server.port}`;
      session = http2.connect(url, cert === undefined ? {} : { ca: cert.cert });
    });
    after(async () => {
      session.close();
      await server.close();
    });

    test('GET', { skip: mode === 'tls' && cert === undefined }, async () => {
      const r = await nodeRequest(session, { ':path': '/hello' });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hello world');
      assert.equal(r.headers['content-length'], '11');
    });

    test(
      'large upload echoed back (flow control both ways)',
      { skip: mode === 'tls' && cert === undefined },
      async () => {
        const body = pattern(3_000_000);
        const r = await nodeRequest(session, { ':path': '/echo', ':method': 'POST' }, body);
        assert.equal(r.status, 200);
        assert.equal(r.body.length, body.length);
        assert.ok(r.body.equals(body));
      },
    );

    test('large download', { skip: mode === 'tls' && cert === undefined }, async () => {
      const r = await nodeRequest(session, { ':path': '/big?n=5000000' });
      assert.equal(r.body.length, 5_000_000);
      assert.ok(r.body.equals(pattern(5_000_000)));
    });

    test('200 concurrent streams', { skip: mode === 'tls' && cert === undefined }, async () => {
      const all = await Promise.all(
        Array.from({ length: 200 }, () => nodeRequest(session, { ':path': '/hello' })),
      );
      for (const r of all) assert.equal(r.body.toString(), 'hello world');
    });

    test(
      'response before the request body ends: RST_STREAM NO_ERROR stops the upload',
      { skip: mode === 'tls' && cert === undefined },
      async () => {
        const r = await nodeRequest(session, { ':path': '/hello', ':method': 'POST' }, pattern(5_000_000));
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), 'hello world');
        const again = await nodeRequest(session, { ':path': '/hello' });
        assert.equal(again.body.toString(), 'hello world');
      },
    );

    test('trailers both ways', { skip: mode === 'tls' && cert === undefined }, async () => {
      const r = await nodeRequest(session, { ':path': '/trailers', ':method': 'POST' }, pattern(1000), {
        'x-client-trailer': 'yes',
      });
      assert.equal(r.body.toString(), 'len=1000');
      assert.equal(r.trailers['x-checksum'], '3000');
      assert.equal(r.trailers['x-request-trailer'], 'yes');
    });
  });
}

let slowSeen = false;

describe('hayate client -> node:http2 server', () => {
  let server: http2.Http2Server;
  let tlsServer: http2.Http2SecureServer;
  const cert = makeCert();
  const handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void => {
    if (req.url === '/echo') {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        res.end(Buffer.concat(parts));
      });
      return;
    }
    if (req.url.startsWith('/big')) {
      res.end(Buffer.from(pattern(4_000_000)));
      return;
    }
    if (req.url === '/trailers') {
      res.addTrailers({ 'x-t': 'done' });
      res.end('with trailers');
      return;
    }
    if (req.url === '/slow') {
      slowSeen = true;
      setTimeout(() => res.end('slow'), 100);
      return;
    }
    res.setHeader('x-path', req.url);
    res.end('node says hi');
  };
  before(async () => {
    server = http2.createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    if (cert !== undefined) {
      tlsServer = http2.createSecureServer({ key: cert.key, cert: cert.cert }, handler);
      await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    }
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    if (cert !== undefined) await new Promise((r) => tlsServer.close(r));
  });

  test('GET, POST echo, large download, trailers, concurrency (h2c)', async () => {
    const port = (server.address() as AddressInfo).port;
    const s = connect(`http://127.0.0.1:${port}`);
    const r = await s.request({ path: '/x?y=1' });
    assert.equal(r.status, 200);
    assert.equal(r.header('x-path'), '/x?y=1');
    assert.equal(await r.text(), 'node says hi');
    const body = pattern(2_000_000);
    const e = await s.request({ method: 'POST', path: '/echo', body });
    assert.deepEqual(await e.bytes(), body);
    const big = await s.request({ path: '/big' });
    assert.deepEqual(await big.bytes(), pattern(4_000_000));
    const t = await s.request({ path: '/trailers' });
    assert.equal(await t.text(), 'with trailers');
    assert.equal(t.trailers?.toArray().find(([n]) => n === 'x-t')?.[1], 'done');
    const many = await Promise.all(
      Array.from({ length: 300 }, async () => (await s.request({ path: '/m' })).text()),
    );
    assert.ok(many.every((x) => x === 'node says hi'));
    await s.close();
  });

  test('streamed upload from an async iterable', async () => {
    const port = (server.address() as AddressInfo).port;
    const s = connect(`http://127.0.0.1:${port}`);
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setImmediate(r));
        yield pattern(40000);
      }
    }
    const r = await s.request({ method: 'POST', path: '/echo', body: gen() });
    assert.equal((await r.bytes()).length, 50 * 40000);
    await s.close();
  });

  test('TLS with ALPN h2', { skip: cert === undefined }, async () => {
    const port = (tlsServer.address() as AddressInfo).port;
    const s = connect(`https://localhost:${port}`, { tls: { ca: cert!.cert } });
    const r = await s.request({ path: '/tls' });
    assert.equal(await r.text(), 'node says hi');
    await s.close();
  });

  test('GOAWAY mid-flight: in-flight streams finish, new requests fail', async () => {
    const port = (server.address() as AddressInfo).port;
    const s = connect(`http://127.0.0.1:${port}`);
    await (await s.request({ path: '/warm' })).text();
    let nodeSession: http2.ServerHttp2Session | undefined;
    server.once('session', (x) => (nodeSession = x));
    const s2 = connect(`http://127.0.0.1:${port}`);
    const slow = s2.request({ path: '/slow' });
    // Wait (bounded) until the server has the session and the slow request is in flight.
    for (let i = 0; i < 200 && (nodeSession === undefined || !slowSeen); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(nodeSession !== undefined);
    nodeSession.close();
    const r = await slow;
    assert.equal(await r.text(), 'slow');
    await assert.rejects(s2.request({ path: '/after' }));
    await s.close();
  });
});
