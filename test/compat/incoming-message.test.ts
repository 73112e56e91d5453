/**
 * hayate/compat's IncomingMessage against node:http's over real sockets: the same raw request sent to both
 * servers yields the same `headers` (node:http's duplicate rules), `rawHeaders` and `headersDistinct`;
 * HTTP/2 requests (`httpVersion`, `host` from `:authority`, a body without content-length); the body
 * streamed with backpressure; and a client that goes away mid-body (`'aborted'`, ECONNRESET, `'close'`).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { IncomingMessage, ServerResponse } from '../../src/compat/index.js';
import { pattern } from '../support/traffic.js';
import { request, until, withListener } from './helpers.js';

/** Sends raw bytes, resolves with everything received until the server closes. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => (got += c));
    sock.on('end', () => {
      sock.end();
      resolve(got);
    });
    sock.on('error', reject);
    sock.write(text);
  });
}

interface Seen {
  headers: unknown;
  rawHeaders: unknown;
  distinct: unknown;
  version: string;
  url: string;
  method: string;
}

const DUPLICATES =
  'GET /a/b?c=d HTTP/1.1\r\nhost: example.test\r\ncookie: a=1\r\ncookie: b=2\r\naccept: text/html\r\n' +
  'accept: */*\r\ncontent-type: text/plain\r\ncontent-type: text/html\r\nuser-agent: one\r\nuser-agent: two\r\n' +
  'x-custom: 1\r\nx-custom: 2\r\nset-cookie: s=1\r\nset-cookie: t=2\r\nconnection: close\r\n\r\n';

test('headers, rawHeaders and headersDistinct match node:http for repeated fields', async () => {
  const capture =
    (into: Seen[]) =>
    (req: http.IncomingMessage | IncomingMessage, res: http.ServerResponse | ServerResponse): void => {
      into.push({
        headers: { ...req.headers },
        rawHeaders: req.rawHeaders,
        distinct: { ...req.headersDistinct },
        version: req.httpVersion,
        url: req.url ?? '',
        method: req.method ?? '',
      });
      res.end('ok');
    };
  const fromNode: Seen[] = [];
  const node = http.createServer(capture(fromNode));
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  await raw((node.address() as { port: number }).port, DUPLICATES);
  await new Promise<void>((resolve) =>
    node.close(() => {
      resolve();
    }),
  );

  const fromCompat: Seen[] = [];
  await withListener(capture(fromCompat), async (port) => {
    const text = await raw(port, DUPLICATES);
    assert.match(text, /^HTTP\/1\.1 200/);
  });
  assert.equal(fromCompat.length, 1);
  assert.deepEqual(fromCompat[0], fromNode[0]);
  // Spelled out, so a change in node:http's rules shows up here too.
  assert.deepEqual(fromCompat[0]!.headers, {
    host: 'example.test',
    cookie: 'a=1; b=2',
    accept: 'text/html, */*',
    'content-type': 'text/plain',
    'user-agent': 'one',
    'x-custom': '1, 2',
    'set-cookie': ['s=1', 't=2'],
    connection: 'close',
  });
});

test('HTTP/2: httpVersion 2.0, host from :authority, no pseudo-headers, body without content-length', async () => {
  const seen: Record<string, unknown>[] = [];
  await withListener(
    (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen.push({
          version: req.httpVersion,
          major: req.httpVersionMajor,
          minor: req.httpVersionMinor,
          headers: req.headers,
          url: req.url,
          method: req.method,
          complete: req.complete,
          body: Buffer.concat(parts).toString(),
        });
        res.end();
      });
    },
    async (port) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      const stream = session.request({ ':method': 'POST', ':path': '/p?q=1', 'x-a': 'b' });
      stream.end('payload');
      await new Promise<void>((resolve, reject) => {
        stream.on('response', () => undefined);
        stream.resume();
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      session.close();
    },
  );
  assert.equal(seen.length, 1);
  const s = seen[0]!;
  assert.equal(s['version'], '2.0');
  assert.equal(s['major'], 2);
  assert.equal(s['minor'], 0);
  assert.equal(s['url'], '/p?q=1');
  assert.equal(s['method'], 'POST');
  assert.equal(s['complete'], true);
  assert.equal(s['body'], 'payload');
  const headers = s['headers'] as Record<string, unknown>;
  assert.equal(headers['x-a'], 'b');
  assert.match(String(headers['host']), /^127\.0\.0\.1:\d+$/);
  assert.equal(headers['transfer-encoding'], 'chunked');
  for (const name of Object.keys(headers)) assert.ok(!name.startsWith(':'), name);
});

test('a large body streams through with backpressure and arrives intact', async () => {
  const body = pattern(2 * 1024 * 1024);
  let digest = '';
  let pausedOnce = false;
  await withListener(
    (req, res) => {
      const hash = createHash('sha256');
      req.on('data', (c: Buffer) => {
        hash.update(c);
        if (!pausedOnce) {
          // A slow consumer: nothing must be lost while paused.
          pausedOnce = true;
          req.pause();
          setTimeout(() => req.resume(), 50);
        }
      });
      req.on('end', () => {
        digest = hash.digest('hex');
        res.end(String(req.complete));
      });
    },
    async (port) => {
      for (const proto of ['h1', 'h2'] as const) {
        pausedOnce = false;
        const r = await request(proto, port, 'POST', '/', [['content-length', String(body.length)]], body);
        assert.equal(r.body.toString(), 'true');
        assert.equal(digest, createHash('sha256').update(body).digest('hex'));
      }
    },
  );
});

test('socket facade: addresses, family, encrypted, and the same object on req and res', async () => {
  let seen: Record<string, unknown> = {};
  await withListener(
    (req, res) => {
      const s = req.socket;
      seen = {
        remoteAddress: s.remoteAddress,
        remoteFamily: s.remoteFamily,
        remotePortOk: s.remotePort > 0,
        localPortOk: s.localPort > 0,
        encrypted: s.encrypted,
        same: res.socket === s && req.connection === s,
      };
      res.end();
    },
    async (port) => {
      await request('h1', port, 'GET', '/');
    },
  );
  assert.deepEqual(seen, {
    remoteAddress: '127.0.0.1',
    remoteFamily: 'IPv4',
    remotePortOk: true,
    localPortOk: true,
    encrypted: undefined,
    same: true,
  });
});

test('a client gone mid-body: aborted, ECONNRESET (when listened for) and close, on req; close on res', async () => {
  const events: string[] = [];
  let error: (Error & { code?: string }) | undefined;
  let resFinished: boolean | undefined;
  let received = 0;
  await withListener(
    (req, res) => {
      req.on('aborted', () => events.push('req aborted'));
      req.on('error', (e: Error) => {
        error = e;
        events.push('req error');
      });
      req.on('close', () => events.push('req close'));
      res.on('close', () => {
        resFinished = res.writableFinished;
        events.push('res close');
      });
      req.on('data', (c: Buffer) => (received += c.length));
    },
    async (port) => {
      const sock = connect(port, '127.0.0.1');
      sock.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n0123456789');
      await until(() => received === 10, 'first body bytes');
      sock.destroy();
      await until(() => events.includes('res close') && events.includes('req close'), 'close events');
    },
  );
  assert.deepEqual(events, ['req aborted', 'req error', 'req close', 'res close']);
  assert.equal(error?.code, 'ECONNRESET');
  assert.equal(error.message, 'aborted');
  assert.equal(resFinished, false);
});

test('heads read after a synchronously answered request returns are that request’s own (HTTP/1.1 buffer reuse)', async () => {
  const late: { id: string; headers: unknown; raw: unknown }[] = [];
  await withListener(
    (req, res) => {
      // Even requests touch `headers` while answering, odd ones do not; all are read later.
      if (Number(req.url.slice(1)) % 2 === 0) assert.equal(typeof req.headers, 'object');
      res.end('ok');
      setTimeout(() => {
        late.push({ id: req.url, headers: req.headers['x-id'], raw: req.rawHeaders.slice(2, 8) });
      }, 20);
    },
    async (port) => {
      const sock = connect(port, '127.0.0.1');
      let got = '';
      sock.setEncoding('latin1');
      sock.on('data', (c: string) => (got += c));
      for (let i = 0; i < 8; i++) {
        sock.write(
          `GET /${i} HTTP/1.1\r\nhost: h\r\nx-id: value-${i}-${'z'.repeat(i * 7)}\r\nx-rep: a${i}\r\nx-rep: b${i}\r\n\r\n`,
        );
        await until(() => got.split('HTTP/1.1 200').length - 1 === i + 1, `response ${i}`);
      }
      await until(() => late.length === 8, 'late reads');
      sock.destroy();
    },
  );
  for (const l of late) {
    const i = Number(l.id.slice(1));
    const value = `value-${i}-${'z'.repeat(i * 7)}`;
    assert.equal(l.headers, value, l.id);
    // Repeated fields stay apart in rawHeaders, as node:http gives them, even after `headers` joined them.
    assert.deepEqual(l.raw, ['x-id', value, 'x-rep', `a${i}`, 'x-rep', `b${i}`], l.id);
  }
});
