import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { Server } from 'node:net';
import { startDemo } from '../../src/demo/main.js';

let server: Server;
let port = 0;

before(async () => {
  server = await startDemo({ port: 0 });
  const addr = server.address();
  port = typeof addr === 'object' && addr !== null ? addr.port : 0;
});

after(() => {
  server.close();
});

function get(
  path: string,
  body?: string,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, method: body === undefined ? 'GET' : 'POST' },
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

test('demo honours pipelining and answers a bad request with its statusHint', async () => {
  const out = await raw(
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost : a\r\n\r\n',
  );
  const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '200', '400']);
  assert.match(out, /Request #2 on this connection/);
  assert.match(out, /WHITESPACE_BEFORE_COLON/);
});
