/**
 * The addon's WebSocket masking (native/addon.cc maskCopy, src/transport/native-mask.ts) against a byte-by-byte
 * reference of RFC 6455 §5.3 and against the JavaScript maskCopyJs, at every length, offset and phase
 * fast-check finds; and a connection given the native copy decodes masked frames split anywhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadNative } from '../../src/transport/binding.js';
import { nativeMaskCopy } from '../../src/transport/native-mask.js';
import { WebSocketConnection } from '../../src/websocket/connection.js';
import { maskCopyJs, type MaskCopy } from '../../src/websocket/frame.js';

function requireMask(t: { skip(msg: string): void }): MaskCopy | undefined {
  const m = nativeMaskCopy();
  if (m === undefined) {
    if (process.env['CI']) assert.fail('native addon missing in CI');
    t.skip('native addon not built');
  }
  return m;
}

/** RFC 6455 §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4). */
function reference(src: Uint8Array, key: Uint8Array, phase: number): Uint8Array {
  return src.map((b, i) => b ^ key[(phase + i) & 3]!);
}

const caseArb = fc.record({
  payload: fc.uint8Array({ minLength: 0, maxLength: 3000, size: 'max' }),
  srcPad: fc.nat(9),
  dstPad: fc.nat(9),
  key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  phase: fc.nat(1 << 20),
});

test('native maskCopy equals the RFC 6455 reference and maskCopyJs at any length, offset and phase', (t) => {
  const m = requireMask(t);
  if (m === undefined) return;
  fc.assert(
    fc.property(caseArb, ({ payload, srcPad, dstPad, key, phase }) => {
      const src = new Uint8Array(srcPad + payload.length + 3);
      src.set(payload, srcPad);
      const want = reference(payload, key, phase);
      for (const copy of [m, maskCopyJs]) {
        const dst = new Uint8Array(dstPad + payload.length + 5).fill(0xee);
        copy(dst, dstPad, src, srcPad, srcPad + payload.length, key, phase);
        assert.deepEqual(dst.subarray(dstPad, dstPad + payload.length), want);
        // Nothing outside the range is touched.
        assert.ok(dst.subarray(0, dstPad).every((b) => b === 0xee));
        assert.ok(dst.subarray(dstPad + payload.length).every((b) => b === 0xee));
      }
      // In place: the same array at the same offset.
      const inPlace = src.slice();
      m(inPlace, srcPad, inPlace, srcPad, srcPad + payload.length, key, phase);
      assert.deepEqual(inPlace.subarray(srcPad, srcPad + payload.length), want);
    }),
    { numRuns: 300 },
  );
});

test('native maskCopy refuses ranges outside either array', (t) => {
  if (requireMask(t) === undefined) return;
  const b = loadNative(true)!;
  const src = new Uint8Array(300);
  const dst = new Uint8Array(300);
  assert.equal(b.maskCopy!(dst, 0, src, 0, 300, 1, 0), 0);
  assert.ok(b.maskCopy!(dst, 1, src, 0, 300, 1, 0) < 0, 'dst overrun');
  assert.ok(b.maskCopy!(dst, 0, src, 0, 301, 1, 0) < 0, 'src overrun');
  assert.ok(b.maskCopy!(dst, 0, src, 10, 5, 1, 0) < 0, 'end before start');
  assert.ok(b.maskCopy!(dst, -1, src, 0, 10, 1, 0) < 0, 'negative start');
  const m = nativeMaskCopy()!;
  assert.throws(() => {
    m(dst, 200, src, 0, 200, new Uint8Array(4), 0);
  }, RangeError);
});

test('a server connection with the native copy reassembles masked messages split anywhere', (t) => {
  const m = requireMask(t);
  if (m === undefined) return;
  fc.assert(
    fc.property(
      // Lengths on both sides of NATIVE_MASK_MIN_BYTES (shorter payloads stay in JavaScript).
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 4000, size: 'max' }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(5000), { maxLength: 6, size: 'max' }),
      (messages, cuts) => {
        // Frames from a client connection (it masks with fresh keys), decoded by a server with the native copy.
        const client = new WebSocketConnection({ role: 'client' });
        for (const msg of messages) client.sendBinary(msg);
        const wire = Buffer.concat(client.takeOutput());
        const server = new WebSocketConnection({ role: 'server', maskCopy: m });
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        let at = 0;
        for (const p of [...points, wire.length]) {
          server.receive(wire.subarray(at, p));
          at = p;
        }
        const got: Uint8Array[] = [];
        for (let ev = server.nextEvent(); ev !== null; ev = server.nextEvent()) {
          if (ev.type === 'message') got.push(ev.data);
        }
        assert.deepEqual(
          got.map((d) => Buffer.from(d).toString('hex')),
          messages.map((d) => Buffer.from(d).toString('hex')),
        );
      },
    ),
    { numRuns: 100 },
  );
});
