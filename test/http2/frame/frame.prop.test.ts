import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/common/errors.js';
import {
  FrameType,
  decodeFrame,
  encodeData,
  encodeGoaway,
  encodeHeaders,
  encodeSettings,
  encodeWindowUpdate,
} from '../../../src/http2/frame/index.js';

const streamId = fc.integer({ min: 1, max: 0x7fffffff });

test('DATA encode/decode round trip', () => {
  fc.assert(
    fc.property(
      streamId,
      fc.uint8Array({ maxLength: 300 }),
      fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 255 })),
      (id, data, end, pad) => {
        const parts = encodeData(id, data, end, pad ?? undefined);
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let pos = 0;
        for (const p of parts) {
          bytes.set(p, pos);
          pos += p.length;
        }
        const r = decodeFrame(bytes, 0);
        assert.ok(r !== null);
        const f = r.frame;
        if (f.type !== FrameType.DATA) return assert.fail();
        assert.equal(f.streamId, id);
        assert.equal(f.endStream, end);
        assert.deepEqual(f.bytes.subarray(f.dataStart, f.dataEnd), data);
      },
    ),
    { numRuns: 200 },
  );
});

test('HEADERS + CONTINUATION reassemble to the original block at any frame size', () => {
  fc.assert(
    fc.property(
      streamId,
      fc.uint8Array({ maxLength: 500 }),
      fc.integer({ min: 16, max: 200 }),
      (id, block, max) => {
        const bytes = encodeHeaders(id, block, { maxFrameSize: max });
        const out: number[] = [];
        let pos = 0;
        for (;;) {
          const r = decodeFrame(bytes, pos, max);
          assert.ok(r !== null);
          const f = r.frame;
          pos = r.next;
          if (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION) {
            assert.equal(f.streamId, id);
            out.push(...f.bytes.subarray(f.blockStart, f.blockEnd));
            if (f.endHeaders) break;
          } else assert.fail('unexpected frame');
        }
        assert.equal(pos, bytes.length);
        assert.deepEqual(out, [...block]);
      },
    ),
    { numRuns: 200 },
  );
});

test('SETTINGS, GOAWAY, WINDOW_UPDATE round trips', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(1, 3, 6, 0x55), fc.nat({ max: 0xffffffff })), { maxLength: 10 }),
      fc.nat({ max: 0x7fffffff }),
      fc.nat({ max: 0xffffffff }),
      fc.integer({ min: 1, max: 0x7fffffff }),
      (pairs, last, code, inc) => {
        const s = decodeFrame(encodeSettings(pairs), 0);
        assert.ok(s !== null);
        if (s.frame.type === FrameType.SETTINGS) assert.deepEqual(s.frame.pairs, pairs.flat());
        const g = decodeFrame(encodeGoaway(last, code), 0);
        assert.ok(g !== null);
        if (g.frame.type === FrameType.GOAWAY)
          assert.deepEqual([g.frame.lastStreamId, g.frame.errorCode], [last, code]);
        const w = decodeFrame(encodeWindowUpdate(0, inc), 0);
        assert.ok(w !== null);
        if (w.frame.type === FrameType.WINDOW_UPDATE) assert.equal(w.frame.increment, inc);
      },
    ),
    { numRuns: 200 },
  );
});

test('decodeFrame on arbitrary bytes returns a frame, null, or throws only ProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeFrame(bytes, 0);
      } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});
