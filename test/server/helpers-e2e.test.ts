/**
 * The request/response helpers (`req.json`, `req.searchParams`, `req.cookies`, `res.json`,
 * `res.setCookie`, `res.clearCookie`) over real sockets, the same cases on HTTP/1.1, HTTP/2 (h2c) and
 * HTTP/3: a JSON round trip, malformed JSON answered 400 with its code, every body cap answered 413 (not
 * 500), cookies both ways. After each server the connection count and open descriptors are back to where
 * they were.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Handler } from '../../src/server/types.js';
import { RawClient, transportAvailable } from './helpers.js';
import { PROTOS, protocolRequest, type Fields, type Proto, type Reply } from '../support/protocol-request.js';
import { withProtocolServer } from '../support/protocol-server.js';

/** The shared per-protocol request, with the body as text. */
async function request(
  proto: Proto,
  port: number,
  method: string,
  path: string,
  fields: Fields = [],
  body?: Uint8Array,
): Promise<{ status: number; headers: Reply['headers']; body: string }> {
  const r = await protocolRequest(proto, port, method, path, fields, body);
  return { status: r.status, headers: r.headers, body: r.body.toString() };
}

/** Runs `run` against a server for `proto`; checks connections and descriptors afterwards. */
function withServer(
  proto: Proto,
  handler: Handler,
  run: (port: number, errors: unknown[]) => Promise<void>,
  limits: Record<string, number> = {},
  transport: 'net' | 'native' = 'net',
): Promise<void> {
  return withProtocolServer(proto, handler, { limits, transport }, run);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const enc = new TextEncoder();

/** Reads the body as the path says and answers with what it got. */
const bodyHandler: Handler = async (req, res) => {
  switch (req.path) {
    case '/json': {
      const value = await req.json<{ n: number }>(100);
      res.json(
        { got: value, x: req.searchParams.getAll('x'), type: req.headers.get('content-type') ?? null },
        201,
      );
      return;
    }
    case '/text':
      res.end(await req.text(100));
      return;
    case '/bytes':
      res.end(String((await req.bytes(100)).byteLength));
      return;
    default:
      res.status = 404;
      res.end();
  }
};

for (const proto of PROTOS) {
  test(`${proto}: req.json and res.json round trip, with the query parsed on demand`, async () => {
    await withServer(proto, bodyHandler, async (port, errors) => {
      const body = enc.encode(JSON.stringify({ n: 1, s: 'é' }));
      const r = await request(
        proto,
        port,
        'POST',
        '/json?x=1&x=a%20b',
        [['content-type', 'application/json']],
        body,
      );
      assert.equal(r.status, 201);
      assert.equal(r.headers['content-type'], JSON_TYPE);
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
      assert.deepEqual(JSON.parse(r.body), {
        got: { n: 1, s: 'é' },
        x: ['1', 'a b'],
        type: 'application/json',
      });
      // The content-type is not required (documented): a JSON body without one parses the same.
      const bare = await request(proto, port, 'POST', '/json', [], enc.encode('[1]'));
      assert.deepEqual(JSON.parse(bare.body), { got: [1], x: [], type: null });
      assert.deepEqual(errors, []);
    });
  });

  test(`${proto}: malformed JSON and invalid UTF-8 are answered 400 ERR_INVALID_JSON, not reported`, async () => {
    await withServer(proto, bodyHandler, async (port, errors) => {
      for (const body of [enc.encode('{"n":'), new Uint8Array([0x22, 0xc3, 0x28, 0x22]), enc.encode('')]) {
        const r = await request(proto, port, 'POST', '/json', [], body);
        assert.equal(r.status, 400, JSON.stringify([...body]));
        assert.equal(r.body, 'ERR_INVALID_JSON\n');
      }
      assert.deepEqual(errors, [], 'a client sending bad JSON is not a handler failure');
    });
  });

  test(`${proto}: a body over the json, text or bytes cap is answered 413, streamed or announced`, async () => {
    await withServer(proto, bodyHandler, async (port, errors) => {
      const fits = await request(proto, port, 'POST', '/bytes', [], new Uint8Array(100));
      assert.equal(fits.body, '100');
      for (const path of ['/json', '/text', '/bytes']) {
        const big = new Uint8Array(5000).fill(0x20);
        const r = await request(proto, port, 'POST', path, [], big);
        assert.equal(r.status, 413, path);
        assert.equal(r.body, 'ERR_BODY_TOO_LARGE\n');
        // With a content-length above the cap the body is refused before it is read.
        const announced = await request(proto, port, 'POST', path, [['content-length', '5000']], big);
        assert.equal(announced.status, 413, `${path} with content-length`);
      }
      assert.deepEqual(errors, []);
    });
  });

  test(`${proto}: cookies both ways: split Cookie fields parsed, Set-Cookie lines kept apart`, async () => {
    await withServer(
      proto,
      (req, res) => {
        const seen = Object.fromEntries(req.cookies);
        res.setCookie('sid', 'abc', { httpOnly: true, path: '/', sameSite: 'Lax' });
        res.setCookie('__Host-t', '1', { secure: true, path: '/', maxAge: 60 });
        res.clearCookie('old', { path: '/' });
        let misuse = 'none';
        try {
          res.setCookie('x', 'v', { sameSite: 'None' });
        } catch (e) {
          misuse = `${(e as Error).name}:${(e as { code: string }).code}`;
        }
        res.json({ seen, misuse });
      },
      async (port, errors) => {
        const r = await request(proto, port, 'GET', '/', [
          ['cookie', 'sid="q"; theme=dark'],
          ['cookie', 'sid=ignored; lang=en'],
        ]);
        assert.equal(r.status, 200);
        assert.deepEqual(JSON.parse(r.body), {
          seen: { sid: 'q', theme: 'dark', lang: 'en' },
          misuse: 'UsageError:ERR_COOKIE_NOT_SECURE',
        });
        assert.deepEqual(r.headers['set-cookie'], [
          'sid=abc; Path=/; HttpOnly; SameSite=Lax',
          '__Host-t=1; Max-Age=60; Path=/; Secure',
          'old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
        ]);
        assert.deepEqual(errors, []);
      },
    );
  });
}

test('h1: Expect: 100-continue with a content-length above the cap gets 413 and no 100 (RFC 9110 §10.1.1)', async () => {
  await withServer(
    'h1',
    bodyHandler,
    async (port) => {
      const c = await RawClient.open(port);
      c.write('POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\nexpect: 100-continue\r\n\r\n');
      const text = await c.until((t) => t.includes('ERR_BODY_TOO_LARGE\n'), 2000);
      c.destroy();
      assert.match(text, /^HTTP\/1\.1 413 /, 'the final answer comes first');
      assert.doesNotMatch(text, /100 Continue/);
    },
    { bodyTimeoutMs: 300 },
  );
});

for (const proto of ['h1', 'h2'] as const) {
  test(`${proto} on the native transport: json round trip, 400 and 413`, async (t) => {
    if (!transportAvailable('native')) {
      t.skip('native addon not built');
      return;
    }
    await withServer(
      proto,
      bodyHandler,
      async (port, errors) => {
        const ok = await request(
          proto,
          port,
          'POST',
          '/json?x=1',
          [['cookie', 'a=1']],
          enc.encode('{"n":2}'),
        );
        assert.equal(ok.status, 201);
        assert.deepEqual(JSON.parse(ok.body), { got: { n: 2 }, x: ['1'], type: null });
        const bad = await request(proto, port, 'POST', '/json', [], enc.encode('nope'));
        assert.equal(bad.status, 400);
        assert.equal(bad.body, 'ERR_INVALID_JSON\n');
        const big = await request(proto, port, 'POST', '/text', [], new Uint8Array(5000));
        assert.equal(big.status, 413);
        assert.deepEqual(errors, []);
      },
      {},
      'native',
    );
  });
}
