import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Http3Client } from '../../src/client/http3-client.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { altSvcValue, listenHttp3, serveConnection, withAltSvc } from '../../src/server/http3.js';
import type { Handler } from '../../src/server/types.js';
import { loadQuiche } from '../../src/transport/quic-quiche.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';
import { selfSignedCert } from './tls.js';

const handler: Handler = async (req, res) => {
  if (req.path === '/echo') {
    const body = await req.text();
    res.setHeader('content-type', 'text/plain');
    res.setHeader('connection', 'keep-alive'); // dropped for HTTP/3 (RFC 9114 §4.2)
    res.end(`${req.method} ${req.protocol} ${req.headers.get('host') ?? ''} ${body}`);
    return;
  }
  if (req.path === '/hints') {
    res.writeInformational(103, [['link', '</s.css>; rel=preload']]);
    res.write('a');
    res.end('b', [['x-done', 'yes']]);
    return;
  }
  if (req.path === '/fail') throw new Error('handler failure');
  res.status = 404;
  res.end('not found');
};

test('the protocol-neutral handler serves HTTP/3 (in-memory QUIC)', async () => {
  const pair = new MemoryQuicPair({ seed: 3, reorderStreams: true, maxChunkBytes: 5 });
  const errors: unknown[] = [];
  serveConnection(pair.server, {}, handler, (e) => errors.push(e));
  const got = new Map<number, string[]>();
  const client = new Http3Session(pair.client, {}, (e) => {
    const log = got.get('streamId' in e ? e.streamId : -1) ?? [];
    if (e.type === 'response')
      log.push(
        `status ${e.status} ${e.headers
          .map(([n, v]) => `${n}=${v}`)
          .filter((x) => !x.startsWith('date='))
          .join(',')}`,
      );
    if (e.type === 'data') {
      // Merge pieces the link re-split.
      const last = log.at(-1);
      if (last?.startsWith('data ') === true) log[log.length - 1] = last + Buffer.from(e.data).toString();
      else log.push(`data ${Buffer.from(e.data).toString()}`);
    }
    if (e.type === 'trailers') log.push(`trailers ${JSON.stringify(e.headers)}`);
    if (e.type === 'end') log.push('end');
    if (e.type === 'streamReset') log.push(`reset ${e.errorCode}`);
    if ('streamId' in e) got.set(e.streamId, log);
  });
  const ids: number[] = [];
  client.guard(() => {
    const a = client.h3.request([
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', 'h.test'],
      [':path', '/echo'],
    ]);
    client.h3.sendData(a, new TextEncoder().encode('payload'), true);
    ids.push(a);
    for (const p of ['/hints', '/nope', '/fail']) {
      ids.push(
        client.h3.request(
          [
            [':method', 'GET'],
            [':scheme', 'https'],
            [':authority', 'h.test'],
            [':path', p],
          ],
          true,
        ),
      );
    }
  });
  // The handler is async: let it run between deliveries.
  for (let i = 0; i < 20; i++) {
    pair.run();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(got.get(ids[0]!), [
    'status 200 content-type=text/plain,content-length=22',
    'data POST h3 h.test payload',
    'end',
  ]);
  assert.deepEqual(got.get(ids[1]!), [
    'status 103 link=</s.css>; rel=preload',
    'status 200 ',
    'data ab',
    'trailers [["x-done","yes"]]',
    'end',
  ]);
  assert.deepEqual(got.get(ids[2]!), ['status 404 content-length=9', 'data not found', 'end']);
  // The same 500 as HTTP/1.1 and HTTP/2 send for a failed handler (src/server/exchange.ts).
  assert.equal(got.get(ids[3]!)?.[0], 'status 500 content-type=text/plain; charset=utf-8,content-length=22');
  assert.equal(errors.length, 1);
  assert.equal(altSvcValue(443), 'h3=":443"; ma=86400');
});

test('listenHttp3 and Http3Client over UDP (quiche)', async (t) => {
  try {
    await loadQuiche();
  } catch (err) {
    if (process.env['CI']) throw err;
    t.skip(String(err));
    return;
  }
  const tls = selfSignedCert();
  if (tls === undefined) return;
  const server = await listenHttp3({ key: tls.key, cert: tls.cert, onError: () => undefined }, handler);
  try {
    const client = await Http3Client.connect('127.0.0.1', server.port, {
      verifyPeer: false,
      serverName: 'localhost',
    });
    const [a, b] = await Promise.all([
      client.request('POST', '/echo', [], new TextEncoder().encode('x')),
      client.request('GET', '/missing'),
    ]);
    assert.equal(a.status, 200);
    assert.equal(Buffer.from(a.body).toString(), `POST h3 localhost:${server.port} x`);
    assert.equal(b.status, 404);
    assert.match(server.altSvc, /^h3=":\d+"; ma=86400$/);
    await client.close();
  } finally {
    await server.close();
  }
});

test('withAltSvc advertises HTTP/3 on other protocols only', async () => {
  const seen: Array<string | undefined> = [];
  const wrapped = withAltSvc((_req, res) => {
    seen.push(res.getHeader('alt-svc'));
  }, altSvcValue(8443));
  const fakeRes = (): {
    headers: Map<string, string>;
    hasHeader(n: string): boolean;
    setHeader(n: string, v: string): void;
    getHeader(n: string): string | undefined;
  } => {
    const headers = new Map<string, string>();
    return {
      headers,
      hasHeader: (n) => headers.has(n),
      setHeader: (n, v) => {
        headers.set(n, v);
      },
      getHeader: (n) => headers.get(n),
    };
  };
  await wrapped({ protocol: 'http/1.1' } as never, fakeRes() as never);
  await wrapped({ protocol: 'h2' } as never, fakeRes() as never);
  await wrapped({ protocol: 'h3' } as never, fakeRes() as never);
  assert.deepEqual(seen, ['h3=":8443"; ma=86400', 'h3=":8443"; ma=86400', undefined]);
});
