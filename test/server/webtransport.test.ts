/**
 * WebTransport end to end on real sockets, hayate to hayate: `server.onWebTransport` against
 * `connectWebTransport`, over HTTP/2 (TLS, and cleartext once) and over HTTP/3 on hayate/quic (UDP). Each
 * test: streams both ways in both directions, datagrams, close codes and reasons, draining, the session and
 * stream limits, aborts mid-stream, backpressure from a slow reader, and server.close(); descriptors and
 * connection counts return to their baseline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Http2ClientSession } from '../../src/client/http2.js';
import { connectWebTransport, WebTransportConnectError } from '../../src/client/webtransport.js';
import type { WebTransportClientOptions } from '../../src/client/webtransport.js';
import { createServer, type Server } from '../../src/server/server.js';
import type { WebTransportRouteOptions, WebTransportServerLimits } from '../../src/server/webtransport.js';
import {
  WebTransport,
  WebTransportStreamError,
  WebTransportStreamErrorCode,
} from '../../src/server/webtransport-socket.js';
import { connectHayateQuic } from '../../src/transport/quic-udp.js';
import { http2WebTransportSettings } from '../../src/webtransport/http2-session.js';
import { fdsBackTo, openFds, pattern, sleep, testCert } from '../support/traffic.js';
import { H2WtEndpoint } from '../webtransport/h2-binding.js';
import { quicheAvailable } from '../support/peers.js';
import { connect as netConnect } from 'node:net';

type Proto = 'h2' | 'h2c' | 'h3' | 'h3-quiche';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c);
  return Buffer.concat(parts);
}

async function writeAll(w: WritableStream<Uint8Array>, data: Uint8Array, chunk = 16384): Promise<void> {
  const writer = w.getWriter();
  for (let i = 0; i < data.length; i += chunk) await writer.write(data.subarray(i, i + chunk));
  await writer.close();
}

/** The first value of a stream (the reader lock is released). */
async function first<T>(r: ReadableStream<T>): Promise<T> {
  const reader = r.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  assert.equal(done, false, 'stream ended');
  return value;
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 10000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`timed out: ${what}`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

/** Echo: bidi streams piped back, uni streams answered on a new uni stream, datagrams echoed. */
function echo(wt: WebTransport): void {
  void (async () => {
    for await (const bi of wt.incomingBidirectionalStreams)
      void bi.readable.pipeTo(bi.writable).catch(() => undefined);
  })().catch(() => undefined);
  void (async () => {
    for await (const r of wt.incomingUnidirectionalStreams) {
      void (async () => {
        const data = await readAll(r);
        await writeAll(await wt.createUnidirectionalStream(), data);
      })().catch(() => undefined);
    }
  })().catch(() => undefined);
  void (async () => {
    const w = wt.datagrams.writable.getWriter();
    for await (const d of wt.datagrams.readable) await w.write(d);
  })().catch(() => undefined);
}

interface Setup {
  readonly server: Server;
  readonly port: number;
  readonly url: (path: string) => string;
  readonly client: WebTransportClientOptions;
}

async function start(
  proto: Proto,
  routes: (server: Server) => void,
  webTransport?: Partial<WebTransportServerLimits>,
): Promise<Setup> {
  const server = createServer(
    (_req, res) => {
      res.end('plain');
    },
    proto === 'h2c'
      ? { transport: 'net', ...(webTransport === undefined ? {} : { webTransport }) }
      : {
          tls: testCert(),
          http3: { quicProvider: proto === 'h3-quiche' ? 'quiche' : 'hayate', idleTimeoutMs: 5000 },
          ...(webTransport === undefined ? {} : { webTransport }),
        },
  );
  routes(server);
  const { port } = await server.listen(0, '127.0.0.1');
  const scheme = proto === 'h2c' ? 'http' : 'https';
  const client: WebTransportClientOptions =
    proto === 'h3' || proto === 'h3-quiche'
      ? {
          protocol: 'h3',
          quicProvider: proto === 'h3' ? 'hayate' : 'quiche',
          verifyPeer: false,
          serverName: 'localhost',
          idleTimeoutMs: 5000,
        }
      : { protocol: 'h2', tls: { servername: 'localhost', rejectUnauthorized: false } };
  return { server, port, url: (path) => `${scheme}://127.0.0.1:${port}${path}`, client };
}

async function stop(s: Setup): Promise<void> {
  await s.server.close(1000);
  assert.equal(s.server.connectionCount, 0);
  assert.equal(s.server.webTransportCount, 0);
}

for (const proto of ['h2', 'h2c', 'h3', 'h3-quiche'] as const) {
  test(`${proto}: bidi and uni streams both ways, datagrams both ways, close codes seen by the peer`, async (t) => {
    if (proto === 'h3-quiche' && !(await quicheAvailable(t))) return;
    const fds0 = openFds();
    const serverClosed: Array<Promise<{ closeCode: number; reason: string }>> = [];
    const replies: string[] = [];
    const s = await start(proto, (server) => {
      server.onWebTransport('/echo', (wt) => {
        serverClosed.push(wt.closed);
        echo(wt);
      });
      server.onWebTransport('/push', async (wt) => {
        // Server-initiated streams: a bidi one (answered by the client) and a uni one.
        const bi = await wt.createBidirectionalStream();
        await writeAll(bi.writable, enc('from server'));
        replies.push(dec(await readAll(bi.readable)));
        await writeAll(await wt.createUnidirectionalStream(), enc('server uni'));
        await sleep(20);
        wt.close({ closeCode: 42, reason: 'bye' });
      });
    });
    try {
      const wt = await connectWebTransport(s.url('/echo'), s.client);
      await wt.ready;
      assert.equal(wt.httpVersion, proto.startsWith('h3') ? 'h3' : 'h2');
      // Client-initiated bidi, 300 KiB: more than one flow-control window each way.
      const big = pattern(300 * 1024, 3);
      const bi = await wt.createBidirectionalStream();
      const [, back] = await Promise.all([writeAll(bi.writable, big), readAll(bi.readable)]);
      assert.equal(Buffer.compare(back, big), 0);
      // Client-initiated uni; the server answers on a uni stream of its own.
      await writeAll(await wt.createUnidirectionalStream(), enc('uni from client'));
      assert.equal(dec(await readAll(await first(wt.incomingUnidirectionalStreams))), 'uni from client');
      // Datagrams both ways (loopback: none is lost, but send a few in case). The quiche adapter has no
      // QUIC DATAGRAM frames: no datagrams there (maxDatagramSize 0).
      if (proto === 'h3-quiche') {
        assert.equal(wt.datagrams.maxDatagramSize, 0);
      } else {
        const dw = wt.datagrams.writable.getWriter();
        assert.ok(wt.datagrams.maxDatagramSize >= 1000);
        const got = first(wt.datagrams.readable);
        for (let i = 0; i < 3; i++) await dw.write(enc('dgram'));
        assert.equal(dec(await withTimeout(got, 'datagram echo')), 'dgram');
        dw.releaseLock();
      }
      // Client closes with a code and reason: the server's `closed` has them.
      wt.close({ closeCode: 7, reason: 'done here' });
      assert.deepEqual(await wt.closed, { closeCode: 7, reason: 'done here' });
      assert.deepEqual(await withTimeout(serverClosed[0]!, 'server closed'), {
        closeCode: 7,
        reason: 'done here',
      });

      // Server-initiated streams, then the server closes: the client's `closed` has its code and reason.
      const push = await connectWebTransport(s.url('/push'), s.client);
      const sbi = await first(push.incomingBidirectionalStreams);
      assert.equal(dec(await readAll(sbi.readable)), 'from server');
      await writeAll(sbi.writable, enc('client reply'));
      assert.equal(dec(await readAll(await first(push.incomingUnidirectionalStreams))), 'server uni');
      assert.deepEqual(await withTimeout(push.closed, 'push closed'), { closeCode: 42, reason: 'bye' });
      assert.deepEqual(replies, ['client reply']);
      // A closed session refuses new streams with a session error.
      await assert.rejects(push.createBidirectionalStream(), (e: unknown) => {
        return e instanceof WebTransportStreamError && e.source === 'session';
      });
    } finally {
      await stop(s);
    }
    // quiche keeps a closed connection's socket through its draining period (RFC 9000 §10.2).
    await fdsBackTo(fds0, proto === 'h3-quiche' ? 10000 : 3000);
  });
}

for (const proto of ['h2', 'h3'] as const) {
  test(`${proto}: draining, and server.close() closes sessions`, async () => {
    const fds0 = openFds();
    const s = await start(proto, (server) => {
      server.onWebTransport('/drain', (wt) => {
        wt.drain();
        echo(wt);
      });
      server.onWebTransport('/echo', echo);
    });
    try {
      const d = await connectWebTransport(s.url('/drain'), s.client);
      await withTimeout(d.draining, 'draining');
      // Draining is a hint: existing work goes on, the session closes when either side says so.
      d.close({ closeCode: 0, reason: '' });
      await d.closed;

      const a = await connectWebTransport(s.url('/echo'), s.client);
      const b = await connectWebTransport(s.url('/echo'), s.client);
      await writeAll((await a.createBidirectionalStream()).writable, enc('x'));
      assert.equal(s.server.webTransportCount, 2);
      await s.server.close(2000);
      for (const wt of [a, b]) {
        assert.deepEqual(await withTimeout(wt.closed, 'closed by server.close()'), {
          closeCode: 0,
          reason: 'server shutting down',
        });
      }
      assert.equal(s.server.connectionCount, 0);
      assert.equal(s.server.webTransportCount, 0);
    } finally {
      await s.server.close(500);
    }
    await fdsBackTo(fds0);
  });

  test(`${proto}: sessions per connection (429), streams per session, on one shared connection`, async () => {
    const fds0 = openFds();
    const held: WebTransport[] = [];
    const s = await start(
      proto,
      (server) => {
        server.onWebTransport(
          '/hold',
          (wt) => {
            held.push(wt);
            // Takes streams and never reads or ends them, so they count against the limit.
            void (async () => {
              for await (const bi of wt.incomingBidirectionalStreams) assert.ok(bi.readable);
            })().catch(() => undefined);
          },
          { limits: { maxIncomingUniStreams: 10 } } satisfies WebTransportRouteOptions,
        );
      },
      { maxSessionsPerConnection: 1, sessionLimits: { maxIncomingBidiStreams: 2 } },
    );
    const h2 =
      proto === 'h2'
        ? new Http2ClientSession(new URL(`https://127.0.0.1:${s.port}`), {
            tls: { servername: 'localhost', rejectUnauthorized: false },
            extraSettings: http2WebTransportSettings(),
          })
        : undefined;
    const quic =
      proto === 'h3'
        ? await connectHayateQuic({
            host: '127.0.0.1',
            port: s.port,
            serverName: 'localhost',
            verifyPeer: false,
            maxIdleTimeoutMs: 5000,
          })
        : undefined;
    const opts: WebTransportClientOptions = {
      ...s.client,
      ...(h2 === undefined ? {} : { http2Session: h2 }),
      ...(quic === undefined ? {} : { quic }),
    };
    try {
      const one = await connectWebTransport(s.url('/hold'), opts);
      // RFC 6585 §4: the second session on the same connection is refused with 429.
      await assert.rejects(connectWebTransport(s.url('/hold'), opts), (e: unknown) => {
        return e instanceof WebTransportConnectError && e.status === 429;
      });
      // Two bidi streams are allowed; the third is refused (HTTP/2: WT_MAX_STREAMS, at the call; HTTP/3:
      // the server resets it with H3_EXCESSIVE_LOAD).
      const streams = [await one.createBidirectionalStream(), await one.createBidirectionalStream()];
      for (const st of streams) await st.writable.getWriter().write(enc('held'));
      await waitFor(() => held[0] !== undefined);
      if (proto === 'h2') {
        await assert.rejects(one.createBidirectionalStream(), { code: 'ERR_WT_STREAM_LIMIT' });
      } else {
        const third = await one.createBidirectionalStream();
        void third.writable
          .getWriter()
          .write(enc('one too many'))
          .catch(() => undefined);
        await assert.rejects(withTimeout(readAll(third.readable), 'third stream refused'), (e: unknown) => {
          return e instanceof WebTransportStreamError && e.source === 'stream';
        });
      }
      // Closing the first frees the slot: a new session on the same connection is accepted.
      one.close({ closeCode: 1, reason: 'next' });
      await one.closed;
      await waitFor(() => s.server.webTransportCount === 0);
      const again = await connectWebTransport(s.url('/hold'), opts);
      again.close();
      await again.closed;
    } finally {
      if (h2 !== undefined) await h2.close().catch(() => undefined);
      if (quic !== undefined) await quic.destroy();
      await stop(s);
    }
    await fdsBackTo(fds0);
  });

  test(`${proto}: aborts mid-stream carry their codes both ways`, async () => {
    const fds0 = openFds();
    const seen: Array<Promise<number | null>> = [];
    const s = await start(proto, (server) => {
      server.onWebTransport('/abort', (wt) => {
        void (async () => {
          for await (const bi of wt.incomingBidirectionalStreams) {
            // Reads until the client's reset; writes until the client's STOP_SENDING.
            seen.push(
              readAll(bi.readable).then(
                () => -1,
                (e: unknown) => (e instanceof WebTransportStreamError ? e.streamErrorCode : -2),
              ),
            );
            const w = bi.writable.getWriter();
            seen.push(
              (async (): Promise<number | null> => {
                try {
                  for (;;) await w.write(pattern(4096));
                } catch (e) {
                  return e instanceof WebTransportStreamError ? e.streamErrorCode : -2;
                }
              })(),
            );
          }
        })().catch(() => undefined);
      });
    });
    try {
      const wt = await connectWebTransport(s.url('/abort'), s.client);
      const bi = await wt.createBidirectionalStream();
      const w = bi.writable.getWriter();
      await w.write(pattern(10000));
      const reader = bi.readable.getReader();
      assert.ok(((await reader.read()).value?.length ?? 0) > 0);
      await w.abort(
        new WebTransportStreamError(WebTransportStreamErrorCode.STREAM_RESET, 'abort', {
          source: 'stream',
          streamErrorCode: 9,
        }),
      );
      await reader.cancel({ streamErrorCode: 5 });
      await waitFor(() => seen.length === 2);
      assert.deepEqual(await withTimeout(Promise.all(seen), 'server saw the aborts'), [9, 5]);
      wt.close();
      await wt.closed;
    } finally {
      await stop(s);
    }
    await fdsBackTo(fds0);
  });

  test(`${proto}: a slow reader bounds what the writer buffers`, async () => {
    const fds0 = openFds();
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const received: Array<Promise<number>> = [];
    const s = await start(proto, (server) => {
      server.onWebTransport('/slow', (wt) => {
        void (async () => {
          for await (const r of wt.incomingUnidirectionalStreams) {
            received.push(
              (async (): Promise<number> => {
                await released;
                return (await readAll(r)).length;
              })(),
            );
          }
        })().catch(() => undefined);
      });
    });
    try {
      const total = 6 << 20;
      const chunk = 64 * 1024;
      const wt = await connectWebTransport(s.url('/slow'), s.client);
      const w = (await wt.createUnidirectionalStream()).getWriter();
      let accepted = 0;
      const writing = (async (): Promise<void> => {
        const data = pattern(chunk);
        while (accepted < total) {
          await w.write(data);
          accepted += chunk;
        }
        await w.close();
      })();
      // Wait until the writer stops making progress: the reader reads nothing.
      let last = -1;
      while (accepted !== last) {
        last = accepted;
        await sleep(300);
      }
      // Bounded by the receive window (256 KiB per stream) plus the sender's buffering bound (HTTP/2:
      // maxBufferedBytes, 1 MiB; HTTP/3: highWaterMarkBytes, 64 KiB, over the QUIC stream's window).
      assert.ok(accepted < 2 << 20, `writer got ${accepted} bytes accepted with nobody reading`);
      assert.ok(accepted > 0);
      release();
      await withTimeout(writing, 'writer finished once the reader reads', 30000);
      assert.equal(await withTimeout(received[0]!, 'reader got all'), total);
      wt.close();
      await wt.closed;
    } finally {
      await stop(s);
    }
    await fdsBackTo(fds0);
  });
}

for (const proto of ['h2', 'h3'] as const) {
  test(`${proto}: refusals (404, verify: 401) and a client whose connection drops`, async () => {
    const fds0 = openFds();
    const lost: Array<Promise<unknown>> = [];
    const s = await start(proto, (server) => {
      server.onWebTransport('/private', () => undefined, {
        verify: (req) => req.headers.get('authorization') === 'secret' || 401,
      });
      server.onWebTransport('/live', (wt) => {
        lost.push(
          wt.closed.then(
            () => 'closed',
            (e: unknown) => e,
          ),
        );
        echo(wt);
      });
    });
    const h2 =
      proto === 'h2'
        ? new Http2ClientSession(new URL(`https://127.0.0.1:${s.port}`), {
            tls: { servername: 'localhost', rejectUnauthorized: false },
            extraSettings: http2WebTransportSettings(),
          })
        : undefined;
    const quic =
      proto === 'h3'
        ? await connectHayateQuic({
            host: '127.0.0.1',
            port: s.port,
            serverName: 'localhost',
            verifyPeer: false,
            maxIdleTimeoutMs: 5000,
          })
        : undefined;
    const opts: WebTransportClientOptions = {
      ...s.client,
      ...(h2 === undefined ? {} : { http2Session: h2 }),
      ...(quic === undefined ? {} : { quic }),
    };
    try {
      const status = (e: unknown): number => (e instanceof WebTransportConnectError ? e.status : -1);
      await assert.rejects(connectWebTransport(s.url('/nowhere'), opts), (e) => status(e) === 404);
      await assert.rejects(connectWebTransport(s.url('/private'), opts), (e) => status(e) === 401);
      const ok = await connectWebTransport(s.url('/private'), {
        ...opts,
        headers: [['authorization', 'secret']],
      });
      ok.close();
      await ok.closed;
      const wt = await connectWebTransport(s.url('/live'), opts);
      const bi = await wt.createBidirectionalStream();
      const w = bi.writable.getWriter();
      await w.write(enc('before the drop'));
      await waitFor(() => lost.length === 1);
      // The connection goes away under the session: both sides see it lost, not closed.
      if (h2 !== undefined) h2.destroy();
      if (quic !== undefined) await quic.destroy();
      await assert.rejects(withTimeout(wt.closed, 'client lost'), {
        code: WebTransportStreamErrorCode.SESSION_LOST,
      });
      const serverSide = await withTimeout(lost[0]!, 'server lost');
      assert.ok(serverSide instanceof WebTransportStreamError, String(serverSide));
      assert.equal(serverSide.code, WebTransportStreamErrorCode.SESSION_LOST);
      await assert.rejects(w.write(enc('after')), WebTransportStreamError);
      await waitFor(() => s.server.webTransportCount === 0);
    } finally {
      h2?.destroy();
      if (quic !== undefined) await quic.destroy();
      await stop(s);
    }
    await fdsBackTo(fds0);
  });
}

test('h2c: a peer breaking a capsule rule ends the session; the CONNECT stream is reset with its code', async () => {
  const fds0 = openFds();
  const lost: Array<Promise<unknown>> = [];
  const s = await start('h2c', (server) => {
    server.onWebTransport('/x', (wt) => {
      lost.push(
        wt.closed.then(
          () => 'closed',
          (e: unknown) => e,
        ),
      );
    });
  });
  const sock = netConnect({ host: '127.0.0.1', port: s.port });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    // The test-only binding (test/webtransport/h2-binding.ts) lets us write raw capsules.
    const ep = new H2WtEndpoint('client', sock);
    const session = await ep.open('/x', `127.0.0.1:${s.port}`);
    await waitFor(() => lost.length === 1);
    // WT_CLOSE_SESSION (0x2843) claiming 100000 bytes: above maxCapsuleBytes (ERR_WT_EXCESSIVE_LOAD).
    ep.conn.sendData(session.streamId, new Uint8Array([0x68, 0x43, 0x80, 0x01, 0x86, 0xa0, 0, 0, 0, 0]));
    ep.flush();
    const serverSide = await withTimeout(lost[0]!, 'server session failed');
    assert.ok(serverSide instanceof WebTransportStreamError, String(serverSide));
    assert.equal(serverSide.code, WebTransportStreamErrorCode.SESSION_LOST);
    assert.equal((serverSide.cause as { code?: string }).code, 'ERR_WT_EXCESSIVE_LOAD');
    // draft-ietf-webtrans-http2: the session error's code, ENHANCE_YOUR_CALM (0xb), on RST_STREAM.
    await waitFor(() => ep.resets.has(session.streamId));
    assert.equal(ep.resets.get(session.streamId), 0xb);
    await waitFor(() => s.server.webTransportCount === 0);
  } finally {
    sock.destroy();
    await stop(s);
  }
  await fdsBackTo(fds0);
});

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await sleep(5);
  }
}
