/**
 * Express 5 unchanged on hayate/compat (`createServer(app)`), over HTTP/1.1 and HTTP/2 (h2c prior
 * knowledge), and over TLS with ALPN h2: route params, JSON bodies, streamed responses (`pipe` and
 * `pipeline`), thrown errors and custom 4xx, 404, express.static with HEAD and Range, and a client that
 * goes away mid-stream (the request and response emit 'close', the source stream is destroyed, and no
 * connection or descriptor is left).
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { Readable, pipeline } from 'node:stream';
import { test } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer } from '../../src/compat/index.js';
import { selfSignedCertificate } from '../../src/server/cert.js';
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

/** An endless source: 1 KiB chunks as fast as the response takes them. */
function endless(): Readable {
  const chunk = Buffer.alloc(1024, 0x61);
  return new Readable({
    read(): void {
      setImmediate(() => this.push(chunk));
    },
  });
}

interface AbortSeen {
  reqClose: boolean;
  resClose: boolean;
  resFinished: boolean | undefined;
  sourceDestroyed: boolean;
}

function makeApp(seen: AbortSeen): express.Express {
  const app = express();
  app.use(express.json());
  app.get('/users/:id', (req, res) => {
    res.json({
      id: req.params.id,
      q: req.query['q'],
      version: req.httpVersion,
      host: req.headers.host,
      protocol: req.protocol,
    });
  });
  app.post('/echo', (req, res) => {
    res.status(201).json({ got: req.body as unknown });
  });
  app.get('/pipe', (_req, res) => {
    res.type('text/plain');
    Readable.from(['one,', 'two,', 'three']).pipe(res);
  });
  app.get('/pipeline', (_req, res) => {
    res.type('text/plain');
    pipeline(Readable.from([Buffer.from('a'), Buffer.from('b')]), res, () => undefined);
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/teapot', (_req, _res, next: NextFunction) => {
    next(Object.assign(new Error('short and stout'), { status: 418 }));
  });
  app.get('/endless', (req, res) => {
    const source = endless();
    req.on('close', () => (seen.reqClose = true));
    res.on('close', () => {
      seen.resClose = true;
      seen.resFinished = res.writableFinished;
      // pipeline has destroyed the source by the time 'close' listeners after its own have run.
      setImmediate(() => (seen.sourceDestroyed = source.destroyed));
    });
    pipeline(source, res, () => undefined);
  });
  app.use('/static', express.static(dir));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express tells error handlers by their 4 parameters
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).send(`error: ${err.message}`);
  });
  return app;
}

for (const proto of COMPAT_PROTOS) {
  test(`express on ${proto}: routes, JSON, streams, errors, 404 and static files`, async () => {
    const seen: AbortSeen = {
      reqClose: false,
      resClose: false,
      resFinished: undefined,
      sourceDestroyed: false,
    };
    await withServer(createServer(TEST_OPTIONS, makeApp(seen)), async (port) => {
      const boom = await checkCommonRoutes(
        proto,
        port,
        { path: '/users/42?q=x', id: '42', extra: { q: 'x', protocol: 'http' } },
        { a: [1, 2] },
      );
      assert.equal(boom.body.toString(), 'error: boom');

      let r = await request(proto, port, 'GET', '/pipe');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'one,two,three');
      r = await request(proto, port, 'GET', '/pipeline');
      assert.equal(r.body.toString(), 'ab');

      r = await request(proto, port, 'GET', '/static/file.bin');
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(file));
      assert.equal(r.headers['content-length'], String(file.length));
      assert.ok(r.headers['etag'] !== undefined);
      const etag = String(r.headers['etag']);
      r = await request(proto, port, 'GET', '/static/file.bin', [['if-none-match', etag]]);
      assert.equal(r.status, 304);
      assert.equal(r.body.length, 0);
      r = await request(proto, port, 'HEAD', '/static/hello.txt');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], '13');
      assert.equal(r.body.length, 0);
      r = await request(proto, port, 'GET', '/static/file.bin', [['range', 'bytes=100-199']]);
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-range'], `bytes 100-199/${file.length}`);
      assert.ok(r.body.equals(file.subarray(100, 200)));
    });
  });

  test(`express on ${proto}: a client abort mid-stream closes req and res and frees everything`, async () => {
    const seen: AbortSeen = {
      reqClose: false,
      resClose: false,
      resFinished: undefined,
      sourceDestroyed: false,
    };
    await withServer(createServer(TEST_OPTIONS, makeApp(seen)), async (port) => {
      const got = await abortMidStream(proto, port, '/endless');
      assert.ok(got > 2048);
      await until(() => seen.resClose && seen.reqClose && seen.sourceDestroyed, 'close events');
      assert.equal(seen.resFinished, false);
    });
  });
}

test('express over TLS (ALPN h2): req.protocol is https, req.secure', async () => {
  const cert = selfSignedCertificate();
  const app = express();
  app.get('/', (req, res) => res.json({ protocol: req.protocol, secure: req.secure, v: req.httpVersion }));
  const server = createServer({ ...TEST_OPTIONS, tls: { key: cert.key, cert: cert.cert } }, app);
  await withServer(server, async (port) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    const body = await new Promise<string>((resolve, reject) => {
      const s = session.request({ ':path': '/' });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (c: string) => (text += c));
      s.on('end', () => {
        resolve(text);
      });
      s.on('error', reject);
    });
    session.close();
    assert.deepEqual(JSON.parse(body), { protocol: 'https', secure: true, v: '2.0' });
  });
});
