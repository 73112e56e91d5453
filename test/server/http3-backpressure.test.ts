/**
 * HTTP/3 backpressure and stream credit over the in-memory QUIC provider (deterministic): response bytes
 * wait for the peer's stream window instead of piling up in the server, and request-body bytes go back to
 * the peer as credit only as the handler reads them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Http3Event } from '../../src/http3/connection.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { serveConnection } from '../../src/server/http3.js';
import type { Handler } from '../../src/server/types.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** Byte `i` of the test body: a pattern that catches lost, repeated or reordered bytes. */
function patternByte(i: number): number {
  return (i * 7 + (i >>> 16)) & 0xff;
}

function patternChunk(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = patternByte(offset + i);
  return out;
}

/** Runs the link and lets async handlers take their turns, until nothing moves for a few rounds. */
async function settle(pair: MemoryQuicPair, rounds = 5): Promise<void> {
  let quiet = 0;
  while (quiet < rounds) {
    const n = pair.run();
    await new Promise((r) => setImmediate(r));
    quiet = n === 0 ? quiet + 1 : 0;
  }
}

function get(client: Http3Session, path: string, method = 'GET', endStream = true): number {
  let id = -1;
  client.guard(() => {
    id = client.h3.request(
      [
        [':method', method],
        [':scheme', 'https'],
        [':authority', 'h.test'],
        [':path', path],
      ],
      endStream,
    );
  });
  return id;
}

test('64 MiB written with write()/drained() stays bounded while the client does not read, then arrives intact', async () => {
  const hwm = 64 * KIB;
  const total = 64 * MIB;
  const chunkBytes = 64 * KIB;
  const pair = new MemoryQuicPair({ streamWindowBytes: 256 * KIB });
  let maxRetained = 0;
  let maxPending = 0;
  let writes = 0;
  let isDone = false;
  const handler: Handler = async (_req, res) => {
    res.setHeader('content-length', String(total));
    for (let off = 0; off < total; off += chunkBytes) {
      writes++;
      const more = res.write(patternChunk(off, chunkBytes));
      maxRetained = Math.max(maxRetained, pair.server.retainedBytes);
      if (!more) await res.drained();
      maxRetained = Math.max(maxRetained, pair.server.retainedBytes);
    }
    res.end();
    isDone = true;
  };
  const errors: unknown[] = [];
  const session = serveConnection(pair.server, { highWaterMarkBytes: hwm }, handler, (e) => errors.push(e));
  // The client keeps what it receives without consuming it, so its stream window stays shut.
  let received = 0;
  let unconsumed = 0;
  let status = 0;
  let isEnded = false;
  let mismatchAt = -1;
  const client = new Http3Session(pair.client, { isBodyCreditManual: true }, (e: Http3Event) => {
    if (e.type === 'response') status = e.status;
    else if (e.type === 'data') {
      for (let i = 0; i < e.data.length; i++) {
        if (e.data[i] !== patternByte(received + i) && mismatchAt < 0) mismatchAt = received + i;
      }
      received += e.data.length;
      unconsumed += e.data.length;
    } else if (e.type === 'end') isEnded = true;
  });
  const id = get(client, '/big');
  await settle(pair);
  maxPending = Math.max(maxPending, session.unackedBytes(id));

  assert.equal(status, 200);
  assert.equal(isDone, false, 'the handler must be waiting on drained()');
  assert.ok(received <= 256 * KIB, `client got ${received} bytes beyond its window`);
  assert.ok(writes <= 8, `handler wrote ${writes} chunks into a stalled stream`);
  assert.ok(maxRetained <= 3 * hwm, `server retained ${maxRetained} bytes (high-water mark ${hwm})`);
  assert.ok(maxPending <= 3 * hwm, `server pending ${maxPending} bytes`);

  // Now the client reads: everything arrives, in order, and the server never holds more than before.
  // (A function, so the loop reads the flag the event handler sets.)
  const hasEnded = (): boolean => isEnded;
  for (let round = 0; !hasEnded() && round < 100_000; round++) {
    client.consumeBody(id, unconsumed);
    unconsumed = 0;
    pair.run();
    maxRetained = Math.max(maxRetained, pair.server.retainedBytes);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(isEnded, true);
  assert.equal(isDone, true);
  assert.equal(received, total);
  assert.equal(mismatchAt, -1, `body differs at byte ${mismatchAt}`);
  assert.ok(maxRetained <= 3 * hwm, `server retained ${maxRetained} bytes while streaming`);
  assert.equal(session.unackedBytes(id), 0);
  assert.deepEqual(errors, []);
});

test('request-body bytes go back to the client as stream credit only as the handler reads them', async () => {
  const window = 128 * KIB;
  const bodyBytes = 2 * MIB;
  const pair = new MemoryQuicPair({ streamWindowBytes: window, maxChunkBytes: 16 * KIB, seed: 5 });
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let bodyBufferedBeforeRead = -1;
  const handler: Handler = async (req, res) => {
    await gate;
    bodyBufferedBeforeRead = (req as unknown as { bufferedBytes: number }).bufferedBytes;
    const body = await req.bytes(4 * MIB);
    let mismatch = -1;
    for (let i = 0; i < body.length; i++) if (body[i] !== patternByte(i) && mismatch < 0) mismatch = i;
    res.end(`${body.length} ${mismatch}`);
  };
  serveConnection(pair.server, {}, handler, () => undefined);
  let answer = '';
  let isEnded = false;
  const client = new Http3Session(pair.client, {}, (e: Http3Event) => {
    if (e.type === 'data') answer += Buffer.from(e.data).toString();
    else if (e.type === 'end') isEnded = true;
  });
  const id = get(client, '/upload', 'POST', false);
  client.guard(() => {
    client.h3.sendData(id, patternChunk(0, bodyBytes), true);
  });
  await settle(pair);
  // The handler has not read: the server holds at most one window, the rest waits at the client.
  assert.ok(
    pair.client.retainedBytes >= bodyBytes - window,
    `client still holds ${pair.client.retainedBytes} bytes; the server took more than its window`,
  );
  release();
  await settle(pair);
  assert.ok(bodyBufferedBeforeRead <= window, `server buffered ${bodyBufferedBeforeRead} body bytes`);
  assert.equal(isEnded, true);
  assert.equal(answer, `${bodyBytes} -1`);
  assert.equal(pair.client.retainedBytes, 0);
});

test('req.remoteAddress and remotePort come from the QUIC connection (in-memory provider)', async () => {
  const pair = new MemoryQuicPair({ clientAddress: '192.0.2.7', clientPort: 40123 });
  serveConnection(
    pair.server,
    {},
    (req, res) => {
      res.end(`${req.remoteAddress} ${req.remotePort}`);
    },
    () => undefined,
  );
  let answer = '';
  const client = new Http3Session(pair.client, {}, (e: Http3Event) => {
    if (e.type === 'data') answer += Buffer.from(e.data).toString();
  });
  get(client, '/who');
  await settle(pair);
  assert.equal(answer, '192.0.2.7 40123');
});
