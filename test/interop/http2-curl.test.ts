/** Interop: curl (h2c prior knowledge, TLS + ALPN) and nghttp against hayate's HTTP/2 server. */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Http2Server } from '../../src/server/http2-server.js';
import { requirePeer } from '../support/peers.js';
import { makeCert, pattern, startServer } from './http2-support.js';

const run = promisify(execFile);
const curl = requirePeer('curl', 'apt-get install curl');
const nghttp = requirePeer('nghttp', 'apt-get install nghttp2-client');

describe('curl and nghttp against hayate h2c', () => {
  let server: Http2Server;
  let base = '';
  before(async () => {
    server = await startServer();
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
  });

  test('curl --http2-prior-knowledge GET', { skip: curl === undefined }, async () => {
    const { stdout } = await run(curl!, ['-sS', '--http2-prior-knowledge', '-D', '-', `${base}/hello`]);
    assert.match(stdout, /^HTTP\/2 200/);
    assert.match(stdout, /hello world$/);
  });

  test('curl --http2-prior-knowledge POST 2 MB upload echoed', { skip: curl === undefined }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-curl-'));
    const file = join(dir, 'body.bin');
    writeFileSync(file, pattern(2_000_000));
    const out = join(dir, 'out.bin');
    await run(curl!, [
      '-sS',
      '--http2-prior-knowledge',
      '--data-binary',
      `@${file}`,
      '-o',
      out,
      `${base}/echo`,
    ]);
    const { readFileSync } = await import('node:fs');
    assert.ok(Buffer.from(pattern(2_000_000)).equals(readFileSync(out)));
  });

  test('curl parallel requests over one connection', { skip: curl === undefined }, async () => {
    const urls = Array.from({ length: 20 }, () => `${base}/hello`);
    const { stdout } = await run(curl!, [
      '-sS',
      '--http2-prior-knowledge',
      '--parallel',
      '--parallel-immediate',
      ...urls,
    ]);
    assert.equal(stdout, 'hello world'.repeat(20));
  });

  test(
    'nghttp: several streams, 103 Early Hints, download with window updates',
    { skip: nghttp === undefined },
    async () => {
      const { stdout } = await run(nghttp!, [
        '-nv',
        `${base}/hello`,
        `${base}/early`,
        `${base}/big?n=3000000`,
      ]);
      assert.match(stdout, /:status: 103/);
      assert.match(stdout, /recv \(stream_id=\d+\) :status: 200/);
      assert.doesNotMatch(stdout, /GOAWAY[^\n]*\n[^\n]*error_code=(?!NO_ERROR)/);
      const stats = await run(nghttp!, ['-ns', `${base}/big?n=3000000`]);
      assert.match(stats.stdout, /200\s+2M \/big/); // nghttp prints sizes in KiB/MiB
    },
  );

  test('HTTP/1.1 on the same port (preface sniffing)', { skip: curl === undefined }, async () => {
    const { stdout } = await run(curl!, ['-sS', '--http1.1', '-D', '-', `${base}/proto`]);
    assert.match(stdout, /^HTTP\/1.1 200/);
    assert.match(stdout, /http\/1.1$/);
  });

  test('curl --http2 on http:// upgrades with Upgrade: h2c', { skip: curl === undefined }, async () => {
    const { stdout } = await run(curl!, ['-sS', '--http2', '-D', '-', `${base}/proto`]);
    assert.match(stdout, /^HTTP\/1.1 101 Switching Protocols/);
    assert.match(stdout, /HTTP\/2 200/);
    assert.match(stdout, /h2$/);
  });

  test('nghttp -u (h2c upgrade)', { skip: nghttp === undefined }, async () => {
    const { stdout } = await run(nghttp!, ['-u', `${base}/hello`]);
    assert.equal(stdout, 'hello world');
  });

  test('sendFile over HTTP/2', { skip: curl === undefined }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-file-'));
    const out = join(dir, 'out.bin');
    const { stdout } = await run(curl!, [
      '-sS',
      '--http2-prior-knowledge',
      '-D',
      '-',
      '-o',
      out,
      `${base}/file`,
    ]);
    assert.match(stdout, /content-length: 3000000/);
    const { readFileSync } = await import('node:fs');
    assert.ok(Buffer.from(pattern(3_000_000)).equals(readFileSync(out)));
  });

  test('nghttp: upload with DATA and a large window (-w/-W)', { skip: nghttp === undefined }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-nghttp-'));
    const file = join(dir, 'body.bin');
    writeFileSync(file, pattern(1_000_000));
    const { stdout } = await run(nghttp!, ['-ns', '-w', '20', '-W', '24', '-d', file, `${base}/echo`]);
    assert.match(stdout, /200\s+976K \/echo/);
  });
});

describe('curl --http2 over TLS (ALPN)', () => {
  const cert = makeCert();
  let server: Http2Server;
  before(async () => {
    if (cert !== undefined) server = await startServer(cert);
  });
  after(async () => {
    if (cert !== undefined) await server.close();
  });
  test(
    'GET over h2 with a self-signed certificate',
    { skip: curl === undefined || cert === undefined },
    async () => {
      const { stdout } = await run(curl!, [
        '-sS',
        '--http2',
        '--cacert',
        cert!.certPath,
        '-D',
        '-',
        `https://localhost:${server.port}/hello`,
      ]);
      assert.match(stdout, /^HTTP\/2 200/);
      assert.match(stdout, /hello world$/);
    },
  );
  test('ALPN http/1.1 on the same TLS port', { skip: curl === undefined || cert === undefined }, async () => {
    const { stdout } = await run(curl!, [
      '-sS',
      '--http1.1',
      '--cacert',
      cert!.certPath,
      `https://localhost:${server.port}/proto`,
    ]);
    assert.equal(stdout, 'http/1.1');
  });
});
