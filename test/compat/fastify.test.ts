/**
 * Fastify 5 unchanged on hayate/compat through its `serverFactory` option, with @fastify/static, over
 * HTTP/1.1 and HTTP/2 (h2c): `listen({ port: 0 })` and `server.address()`, route params, JSON bodies, a
 * streamed reply, thrown errors and custom 4xx, 404, static files with HEAD and Range, a client that goes
 * away mid-stream (Fastify's own `'close'` handling runs), and `close()`.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fastifyStatic from '@fastify/static';
import fastify, { type FastifyInstance } from 'fastify';
import { createServer, type Server } from '../../src/compat/index.js';
import { fdsBackTo, openFds } from '../support/traffic.js';
import {
  abortMidStream,
  COMPAT_PROTOS,
  request,
  staticFolder,
  TEST_OPTIONS,
  until,
  checkCommonRoutes,
} from './helpers.js';

const { dir, file } = staticFolder();

interface AbortSeen {
  reqClose: boolean;
  resClose: boolean;
  resFinished: boolean | undefined;
  sourceDestroyed: boolean;
}

async function makeApp(seen: AbortSeen): Promise<FastifyInstance> {
  const app = fastify({
    serverFactory: (handler) => createServer(TEST_OPTIONS, handler) as unknown as import('node:http').Server,
  });
  app.get<{ Params: { id: string } }>('/users/:id', (req) => ({
    id: req.params.id,
    version: req.raw.httpVersion,
    ip: req.ip,
    host: req.host,
  }));
  app.post('/echo', async (req, reply) => {
    await reply.code(201).send({ got: req.body });
  });
  app.get('/stream', async (_req, reply) => {
    await reply.type('text/plain').send(Readable.from(['p', 'q']));
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/teapot', () => {
    throw Object.assign(new Error('short and stout'), { statusCode: 418 });
  });
  app.get('/endless', async (req, reply) => {
    const chunk = Buffer.alloc(1024, 0x63);
    const source = new Readable({
      read(): void {
        setImmediate(() => this.push(chunk));
      },
    });
    req.raw.on('close', () => (seen.reqClose = true));
    reply.raw.on('close', () => {
      seen.resClose = true;
      seen.resFinished = reply.raw.writableFinished;
      setImmediate(() => (seen.sourceDestroyed = source.destroyed));
    });
    await reply.send(source);
  });
  await app.register(fastifyStatic, { root: dir, prefix: '/static/' });
  return app;
}

const freshSeen = (): AbortSeen => ({
  reqClose: false,
  resClose: false,
  resFinished: undefined,
  sourceDestroyed: false,
});

/** Listens with Fastify's own `listen`, runs `run`, closes, and checks connections and descriptors. */
async function withFastify(app: FastifyInstance, run: (port: number) => Promise<void>): Promise<void> {
  const fds = openFds();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const server = app.server as unknown as Server;
  const address = server.address();
  assert.ok(address !== null);
  assert.equal(address.family, 'IPv4');
  try {
    await run(address.port);
  } finally {
    await app.close();
  }
  assert.equal(server.listening, false);
  assert.equal(server.connectionCount, 0);
  await fdsBackTo(fds);
}

for (const proto of COMPAT_PROTOS) {
  test(`fastify on ${proto}: routes, JSON, streams, errors, 404 and static files`, async () => {
    // Warm-up (the native poller's descriptor is opened once), outside the descriptor baseline.
    await withFastify(await makeApp(freshSeen()), async (port) => {
      assert.equal((await request(proto, port, 'GET', '/users/1')).status, 200);
    });
    await withFastify(await makeApp(freshSeen()), async (port) => {
      const boom = await checkCommonRoutes(
        proto,
        port,
        { path: '/users/9', id: '9', extra: { ip: '127.0.0.1' } },
        { n: 1 },
      );
      assert.equal((JSON.parse(boom.body.toString()) as { message: string }).message, 'boom');

      let r = await request(proto, port, 'GET', '/stream');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'pq');

      r = await request(proto, port, 'GET', '/static/file.bin');
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(file));
      r = await request(proto, port, 'HEAD', '/static/hello.txt');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], '13');
      assert.equal(r.body.length, 0);
      r = await request(proto, port, 'GET', '/static/file.bin', [['range', 'bytes=10-19']]);
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-range'], `bytes 10-19/${file.length}`);
      assert.ok(r.body.equals(file.subarray(10, 20)));
    });
  });

  test(`fastify on ${proto}: a client abort mid-stream closes req and res and frees everything`, async () => {
    const seen = freshSeen();
    await withFastify(await makeApp(seen), async (port) => {
      await abortMidStream(proto, port, '/endless');
      await until(() => seen.resClose && seen.reqClose && seen.sourceDestroyed, 'close events');
      assert.equal(seen.resFinished, false);
    });
  });
}
