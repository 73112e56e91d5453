import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SITE_DIR, startDemo } from '../../src/demo/main.js';
import type { Server } from '../../src/server/index.js';
import { findPackageRoot } from '../../src/transport/binding.js';

let server: Server;
let port = 0;

before(async () => {
  server = await startDemo({ port: 0 });
  port = server.address?.port ?? 0;
});

after(async () => {
  await server.close();
});

function get(
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, method: body === undefined ? 'GET' : 'POST', headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(bytes));
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => {
      resolve(out);
    });
    s.on('error', reject);
  });
}

test('demo answers a node:http GET with an HTML page of the parsed request', async () => {
  const res = await get('/hello?x=<1>');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(res.text, /<td>GET<\/td>/);
  assert.match(res.text, /<td>\/hello\?x=&#60;1&#62;<\/td>/);
  assert.match(res.text, /<td>host<\/td>/);
});

test('demo reports the body size of a POST', async () => {
  const res = await get('/upload', 'x'.repeat(1234));
  assert.match(res.text, /1234 bytes/);
});

test('demo serves its built-in site with validators and ranges', async () => {
  assert.equal(SITE_DIR, join(findPackageRoot(), 'src', 'demo', 'site'));
  const home = await get('/');
  assert.equal(home.status, 200);
  assert.match(home.text, /<h1>hayate<\/h1>/);
  assert.ok(typeof home.headers['etag'] === 'string');
  const again = await get('/', undefined, { 'if-none-match': home.headers['etag'] });
  assert.equal(again.status, 304);
  const part = await get('/style.css', undefined, { range: 'bytes=0-3' });
  assert.equal(part.status, 206);
  assert.equal(part.text, 'body');
  assert.match(String(part.headers['content-type']), /text\/css/);
});

test('demo honours pipelining and answers a bad request with its statusHint', async () => {
  const out = await raw(
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost : a\r\n\r\n',
  );
  const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '200', '400']);
  assert.match(out, /<td>\/2<\/td>/);
  assert.match(out, /WHITESPACE_BEFORE_COLON/);
});

test('npm start prints the transport and the worker count', async () => {
  const main = join(findPackageRoot(), 'dist', 'src', 'demo', 'main.js');
  const line = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, [main, '--port', '0', '--workers', '1']);
    let out = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) {
        p.kill();
        resolve(out);
      }
    });
    p.on('error', reject);
    p.on('exit', () => {
      resolve(out);
    });
  });
  assert.match(line, /hayate demo on http:\/\/127\.0\.0\.1:\d+\/ \(transport: (native|net), 1 worker\)/);
});

test('demo serves h2c on the cleartext port and h2 over TLS with a self-signed certificate', async (t) => {
  const { connect: h2connect } = await import('node:http2');
  const { selfSignedCertificate } = await import('../../src/server/cert.js');
  const { requirePeer } = await import('../support/peers.js');
  const fetchH2 = (url: string, ca?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const client = h2connect(url, ca === undefined ? {} : { ca });
      const s = client.request({ ':path': '/parsed?via=h2' });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => {
        client.close();
        resolve(text);
      });
      s.on('error', reject);
      client.on('error', reject);
    });
  const clear = await fetchH2(`http://127.0.0.1:${port}`);
  assert.match(clear, /<td>h2c?<\/td>/);
  if (requirePeer('openssl', 'apt-get install openssl') === undefined) {
    t.skip('openssl missing');
    return;
  }
  const tls = selfSignedCertificate();
  const secure = await startDemo({ port: 0, tls });
  try {
    const text = await fetchH2(`https://localhost:${secure.address?.port ?? 0}`, tls.cert);
    assert.match(text, /<td>h2<\/td>/);
    assert.match(text, /<td>tls<\/td>/);
  } finally {
    await secure.close();
  }
});
