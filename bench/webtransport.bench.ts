/**
 * WebTransport benchmarks (area `webtransport`), issue 15: hayate's server and client on loopback, the same
 * echo route, over HTTP/3 on hayate/quic (the subject) and over HTTP/2 on TLS (the peer row: the table's
 * ratio is then h3 : h2).
 *
 * - `datagram-echo`: 100-byte datagrams echoed by the server, in rounds of 64 (a round ends when all came
 *   back or after 50 ms: datagrams may be dropped, RFC 9221 §5); hz = echoes received per second.
 * - `stream-32MiB`: one bidirectional stream, 32 MiB written in 64 KiB chunks, the server counts and answers
 *   the byte count when the stream ends; hz = transfers/s, `MBps` in the record.
 */
import { connectWebTransport } from '../src/client/webtransport.js';
import { selfSignedCertificate } from '../src/server/cert.js';
import { createServer } from '../src/server/index.js';
import type { WebTransport } from '../src/server/webtransport-socket.js';
import type { BenchOptions, BenchRecord } from './lib/report.js';

export const area = 'webtransport';

const DATAGRAM_BYTES = 100;
const ROUND = 64;
const ROUND_TIMEOUT_MS = 50;
const STREAM_BYTES = 32 << 20;
const CHUNK = new Uint8Array(64 << 10).fill(0x61);

/** Echoes datagrams; on each bidirectional stream, answers the number of bytes read once it ends. */
function serveEcho(wt: WebTransport): void {
  void wt.datagrams.readable.pipeTo(wt.datagrams.writable).catch(() => undefined);
  void (async () => {
    const streams = wt.incomingBidirectionalStreams.getReader();
    for (;;) {
      const next = await streams.read();
      if (next.done) return;
      const { readable, writable } = next.value;
      void (async () => {
        let n = 0;
        const r = readable.getReader();
        for (let c = await r.read(); !c.done; c = await r.read()) n += c.value.length;
        const w = writable.getWriter();
        const answer = new Uint8Array(8);
        new DataView(answer.buffer).setFloat64(0, n);
        await w.write(answer);
        await w.close();
      })().catch(() => undefined);
    }
  })().catch(() => undefined);
}

async function datagramEcho(wt: WebTransport, timeMs: number): Promise<number> {
  const writer = wt.datagrams.writable.getWriter();
  const reader = wt.datagrams.readable.getReader();
  const payload = new Uint8Array(DATAGRAM_BYTES).fill(0x62);
  let received = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < timeMs) {
    for (let i = 0; i < ROUND; i++) void writer.write(payload).catch(() => undefined);
    const deadline = performance.now() + ROUND_TIMEOUT_MS;
    let got = 0;
    while (got < ROUND && performance.now() < deadline) {
      const r = await Promise.race([
        reader.read(),
        new Promise<null>((resolve) =>
          setTimeout(
            () => {
              resolve(null);
            },
            Math.max(1, deadline - performance.now()),
          ),
        ),
      ]);
      if (r === null || r.done) break;
      got++;
    }
    received += got;
  }
  const seconds = (performance.now() - t0) / 1000;
  writer.releaseLock();
  reader.releaseLock();
  return received / seconds;
}

async function streamTransfer(wt: WebTransport): Promise<number> {
  const { readable, writable } = await wt.createBidirectionalStream();
  const t0 = performance.now();
  const w = writable.getWriter();
  for (let sent = 0; sent < STREAM_BYTES; sent += CHUNK.length) await w.write(CHUNK);
  await w.close();
  const r = readable.getReader();
  const answer = await r.read();
  const ms = performance.now() - t0;
  if (
    answer.done ||
    new DataView(answer.value.buffer, answer.value.byteOffset).getFloat64(0) !== STREAM_BYTES
  ) {
    throw new Error('the server counted a different number of bytes');
  }
  return ms;
}

async function measure(
  url: string,
  protocol: 'h2' | 'h3',
  timeMs: number,
  subject: string,
  peer: boolean,
): Promise<BenchRecord[]> {
  const wt = await connectWebTransport(
    url,
    protocol === 'h3' ? { protocol, verifyPeer: false } : { protocol, tls: { rejectUnauthorized: false } },
  );
  try {
    await streamTransfer(wt); // warm-up
    const hz = await datagramEcho(wt, timeMs);
    const ms = await streamTransfer(wt);
    return [
      { bench: `${area}/datagram-echo`, subject, peer, hz: Math.round(hz) },
      {
        bench: `${area}/stream-32MiB`,
        subject,
        peer,
        hz: 1000 / ms,
        MBps: Number((STREAM_BYTES / 1e6 / (ms / 1000)).toFixed(1)),
      },
    ];
  } finally {
    wt.close({ closeCode: 0, reason: 'done' });
  }
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const tls = selfSignedCertificate();
  const server = createServer(
    (_req, res) => {
      res.end('webtransport bench\n');
    },
    { tls, http3: true },
  );
  server.onWebTransport('/echo', serveEcho);
  const { port } = await server.listen(0, '127.0.0.1');
  const url = `https://localhost:${port}/echo`;
  const out: BenchRecord[] = [];
  try {
    out.push(
      ...(await measure(url, 'h3', options.timeMs, 'hayate WebTransport over HTTP/3 (hayate/quic)', false)),
    );
    out.push(...(await measure(url, 'h2', options.timeMs, 'hayate WebTransport over HTTP/2 (TLS)', true)));
  } finally {
    await server.close();
  }
  return out;
}
