/**
 * The W3C-shaped WebTransport object over two HTTP/2 session cores wired back to back in memory (no
 * sockets): exact backpressure both ways (a writer waits once the session holds `maxBufferedBytes`, a
 * reader that does not read returns no credit, so the peer's window stays shut), stream errors with their
 * codes, and usage errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  WebTransport,
  WebTransportStreamError,
  type WebTransportCarrier,
} from '../../src/server/webtransport-socket.js';
import { Http2WebTransportSession } from '../../src/webtransport/http2-session.js';
import type { WebTransportLimits } from '../../src/webtransport/limits.js';

/** Carrier of one side: output goes to the peer core on a later microtask (as a socket would). */
class MemoryCarrier implements WebTransportCarrier {
  readonly core: Http2WebTransportSession;
  peer: MemoryCarrier | undefined = undefined;
  wt: WebTransport | undefined = undefined;
  released = 0;

  constructor(core: Http2WebTransportSession) {
    this.core = core;
  }

  flush(): void {
    const out = this.core.takeOutput();
    if (out.length === 0) return;
    const peer = this.peer!;
    queueMicrotask(() => {
      for (const c of out) peer.core.receive(c);
      peer.wt?.pump();
    });
  }

  consumed(streamId: number, bytes: number): void {
    this.core.consumed(streamId, bytes);
  }

  whenWritable(): undefined {
    return undefined;
  }

  opened(): void {
    // The core counts buffered bytes.
  }

  room = true;

  hasDatagramRoom(): boolean {
    return this.room;
  }

  release(): void {
    this.released++;
  }
}

function pair(limits: Partial<WebTransportLimits>): {
  client: WebTransport;
  server: WebTransport;
  c: MemoryCarrier;
  s: MemoryCarrier;
} {
  const settings = {
    initialMaxData: limits.maxSessionDataBytes ?? 1 << 20,
    initialMaxStreamDataBidi: limits.maxStreamDataBytes ?? 256 << 10,
    initialMaxStreamDataUni: limits.maxStreamDataBytes ?? 256 << 10,
    initialMaxStreamsBidi: limits.maxIncomingBidiStreams ?? 100,
    initialMaxStreamsUni: limits.maxIncomingUniStreams ?? 100,
  };
  const c = new MemoryCarrier(
    new Http2WebTransportSession({ role: 'client', limits, peerSettings: settings }),
  );
  const s = new MemoryCarrier(
    new Http2WebTransportSession({ role: 'server', limits, peerSettings: settings }),
  );
  c.peer = s;
  s.peer = c;
  const client = new WebTransport(c.core, c, { httpVersion: 'h2', maxDatagramSize: 1000 });
  const server = new WebTransport(s.core, s, { httpVersion: 'h2', maxDatagramSize: 1000 });
  c.wt = client;
  s.wt = server;
  return { client, server, c, s };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('backpressure: the writer waits at maxBufferedBytes, the reader holds the window shut until it reads', async () => {
  const { client, server, c } = pair({ maxStreamDataBytes: 4096, maxBufferedBytes: 8192 });
  const w = (await client.createUnidirectionalStream()).getWriter();
  let accepted = 0;
  const chunk = new Uint8Array(1024);
  const writing = (async (): Promise<void> => {
    for (let i = 0; i < 64; i++) {
      await w.write(chunk);
      accepted += chunk.length;
    }
    await w.close();
  })();
  for (let i = 0; i < 20; i++) await tick();
  // 4096 bytes went out (the peer's stream window), 8192 more are queued in the session: then writes wait.
  assert.ok(accepted <= 4096 + 8192 + 1024, `accepted ${accepted}`);
  assert.ok(accepted >= 4096, `accepted ${accepted}`);
  const id = 2; // the client's first unidirectional stream
  assert.equal(c.core.sendWindow(id), 0);
  const stalled = accepted;
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(accepted, stalled, 'the writer made progress while nobody read');

  const r = await (async () => {
    for await (const s of server.incomingUnidirectionalStreams) return s;
    throw new Error('no stream');
  })();
  // Nobody reads yet: no credit goes back, however long we wait.
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(c.core.sendWindow(id), 0);
  let total = 0;
  for await (const part of r) total += part.length;
  assert.equal(total, 64 * 1024);
  await writing;
  assert.equal(accepted, 64 * 1024);
});

test('stream errors carry codes; usage errors throw at the call; close reaches the peer', async () => {
  const { client, server, c, s } = pair({});
  const bi = await client.createBidirectionalStream();
  const writer = bi.writable.getWriter();
  await writer.write(new Uint8Array([1, 2, 3]));
  const incoming = await (async () => {
    for await (const x of server.incomingBidirectionalStreams) return x;
    throw new Error('no stream');
  })();
  const reader = incoming.readable.getReader();
  assert.deepEqual([...((await reader.read()).value ?? [])], [1, 2, 3]);
  // The peer cancels its reading side with 77: our writer fails with that code.
  await reader.cancel({ streamErrorCode: 77 });
  await assert.rejects(
    (async () => {
      for (;;) await writer.write(new Uint8Array(10));
    })(),
    (e: unknown) => e instanceof WebTransportStreamError && e.streamErrorCode === 77 && e.source === 'stream',
  );
  // Writing something that is not bytes is a TypeError at the call.
  const w2 = (await client.createUnidirectionalStream()).getWriter();
  await assert.rejects(w2.write('text' as unknown as Uint8Array), TypeError);
  assert.throws(() => {
    client.close({ closeCode: 2 ** 32 });
  }, /32-bit/);
  server.close({ closeCode: 5, reason: 'r'.repeat(2000) });
  const info = await client.closed;
  assert.equal(info.closeCode, 5);
  // draft-ietf-webtrans-http3 §5: the reason is cut to 1024 bytes.
  assert.equal(info.reason.length, 1024);
  assert.equal(c.released, 1);
  assert.equal(s.released, 1);
  await assert.rejects(client.createBidirectionalStream(), { code: 'ERR_WT_SESSION_CLOSED' });
});

test('datagrams: delivered, dropped (not queued) when too large or the connection is backed up', async () => {
  const { client, server, c } = pair({});
  const got: string[] = [];
  void (async () => {
    for await (const d of server.datagrams.readable) got.push(Buffer.from(d).toString());
  })();
  const w = client.datagrams.writable.getWriter();
  await w.write(new TextEncoder().encode('one'));
  await w.write(new Uint8Array(client.datagrams.maxDatagramSize + 1));
  c.room = false;
  await w.write(new TextEncoder().encode('dropped'));
  c.room = true;
  await w.write(new TextEncoder().encode('two'));
  for (let i = 0; i < 10; i++) await tick();
  assert.deepEqual(got, ['one', 'two']);
  client.close();
  await server.closed;
});
