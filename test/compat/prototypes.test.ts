/**
 * Express sets each request's and response's prototype per app (src/compat/prototypes.ts): an app served by
 * hayate/compat is re-parented onto hayate/compat's classes, while another Express app in the same process
 * keeps running on node:http, and a second compat app (sharing express's module objects) works too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import express from 'express';
import { createServer, IncomingMessage, ServerResponse } from '../../src/compat/index.js';
import { COMPAT_PROTOS, request, TEST_OPTIONS, withServer } from './helpers.js';

const execFileAsync = promisify(execFile);

function app(name: string): express.Express {
  const a = express();
  a.get('/', (req, res) => {
    res.json({
      name,
      compatReq: req instanceof IncomingMessage,
      compatRes: res instanceof ServerResponse,
      nodeReq: req instanceof http.IncomingMessage,
    });
  });
  return a;
}

test('Express finds each request and response already on its prototypes: setPrototypeOf changes nothing', async () => {
  // Made first: building the app's classes sets their prototypes' own prototypes, once.
  const server = createServer(TEST_OPTIONS, app('spy'));
  const setPrototypeOf = Object.setPrototypeOf;
  let changed = 0;
  let calls = 0;
  Object.setPrototypeOf = function (o: unknown, proto: object | null): unknown {
    if (o instanceof IncomingMessage || o instanceof ServerResponse) {
      calls++;
      if (Object.getPrototypeOf(o) !== proto) changed++;
    }
    return setPrototypeOf(o, proto);
  };
  try {
    await withServer(server, async (port) => {
      for (const proto of COMPAT_PROTOS) {
        const r = await request(proto, port, 'GET', '/');
        assert.equal(JSON.parse(r.body.toString()).compatReq, true);
      }
    });
  } finally {
    Object.setPrototypeOf = setPrototypeOf;
  }
  assert.ok(calls >= 4, `express calls setPrototypeOf on each request and response (${calls} calls)`);
  assert.equal(changed, 0);
});

test('app.request extensions made before and after the server keep working; a second listener gets base objects', async () => {
  const a = express();
  (a.request as unknown as Record<string, unknown>)['before'] = 'b';
  a.get('/', (req, res) => {
    const r = req as unknown as Record<string, unknown>;
    res.json({ before: r['before'], after: r['after'], ctor: req.constructor.name });
  });
  const sub = express();
  sub.get('/x', (req, res) => {
    res.json({
      sub: true,
      compat: req instanceof IncomingMessage,
      before: (req as unknown as Record<string, unknown>)['before'],
    });
  });
  a.use('/sub', sub);
  const server = createServer(TEST_OPTIONS, a);
  (a.request as unknown as Record<string, unknown>)['after'] = 'a';
  await withServer(server, async (port) => {
    const r = JSON.parse((await request('h1', port, 'GET', '/')).body.toString()) as unknown;
    assert.deepEqual(r, { before: 'b', after: 'a', ctor: 'IncomingMessage' });
    const s = JSON.parse((await request('h2', port, 'GET', '/sub/x')).body.toString()) as unknown;
    assert.deepEqual(s, { sub: true, compat: true, before: 'b' });
    // Two listeners: each request is a plain compat request, which the app still re-parents itself.
    let seen: unknown;
    const other = (req: IncomingMessage): void => {
      seen = Object.getPrototypeOf(req) === IncomingMessage.prototype;
    };
    server.prependListener('request', other);
    const t = JSON.parse((await request('h1', port, 'GET', '/')).body.toString()) as unknown;
    assert.deepEqual(t, { before: 'b', after: 'a', ctor: 'IncomingMessage' });
    server.removeListener('request', other);
    assert.equal(seen, true);
  });
});

test('Express requests share hidden classes from one request to the next (V8 natives in a child)', async () => {
  const compatUrl = new URL('../../src/compat/index.js', import.meta.url).href;
  const expressUrl = pathToFileURL(createRequire(import.meta.url).resolve('express')).href;
  // %HaveSameMap: the objects of consecutive requests, compared in the route handler. An object whose
  // prototype changed after it was made gets hidden classes of its own for every property added later.
  const code = `
    import http from 'node:http';
    const { createServer } = await import(${JSON.stringify(compatUrl)});
    const { default: express } = await import(${JSON.stringify(expressUrl)});
    const app = express();
    let prevReq, prevRes, sameReq = 0, sameRes = 0;
    app.get('/', (req, res) => {
      if (prevReq !== undefined && %HaveSameMap(req, prevReq)) sameReq++;
      if (prevRes !== undefined && %HaveSameMap(res, prevRes)) sameRes++;
      prevReq = req; prevRes = res;
      res.send('ok');
    });
    const server = createServer(app);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve, reject) => {
        http.get({ port: server.address().port, host: '127.0.0.1', agent }, (r) => { r.resume(); r.on('end', resolve); }).on('error', reject);
      });
    }
    agent.destroy();
    server.close(() => { console.log(JSON.stringify({ sameReq, sameRes })); });
  `;
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--allow-natives-syntax', '--input-type=module', '-e', code],
    { timeout: 30_000 },
  );
  const { sameReq, sameRes } = JSON.parse(stdout) as { sameReq: number; sameRes: number };
  // 99 comparisons; the first few may differ while V8 generalizes field types.
  assert.ok(sameReq >= 90, `requests sharing a hidden class with the one before: ${sameReq} of 99`);
  assert.ok(sameRes >= 90, `responses sharing a hidden class with the one before: ${sameRes} of 99`);
});

test('two Express apps on hayate/compat and one on node:http in the same process', async () => {
  const onNode = http.createServer(app('node'));
  await new Promise<void>((resolve) => onNode.listen(0, '127.0.0.1', resolve));
  const nodePort = (onNode.address() as { port: number }).port;
  try {
    for (const name of ['compat-1', 'compat-2']) {
      await withServer(createServer(TEST_OPTIONS, app(name)), async (port) => {
        const r = await request('h1', port, 'GET', '/');
        assert.deepEqual(JSON.parse(r.body.toString()), {
          name,
          compatReq: true,
          compatRes: true,
          nodeReq: false,
        });
      });
    }
    // After both compat apps (its client socket would otherwise be in their descriptor baselines).
    const r = await request('h1', nodePort, 'GET', '/');
    assert.deepEqual(JSON.parse(r.body.toString()), {
      name: 'node',
      compatReq: false,
      compatRes: false,
      nodeReq: true,
    });
  } finally {
    await new Promise<void>((resolve) =>
      onNode.close(() => {
        resolve();
      }),
    );
  }
});
