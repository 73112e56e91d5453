/**
 * Shared pieces of the hayate/compat tests: a compat server run for one test (listening on 127.0.0.1, closed
 * afterwards, then connection count 0 and descriptors back at the baseline), a static folder, and clients
 * that abort a response mid-stream on HTTP/1.1 (a raw socket destroyed after the first body bytes) and
 * HTTP/2 (the stream cancelled with RST_STREAM).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RequestListener, type Server } from '../../src/compat/index.js';
import type { ServerOptions } from '../../src/server/index.js';
import { protocolRequest as request, type Proto, type Reply } from '../support/protocol-request.js';
import { fdsBackTo, openFds, pattern } from '../support/traffic.js';

export { request };
export type { Reply } from '../support/protocol-request.js';

/** The two protocols every framework test runs on. */
export const COMPAT_PROTOS: readonly Proto[] = ['h1', 'h2'];

/** Short timeouts so a test that leaves something open fails fast. */
export const TEST_OPTIONS: ServerOptions = {
  limits: { timerTickMs: 10, shutdownTimeoutMs: 1000, lingerTimeoutMs: 300 },
};

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Starts listening on 127.0.0.1 (a free port) and resolves with the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve(server.address()!.port);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => {
      if (err === undefined) resolve();
      else reject(err);
    });
  });
}

let isWarm = false;

/** Opens and closes one server first, so lazily made descriptors (the native poller) are in the baseline. */
async function warmUp(): Promise<void> {
  if (isWarm) return;
  isWarm = true;
  const s = createServer(TEST_OPTIONS, (_req, res) => res.end('warm'));
  const port = await listen(s);
  await request('h1', port, 'GET', '/');
  await close(s);
}

/**
 * Runs `run` against `server` (a compat server not yet listening), then closes it and checks that no
 * connection and no descriptor is left.
 */
export async function withServer(server: Server, run: (port: number) => Promise<void>): Promise<void> {
  await warmUp();
  const fds = openFds();
  const port = await listen(server);
  try {
    await run(port);
  } finally {
    await close(server);
  }
  assert.equal(server.connectionCount, 0, 'connections left open');
  await fdsBackTo(fds);
}

/** Runs `run` against a compat server serving `listener` (options: {@link TEST_OPTIONS} plus `options`). */
export function withListener(
  listener: RequestListener,
  run: (port: number) => Promise<void>,
  options: ServerOptions = {},
): Promise<void> {
  return withServer(createServer({ ...TEST_OPTIONS, ...options }, listener), run);
}

/** A folder with `file.bin` (100 KiB of a known pattern) and `hello.txt`. */
export function staticFolder(): { dir: string; file: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-compat-'));
  const file = pattern(100 * 1024);
  writeFileSync(join(dir, 'file.bin'), file);
  writeFileSync(join(dir, 'hello.txt'), 'hello static\n');
  return { dir, file };
}

/**
 * Requests `path` and goes away once the first body bytes arrived: HTTP/1.1 destroys the socket, HTTP/2
 * cancels the stream (RST_STREAM CANCEL) and closes the session. Resolves with the bytes seen.
 */
export function abortMidStream(proto: Proto, port: number, path: string): Promise<number> {
  if (proto === 'h1') {
    return new Promise((resolve, reject) => {
      const sock = connect(port, '127.0.0.1');
      let seen = 0;
      sock.on('error', reject);
      sock.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        // The head plus some body: go away.
        if (seen > 2048) {
          sock.destroy();
          resolve(seen);
        }
      });
      sock.on('close', () => {
        reject(new Error(`connection closed after ${seen} bytes, before the abort`));
      });
      sock.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
    });
  }
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':path': path });
    let seen = 0;
    stream.on('error', () => {
      // The cancel below surfaces here on some Node versions.
    });
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > 2048 && !stream.closed) {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        session.close();
        resolve(seen);
      }
    });
    stream.on('end', () => {
      session.close();
      reject(new Error(`stream ended after ${seen} bytes, before the abort`));
    });
  });
}

/** Resolves when `check()` is true, or fails after `ms`. */
export async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * The routes every framework app of these tests serves, checked the same way: `GET /users/:id` answers
 * JSON with the param, the HTTP version and the Host (plus the app's `extra` fields), `POST /echo` answers
 * 201 `{ got: <body> }`, `/boom` throws (500), `/teapot` answers 418 and `/nowhere` 404. Returns the 500
 * reply: each framework words its error body its own way.
 */
export async function checkCommonRoutes(
  proto: Proto,
  port: number,
  user: { readonly path: string; readonly id: string; readonly extra: Record<string, unknown> },
  echo: unknown,
): Promise<Reply> {
  let r = await request(proto, port, 'GET', user.path);
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /application\/json/);
  assert.deepEqual(JSON.parse(r.body.toString()), {
    id: user.id,
    version: proto === 'h2' ? '2.0' : '1.1',
    host: `127.0.0.1:${port}`,
    ...user.extra,
  });
  const json = Buffer.from(JSON.stringify(echo));
  r = await request(proto, port, 'POST', '/echo', [['content-type', 'application/json']], json);
  assert.equal(r.status, 201);
  assert.deepEqual(JSON.parse(r.body.toString()), { got: echo });
  const boom = await request(proto, port, 'GET', '/boom');
  assert.equal(boom.status, 500);
  assert.equal((await request(proto, port, 'GET', '/teapot')).status, 418);
  assert.equal((await request(proto, port, 'GET', '/nowhere')).status, 404);
  return boom;
}
