import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { createServer, parseRange, serveStatic } from '../../src/server/index.js';
import { contentTypeFor } from '../../src/server/mime.js';
import { resolveUnder } from '../../src/server/static.js';
import { RawClient, TRANSPORTS, transportAvailable } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hayate-static-'));
const root = join(dir, 'site');
mkdirSync(join(root, 'sub'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
writeFileSync(join(root, 'a.txt'), 'abcdefghijklmnopqrstuvwxyz');
writeFileSync(join(root, 'sub', 'x.css'), 'body{}');
writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET');
const big = new Uint8Array(3 * 1024 * 1024 + 17);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >>> 11)) & 0xff;
writeFileSync(join(root, 'big.bin'), big);
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('parseRange: single ranges, suffixes, open ends, unsatisfiable, ignored forms', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), [0, 9]);
  assert.deepEqual(parseRange('bytes=90-', 100), [90, 99]);
  assert.deepEqual(parseRange('bytes=-10', 100), [90, 99]);
  assert.deepEqual(parseRange('bytes=-1000', 100), [0, 99]);
  assert.deepEqual(parseRange('bytes=50-1000', 100), [50, 99]);
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-1,5-6', 100), null);
  assert.equal(parseRange('items=0-1', 100), null);
  assert.equal(parseRange('bytes=9-3', 100), null);
  assert.equal(parseRange('bytes=a-b', 100), null);
});

test('resolveUnder refuses paths escaping the root; contentTypeFor maps extensions', () => {
  assert.equal(resolveUnder('/srv', '/a/b.txt'), '/srv/a/b.txt');
  assert.equal(resolveUnder('/srv', '/a/../b'), '/srv/b');
  assert.equal(resolveUnder('/srv', '/../etc/passwd'), undefined);
  assert.equal(resolveUnder('/srv', '/a/../../x'), undefined);
  assert.equal(resolveUnder('/srv', '..'), undefined);
  assert.equal(resolveUnder('/srv', '/a\0b'), undefined);
  assert.equal(contentTypeFor('x/y.HTML'), 'text/html; charset=utf-8');
  assert.equal(contentTypeFor('x/noext'), 'application/octet-stream');
  assert.equal(contentTypeFor('x.y/noext'), 'application/octet-stream');
});

for (const transport of TRANSPORTS) {
  describe(
    `static files on ${transport}`,
    { skip: !transportAvailable(transport) && 'native addon not built' },
    () => {
      test('200 with validators, 304, ranges, 416, HEAD, index, large file', async () => {
        const server = createServer(serveStatic(root), { transport });
        const { port } = await server.listen(0);
        const base = `http://127.0.0.1:${port}`;
        const a = await request(`${base}/a.txt`);
        assert.equal(a.statusCode, 200);
        assert.equal(await a.body.text(), 'abcdefghijklmnopqrstuvwxyz');
        assert.equal(a.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(a.headers['accept-ranges'], 'bytes');
        const etag = a.headers['etag'] as string;
        const lastModified = a.headers['last-modified'] as string;
        assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
        assert.equal(
          lastModified,
          new Date(Math.floor(statSync(join(root, 'a.txt')).mtimeMs / 1000) * 1000).toUTCString(),
        );

        const inm = await request(`${base}/a.txt`, { headers: { 'if-none-match': `"nope", ${etag}` } });
        assert.equal(inm.statusCode, 304);
        assert.equal(inm.headers['content-length'], undefined, 'a 304 carries no content-length: 0');
        assert.equal(await inm.body.text(), '');
        const ims = await request(`${base}/a.txt`, { headers: { 'if-modified-since': lastModified } });
        assert.equal(ims.statusCode, 304);
        await ims.body.dump();
        const old = await request(`${base}/a.txt`, {
          headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
        });
        assert.equal(old.statusCode, 200);
        await old.body.dump();

        const r = await request(`${base}/a.txt`, { headers: { range: 'bytes=2-5' } });
        assert.equal(r.statusCode, 206);
        assert.equal(r.headers['content-range'], 'bytes 2-5/26');
        assert.equal(await r.body.text(), 'cdef');
        const suffix = await request(`${base}/a.txt`, { headers: { range: 'bytes=-3' } });
        assert.equal(await suffix.body.text(), 'xyz');
        const bad = await request(`${base}/a.txt`, { headers: { range: 'bytes=26-' } });
        assert.equal(bad.statusCode, 416);
        assert.equal(bad.headers['content-range'], 'bytes */26');
        await bad.body.dump();
        const stale = await request(`${base}/a.txt`, {
          headers: { range: 'bytes=0-1', 'if-range': '"stale"' },
        });
        assert.equal(stale.statusCode, 200, 'If-Range mismatch sends the whole file');
        assert.equal((await stale.body.text()).length, 26);

        const head = await request(`${base}/big.bin`, { method: 'HEAD' });
        assert.equal(head.headers['content-length'], String(big.length));
        assert.equal(await head.body.text(), '');
        const index = await request(`${base}/`);
        assert.equal(await index.body.text(), '<h1>home</h1>');
        assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
        const css = await request(`${base}/sub/x.css`);
        assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
        await css.body.dump();

        const whole = await request(`${base}/big.bin`);
        assert.equal(sha(new Uint8Array(await whole.body.arrayBuffer())), sha(big));
        const mid = await request(`${base}/big.bin`, { headers: { range: 'bytes=1000000-2999999' } });
        assert.equal(mid.statusCode, 206);
        assert.equal(
          sha(new Uint8Array(await mid.body.arrayBuffer())),
          sha(big.subarray(1_000_000, 3_000_000)),
        );
        const missing = await request(`${base}/nope.txt`);
        assert.equal(missing.statusCode, 404);
        await missing.body.dump();
        await server.close();
      });

      test('path traversal attempts are refused', async () => {
        const server = createServer(serveStatic(root), { transport });
        const { port } = await server.listen(0);
        for (const target of [
          '/../secret.txt',
          '/%2e%2e/secret.txt',
          '/..%2fsecret.txt',
          '/sub/../../secret.txt',
          '/%2e%2e%2f%2e%2e%2fetc/passwd',
          '/a.txt%00.html',
        ]) {
          const c = await RawClient.open(port);
          c.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
          const text = await c.closed();
          assert.match(text, /^HTTP\/1\.1 (404|400) /, target);
          assert.doesNotMatch(text, /TOP SECRET|root:/, target);
        }
        await server.close();
      });
    },
  );
}
