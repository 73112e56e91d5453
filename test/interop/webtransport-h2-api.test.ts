/**
 * WebTransport over HTTP/2 interop with @fails-components/webtransport through hayate's public API (the
 * test binding's version is webtransport-h2.test.ts): its `WebTransport` client against
 * `createServer(...).onWebTransport`, and `connectWebTransport` against its `Http2Server`. Streams both
 * ways, datagrams, close codes and reasons; descriptors back to baseline. fails-components numbers
 * client-initiated streams odd, hence `http2ClientInitiatedBit: 1` on both of our roles.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate, createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connectWebTransport } from '../../src/client/webtransport.js';
import { createServer } from '../../src/server/server.js';
import type { WebTransport } from '../../src/server/webtransport-socket.js';
import { fdsBackTo, openFds, testCert } from '../support/traffic.js';

interface WtStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}
interface WtLike {
  readonly ready: Promise<void>;
  readonly closed: Promise<{ closeCode?: number; reason?: string }>;
  readonly datagrams: { readable: ReadableStream<Uint8Array>; createWritable(): WritableStream<Uint8Array> };
  readonly incomingBidirectionalStreams: ReadableStream<WtStreamPair>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  createBidirectionalStream(): Promise<WtStreamPair>;
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
  close(info?: { closeCode?: number; reason?: string }): void;
}
interface FailsServer {
  readonly ready: Promise<void>;
  startServer(): void;
  stopServer(): void;
  address(): { port: number };
  sessionStream(path: string): ReadableStream<WtLike>;
}
interface FailsModule {
  Http2Server: new (o: object) => FailsServer;
  WebTransport: new (url: string, o: object) => WtLike;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function readAll(r: ReadableStream<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c);
  return dec(Buffer.concat(parts));
}

async function writeAll(w: WritableStream<Uint8Array>, data: Uint8Array): Promise<void> {
  const writer = w.getWriter();
  await writer.write(data);
  await writer.close();
}

async function first<T>(r: ReadableStream<T>): Promise<T> {
  const reader = r.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  if (done) throw new Error('stream ended');
  return value;
}

function bigPayload(n: number): string {
  let s = '';
  while (s.length < n) s += `chunk-${s.length};`;
  return s;
}

describe('WebTransport over HTTP/2, public API, with @fails-components/webtransport', () => {
  let fails: FailsModule;
  const cert = testCert();
  const certHash = createHash('sha256').update(new X509Certificate(cert.cert).raw).digest();

  before(async () => {
    const spec = '@fails-components/webtransport';
    fails = (await import(spec)) as FailsModule;
  });

  test('fails-components client -> server.onWebTransport', async () => {
    const fds0 = openFds();
    const serverClosed: Array<Promise<{ closeCode: number; reason: string }>> = [];
    const replies: string[] = [];
    const server = createServer(
      (_req, res) => {
        res.end('plain');
      },
      { tls: cert, webTransport: { http2ClientInitiatedBit: 1 } },
    );
    server.onWebTransport('/echo', (wt: WebTransport) => {
      serverClosed.push(wt.closed);
      void (async () => {
        for await (const bi of wt.incomingBidirectionalStreams) {
          void bi.readable.pipeTo(bi.writable).catch(() => undefined);
        }
      })().catch(() => undefined);
      void (async () => {
        for await (const r of wt.incomingUnidirectionalStreams) {
          const text = await readAll(r);
          await writeAll(await wt.createUnidirectionalStream(), enc(text));
        }
      })().catch(() => undefined);
      void (async () => {
        const w = wt.datagrams.writable.getWriter();
        for await (const d of wt.datagrams.readable) await w.write(d);
      })().catch(() => undefined);
      void (async () => {
        const b = await wt.createBidirectionalStream();
        await writeAll(b.writable, enc('hayate server hello'));
        replies.push(await readAll(b.readable));
      })().catch(() => undefined);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const wt = new fails.WebTransport(`https://127.0.0.1:${port}/echo`, {
        forceReliable: true,
        serverCertificateHashes: [{ algorithm: 'sha-256', value: certHash }],
      });
      await wt.ready;
      const incoming = await first(wt.incomingBidirectionalStreams);
      assert.equal(await readAll(incoming.readable), 'hayate server hello');
      await writeAll(incoming.writable, enc('fails reply'));

      const payload = bigPayload(200_000);
      const bidi = await wt.createBidirectionalStream();
      const [, echoed] = await Promise.all([writeAll(bidi.writable, enc(payload)), readAll(bidi.readable)]);
      assert.equal(echoed, payload);

      await writeAll(await wt.createUnidirectionalStream(), enc('uni from fails'));
      assert.equal(await readAll(await first(wt.incomingUnidirectionalStreams)), 'uni from fails');

      const dw = wt.datagrams.createWritable().getWriter();
      await dw.write(enc('dgram'));
      dw.releaseLock();
      assert.equal(dec(await first(wt.datagrams.readable)), 'dgram');
      assert.deepEqual(replies, ['fails reply']);

      wt.close({ closeCode: 4242, reason: 'client done' });
      assert.deepEqual(await serverClosed[0], { closeCode: 4242, reason: 'client done' });
    } finally {
      await server.close(500);
    }
    assert.equal(server.connectionCount, 0);
    await fdsBackTo(fds0);
  });

  describe('connectWebTransport -> fails-components Http2Server', () => {
    let server: FailsServer;
    let port = 0;
    const serverSessions: WtLike[] = [];

    before(async () => {
      server = new fails.Http2Server({
        port: 0,
        host: '127.0.0.1',
        secret: 'unused',
        cert: cert.cert,
        privKey: cert.key,
        // See webtransport-h2.test.ts: announce the session window fails-components 1.6 enforces.
        initialSessionFlowControlWindow: 15 * 1024 * 1024,
      });
      server.startServer();
      await server.ready;
      port = server.address().port;
      void (async () => {
        const reader = server.sessionStream('/echo').getReader();
        for (;;) {
          const { value: session, done } = await reader.read();
          if (done) return;
          serverSessions.push(session);
          void echoSession(session);
        }
      })();
    });
    after(() => {
      server.stopServer();
    });

    async function echoSession(ws: WtLike): Promise<void> {
      await ws.ready;
      void (async () => {
        for await (const value of ws.incomingBidirectionalStreams) {
          void value.readable.pipeTo(value.writable).catch(() => undefined);
        }
      })().catch(() => undefined);
      void (async () => {
        for await (const value of ws.incomingUnidirectionalStreams) {
          await writeAll(await ws.createUnidirectionalStream(), enc(await readAll(value)));
        }
      })().catch(() => undefined);
      void (async () => {
        const w = ws.datagrams.createWritable().getWriter();
        for await (const value of ws.datagrams.readable) await w.write(value);
      })().catch(() => undefined);
    }

    test('streams both ways, datagrams, client close', async () => {
      const wt = await connectWebTransport(`https://127.0.0.1:${port}/echo`, {
        protocol: 'h2',
        tls: { ca: cert.cert, servername: 'localhost' },
        http2ClientInitiatedBit: 1,
      });
      const payload = bigPayload(200_000);
      const b = await wt.createBidirectionalStream();
      const [, echoed] = await Promise.all([writeAll(b.writable, enc(payload)), readAll(b.readable)]);
      assert.equal(echoed, payload);

      await writeAll(await wt.createUnidirectionalStream(), enc('uni from hayate'));
      assert.equal(await readAll(await first(wt.incomingUnidirectionalStreams)), 'uni from hayate');

      const dw = wt.datagrams.writable.getWriter();
      await dw.write(enc('dgram from hayate'));
      dw.releaseLock();
      assert.equal(dec(await first(wt.datagrams.readable)), 'dgram from hayate');

      wt.close({ closeCode: 99, reason: 'hayate done' });
      assert.deepEqual(await wt.closed, { closeCode: 99, reason: 'hayate done' });
      const info = await serverSessions.at(-1)!.closed;
      assert.equal(info.closeCode, 99);
      assert.equal(info.reason, 'hayate done');
    });
  });
});
