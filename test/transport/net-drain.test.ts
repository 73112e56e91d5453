/**
 * The node:net transport's write verdict and onDrain agree: a write that reports false is always followed
 * by onDrain. Regression: a multi-chunk write whose chunks node:net all accepted, but some of which stayed
 * queued after uncork (`writableLength > 0`), returned false, and no 'drain' ever came: node:net emits
 * one only after a write it refused. node:tls on Node 22 and later queues like this on every write, so
 * HTTP/2 over TLS stalled after about 96 KiB there (the interop suites timed out).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { NetSocket } from '../../src/transport/net.js';

/** A stream shaped like node:tls on Node 22+: accepts every write below its high-water mark, flushes later. */
class BufferingStream extends EventEmitter {
  writableLength = 0;
  readonly writableHighWaterMark = 16 * 1024;
  remoteAddress = '127.0.0.1';
  remotePort = 1;
  setNoDelay(): void {
    // A socket option: nothing to do for the fake.
  }
  cork(): void {
    // Buffered either way.
  }
  uncork(): void {
    // Still buffered: the TLS layer encrypts and writes on a later turn.
  }
  write(chunk: Uint8Array): boolean {
    this.writableLength += chunk.byteLength;
    return this.writableLength < this.writableHighWaterMark;
  }
  /** The TLS layer flushed everything ('drain' only if a write was refused, as node:stream does). */
  flush(): void {
    const needed = this.writableLength >= this.writableHighWaterMark;
    this.writableLength = 0;
    if (needed) this.emit('drain');
  }
}

test('a false write() is always followed by onDrain, also when node:net only buffered the chunks', () => {
  const stream = new BufferingStream();
  let drains = 0;
  const socket = new NetSocket(stream as unknown as Socket);
  socket.setHandler({
    onData: () => undefined,
    onEnd: () => undefined,
    onDrain: () => {
      drains++;
    },
    onClose: () => undefined,
  });
  // More than the 4 KiB copied into one buffer, less than the high-water mark: every chunk accepted.
  const small = socket.write([Buffer.alloc(3000), Buffer.alloc(3000), Buffer.alloc(3000)]);
  stream.flush();
  assert.ok(small || drains === 1, `write() said ${String(small)}, onDrain calls: ${drains}`);
  // Above the high-water mark: false, and onDrain once the stream has flushed.
  const large = socket.write([Buffer.alloc(10_000), Buffer.alloc(10_000)]);
  assert.equal(large, false);
  stream.flush();
  assert.equal(drains, 1);
});
