import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
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
