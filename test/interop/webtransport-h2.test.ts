/**
 * WebTransport over HTTP/2 interop with @fails-components/webtransport (pure-JS HTTP/2 transport; its HTTP/3
 * transport needs a native quiche build, whose failed import it logs and we ignore). Both roles: its
 * `WebTransport` client against hayate's Http2Connection + Http2WebTransportSession (test binding), and its
 * `Http2Server` against hayate's client. Streams both ways, datagrams, close with code and reason.
 * fails-components numbers client-initiated streams odd, hence `clientInitiatedBit: 1`.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { type BoundSession, H2WtEndpoint } from '../webtransport/h2-binding.js';

/** The slice of the fails-components API these tests use (W3C WebTransport shape). */
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
  const reader = r.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
  }
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

describe('WebTransport over HTTP/2 with @fails-components/webtransport', () => {
  let fails: FailsModule;
  const cert = selfSignedCertificate();
  const certHash = createHash('sha256').update(new X509Certificate(cert.cert).raw).digest();

  before(async () => {
    const spec = '@fails-components/webtransport';
    fails = (await import(spec)) as FailsModule;
  });

  describe('fails-components client -> hayate server', () => {
    let server: tls.Server;
    let port = 0;
    const sessions: BoundSession[] = [];
    let onSession: (s: BoundSession) => void = () => undefined;

    before(async () => {
      server = tls.createServer({ key: cert.key, cert: cert.cert, ALPNProtocols: ['h2'] }, (sock) => {
        new H2WtEndpoint('server', sock, {
          clientInitiatedBit: 1,
          // Small, so that the tests below need WT_MAX_STREAMS updates.
          limits: { maxIncomingBidiStreams: 10 },
          onSession: (s) => {
            sessions.push(s);
            onSession(s);
          },
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((r) => {
        server.close(() => {
          r();
        });
      });
    });

    const connect = (): WtLike =>
      new fails.WebTransport(`https://127.0.0.1:${port}/echo`, {
        forceReliable: true,
        serverCertificateHashes: [{ algorithm: 'sha-256', value: certHash }],
      });

    test('streams both ways, datagrams, client close', async () => {
      const payload = bigPayload(200_000);
      onSession = (s) => {
        // Echo every client bidi stream; answer a client uni stream on a server uni stream; echo datagrams;
        // open one server bidi stream and read the client's reply on it.
        void (async () => {
          while (!s.core.isClosed) {
            const e = await s.waitFor((x) => x.type === 'stream' || x.type === 'datagram');
            if (e.type === 'datagram') {
              s.datagram(e.data);
            } else if (e.type === 'stream') {
              const id = e.streamId;
              const bidi = e.bidirectional;
              void s.readAll(id).then((data) => {
                if (s.core.isClosed) return;
                if (bidi) s.send(id, data, true);
                else s.send(s.openUni(), data, true);
              });
            }
          }
        })();
      };
      const wt = connect();
      await wt.ready;
      const s = sessions.at(-1)!;

      const bidi = await wt.createBidirectionalStream();
      const [, echoed] = await Promise.all([writeAll(bidi.writable, enc(payload)), readAll(bidi.readable)]);
      assert.equal(echoed.length, payload.length);
      assert.equal(echoed, payload);

      const uni = await wt.createUnidirectionalStream();
      await writeAll(uni, enc('uni from fails'));
      assert.equal(await readAll(await first(wt.incomingUnidirectionalStreams)), 'uni from fails');

      // Server-initiated bidirectional stream.
      const sb = s.openBidi();
      s.send(sb, enc('server hello'), true);
      const incoming = await first(wt.incomingBidirectionalStreams);
      assert.equal(await readAll(incoming.readable), 'server hello');
      await writeAll(incoming.writable, enc('client reply'));
      assert.equal(dec(await s.readAll(sb)), 'client reply');

      const dw = wt.datagrams.createWritable().getWriter();
      await dw.write(enc('dgram'));
      dw.releaseLock();
      assert.equal(dec(await first(wt.datagrams.readable)), 'dgram');

      wt.close({ closeCode: 4242, reason: 'client done' });
      const closed = await s.waitFor((x) => x.type === 'closed');
      assert.ok(closed.type === 'closed');
      assert.deepEqual([closed.code, closed.reason, closed.initiator], [4242, 'client done', 'remote']);
    });

    test('stream credit: 40 bidirectional streams with 10 allowed at a time (WT_MAX_STREAMS)', async () => {
      onSession = (s) => {
        void (async () => {
          while (!s.core.isClosed) {
            const e = await s.waitFor((x) => x.type === 'stream');
            if (e.type !== 'stream') continue;
            const id = e.streamId;
            void s.readAll(id).then((data) => {
              if (!s.core.isClosed) s.send(id, data, true);
            });
          }
        })();
      };
      const wt = connect();
      await wt.ready;
      for (let i = 0; i < 40; i++) {
        const bs = await wt.createBidirectionalStream();
        const [, back] = await Promise.all([writeAll(bs.writable, enc(`n${i}`)), readAll(bs.readable)]);
        assert.equal(back, `n${i}`);
      }
      wt.close({ closeCode: 0, reason: '' });
    });

    test('server close reaches the client with code and reason', async () => {
      onSession = () => undefined;
      const wt = connect();
      await wt.ready;
      const s = sessions.at(-1)!;
      s.close(7, 'server says bye');
      const info = await wt.closed;
      assert.equal(info.closeCode, 7);
      assert.equal(info.reason, 'server says bye');
    });
  });

  describe('hayate client -> fails-components server', () => {
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
        // fails-components 1.6 announces SETTINGS_WT_INITIAL_MAX_DATA = initialSessionFlowControlWindow (16 KiB by
        // default) but its server enforces sessionFlowControlWindowSizeLimit (15 MiB) and sends WT_MAX_DATA only
        // after half of that is consumed, so any peer (its own client too) stalls after 16 KiB of uploads.
        // Announcing what it enforces makes the two agree.
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
        const r = ws.incomingBidirectionalStreams.getReader();
        for (;;) {
          const { value, done } = await r.read();
          if (done) return;
          void value.readable.pipeTo(value.writable).catch(() => undefined);
        }
      })();
      void (async () => {
        const r = ws.incomingUnidirectionalStreams.getReader();
        for (;;) {
          const { value, done } = await r.read();
          if (done) return;
          const text = await readAll(value);
          await writeAll(await ws.createUnidirectionalStream(), enc(text));
        }
      })();
      void (async () => {
        const r = ws.datagrams.readable.getReader();
        const w = ws.datagrams.createWritable().getWriter();
        for (;;) {
          const { value, done } = await r.read();
          if (done) return;
          await w.write(value);
        }
      })();
      const b = await ws.createBidirectionalStream();
      await writeAll(b.writable, enc('fails server hello'));
      void readAll(b.readable).then(async (reply) => {
        const u = await ws.createUnidirectionalStream();
        await writeAll(u, enc(`got: ${reply}`));
      });
    }

    async function openClient(): Promise<{ ep: H2WtEndpoint; s: BoundSession; sock: tls.TLSSocket }> {
      const sock = tls.connect({
        host: '127.0.0.1',
        port,
        ALPNProtocols: ['h2'],
        ca: cert.cert,
        servername: 'localhost',
      });
      await new Promise<void>((r, j) => {
        sock.once('secureConnect', r);
        sock.once('error', j);
      });
      assert.equal(sock.alpnProtocol, 'h2');
      const ep = new H2WtEndpoint('client', sock, { clientInitiatedBit: 1 });
      const s = await ep.open('/echo', `localhost:${port}`);
      return { ep, s, sock };
    }

    test('streams both ways, datagrams, client close', async () => {
      const { s, sock } = await openClient();
      const payload = bigPayload(200_000);

      // The server's bidi stream arrives first; reply on it, and the server answers on a uni stream.
      const sb = await s.waitFor((e) => e.type === 'stream' && e.bidirectional);
      assert.ok(sb.type === 'stream');
      assert.equal(dec(await s.readAll(sb.streamId)), 'fails server hello');
      s.send(sb.streamId, enc('hayate reply'), true);
      const answer = await s.waitFor((e) => e.type === 'stream' && !e.bidirectional);
      assert.ok(answer.type === 'stream');
      assert.equal(dec(await s.readAll(answer.streamId)), 'got: hayate reply');

      const b = s.openBidi();
      s.send(b, enc(payload), true);
      const echoed = dec(await s.readAll(b));
      assert.equal(echoed.length, payload.length);
      assert.equal(echoed, payload);

      const u = s.openUni();
      s.send(u, enc('uni from hayate'), true);
      const back = await s.waitFor((e) => e.type === 'stream' && !e.bidirectional);
      assert.ok(back.type === 'stream');
      assert.equal(dec(await s.readAll(back.streamId)), 'uni from hayate');

      s.datagram(enc('dgram from hayate'));
      const dg = await s.waitFor((e) => e.type === 'datagram');
      assert.ok(dg.type === 'datagram');
      assert.equal(dec(dg.data), 'dgram from hayate');

      s.close(99, 'hayate done');
      const info = await serverSessions.at(-1)!.closed;
      assert.equal(info.closeCode, 99);
      assert.equal(info.reason, 'hayate done');
      sock.destroy();
    });
  });
});
