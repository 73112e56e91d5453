import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { QuicError } from '../../../src/common/errors.js';
import { CryptoStream, DEFAULT_MAX_CRYPTO_BUFFER_BYTES } from '../../../src/quic/stream/crypto-stream.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test('receive: out of order and duplicated CRYPTO frames reach TLS in order', () => {
  const c = new CryptoStream();
  c.receive(4, bytes('efgh'));
  assert.equal(c.read(), null);
  c.receive(0, bytes('abcdef'));
  c.receive(2, bytes('cd'));
  let out = '';
  for (let b = c.read(); b !== null; b = c.read()) out += text(b);
  assert.equal(out, 'abcdefgh');
  assert.equal(c.readOffset, 8);
});

test('receive: data too far past the read offset is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5)', () => {
  assert.equal(DEFAULT_MAX_CRYPTO_BUFFER_BYTES, 65536);
  const c = new CryptoStream(16);
  c.receive(8, new Uint8Array(8));
  assert.throws(
    () => {
      c.receive(9, new Uint8Array(8));
    },
    (e: unknown) => e instanceof QuicError && e.wireCode === 0x0d && e.frameType === 0x06,
  );
  c.receive(0, new Uint8Array(8));
  while (c.read() !== null);
  c.receive(16, new Uint8Array(16)); // the window slides with the read offset
});

test('send: views, loss re-queue, acks in order', () => {
  const c = new CryptoStream();
  const hello = bytes('client hello');
  c.write(hello);
  const f1 = c.nextFrame(6)!;
  assert.deepEqual([f1.offset, f1.length], [0, 6]);
  assert.equal(f1.chunks[0]!.buffer, hello.buffer);
  const f2 = c.nextFrame(100)!;
  assert.deepEqual([f2.offset, f2.length, text(f2.chunks[0]!)], [6, 6, ' hello']);
  assert.equal(c.nextFrame(100), null);
  assert.equal(c.onAcked(6, 6), 0);
  c.onLost(0, 6);
  assert.equal(c.hasPendingData, true);
  const r = c.nextFrame(100)!;
  assert.deepEqual([r.offset, text(r.chunks[0]!)], [0, 'client']);
  assert.equal(c.onAcked(0, 6), 12);
  assert.equal(c.isAllAcked, true);
  assert.equal(c.bufferedBytes, 0);
});

test('discard forgets pending data', () => {
  const c = new CryptoStream();
  c.write(bytes('x'));
  c.discard();
  assert.equal(c.nextFrame(100), null);
  assert.equal(c.hasPendingData, false);
});
