/**
 * Koa 3 unchanged on hayate/compat (`createServer(app.callback())`) with @koa/router, @koa/bodyparser and
 * koa-static, over HTTP/1.1 and HTTP/2 (h2c): route params, JSON bodies, a streamed body (Koa pipes it
 * with `stream.pipeline`), thrown errors and `ctx.throw(4xx)`, 404, static files with HEAD and Range (koa-
 * static sends no Range: the full file and `accept-ranges` absent is what Koa does on node:http too), and a
 * client that goes away mid-stream.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import serve from 'koa-static';
import { createServer } from '../../src/compat/index.js';
import {
  abortMidStream,
  COMPAT_PROTOS,
  request,
  staticFolder,
  TEST_OPTIONS,
  until,
  withServer,
  checkCommonRoutes,
} from './helpers.js';

const { dir, file } = staticFolder();

interface AbortSeen {
  reqClose: boolean;
  resClose: boolean;
  resFinished: boolean | undefined;
  sourceDestroyed: boolean;
}

function makeApp(seen: AbortSeen): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params['id'], version: ctx.req.httpVersion, ip: ctx.ip, host: ctx.host };
  });
  router.post('/echo', (ctx) => {
    ctx.status = 201;
    ctx.body = { got: (ctx.request as unknown as { body: unknown }).body };
  });
  router.get('/stream', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = Readable.from(['x', 'y', 'z']);
  });
  router.get('/boom', () => {
    throw new Error('boom');
  });
  router.get('/teapot', (ctx) => {
    ctx.throw(418, 'short and stout');
  });
  router.get('/endless', (ctx) => {
    const chunk = Buffer.alloc(1024, 0x62);
    const source = new Readable({
      read(): void {
        setImmediate(() => this.push(chunk));
      },
    });
    ctx.req.on('close', () => (seen.reqClose = true));
    ctx.res.on('close', () => {
      seen.resClose = true;
      seen.resFinished = ctx.res.writableFinished;
      setImmediate(() => (seen.sourceDestroyed = source.destroyed));
    });
    ctx.body = source;
  });
  app.use(bodyParser());
  app.use(router.routes());
  app.use(serve(dir));
  return app;
}

const freshSeen = (): AbortSeen => ({
  reqClose: false,
  resClose: false,
  resFinished: undefined,
  sourceDestroyed: false,
});

for (const proto of COMPAT_PROTOS) {
  test(`koa on ${proto}: routes, JSON, streams, errors, 404 and static files`, async () => {
    await withServer(createServer(TEST_OPTIONS, makeApp(freshSeen()).callback()), async (port) => {
      await checkCommonRoutes(
        proto,
        port,
        { path: '/users/7', id: '7', extra: { ip: '127.0.0.1' } },
        { k: 'v' },
      );
      let r = await request(proto, port, 'GET', '/teapot');
      assert.equal(r.body.toString(), 'short and stout');

      r = await request(proto, port, 'GET', '/stream');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'xyz');

      r = await request(proto, port, 'GET', '/file.bin');
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(file));
      assert.equal(r.headers['content-length'], String(file.length));
      r = await request(proto, port, 'HEAD', '/hello.txt');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], '13');
      assert.equal(r.body.length, 0);
      // koa-send answers a Range request with the whole file (no Range support in koa-static).
      r = await request(proto, port, 'GET', '/file.bin', [['range', 'bytes=0-9']]);
      assert.equal(r.status, 200);
      assert.equal(r.body.length, file.length);
    });
  });

  test(`koa on ${proto}: a client abort mid-stream closes req and res and frees everything`, async () => {
    const seen = freshSeen();
    await withServer(createServer(TEST_OPTIONS, makeApp(seen).callback()), async (port) => {
      await abortMidStream(proto, port, '/endless');
      await until(() => seen.resClose && seen.reqClose && seen.sourceDestroyed, 'close events');
      assert.equal(seen.resFinished, false);
    });
  });
}
