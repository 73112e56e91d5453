import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import * as client from '../../src/client/index.js';
import { Client, ClientError } from '../../src/client/index.js';
import { prepareRequest } from '../../src/client/request.js';
import * as server from '../../src/server/index.js';
import { fdCount, until } from './support.js';

function usage(code: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.equal((err as Error).name, 'UsageError');
    assert.equal((err as { code: string }).code, code);
    return true;
  };
}

test('misuse throws UsageError at the call, before any connection', () => {
  const c = new Client();
  assert.throws(() => c.request('not a url'), usage('ERR_CLIENT_INVALID_URL'));
  assert.throws(() => c.request('ftp://example.com/'), usage('ERR_CLIENT_INVALID_URL'));
  assert.throws(() => c.request({ origin: 'http://a.test', path: 'x' }), usage('ERR_CLIENT_INVALID_URL'));
  assert.throws(
    () => c.request({ origin: 'http://a.test', path: '//b.test/x' }),
    usage('ERR_CLIENT_INVALID_URL'),
  );
  assert.throws(() => c.request('http://a.test/', { method: 'GE T' }), usage('ERR_CLIENT_INVALID_METHOD'));
  assert.throws(() => c.request('http://a.test/', { method: '' }), usage('ERR_CLIENT_INVALID_METHOD'));
  assert.throws(() => c.request('http://a.test/', { method: 'CONNECT' }), usage('ERR_CLIENT_INVALID_METHOD'));
  assert.throws(
    () => c.request('http://a.test/', { headers: [['x-a', 'v\r\nx-b: smuggled']] }),
    usage('ERR_CLIENT_INVALID_HEADER'),
  );
  assert.throws(
    () => c.request('http://a.test/', { headers: [['bad name', 'v']] }),
    usage('ERR_CLIENT_INVALID_HEADER'),
  );
  for (const name of ['Connection', 'transfer-encoding', 'host', 'upgrade', ':path']) {
    assert.throws(
      () => c.request('http://a.test/', { headers: { [name]: 'x' } }),
      usage('ERR_CLIENT_INVALID_HEADER'),
      name,
    );
  }
  assert.throws(
    () => c.request('http://a.test/', { method: 'POST', body: 'abc', headers: [['content-length', '4']] }),
    usage('ERR_CLIENT_INVALID_BODY'),
  );
  assert.throws(
    () => c.request('http://a.test/', { method: 'POST', body: 42 as unknown as string }),
    usage('ERR_CLIENT_INVALID_BODY'),
  );
  assert.throws(() => c.request('http://a.test/', { body: 'x' }), usage('ERR_CLIENT_INVALID_BODY'));
  assert.throws(
    () => c.request('http://a.test/', { method: 'POST', trailers: [['x', 'a\nb']] }),
    usage('ERR_CLIENT_INVALID_HEADER'),
  );
  assert.throws(() => new Client({ maxConnectionsPerOrigin: 0 }), usage('ERR_CLIENT_INVALID_OPTION'));
  assert.throws(() => new Client({ idleTimeoutMs: -1 }), usage('ERR_CLIENT_INVALID_OPTION'));
  assert.equal(c.socketCount, 0);
});

test('prepareRequest normalizes names, path and authority', () => {
  const r = prepareRequest('http://Example.test:8080/a/b?q=1#frag', {
    headers: { 'X-Mixed': 'v', Accept: '*/*' },
  });
  assert.equal(r.authority, 'example.test:8080');
  assert.equal(r.path, '/a/b?q=1');
  assert.deepEqual(r.headers, [
    ['x-mixed', 'v'],
    ['accept', '*/*'],
  ]);
  assert.equal(r.method, 'GET');
});

test('hayate/server keeps the moved HTTP/2 client as aliases of hayate/client', () => {
  /* eslint-disable @typescript-eslint/no-deprecated -- checking the aliases themselves */
  assert.equal(server.connect, client.connect);
  assert.equal(server.Http2ClientSession, client.Http2ClientSession);
  assert.equal(server.Http2StreamError, client.Http2StreamError);
  /* eslint-enable @typescript-eslint/no-deprecated */
  assert.ok(new client.Http2StreamError(7, 'x') instanceof ClientError);
});

/** A raw TCP server that answers each connection with `script`. */
async function rawServer(
  script: (s: Socket) => void,
): Promise<{ server: Server; port: number; count: () => number }> {
  let n = 0;
  const srv = createNetServer((s) => {
    n++;
    s.once('data', () => {
      script(s);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { server: srv, port: (srv.address() as AddressInfo).port, count: () => n };
}

function close(srv: Server): Promise<void> {
  return new Promise((resolve) =>
    srv.close(() => {
      resolve();
    }),
  );
}

test('failures are ClientErrors with stable codes and causes', async () => {
  const fds0 = fdCount();
  const c = new Client({ maxResponseHeadBytes: 1024 });
  // Nothing listens on a port we just closed.
  const tmp = await rawServer(() => undefined);
  await close(tmp.server);
  await assert.rejects(c.request(`http://127.0.0.1:${tmp.port}/`), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CONNECT_FAILED');
    assert.equal((err.cause as { code: string }).code, 'ECONNREFUSED');
    return true;
  });

  const truncated = await rawServer((s) => {
    s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789');
  });
  const res = await c.request(`http://127.0.0.1:${truncated.port}/`);
  await assert.rejects(res.text(), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CONNECTION_CLOSED');
    assert.equal((err.cause as { code: string }).code, 'ERR_HTTP1_INCOMPLETE_MESSAGE');
    return true;
  });

  const malformed = await rawServer((s) => {
    s.end('HTTP/1.1 2000 OK\r\n\r\n');
  });
  await assert.rejects(c.request(`http://127.0.0.1:${malformed.port}/`), { code: 'ERR_CLIENT_PROTOCOL' });

  const bigHead = await rawServer((s) => {
    s.end(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(2000)}\r\ncontent-length: 0\r\n\r\n`);
  });
  await assert.rejects(c.request(`http://127.0.0.1:${bigHead.port}/`), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_PROTOCOL');
    assert.equal((err.cause as { code: string }).code, 'ERR_HTTP1_HEAD_TOO_LARGE');
    return true;
  });

  // A close-delimited body (no length, no chunking) ends at EOF (RFC 9112 §6.3).
  const eof = await rawServer((s) => {
    s.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nhello');
  });
  const r2 = await c.request(`http://127.0.0.1:${eof.port}/`);
  assert.equal(await r2.text(), 'hello');

  // The server closes an idle keep-alive connection: the pool forgets it, the next request reconnects.
  const idleClose = await rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    setTimeout(() => s.end(), 20);
  });
  assert.equal(await (await c.request(`http://127.0.0.1:${idleClose.port}/`)).text(), 'ok');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await (await c.request(`http://127.0.0.1:${idleClose.port}/`)).text(), 'ok');
  assert.equal(idleClose.count(), 2);

  // The keep-alive race: the server closes a reused connection instead of answering. Idempotent requests
  // are retried once on a new connection (RFC 9112 §9.3.1); a POST is not.
  let answered = 0;
  const racy = await rawServer(function answer(s) {
    if (answered++ % 2 === 1) {
      s.destroy();
      return;
    }
    s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    s.once('data', () => {
      answer(s);
    });
  });
  const url = `http://127.0.0.1:${racy.port}/`;
  assert.equal(await (await c.request(url)).text(), 'ok');
  assert.equal(await (await c.request(url)).text(), 'ok', 'retried on a new connection');
  assert.equal(racy.count(), 2);
  await assert.rejects(c.request(url, { method: 'POST', body: 'x' }), { code: 'ERR_CONNECTION_CLOSED' });
  assert.equal(racy.count(), 2, 'a POST is not retried');

  // A TCP peer that never answers the TLS handshake: the connect budget ends it.
  const mute = await rawServer(() => undefined);
  const quick = new Client({ connectTimeoutMs: 150 });
  await assert.rejects(quick.request(`https://127.0.0.1:${mute.port}/`), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CONNECT_TIMEOUT');
    return true;
  });
  await quick.close();

  await c.close();
  await assert.rejects(c.request(`http://127.0.0.1:${eof.port}/`), { code: 'ERR_CLIENT_CLOSED' });
  for (const s of [truncated, malformed, bigHead, eof, idleClose, mute, racy]) await close(s.server);
  assert.ok(await until(() => fdCount() <= fds0), `fds ${fdCount()} back to ${fds0}`);
});
