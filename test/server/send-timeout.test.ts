/**
 * `sendTimeoutMs`: a peer that reads nothing of a queued response is destroyed once the output has made no
 * progress for that long, on HTTP/1.1 and HTTP/2; a peer that reads slowly but steadily is not.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { CONNECTION_PREFACE } from '../../src/http2/frame/header.js';
import { createServer } from '../../src/server/server.js';
import { TRANSPORTS, transportAvailable } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CHUNK = new Uint8Array(64 * 1024).fill(0x41);

function serve(transport: 'native' | 'net', totalBytes: number) {
  return createServer(
    async (_req, res) => {
      for (let sent = 0; sent < totalBytes; sent += CHUNK.length) {
        if (!res.write(CHUNK)) await res.drained();
      }
      res.end();
    },
    { transport, limits: { sendTimeoutMs: 300, timerTickMs: 20 } },
  );
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** HTTP/2 frame header + payload. */
function frame(type: number, flags: number, stream: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** An h2c GET for `/` (HPACK: static :method GET, :path /, :scheme http, literal :authority x). */
function h2Get(): Buffer {
  const block = Buffer.from([0x82, 0x84, 0x86, 0x41, 0x01, 0x78]);
  // A 16 MiB connection and stream window so the server queues far more than the socket can hold.
  const settings = Buffer.alloc(6);
  settings.writeUInt16BE(0x4, 0);
  settings.writeUInt32BE(16 * 1024 * 1024, 2);
  const wu = Buffer.alloc(4);
  wu.writeUInt32BE(16 * 1024 * 1024, 0);
  return Buffer.concat([
    Buffer.from(CONNECTION_PREFACE),
    frame(0x4, 0, 0, settings),
    frame(0x8, 0, 0, wu),
    frame(0x1, 0x5, 1, block),
  ]);
}

function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      resolve(false);
    }, ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

for (const transport of TRANSPORTS) {
  for (const proto of ['h1', 'h2'] as const) {
    test(
      `${proto} on ${transport}: a peer that reads nothing is destroyed after sendTimeoutMs; a slow reader is not`,
      { skip: !transportAvailable(transport) && 'native addon not built', timeout: 30_000 },
      async () => {
        const closes: unknown[] = [];
        const onClose = (m: unknown): void => {
          closes.push((m as { error?: unknown }).error);
        };
        subscribe('hayate:server:connection-close', onClose);
        const server = serve(transport, 64 * 1024 * 1024);
        try {
          const { port } = await server.listen(0);
          const request = proto === 'h1' ? Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n') : h2Get();

          // Stuck: asks, then never reads (and half-closes, so it cannot even be told anything).
          const stuck = await open(port);
          stuck.on('error', () => undefined);
          stuck.write(request);
          stuck.pause();
          stuck.end();
          // A paused client socket does not notice the reset: watch the server side.
          const t0 = Date.now();
          await sleep(100);
          assert.equal(server.connectionCount, 1);
          const count = (): number => server.connectionCount;
          while (count() > 0 && Date.now() - t0 < 5000) await sleep(20);
          assert.equal(server.connectionCount, 0, 'a stuck peer is destroyed');
          assert.ok(Date.now() - t0 < 2000, `destroyed after ${Date.now() - t0} ms`);
          stuck.destroy();
          assert.ok(
            closes.some((e) => (e as { code?: string } | undefined)?.code === 'ERR_SEND_TIMEOUT'),
            `closed by the send timeout: ${closes.map(String).join(', ')}`,
          );

          // Slow: reads a little every 100 ms (three times the tick, well under the timeout) for 1.5 s.
          const slow = await open(port);
          slow.on('error', () => undefined);
          slow.write(request);
          let got = 0;
          slow.on('data', (b: Buffer) => {
            got += b.length;
            slow.pause();
            setTimeout(() => slow.resume(), 100);
          });
          const closedEarly = await closedWithin(slow, 1500);
          assert.equal(closedEarly, false, `a slow reader kept its connection (read ${got} bytes)`);
          assert.ok(got > 0);
          slow.destroy();
        } finally {
          unsubscribe('hayate:server:connection-close', onClose);
          await server.close(200);
        }
      },
    );
  }
}
