import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeFrame } from '../../../src/http3/frame/header.js';
import { decodeSettings, encodeSettings } from '../../../src/http3/frame/settings.js';
import { FrameType } from '../../../src/http3/frame/types.js';
import { splitBySizes } from '../../support/chunks.js';
import { readAll } from './frames.test.js';

const frameArb = fc.oneof(
  fc.record({
    type: fc.constantFrom(FrameType.DATA, FrameType.HEADERS),
    payload: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({
    type: fc.integer({ min: 0, max: 1000 }).map((n) => 0x21 + 0x1f * n),
    payload: fc.uint8Array({ maxLength: 40 }),
  }),
);

test('any chunking of any frame sequence gives the same frames', () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }),
      (frames, sizes) => {
        const stream = Uint8Array.from(Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload))));
        const expected: string[] = [];
        for (const f of frames) {
          const hex = Buffer.from(f.payload).toString('hex');
          if (f.type === FrameType.HEADERS) expected.push(`FRAME 1 ${hex}`);
          else if (f.type === FrameType.DATA) expected.push(`DATA ${hex}`);
        }
        assert.deepEqual(readAll(splitBySizes(stream, sizes)), expected);
      },
    ),
    { numRuns: 500 },
  );
});

test('SETTINGS encode/decode round trip', () => {
  fc.assert(
    fc.property(
      fc.record({
        qpackMaxTableCapacity: fc.nat(),
        qpackBlockedStreams: fc.nat(),
        maxFieldSectionSize: fc.maxSafeNat(),
        enableConnectProtocol: fc.boolean(),
        h3Datagram: fc.boolean(),
      }),
      (s) => {
        const d = decodeSettings(encodeSettings(s));
        assert.equal(d.qpackMaxTableCapacity, s.qpackMaxTableCapacity);
        assert.equal(d.qpackBlockedStreams, s.qpackBlockedStreams);
        assert.equal(d.maxFieldSectionSize, s.maxFieldSectionSize);
        assert.equal(d.enableConnectProtocol, s.enableConnectProtocol);
        assert.equal(d.h3Datagram, s.h3Datagram);
      },
    ),
    { numRuns: 300 },
  );
});
