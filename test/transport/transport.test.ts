import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NativeTransport } from '../../src/transport/native.js';
import { NetTransport } from '../../src/transport/net.js';
import type { Transport, TransportSocket } from '../../src/transport/socket.js';

const dir = mkdtempSync(join(tmpdir(), 'hayate-transport-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
// Larger than any loopback socket buffer, so sendfile must continue on writability.
const fileBytes = new Uint8Array(12 * 1024 * 1024);
for (let i = 0; i < fileBytes.length; i++) fileBytes[i] = (i * 31 + (i >>> 13)) & 0xff;
const filePath = join(dir, 'big.bin');
writeFileSync(filePath, fileBytes);

const transports: [string, () => Transport | undefined][] = [
  ['native', () => NativeTransport.create(undefined, true)],
  ['net', () => new NetTransport()],
];

/** Waits (briefly) for sockets closed by either side to release their descriptors, then checks the count. */
async function assertFdsBack(baseline: number): Promise<void> {
  for (let i = 0; i < 100 && readdirSync('/proc/self/fd').length > baseline; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(readdirSync('/proc/self/fd').length <= baseline, 'open descriptors back at baseline');
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Connects, reads everything the server sends until it closes, returns the bytes. */
function fetchAll(port: number, send?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const c = connect({ port, host: '127.0.0.1' }, () => {
      if (send) c.end(send);
    });
    c.on('data', (b) => parts.push(b));
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(parts));
    });
    c.on('error', reject);
  });
}

for (const [name, make] of transports) {
  describe(`${name} transport`, () => {
    test('writes larger than the socket buffer complete in order, with drain', async (t) => {
      const transport = make();
      if (transport === undefined) {
        if (process.env['CI']) assert.fail('native addon missing in CI');
        t.skip('native addon not built');
        return;
      }
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < 64; i++) chunks.push(fileBytes.subarray(i * 65536, (i + 1) * 65536));
      let drained = 0;
      let pendingAfterWrite = 0;
      const listener = await transport.listen(
        { host: '127.0.0.1', port: 0, backlog: 64, reusePort: false },
        (s: TransportSocket) => {
          s.setHandler({
            onData() {},
            onEnd() {},
            onDrain() {
              drained++;
            },
            onClose() {},
          });
          // Loopback may take the first 2 MiB at once; the second call then queues or goes out too.
          s.write(chunks.slice(0, 32));
          s.write(chunks.slice(32));
          pendingAfterWrite = s.pendingBytes;
          s.end();
        },
      );
      const got = await fetchAll(listener.port);
      await listener.close();
      assert.equal(got.length, 64 * 65536);
      assert.equal(sha(got), sha(fileBytes.subarray(0, 64 * 65536)));
      // After end() node:net reports 'finish' rather than 'drain', so only the native side is checked.
      if (pendingAfterWrite > 0 && name === 'native') assert.ok(drained >= 1, 'drain follows a queued write');
    });

    test('sendFile streams a file larger than the socket buffer, ranges and interleaved writes in order', async (t) => {
      const transport = make();
      if (transport === undefined) {
        t.skip('native addon not built');
        return;
      }
      const fd = openSync(filePath, 'r');
      const head = new TextEncoder().encode('HEAD');
      const tail = new TextEncoder().encode('TAIL');
      const results: (Error | undefined)[] = [];
      const listener = await transport.listen(
        { host: '127.0.0.1', port: 0, backlog: 64, reusePort: false },
        (s) => {
          s.setHandler({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
          s.write([head]);
          s.sendFile(fd, 0, fileBytes.length, (e) => results.push(e));
          s.write([tail]);
          s.sendFile(fd, 1000, 5000, (e) => results.push(e));
          s.end();
        },
      );
      const got = await fetchAll(listener.port);
      await listener.close();
      closeSync(fd);
      assert.deepEqual(results, [undefined, undefined]);
      assert.equal(got.length, 4 + fileBytes.length + 4 + 5000);
      assert.equal(got.subarray(0, 4).toString(), 'HEAD');
      assert.equal(sha(got.subarray(4, 4 + fileBytes.length)), sha(fileBytes));
      assert.equal(got.subarray(4 + fileBytes.length, 8 + fileBytes.length).toString(), 'TAIL');
      assert.equal(sha(got.subarray(8 + fileBytes.length)), sha(fileBytes.subarray(1000, 6000)));
    });

    test('sendFile on several sockets at once (shared read buffers) sends each its exact bytes', async (t) => {
      const transport = make();
      if (transport === undefined) {
        t.skip('native addon not built');
        return;
      }
      const fdsBefore = readdirSync('/proc/self/fd').length;
      const fd = openSync(filePath, 'r');
      const ranges: [number, number][] = [];
      for (let i = 0; i < 4; i++) ranges.push([i * 1_000_003, 3 * 65536 + i * 7777]);
      const results: (Error | undefined)[] = [];
      let next = 0;
      const listener = await transport.listen(
        { host: '127.0.0.1', port: 0, backlog: 64, reusePort: false },
        (s) => {
          s.setHandler({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
          const [offset, length] = ranges[next++ % ranges.length]!;
          // Two files back to back: the second reuses the first one's buffers.
          s.sendFile(fd, offset, length, (e) => results.push(e));
          s.sendFile(fd, offset + 1, length, (e) => results.push(e));
          s.end();
        },
      );
      // One connection at a time gets its range (accept order is connect order).
      const got: Buffer[] = [];
      for (let i = 0; i < 4; i++) got.push(await fetchAll(listener.port));
      const concurrent = await Promise.all(ranges.map(() => fetchAll(listener.port)));
      await listener.close();
      closeSync(fd);
      assert.equal(results.length, 16);
      assert.ok(results.every((e) => e === undefined));
      for (let i = 0; i < 4; i++) {
        const [offset, length] = ranges[i]!;
        const want = Buffer.concat([
          fileBytes.subarray(offset, offset + length),
          fileBytes.subarray(offset + 1, offset + 1 + length),
        ]);
        assert.equal(sha(got[i]!), sha(want), `sequential connection ${i}`);
      }
      // Concurrent connections were accepted in any order: compare as a set.
      const wanted = ranges.map(([offset, length]) =>
        sha(
          Buffer.concat([
            fileBytes.subarray(offset, offset + length),
            fileBytes.subarray(offset + 1, offset + 1 + length),
          ]),
        ),
      );
      assert.deepEqual(concurrent.map((b) => sha(b)).sort(), wanted.sort());
      await assertFdsBack(fdsBefore);
    });

    test('sendFile of a file shorter than the length fails and closes the socket', async (t) => {
      const transport = make();
      if (transport === undefined) {
        t.skip('native addon not built');
        return;
      }
      const fdsBefore = readdirSync('/proc/self/fd').length;
      const shortPath = join(dir, `short-${name}.bin`);
      writeFileSync(shortPath, fileBytes.subarray(0, 100_000));
      const fd = openSync(shortPath, 'r');
      const outcome: { error?: Error | undefined; isDone: boolean } = { isDone: false };
      let closed = false;
      const listener = await transport.listen(
        { host: '127.0.0.1', port: 0, backlog: 64, reusePort: false },
        (s) => {
          s.setHandler({
            onData() {},
            onEnd() {},
            onDrain() {},
            onClose() {
              closed = true;
            },
          });
          s.sendFile(fd, 0, 200_000, (e) => {
            outcome.error = e;
            outcome.isDone = true;
          });
          s.end();
        },
      );
      // The peer sees the bytes there were and then a close, never a silently complete short body.
      const got = await fetchAll(listener.port).catch((e: unknown) => e);
      await listener.close();
      closeSync(fd);
      assert.ok(outcome.isDone);
      assert.ok(outcome.error instanceof Error, 'the truncated file is reported');
      if (name === 'net')
        assert.equal((outcome.error as Error & { code?: string }).code, 'ERR_FILE_TRUNCATED');
      assert.ok(closed);
      if (got instanceof Buffer) assert.ok(got.length <= 100_000);
      await assertFdsBack(fdsBefore);
    });

    test('sendFile reports an error when the peer goes away mid-file', async (t) => {
      const transport = make();
      if (transport === undefined) {
        t.skip('native addon not built');
        return;
      }
      const fdsBefore = readdirSync('/proc/self/fd').length;
      const fd = openSync(filePath, 'r');
      let resolveDone: (e: Error | undefined) => void = () => {};
      const done = new Promise<Error | undefined>((r) => (resolveDone = r));
      const listener = await transport.listen(
        { host: '127.0.0.1', port: 0, backlog: 64, reusePort: false },
        (s) => {
          s.setHandler({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} });
          s.sendFile(fd, 0, fileBytes.length, resolveDone);
        },
      );
      await new Promise<void>((resolve, reject) => {
        const c = connect({ port: listener.port, host: '127.0.0.1' });
        c.once('data', () => {
          c.resetAndDestroy();
          resolve();
        });
        c.on('error', reject);
      });
      const err = await done;
      await listener.close();
      closeSync(fd);
      assert.ok(err instanceof Error, 'a file cut short by the peer is not reported as sent');
      await assertFdsBack(fdsBefore);
    });

    test('reads deliver bytes, pause stops delivery, EOF is reported', async (t) => {
      const transport = make();
      if (transport === undefined) {
        t.skip('native addon not built');
        return;
      }
      const payload = fileBytes.subarray(0, 300_000);
      let received = 0;
      const hash = createHash('sha256');
      let paused = false;
      let sawDataWhilePaused = false;
      const listener = await transport.listen(
        { host: '127.0.0.1', port: 0, backlog: 64, reusePort: false },
        (s) => {
          s.setHandler({
            onData(bytes, start, end) {
              if (paused) sawDataWhilePaused = true;
              hash.update(bytes.subarray(start, end));
              received += end - start;
              if (!paused && received > 100_000 && received < 200_000) {
                paused = true;
                s.pause();
                setTimeout(() => {
                  paused = false;
                  s.resume();
                }, 30);
              }
            },
            onEnd() {
              s.write([new TextEncoder().encode(String(received))]);
              s.end();
            },
            onDrain() {},
            onClose() {},
          });
        },
      );
      const got = await fetchAll(listener.port, payload).then((b) => b.toString());
      await new Promise((r) => setTimeout(r, 10));
      await listener.close();
      assert.equal(got, String(payload.length));
      assert.equal(hash.digest('hex'), sha(payload));
      assert.equal(sawDataWhilePaused, false);
    });
  });
}
