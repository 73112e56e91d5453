/**
 * The Router over a real hayate server and real sockets (undici as the client): responses for 404, 405,
 * HEAD, params, middleware order, the error handler; connections and descriptors back at their baseline.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pool } from 'undici';
import { UsageError } from '../../src/common/errors.js';
import { RouterErrorCode } from '../../src/router/errors.js';
import { Router } from '../../src/router/router.js';
import { createServer } from '../../src/server/index.js';
import { TRANSPORTS, transportAvailable } from '../server/helpers.js';
import { openFds } from '../support/traffic.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Client = (method: string, path: string, body?: string) => Promise<Reply>;

/** Runs `fn` against `router` served on `transport`; checks connections and descriptors afterwards. */
async function withServer(
  router: Router,
  fn: (client: Client, errors: unknown[]) => Promise<void>,
  transport: 'native' | 'net' = 'net',
): Promise<void> {
  const fds = openFds();
  const errors: unknown[] = [];
  const server = createServer(router.handler, {
    transport,
    onError: (e) => errors.push(e),
    limits: { headerTimeoutMs: 300 },
  });
  const { port } = await server.listen(0);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 2 });
  try {
    await fn(async (method, path, body) => {
      const r = await pool.request({ method, path, ...(body === undefined ? {} : { body }) });
      return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
    }, errors);
  } finally {
    await pool.close();
    await server.close();
  }
  assert.equal(server.connectionCount, 0);
  for (let i = 0; i < 50 && openFds() > fds; i++) await sleep(10);
  assert.equal(openFds(), fds, 'descriptors back at baseline');
}

describe('Router over a real server', () => {
  for (const transport of TRANSPORTS) {
    test(`routes, params, 404, 405 + Allow, HEAD via GET, 400 (${transport})`, async (t) => {
      if (!transportAvailable(transport)) {
        t.skip('native addon not built');
        return;
      }
      const router = new Router()
        .get('/', (_req, res) => {
          res.end('home');
        })
        .get('/users/:id', (_req, res, ctx) => {
          res.setHeader('x-pattern', ctx.pattern);
          res.end(`user ${ctx.params.get('id')!}`);
        })
        .post('/users', async (req, res) => {
          res.status = 201;
          res.end(`created ${await req.text()}`);
        })
        .get('/files/*', (_req, res, ctx) => {
          res.end(`file ${ctx.params.get('*')!}`);
        });
      await withServer(
        router,
        async (get) => {
          const home = await get('GET', '/');
          assert.deepEqual([home.status, home.body], [200, 'home'], JSON.stringify(home.headers));
          assert.equal((await get('GET', '/users/42?x=1')).body, 'user 42');
          const u = await get('GET', '/users/a%2Fb');
          assert.equal(u.body, 'user a/b');
          assert.equal(u.headers['x-pattern'], '/users/:id');
          assert.equal((await get('POST', '/users', 'ann')).body, 'created ann');
          assert.equal((await get('GET', '/files/a/b.txt')).body, 'file a/b.txt');

          const nf = await get('GET', '/nope');
          assert.equal(nf.status, 404);
          const na = await get('DELETE', '/users');
          assert.equal(na.status, 405);
          assert.equal(na.headers['allow'], 'POST');
          const na2 = await get('PUT', '/users/1');
          assert.equal(na2.status, 405);
          assert.equal(na2.headers['allow'], 'GET, HEAD');

          const head = await get('HEAD', '/users/7');
          assert.equal(head.status, 200);
          assert.equal(head.headers['x-pattern'], '/users/:id');
          assert.equal(head.headers['content-length'], String('user 7'.length));
          assert.equal(head.body, '');

          const bad = await get('GET', '/users/%E2%82');
          assert.equal(bad.status, 400);
        },
        transport,
      );
    });
  }

  test('middleware acts before and after the handler, in registration order', async () => {
    const log: string[] = [];
    const router = new Router()
      .use(async (_req, _res, next) => {
        log.push('a-before');
        await next();
        log.push('a-after');
      })
      .use('/api', async (_req, res, next, ctx) => {
        log.push(`api-before ${ctx.status}`);
        res.setHeader('x-api', '1');
        await next();
        log.push('api-after');
      })
      .use(async (_req, _res, next) => {
        log.push('b-before');
        await next();
        log.push('b-after');
      })
      .get('/api/x', async (_req, res) => {
        await sleep(5);
        log.push('handler');
        res.end('x');
      })
      .get('/apix', (_req, res) => {
        log.push('apix');
        res.end('apix');
      });
    await withServer(router, async (get) => {
      const r = await get('GET', '/api/x');
      assert.equal(r.headers['x-api'], '1');
      assert.deepEqual(log.splice(0), [
        'a-before',
        'api-before 200',
        'b-before',
        'handler',
        'b-after',
        'api-after',
        'a-after',
      ]);
      // A prefix matches on a segment boundary only.
      await get('GET', '/apix');
      assert.deepEqual(log.splice(0), ['a-before', 'b-before', 'apix', 'b-after', 'a-after']);
      // Middleware also runs for requests no route takes, and sees why.
      const nf = await get('GET', '/api/none');
      assert.equal(nf.status, 404);
      assert.deepEqual(log.splice(0), [
        'a-before',
        'api-before 404',
        'b-before',
        'b-after',
        'api-after',
        'a-after',
      ]);
    });
  });

  test('middleware can answer without calling next', async () => {
    let reached = false;
    const router = new Router()
      .use((req, res, next) => {
        if (req.headers.get('authorization') === undefined) {
          res.status = 401;
          res.end();
          return undefined;
        }
        return next();
      })
      .get('/secret', (_req, res) => {
        reached = true;
        res.end('s');
      });
    await withServer(router, async (get) => {
      assert.equal((await get('GET', '/secret')).status, 401);
      assert.equal(reached, false);
    });
  });

  test('the error handler gets throws and rejections from routes and middleware', async () => {
    const seen: string[] = [];
    const router = new Router()
      .use(async (req, _res, next) => {
        await next();
        if (req.path === '/after') throw new Error('after');
      })
      .use('/twice', async (_req, _res, next) => {
        await next();
        await next();
      })
      .get('/sync', () => {
        throw new Error('sync');
      })
      .get('/async', async () => {
        await sleep(1);
        throw new Error('async');
      })
      .get('/after', (_req, res) => {
        res.status = 202;
        res.end();
      })
      .get('/twice', (_req, res) => {
        res.end('once');
      })
      .onError((err, _req, res) => {
        seen.push(err instanceof UsageError ? err.code : (err as Error).message);
        if (!res.headersSent) {
          res.status = 418;
          res.end('handled');
        }
      });
    await withServer(router, async (get, errors) => {
      assert.deepEqual(await get('GET', '/sync').then((r) => [r.status, r.body]), [418, 'handled']);
      assert.deepEqual(await get('GET', '/async').then((r) => [r.status, r.body]), [418, 'handled']);
      assert.equal((await get('GET', '/after')).status, 202);
      assert.equal((await get('GET', '/twice')).body, 'once');
      await sleep(20);
      assert.deepEqual(seen, ['sync', 'async', 'after', RouterErrorCode.NextCalledTwice]);
      assert.deepEqual(errors, [], 'handled errors do not reach the server');
    });
  });

  test('default error handling: 500 without the message, statusHint kept, server onError told', async () => {
    const router = new Router()
      .get('/boom', () => {
        throw new Error('secret detail');
      })
      .post('/small', async (req, res) => {
        res.end(await req.text(4));
      });
    await withServer(router, async (get, errors) => {
      const r = await get('GET', '/boom');
      assert.equal(r.status, 500);
      assert.ok(!r.body.includes('secret'), r.body);
      assert.equal((await get('POST', '/small', 'too long')).status, 413);
      await sleep(20);
      // The server reports the handler's failure; a 4xx from the body cap is the client's doing, not reported.
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as Error).message, 'secret detail');
    });
  });
});

describe('Router registration', () => {
  test('shorthands, method lists and all() register the expected methods', () => {
    const h = (): void => undefined;
    const router = new Router()
      .get('/g', h)
      .head('/h', h)
      .post('/p', h)
      .put('/p', h)
      .delete('/p', h)
      .patch('/p', h)
      .options('/p', h)
      .on(['PURGE', 'LINK'], '/c', h)
      .all('/a', h);
    const allow = (m: string, p: string): string => {
      const r = router.find(m, p);
      return r.status === 405 ? r.allow : String(r.status);
    };
    assert.equal(allow('TRACE', '/p'), 'POST, PUT, DELETE, PATCH, OPTIONS');
    assert.equal(allow('GET', '/c'), 'PURGE, LINK');
    assert.equal(allow('POST', '/h'), 'HEAD');
    assert.equal(allow('BREW', '/a'), '200');
    assert.equal(allow('HEAD', '/g'), '200');
  });

  test('bad arguments throw UsageError with stable codes', () => {
    const router = new Router().get('/x/:id', () => undefined);
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return e instanceof UsageError ? e.code : 'not a UsageError';
      }
      return 'no throw';
    };
    assert.equal(
      code(() => router.get('/x/:other', () => undefined)),
      RouterErrorCode.Conflict,
    );
    assert.equal(
      code(() => router.get('x', () => undefined)),
      RouterErrorCode.InvalidPath,
    );
    assert.equal(
      code(() => router.on([], '/y', () => undefined)),
      RouterErrorCode.InvalidMethod,
    );
    assert.equal(
      code(() => router.get('/y', 'nope' as never)),
      RouterErrorCode.InvalidHandler,
    );
    assert.equal(
      code(() => router.use('nope' as never)),
      RouterErrorCode.InvalidHandler,
    );
    assert.equal(
      code(() => router.use('api', () => undefined)),
      RouterErrorCode.InvalidPath,
    );
    assert.equal(
      code(() => router.onError(null as never)),
      RouterErrorCode.InvalidHandler,
    );
  });
});
