/**
 * hayate/compat's Server as node:http's `http.Server`: the `listen()` argument forms, `'listening'` and
 * `address()`, `close(cb)` and `'close'`, `ERR_SERVER_NOT_RUNNING`, an `'error'` event for a port in use,
 * listening again after `close()`, `'request'` listeners added later, a throwing listener answered 500,
 * and `closeAllConnections()` with a request in flight.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from '../../src/compat/index.js';
import { fdsBackTo, openFds } from '../support/traffic.js';
import { close, request, sleep, TEST_OPTIONS, until, withListener, withServer } from './helpers.js';

test("listen forms, 'listening', address(), close(cb) and 'close'", async () => {
  // Warm-up: the native poller's descriptor is opened once, outside the baseline.
  await withListener(
    (_req, res) => res.end('warm'),
    () => Promise.resolve(),
  );
  const fds = openFds();
  const server = createServer(TEST_OPTIONS, (_req, res) => {
    res.end('ok');
  });
  assert.equal(server.address(), null);
  assert.equal(server.listening, false);
  const events: string[] = [];
  server.on('listening', () => events.push('listening'));
  server.on('close', () => events.push('close'));

  await new Promise<void>((resolve) => server.listen({ port: 0, host: 'localhost' }, resolve));
  const a = server.address();
  assert.ok(a !== null);
  assert.equal(a.address, '127.0.0.1');
  assert.equal(a.family, 'IPv4');
  assert.ok(a.port > 0);
  assert.equal(server.listening, true);
  assert.equal((await request('h1', a.port, 'GET', '/')).body.toString(), 'ok');
  await close(server);
  assert.equal(server.listening, false);
  assert.equal(server.address(), null);

  // Listening again after close: a fresh hayate server underneath; string ports as node:http takes them.
  await new Promise<void>((resolve) => server.listen('0', '127.0.0.1', resolve));
  const port = server.address()!.port;
  assert.equal((await request('h2', port, 'GET', '/')).body.toString(), 'ok');
  await close(server);
  assert.deepEqual(events, ['listening', 'close', 'listening', 'close']);

  const notRunning = await new Promise<Error | undefined>((resolve) => server.close(resolve));
  assert.equal((notRunning as { code?: string } | undefined)?.code, 'ERR_SERVER_NOT_RUNNING');
  assert.throws(() => server.listen(70000), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.equal(server.connectionCount, 0);
  await fdsBackTo(fds);
});

test("a port in use is an 'error' event", async () => {
  const first = createServer(TEST_OPTIONS, (_req, res) => res.end());
  await withServer(first, async (port) => {
    const second = createServer({ ...TEST_OPTIONS, transport: 'net' }, (_req, res) => res.end());
    const err = await new Promise<Error>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    assert.ok(err instanceof Error);
    assert.equal(second.listening, false);
  });
});

test("'request' listeners added later, and a throwing listener answered 500 with onError told", async () => {
  const errors: unknown[] = [];
  const server = createServer({ ...TEST_OPTIONS, onError: (e) => errors.push(e) });
  server.on('request', (req, res) => {
    if (req.url === '/throw') throw new Error('listener failed');
    res.end('late listener');
  });
  await withServer(server, async (port) => {
    assert.equal((await request('h1', port, 'GET', '/')).body.toString(), 'late listener');
    const r = await request('h1', port, 'GET', '/throw');
    assert.equal(r.status, 500);
  });
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'listener failed');
});

test('closeAllConnections() ends a request in flight; close() then completes', async () => {
  let closedRes = false;
  const server = createServer(TEST_OPTIONS, (_req, res) => {
    res.on('close', () => (closedRes = true));
    res.write('partial');
  });
  await withServer(server, async (port) => {
    const pending = request('h1', port, 'GET', '/');
    await until(() => server.connectionCount === 1, 'connection');
    await sleep(20);
    server.close();
    server.closeAllConnections();
    await assert.rejects(pending);
    await until(() => closedRes, "response 'close'");
    server.listen(0, '127.0.0.1');
    await until(() => server.listening, 'listening again');
  });
});
