/**
 * The example REST service (examples/rest-api) driven as its users would: real sockets, HTTP/1.1
 * (node:http) and HTTP/2 cleartext (node:http2), and its `main.js` started as a process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from '../../src/server/index.js';
import { createApp, MAX_BODY_BYTES, type UserStore } from '../../examples/rest-api/app.js';
import { protocolRequest, type Fields, type Proto } from '../support/protocol-request.js';
import { fdsBackTo, openFds } from '../support/traffic.js';

const PUBLIC_DIR = fileURLToPath(new URL('../../../examples/rest-api/public/', import.meta.url));
const MAIN = fileURLToPath(new URL('../../examples/rest-api/main.js', import.meta.url));
const TOKEN = 'test-token';
const AUTH: Fields = [['authorization', `Bearer ${TOKEN}`]];
const JSON_FIELDS: Fields = [...AUTH, ['content-type', 'application/json']];

function json(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

// The native transport opens its poller's descriptors once per thread: start it before taking baselines.
before(async () => {
  const warm = createServer((_req, res) => {
    res.end();
  });
  await warm.listen(0);
  await warm.close();
});

for (const proto of ['h1', 'h2'] as const satisfies readonly Proto[]) {
  describe(`example REST service over ${proto}`, () => {
    let server: Server;
    let port: number;
    let store: UserStore;
    let fds0: number;
    const lines: string[] = [];
    const req = (method: string, path: string, fields: Fields = [], body?: string | Buffer) =>
      protocolRequest(proto, port, method, path, fields, typeof body === 'string' ? utf8(body) : body);

    before(async () => {
      fds0 = openFds();
      const app = createApp({
        token: TOKEN,
        publicDir: PUBLIC_DIR,
        log: (l) => lines.push(l),
        seed: [{ name: 'Grace Hopper', email: 'grace@example.com' }],
      });
      store = app.store;
      server = createServer(app.handler);
      port = (await server.listen(0)).port;
    });

    after(async () => {
      await server.close();
      assert.equal(server.connectionCount, 0);
      await fdsBackTo(fds0);
    });

    it('creates, reads, replaces, lists and deletes a user', async () => {
      const created = await req(
        'POST',
        '/api/users',
        JSON_FIELDS,
        '{"name":"Ada","email":"ada@example.com"}',
      );
      assert.equal(created.status, 201);
      const user = json(created.body) as { id: number; name: string };
      assert.equal(user.name, 'Ada');
      assert.equal(created.headers['location'], `/api/users/${user.id}`);
      assert.match(String(created.headers['content-type']), /^application\/json/);

      const got = await req('GET', `/api/users/${user.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(json(got.body), { id: user.id, name: 'Ada', email: 'ada@example.com' });

      const put = await req('PUT', `/api/users/${user.id}`, JSON_FIELDS, '{"name":"Ada L.","email":"a@b.c"}');
      assert.equal(put.status, 200);
      assert.equal((json(put.body) as { name: string }).name, 'Ada L.');

      const list = json((await req('GET', '/api/users?limit=100')).body) as { users: { id: number }[] };
      assert.ok(list.users.some((u) => u.id === user.id));

      const del = await req('DELETE', `/api/users/${user.id}`, AUTH);
      assert.equal(del.status, 204);
      assert.equal(del.body.length, 0);
      assert.equal((await req('GET', `/api/users/${user.id}`)).status, 404);
      assert.equal((await req('DELETE', `/api/users/${user.id}`, AUTH)).status, 404);
      assert.equal(store.get(user.id), undefined);
    });

    it('pages with limit and offset from the query', async () => {
      for (let i = 0; i < 5; i++) store.create({ name: `u${i}`, email: `u${i}@example.com` });
      const page = json((await req('GET', '/api/users?offset=2&limit=2')).body) as {
        users: { id: number }[];
        total: number;
      };
      assert.equal(page.users.length, 2);
      assert.equal(page.total, store.size);
      assert.deepEqual(
        page.users.map((u) => u.id),
        store.list(2, 2).map((u) => u.id),
      );
      // A limit beyond the cap is clamped, a malformed one ignored.
      const all = json((await req('GET', '/api/users?limit=5000')).body) as { users: unknown[] };
      assert.equal(all.users.length, Math.min(store.size, 100));
      assert.equal(
        (json((await req('GET', '/api/users?limit=x')).body) as { users: unknown[] }).users.length,
        Math.min(store.size, 20),
      );
    });

    it('needs the bearer token for changes (401 with a challenge), not for reads', async () => {
      const before = store.size;
      const r = await req('POST', '/api/users', [], '{"name":"Eve","email":"eve@example.com"}');
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="users"');
      assert.deepEqual(json(r.body), { error: 'unauthorized' });
      const wrong = await req('DELETE', '/api/users/1', [['authorization', 'Bearer nope']]);
      assert.equal(wrong.status, 401);
      assert.equal(store.size, before);
      assert.equal((await req('GET', '/api/health')).status, 200);
    });

    it('answers bad bodies with stable error codes: 400 for malformed JSON or fields, 413 when too large', async () => {
      const before = store.size;
      const malformed = await req('POST', '/api/users', JSON_FIELDS, '{"name":');
      assert.equal(malformed.status, 400);
      assert.deepEqual(json(malformed.body), { error: 'ERR_INVALID_JSON' });

      const invalid = await req('POST', '/api/users', JSON_FIELDS, '{"name":"","email":"x"}');
      assert.equal(invalid.status, 400);
      assert.equal((json(invalid.body) as { error: string }).error, 'invalid_user');

      const big = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES), email: 'big@example.com' });
      const tooLarge = await req('POST', '/api/users', JSON_FIELDS, big);
      assert.equal(tooLarge.status, 413);
      assert.deepEqual(json(tooLarge.body), { error: 'ERR_BODY_TOO_LARGE' });
      assert.equal(store.size, before);
    });

    it('answers 404 for unknown ids and paths, 405 with Allow for a wrong method', async () => {
      const missing = await req('GET', '/api/users/999999');
      assert.equal(missing.status, 404);
      assert.deepEqual(json(missing.body), { error: 'user_not_found' });
      assert.equal((await req('GET', '/api/users/abc')).status, 404);
      const patch = await req('PATCH', '/api/users/1', AUTH, '{}');
      assert.equal(patch.status, 405);
      assert.deepEqual(String(patch.headers['allow']).split(/,\s*/).sort(), ['DELETE', 'GET', 'HEAD', 'PUT']);
      assert.equal((await req('GET', '/nope.txt')).status, 404);
      assert.equal((await req('GET', '/../package.json')).status, 404);
    });

    it('serves the static site: index for /, assets with their types, HEAD without a body', async () => {
      const index = await req('GET', '/');
      assert.equal(index.status, 200);
      assert.match(String(index.headers['content-type']), /^text\/html/);
      assert.deepEqual(index.body, readFileSync(`${PUBLIC_DIR}index.html`));
      assert.equal(index.headers['cache-control'], 'public, max-age=60');
      const css = await req('GET', '/style.css');
      assert.match(String(css.headers['content-type']), /^text\/css/);
      const head = await req('HEAD', '/style.css');
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(Number(head.headers['content-length']), css.body.length);
    });

    it('logs one line per request from its middleware, with the final status', () => {
      assert.ok(
        lines.some((l) => / POST \/api\/users 201 /.test(l)),
        lines.join('\n'),
      );
      assert.ok(lines.some((l) => / POST \/api\/users 401 /.test(l)));
      assert.ok(lines.every((l) => l.includes(proto === 'h1' ? 'http/1.1' : 'h2')));
    });
  });
}

describe('example REST service main.js', () => {
  it('starts from the environment, serves, and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: '0', API_TOKEN: 'from-env' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      child.once('exit', (code) => {
        reject(new Error(`exited ${String(code)}: ${out}`));
      });
    });
    const health = await protocolRequest('h1', port, 'GET', '/api/health');
    assert.deepEqual(json(health.body), { status: 'ok', users: 1 });
    const created = await protocolRequest(
      'h2',
      port,
      'POST',
      '/api/users',
      [['authorization', 'Bearer from-env']],
      utf8('{"name":"Env","email":"env@example.com"}'),
    );
    assert.equal(created.status, 201);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, / h2 POST \/api\/users 201 /);
  });
});
