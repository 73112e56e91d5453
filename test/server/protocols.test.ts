import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { createServer, type Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/types.js';
import { requirePeer } from '../support/peers.js';

// One handler, every protocol: the handler reports which one carried the request.
const handler: Handler = async (req, res) => {
  const body = await req.text();
  res.setHeader('content-type', 'text/plain');
  res.end(`${req.protocol} ${req.method} ${req.path} host=${req.headers.get('host') ?? '-'} body=${body}`);
};

function h2Request(
  client: http2.ClientHttp2Session,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = client.request({ ':method': body === undefined ? 'GET' : 'POST', ':path': path });
    let status = 0;
    let text = '';
    s.setEncoding('utf8');
    s.on('response', (h) => (status = Number(h[':status'])));
    s.on('data', (d: string) => (text += d));
    s.on('end', () => {
      resolve({ status, text });
    });
    s.on('error', reject);
    s.end(body);
  });
}

function h1Request(
  port: number,
  headers: http.OutgoingHttpHeaders = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path: '/one', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

for (const transport of ['net', 'native'] as const) {
  test(`createServer serves HTTP/1.1 and h2c (prior knowledge) on one port [${transport}]`, async (t) => {
    let server: Server;
    try {
      server = createServer(handler, { transport });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_NATIVE_UNAVAILABLE' && process.env['CI'] === undefined) {
        t.skip('native addon not built');
        return;
      }
      throw err;
    }
    const { port } = await server.listen(0);
    try {
      const h1 = await h1Request(port);
      assert.equal(h1.status, 200);
      assert.match(h1.text, /^http\/1\.1 GET \/one host=127\.0\.0\.1:\d+ body=$/);
      const client = http2.connect(`http://127.0.0.1:${port}`);
      try {
        const a = await h2Request(client, '/two');
        assert.equal(a.status, 200);
        assert.match(a.text, /^h2c? GET \/two host=127\.0\.0\.1:\d+ body=$/);
        const b = await h2Request(client, '/three', 'payload');
        assert.match(b.text, /POST \/three .* body=payload$/);
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });
}

test('an Upgrade other than h2c, with no upgrade handler, is answered by the handler (RFC 9110 §7.8)', async () => {
  const server = createServer(handler, { transport: 'net' });
  const { port } = await server.listen(0);
  try {
    const r = await h1Request(port, { connection: 'upgrade', upgrade: 'websocket' });
    assert.equal(r.status, 200);
    assert.match(r.text, /^http\/1\.1 GET \/one/);
  } finally {
    await server.close();
  }
});

test('http2: false serves HTTP/1.1 only: the h2c preface is a bad request', async () => {
  const server = createServer(handler, { transport: 'net', http2: false });
  const { port } = await server.listen(0);
  try {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    const failed = await new Promise<boolean>((resolve) => {
      client.on('error', () => {
        resolve(true);
      });
      client.on('close', () => {
        resolve(true);
      });
      client.on('remoteSettings', () => {
        resolve(false);
      });
    });
    client.destroy();
    assert.equal(failed, true);
  } finally {
    await server.close();
  }
});

let cert: { key: string; cert: string } | undefined;
before(() => {
  if (requirePeer('openssl', 'apt-get install openssl') !== undefined) cert = selfSignedCertificate();
});

test('with tls, ALPN picks h2 or http/1.1 on the same port', async (t) => {
  if (cert === undefined) {
    t.skip('openssl missing');
    return;
  }
  const server = createServer(handler, { tls: { key: cert.key, cert: cert.cert } });
  const addr = await server.listen(0);
  assert.equal(addr.transport, 'tls');
  try {
    const client = http2.connect(`https://localhost:${addr.port}`, { ca: cert.cert });
    try {
      const r = await h2Request(client, '/secure');
      assert.equal(r.status, 200);
      assert.match(r.text, /^h2 GET \/secure host=localhost:\d+/);
      assert.equal(client.alpnProtocol, 'h2');
    } finally {
      client.close();
    }
    const https = await import('node:https');
    const text = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: 'localhost',
          port: addr.port,
          path: '/old',
          ca: cert!.cert,
          agent: false,
          ALPNProtocols: ['http/1.1'],
        } as import('node:https').RequestOptions,
        (res) => {
          let s = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (s += d));
          res.on('end', () => {
            resolve(s);
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.match(text, /^http\/1\.1 GET \/old/);
  } finally {
    await server.close();
  }
});

test('with tls and http3, one server answers h3 over UDP and advertises it with Alt-Svc', async (t) => {
  if (cert === undefined) {
    t.skip('openssl missing');
    return;
  }
  const { loadQuiche } = await import('../../src/transport/quic-quiche.js');
  const { Http3Client } = await import('../../src/server/http3.js');
  try {
    await loadQuiche();
  } catch (err) {
    if (process.env['CI'] !== undefined) throw err;
    t.skip(String(err));
    return;
  }
  const server = createServer(handler, { tls: { key: cert.key, cert: cert.cert }, http3: true });
  const addr = await server.listen(0);
  try {
    assert.equal(server.altSvc, `h3=":${addr.port}"; ma=86400`);
    const client = http2.connect(`https://localhost:${addr.port}`, { ca: cert.cert });
    const altSvc = await new Promise<unknown>((resolve, reject) => {
      const s = client.request({ ':path': '/adv' });
      s.on('response', (h) => {
        resolve(h['alt-svc']);
      });
      s.on('error', reject);
      s.resume();
    });
    client.close();
    assert.equal(altSvc, `h3=":${addr.port}"; ma=86400`);
    const h3 = await Http3Client.connect('127.0.0.1', addr.port, {
      verifyPeer: false,
      serverName: 'localhost',
    });
    try {
      const r = await h3.request('GET', '/quic');
      assert.equal(r.status, 200);
      assert.match(new TextDecoder().decode(r.body), /^h3 GET \/quic host=localhost:\d+/);
      assert.equal(
        r.headers.find(([n]) => n === 'alt-svc'),
        undefined,
        'HTTP/3 responses do not advertise themselves',
      );
    } finally {
      await h3.close();
    }
  } finally {
    await server.close();
  }
});

test('http3 without tls is a usage error', () => {
  assert.throws(() => createServer(handler, { http3: true }), { code: 'ERR_INVALID_ARG' });
});

after(() => {
  cert = undefined;
});
