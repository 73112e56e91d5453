/**
 * Response compression (src/server/compress.ts and its hunks in response.ts, static.ts): the negotiation
 * table, the option's validation, and real sockets on HTTP/1.1 (node:http, undici fetch) and HTTP/2
 * (node:http2) reading the compressed bytes and decompressing them with zlib: threshold, no-transform,
 * already encoded, HEAD, 206, 304, ETag, Vary, per-response control, trailers, a streamed 8 MiB body
 * with bounded buffering, a client leaving mid-stream, and precompressed file siblings.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  brotliCompressSync,
  brotliDecompressSync,
  createBrotliDecompress,
  createGunzip,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { fetch } from 'undici';
import {
  codedEtag,
  hasNoTransform,
  isCompressibleType,
  liveEncoderCount,
  negotiate,
  parseAcceptEncoding,
  resolveCompression,
  type ContentCoding,
} from '../../src/server/compress.js';
import { createServer, serveStatic, type Server, type ServerOptions } from '../../src/server/index.js';
import { OutgoingResponse } from '../../src/server/response.js';
import type { Handler } from '../../src/server/types.js';
import { protocolRequest, type Fields, type Reply } from '../support/protocol-request.js';
import { quicheAvailable } from '../support/peers.js';
import { fdsBackTo, openFds, Prng, sha256, sleep, testCert } from '../support/traffic.js';
import { transportAvailable } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TRANSPORT = transportAvailable('native') ? 'native' : 'net';

test('negotiate: the RFC 9110 §12.5.3 table', () => {
  const both: readonly ContentCoding[] = ['br', 'gzip'];
  const cases: [string | undefined, ContentCoding | null][] = [
    [undefined, null], // no field: identity (deviation, see negotiate's TSDoc)
    ['', null], // empty: no coding wanted
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br'], // equal q: server preference
    ['gzip, deflate, br, zstd', 'br'],
    ['GZIP', 'gzip'], // case-insensitive
    ['x-gzip', 'gzip'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=1.0, gzip;q=0.999', 'br'],
    ['br;q=0, gzip;q=0', null],
    ['*', 'br'],
    ['*;q=0.1, br;q=0', 'gzip'], // gzip and identity both 0.1 from `*`: the coding wins the tie
    ['*;q=0.1, identity', null],
    ['gzip;q=0.5', 'gzip'], // unnamed identity is only the fallback
    ['*;q=0', null],
    ['identity', null],
    ['identity;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, identity', null], // identity preferred by weight
    ['gzip;q=0.5, identity;q=0.5', 'gzip'], // a coding wins a tie with identity
    ['deflate', null],
    ['br;q=2, gzip', 'gzip'], // invalid q: that member is ignored
    ['br;q=0.5000, gzip;q=0.1', 'gzip'], // more than three decimals: invalid
    ['br;level=3, gzip;q=0.2', 'gzip'], // unknown parameter: ignored
    ['br ; q=0.8 , gzip ; q=0.7', 'br'], // OWS around ';'
    ['gzip;q=0.1, gzip;q=1, br;q=0.5', 'br'], // the first of repeated members counts
  ];
  for (const [header, want] of cases) {
    assert.equal(negotiate(header, both), want, `Accept-Encoding: ${String(header)}`);
  }
  assert.equal(negotiate('br, gzip', ['gzip', 'br']), 'gzip', 'server order breaks ties');
  assert.equal(negotiate('br', ['gzip']), null, 'only offered codings');
  assert.deepEqual(
    [...parseAcceptEncoding('gzip;q=0.3, *;q=0, br;q=1.000').entries()],
    [
      ['gzip', 300],
      ['*', 0],
      ['br', 1000],
    ],
  );
});

test('filters, validators and option validation', () => {
  for (const t of ['text/html; charset=utf-8', 'application/json', 'image/svg+xml', 'application/wasm']) {
    assert.equal(isCompressibleType(t), true, t);
  }
  for (const t of ['image/png', 'video/mp4', 'application/zip', 'font/woff2', 'text/event-stream', '']) {
    assert.equal(isCompressibleType(t), false, t);
  }
  assert.equal(hasNoTransform('public, No-Transform'), true);
  assert.equal(hasNoTransform('no-store, max-age=0'), false);
  assert.equal(codedEtag('"abc"', 'br'), '"abc-br"');
  assert.equal(codedEtag('"abc"', 'gzip'), '"abc-gz"');
  assert.equal(codedEtag('W/"abc"', 'gzip'), 'W/"abc"');
  assert.equal(resolveCompression(undefined), undefined);
  assert.equal(resolveCompression(false), undefined);
  assert.equal(resolveCompression(true)?.threshold, 1024);
  assert.deepEqual(resolveCompression({ encodings: ['gzip'] })?.encodings, ['gzip']);
  for (const bad of [{ threshold: -1 }, { brotliQuality: 12 }, { gzipLevel: 0 }, { encodings: [] }]) {
    assert.throws(() => resolveCompression(bad), { code: 'ERR_INVALID_ARG' });
  }
  assert.throws(() => createServer(() => undefined, { compression: { encodings: ['zstd' as 'br'] } }), {
    code: 'ERR_INVALID_ARG',
  });
});

/** Text that compresses about as well as real pages: words from a small vocabulary in PRNG order. */
function wordText(n: number, seed: number): Buffer {
  const words = ['alpha ', 'beta ', 'gamma ', 'delta ', 'epsilon\n', 'zeta ', 'eta ', 'theta, ', 'iota '];
  const rng = new Prng(seed);
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  while (i < n) {
    const w = words[rng.int(words.length)]!;
    i += out.write(w, i, 'latin1');
  }
  return out;
}

const TEXT = wordText(64 * 1024, 1);

function decode(reply: Reply): Buffer {
  const ce = reply.headers['content-encoding'];
  if (ce === 'br') return brotliDecompressSync(reply.body);
  if (ce === 'gzip') return gunzipSync(reply.body);
  assert.equal(ce, undefined, 'unexpected coding');
  return reply.body;
}

/** Routes for the end-to-end cases. */
const routes: Handler = async (req, res) => {
  const n = Number(req.searchParams.get('n') ?? '4096');
  switch (req.path) {
    case '/text':
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.setHeader('etag', '"v1"');
      res.end(TEXT.subarray(0, n));
      return;
    case '/json':
      res.json({ list: Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` })) });
      return;
    case '/vary':
      res.setHeader('content-type', 'text/plain');
      res.setHeader('vary', 'Origin');
      res.end(TEXT.subarray(0, n));
      return;
    case '/png':
      res.setHeader('content-type', 'image/png');
      res.end(TEXT.subarray(0, n));
      return;
    case '/no-transform':
      res.setHeader('content-type', 'text/plain');
      res.setHeader('cache-control', 'public, no-transform');
      res.end(TEXT.subarray(0, n));
      return;
    case '/encoded':
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync(TEXT.subarray(0, n)));
      return;
    case '/partial':
      res.status = 206;
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-range', `bytes 0-${n - 1}/${TEXT.length}`);
      res.end(TEXT.subarray(0, n));
      return;
    case '/not-modified':
      res.status = 304;
      res.setHeader('etag', '"v1"');
      res.end();
      return;
    case '/off':
      res.compress = false;
      res.setHeader('content-type', 'text/plain');
      res.end(TEXT.subarray(0, n));
      return;
    case '/forced':
      res.compress = true;
      res.setHeader('content-type', 'application/octet-stream');
      res.end(TEXT.subarray(0, 100));
      return;
    case '/length':
      // A content-length set by hand: checked against the uncompressed bytes, not sent when compressing.
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-length', n);
      res.write(TEXT.subarray(0, n >> 1));
      res.end(TEXT.subarray(n >> 1, n));
      return;
    case '/stream': {
      res.setHeader('content-type', 'text/plain');
      for (let off = 0; off < n; off += 4096) {
        if (!res.write(TEXT.subarray(off, Math.min(n, off + 4096)))) await res.drained();
      }
      res.end(undefined, [['x-done', 'yes']]);
      return;
    }
    default:
      res.status = 404;
      res.end();
  }
};

async function withServer(
  handler: Handler,
  options: Omit<ServerOptions, 'transport'>,
  body: (port: number, server: Server) => Promise<void>,
): Promise<void> {
  const fds = openFds();
  const server = createServer(handler, { transport: TRANSPORT, ...options });
  const { port } = await server.listen(0);
  try {
    await body(port, server);
  } finally {
    await server.close(500);
  }
  assert.equal(server.connectionCount, 0);
  await fdsBackTo(fds);
}

const AE: Fields = [['accept-encoding', 'gzip, deflate, br']];
const GZ: Fields = [['accept-encoding', 'gzip']];

for (const proto of ['h1', 'h2'] as const) {
  describe(`compression over ${proto}`, () => {
    test('bodies at and above the threshold are compressed (br preferred), below are not; Vary and ETag', async () => {
      await withServer(routes, { compression: true }, async (port) => {
        const big = await protocolRequest(proto, port, 'GET', '/text?n=4096', AE);
        assert.equal(big.status, 200);
        assert.equal(big.headers['content-encoding'], 'br');
        assert.equal(big.headers['vary'], 'Accept-Encoding');
        assert.equal(big.headers['etag'], '"v1-br"');
        // One end(body): compressed in one call and sent with its compressed length.
        assert.equal(Number(big.headers['content-length']), big.body.length);
        assert.ok(big.body.length < 4096 / 2, `compressed to ${big.body.length}`);
        assert.ok(decode(big).equals(TEXT.subarray(0, 4096)));

        const gz = await protocolRequest(proto, port, 'GET', '/text?n=1024', GZ);
        assert.equal(gz.headers['content-encoding'], 'gzip');
        assert.equal(gz.headers['etag'], '"v1-gz"');
        assert.ok(decode(gz).equals(TEXT.subarray(0, 1024)));

        const small = await protocolRequest(proto, port, 'GET', '/text?n=1023', AE);
        assert.equal(small.headers['content-encoding'], undefined);
        assert.equal(small.headers['etag'], '"v1"');
        assert.equal(small.headers['vary'], 'Accept-Encoding', 'eligible: the answer varies anyway');
        assert.equal(Number(small.headers['content-length']), 1023);

        const none = await protocolRequest(proto, port, 'GET', '/text?n=4096');
        assert.equal(none.headers['content-encoding'], undefined);
        assert.equal(none.headers['vary'], 'Accept-Encoding', 'Vary also when the client asked for none');
        assert.ok(none.body.equals(TEXT.subarray(0, 4096)));

        const q0 = await protocolRequest(proto, port, 'GET', '/text?n=4096', [
          ['accept-encoding', 'br;q=0, gzip;q=0'],
        ]);
        assert.equal(q0.headers['content-encoding'], undefined);

        const json = await protocolRequest(proto, port, 'GET', '/json', GZ);
        assert.equal(json.headers['content-encoding'], 'gzip');
        assert.equal((JSON.parse(decode(json).toString()) as { list: unknown[] }).list.length, 200);

        const vary = await protocolRequest(proto, port, 'GET', '/vary', AE);
        assert.equal(vary.headers['vary'], 'Origin, Accept-Encoding');
      });
    });

    test('never compressed: other media types, no-transform, encoded already, 206, 304, res.compress=false', async () => {
      await withServer(routes, { compression: true }, async (port) => {
        for (const path of ['/png', '/no-transform', '/partial', '/off']) {
          const r = await protocolRequest(proto, port, 'GET', `${path}?n=4096`, AE);
          assert.equal(r.headers['content-encoding'], undefined, path);
          assert.equal(r.headers['vary'], undefined, path);
          assert.ok(r.body.equals(TEXT.subarray(0, 4096)), path);
        }
        const enc = await protocolRequest(proto, port, 'GET', '/encoded?n=4096', AE);
        assert.equal(enc.headers['content-encoding'], 'gzip');
        assert.ok(gunzipSync(enc.body).equals(TEXT.subarray(0, 4096)), 'not encoded twice');
        const nm = await protocolRequest(proto, port, 'GET', '/not-modified', AE);
        assert.equal(nm.status, 304);
        assert.equal(nm.headers['content-encoding'], undefined);
        assert.equal(nm.headers['etag'], '"v1"');
        // res.compress = true: compressed whatever the type and size.
        const forced = await protocolRequest(proto, port, 'GET', '/forced', GZ);
        assert.equal(forced.headers['content-encoding'], 'gzip');
        assert.ok(decode(forced).equals(TEXT.subarray(0, 100)));
      });
    });

    test('HEAD has the GET fields minus the length; a hand-set length and trailers survive streaming', async () => {
      await withServer(routes, { compression: true }, async (port) => {
        const head = await protocolRequest(proto, port, 'HEAD', '/text?n=4096', AE);
        assert.equal(head.status, 200);
        assert.equal(head.headers['content-encoding'], 'br');
        assert.equal(head.headers['vary'], 'Accept-Encoding');
        assert.equal(head.headers['etag'], '"v1-br"');
        assert.equal(head.headers['content-length'], undefined);
        assert.equal(head.body.length, 0);

        const len = await protocolRequest(proto, port, 'GET', '/length?n=5000', AE);
        assert.equal(len.headers['content-encoding'], 'br');
        assert.equal(len.headers['content-length'], undefined);
        assert.ok(decode(len).equals(TEXT.subarray(0, 5000)));

        const st = await protocolRequest(proto, port, 'GET', '/stream?n=60000', GZ);
        assert.equal(st.headers['content-encoding'], 'gzip');
        assert.ok(decode(st).equals(TEXT.subarray(0, 60000)));
      });
    });
  });
}

test('HTTP/3 gets the same compression (the option reaches its exchange host)', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const fds = openFds();
  const server = createServer(routes, { transport: 'net', tls: testCert(), http3: true, compression: true });
  const { port } = await server.listen(0);
  try {
    const whole = await protocolRequest('h3', port, 'GET', '/text?n=4096', GZ);
    assert.equal(whole.headers['content-encoding'], 'gzip');
    assert.equal(whole.headers['etag'], '"v1-gz"');
    assert.ok(decode(whole).equals(TEXT.subarray(0, 4096)));
    const streamed = await protocolRequest('h3', port, 'GET', '/stream?n=60000', AE);
    assert.equal(streamed.headers['content-encoding'], 'br');
    assert.ok(decode(streamed).equals(TEXT.subarray(0, 60000)));
  } finally {
    await server.close(500);
  }
  await fdsBackTo(fds);
});

test('compression off by default; res.compress = true turns it on for one response', async () => {
  await withServer(routes, {}, async (port) => {
    const r = await protocolRequest('h1', port, 'GET', '/text?n=4096', AE);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['vary'], undefined);
    const f = await protocolRequest('h1', port, 'GET', '/forced', AE);
    assert.equal(f.headers['content-encoding'], 'br');
    assert.ok(decode(f).equals(TEXT.subarray(0, 100)));
  });
});

test('undici fetch decodes what it is sent (h1), streamed and whole', async () => {
  await withServer(routes, { compression: true }, async (port) => {
    for (const path of ['/text?n=30000', '/stream?n=200000']) {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      // undici asks for what it can decode (gzip, deflate and, in newer versions, br).
      assert.match(String(r.headers.get('content-encoding')), /^(br|gzip)$/, path);
      const body = Buffer.from(await r.arrayBuffer());
      const n = Number(new URL(path, 'http://x').searchParams.get('n'));
      assert.ok(body.equals(TEXT.subarray(0, n)), path);
    }
  });
});

const STREAM_BYTES = 8 * 1024 * 1024;
const STREAM_CHUNK = 64 * 1024;

/**
 * Streams {@link STREAM_BYTES} in fresh {@link STREAM_CHUNK} copies, awaiting `drained()`, and records the
 * most uncompressed input the encoder held and the external memory after a GC every MiB.
 */
function bigStreamHandler(stats: { maxBuffered: number; maxExternal: number; sawFalse: boolean }): Handler {
  return async (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    assert.ok(res instanceof OutgoingResponse);
    const out = res;
    const base = process.memoryUsage().arrayBuffers;
    for (let off = 0; off < STREAM_BYTES; off += STREAM_CHUNK) {
      // A fresh copy per write: were the encoder to keep them all, the external memory would show it.
      const chunk = Buffer.from(TEXT.subarray(0, STREAM_CHUNK));
      chunk.writeUInt32BE(off, 0);
      const ok = res.write(chunk);
      stats.maxBuffered = Math.max(stats.maxBuffered, out.bufferedBodyBytes);
      if (off % (1024 * 1024) === 0) {
        gc();
        stats.maxExternal = Math.max(stats.maxExternal, process.memoryUsage().arrayBuffers - base);
      }
      if (!ok) {
        stats.sawFalse = true;
        await res.drained();
      }
    }
    res.end();
  };
}

function expectedBig(): string {
  const parts: Buffer[] = [];
  for (let off = 0; off < STREAM_BYTES; off += STREAM_CHUNK) {
    const chunk = Buffer.from(TEXT.subarray(0, STREAM_CHUNK));
    chunk.writeUInt32BE(off, 0);
    parts.push(chunk);
  }
  return sha256(Buffer.concat(parts));
}

for (const proto of ['h1', 'h2'] as const) {
  test(`bounded: 8 MiB streamed with drained() arrives intact over ${proto}, the encoder holds at most the high-water mark`, async () => {
    const stats = { maxBuffered: 0, maxExternal: 0, sawFalse: false };
    await withServer(bigStreamHandler(stats), { compression: true }, async (port) => {
      const { encoding, digest } = await streamDigest(proto, port, '/big');
      assert.equal(encoding, 'br');
      assert.equal(digest, expectedBig());
    });
    assert.ok(stats.sawFalse, 'write() reported backpressure');
    // Default highWaterMarkBytes 64 KiB: the encoder never holds more than that plus the chunk just written.
    assert.ok(stats.maxBuffered <= 64 * 1024 + STREAM_CHUNK, `encoder held ${stats.maxBuffered}`);
    assert.ok(stats.maxExternal < 4 * 1024 * 1024, `external memory grew by ${stats.maxExternal}`);
  });
}

/** GETs `path` decompressing as the bytes arrive; resolves with the coding and the SHA-256 of the body. */
function streamDigest(
  proto: 'h1' | 'h2',
  port: number,
  path: string,
): Promise<{ encoding: string; digest: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (encoding: string, source: NodeJS.ReadableStream, done: () => void): void => {
      const dec = encoding === 'br' ? createBrotliDecompress() : createGunzip();
      const hash = createHash('sha256');
      dec.on('data', (b: Buffer) => hash.update(b));
      dec.on('end', () => {
        done();
        resolve({ encoding, digest: hash.digest('hex') });
      });
      dec.on('error', reject);
      source.pipe(dec);
    };
    if (proto === 'h1') {
      const req = http.get(
        { host: '127.0.0.1', port, path, agent: false, headers: { 'accept-encoding': 'br' } },
        (res) => {
          onResponse(String(res.headers['content-encoding']), res, () => undefined);
        },
      );
      req.on('error', reject);
    } else {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      const stream = session.request({ ':path': path, 'accept-encoding': 'br' });
      stream.on('response', (h) => {
        onResponse(String(h['content-encoding']), stream, () => {
          session.close();
        });
      });
      stream.on('error', reject);
    }
  });
}

// `writing`: the handler writes until the client is gone (write() says false, drained() resolves).
// `waiting`: it wrote once and waits on something the abort cancels, never ending the response: nothing
// more reaches the encoder, so only the exchange's abort can free it (the regression case).
for (const [proto, mode] of [
  ['h1', 'writing'],
  ['h2', 'writing'],
  ['h1', 'waiting'],
  ['h2', 'waiting'],
] as const) {
  test(`abort: a client leaving mid-stream over ${proto} (handler ${mode}) frees the encoder, the connection and its descriptors`, async () => {
    let handlerDone!: () => void;
    const finished = new Promise<void>((r) => (handlerDone = r));
    const handler: Handler = async (req, res) => {
      res.setHeader('content-type', 'text/plain');
      try {
        if (mode === 'waiting') {
          // Enough to make the encoder emit output, so the client sees the body start.
          res.write(wordText(256 * 1024, 3));
          await new Promise<void>((resolve) => {
            req.signal.addEventListener('abort', () => {
              resolve();
            });
          });
          return;
        }
        while (!req.aborted) {
          if (!res.write(Buffer.from(TEXT.subarray(0, 16 * 1024)))) await res.drained();
        }
      } finally {
        handlerDone();
      }
    };
    const before = liveEncoderCount();
    await withServer(handler, { compression: true }, async (port, server) => {
      await new Promise<void>((resolve, reject) => {
        let got = 0;
        if (proto === 'h1') {
          const req = http.get(
            { host: '127.0.0.1', port, path: '/', agent: false, headers: AE_OBJ },
            (res) => {
              assert.equal(res.headers['content-encoding'], 'br');
              res.on('data', (b: Buffer) => {
                got += b.length;
                if (got > 100) {
                  req.destroy();
                  resolve();
                }
              });
            },
          );
          req.on('error', () => undefined);
        } else {
          const session = http2.connect(`http://127.0.0.1:${port}`);
          session.on('error', reject);
          const stream = session.request({ ':path': '/', ...AE_OBJ });
          stream.on('data', (b: Buffer) => {
            got += b.length;
            if (got > 100) {
              session.destroy();
              resolve();
            }
          });
          stream.on('error', () => undefined);
        }
      });
      await finished;
      for (let i = 0; i < 100 && (liveEncoderCount() > before || server.connectionCount > 0); i++) {
        await sleep(10);
      }
      assert.equal(liveEncoderCount(), before, 'encoder destroyed');
      assert.equal(server.connectionCount, 0);
    });
  });
}

const AE_OBJ = { 'accept-encoding': 'gzip, br' };

describe('precompressed siblings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-compress-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const js = wordText(20_000, 7);
  writeFileSync(join(dir, 'app.js'), js);
  writeFileSync(join(dir, 'app.js.br'), brotliCompressSync(js));
  writeFileSync(join(dir, 'app.js.gz'), gzipSync(js));
  writeFileSync(join(dir, 'plain.txt'), js);
  const stale = wordText(5000, 9);
  writeFileSync(join(dir, 'old.css'), stale);
  writeFileSync(join(dir, 'old.css.gz'), gzipSync(Buffer.from('stale')));
  // The sibling is older than the file it stands for: it must never be served.
  utimesSync(join(dir, 'old.css.gz'), new Date(1_000_000), new Date(1_000_000));

  for (const proto of ['h1', 'h2'] as const) {
    test(`chosen by Accept-Encoding over ${proto}: type of the file, the sibling's bytes, ETag and ranges`, async () => {
      await withServer(serveStatic(dir, { precompressed: true }), { compression: true }, async (port) => {
        const br = await protocolRequest(proto, port, 'GET', '/app.js', AE);
        assert.equal(br.headers['content-encoding'], 'br');
        assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
        assert.equal(br.headers['vary'], 'Accept-Encoding');
        assert.match(String(br.headers['etag']), /-br"$/);
        assert.ok(decode(br).equals(js));
        assert.equal(Number(br.headers['content-length']), br.body.length);

        const gz = await protocolRequest(proto, port, 'GET', '/app.js', [
          ['accept-encoding', 'br;q=0, gzip'],
        ]);
        assert.equal(gz.headers['content-encoding'], 'gzip');
        assert.match(String(gz.headers['etag']), /-gz"$/);
        assert.ok(decode(gz).equals(js));

        const id = await protocolRequest(proto, port, 'GET', '/app.js');
        assert.equal(id.headers['content-encoding'], undefined);
        assert.equal(id.headers['vary'], 'Accept-Encoding');
        assert.ok(id.body.equals(js));
        const etags = new Set([br.headers['etag'], gz.headers['etag'], id.headers['etag']]);
        assert.equal(etags.size, 3, 'one validator per representation');

        const nm = await protocolRequest(proto, port, 'GET', '/app.js', [
          ...AE,
          ['if-none-match', String(br.headers['etag'])],
        ]);
        assert.equal(nm.status, 304);
        assert.equal(nm.headers['vary'], 'Accept-Encoding');

        const part = await protocolRequest(proto, port, 'GET', '/app.js', [...AE, ['range', 'bytes=0-9']]);
        assert.equal(part.status, 206);
        assert.equal(part.headers['content-encoding'], 'br');
        assert.equal(part.headers['content-range'], `bytes 0-9/${br.body.length}`);
        assert.ok(part.body.equals(br.body.subarray(0, 10)));

        const head = await protocolRequest(proto, port, 'HEAD', '/app.js', GZ);
        assert.equal(head.headers['content-encoding'], 'gzip');
        assert.equal(head.headers['content-length'], gz.headers['content-length']);

        // No sibling: served as it is (never compressed on the fly), without Vary.
        const plain = await protocolRequest(proto, port, 'GET', '/plain.txt', AE);
        assert.equal(plain.headers['content-encoding'], undefined);
        assert.equal(plain.headers['vary'], undefined);
        assert.ok(plain.body.equals(js));

        const old = await protocolRequest(proto, port, 'GET', '/old.css', GZ);
        assert.equal(old.headers['content-encoding'], undefined);
        assert.ok(old.body.equals(stale));
      });
    });
  }

  test('an unknown precompressed coding fails the handler (500, reported)', async () => {
    const errors: unknown[] = [];
    const handler: Handler = (_req, res) =>
      res.sendFile('app.js', { root: dir, precompressed: ['zstd' as 'br'] });
    await withServer(handler, { onError: (e) => errors.push(e) }, async (port) => {
      const r = await protocolRequest('h1', port, 'GET', '/', AE);
      assert.equal(r.status, 500);
    });
    assert.equal((errors[0] as { code?: string } | undefined)?.code, 'ERR_INVALID_ARG_TYPE');
  });

  test('without the option siblings are ignored', async () => {
    await withServer(serveStatic(dir), {}, async (port) => {
      const r = await protocolRequest('h1', port, 'GET', '/app.js', AE);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.ok(r.body.equals(js));
    });
  });
});
