import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuicError } from '../../../src/common/errors.js';
import { TransportErrorCode } from '../../../src/quic/errors.js';
import { decodeFrames } from '../../../src/quic/frame/reader.js';
import { FrameType } from '../../../src/quic/frame/types.js';
import type { Frame } from '../../../src/quic/frame/types.js';
import { encodeFrame, frameSize, writeFrame } from '../../../src/quic/frame/writer.js';

const MAX = 2 ** 53 - 2; // below the saturation point
const int = fc.oneof(
  fc.integer({ min: 0, max: 63 }),
  fc.integer({ min: 0, max: 20000 }),
  fc.integer({ min: 0, max: MAX }),
);
const count = fc.oneof(int, fc.constant(2 ** 60), fc.integer({ min: 0, max: 2 ** 40 }));
const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: min, maxLength: max });

const ackArb: fc.Arbitrary<Frame> = fc
  .record({
    top: fc.integer({ min: 0, max: MAX }),
    delay: int,
    steps: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 20 }),
    ecn: fc.option(fc.record({ ect0: int, ect1: int, ce: int }), { nil: null }),
  })
  .map(({ top, delay, steps, ecn }) => {
    // steps alternate range length, gap: build pairs while staying >= 0
    const ranges: number[] = [];
    let high = top;
    for (let i = 0; i + 1 < steps.length || i === 0; i += 2) {
      const low = high - Math.min(steps[i]!, high);
      ranges.push(high, low);
      const gap = steps[i + 1] ?? 0;
      high = low - gap - 2;
      if (high < 0) break;
    }
    return {
      type: ecn === null ? FrameType.ACK : FrameType.ACK_ECN,
      largest: top,
      ackDelay: delay,
      ranges,
      ecn,
    };
  });

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map((length) => ({ type: FrameType.PADDING, length })),
  fc.constant({ type: FrameType.PING }),
  ackArb,
  fc.record({ type: fc.constant(FrameType.RESET_STREAM), streamId: int, errorCode: int, finalSize: int }),
  fc.record({ type: fc.constant(FrameType.STOP_SENDING), streamId: int, errorCode: int }),
  fc.record({ type: fc.constant(FrameType.CRYPTO), offset: int, data: bytes(0, 80) }),
  fc.record({ type: fc.constant(FrameType.NEW_TOKEN), token: bytes(1, 40) }),
  fc.record({
    type: fc.constant(FrameType.STREAM),
    streamId: int,
    offset: int,
    data: bytes(0, 80),
    fin: fc.boolean(),
  }),
  fc.record({ type: fc.constant(FrameType.MAX_DATA), maximum: int }),
  fc.record({ type: fc.constant(FrameType.MAX_STREAM_DATA), streamId: int, maximum: int }),
  fc.record({ type: fc.constantFrom(FrameType.MAX_STREAMS_BIDI, FrameType.MAX_STREAMS_UNI), maximum: count }),
  fc.record({ type: fc.constant(FrameType.DATA_BLOCKED), limit: int }),
  fc.record({ type: fc.constant(FrameType.STREAM_DATA_BLOCKED), streamId: int, limit: int }),
  fc.record({
    type: fc.constantFrom(FrameType.STREAMS_BLOCKED_BIDI, FrameType.STREAMS_BLOCKED_UNI),
    limit: count,
  }),
  fc
    .record({ seq: int, back: int, connectionId: bytes(1, 20), statelessResetToken: bytes(16, 16) })
    .map(({ seq, back, connectionId, statelessResetToken }) => ({
      type: FrameType.NEW_CONNECTION_ID,
      sequenceNumber: seq,
      retirePriorTo: seq - Math.min(back, seq),
      connectionId,
      statelessResetToken,
    })),
  fc.record({ type: fc.constant(FrameType.RETIRE_CONNECTION_ID), sequenceNumber: int }),
  fc.record({ type: fc.constantFrom(FrameType.PATH_CHALLENGE, FrameType.PATH_RESPONSE), data: bytes(8, 8) }),
  fc.record({
    type: fc.constant(FrameType.CONNECTION_CLOSE),
    errorCode: int,
    frameType: int,
    reason: bytes(0, 30),
  }),
  fc.record({
    type: fc.constant(FrameType.CONNECTION_CLOSE_APP),
    errorCode: int,
    frameType: fc.constant(0),
    reason: bytes(0, 30),
  }),
  fc.constant({ type: FrameType.HANDSHAKE_DONE }),
  fc.record({ type: fc.constant(FrameType.DATAGRAM), data: bytes(0, 80) }),
);

// Views compare by content: deepStrictEqual would also compare the backing buffers' offsets.
function plain(f: Frame): unknown {
  return JSON.parse(JSON.stringify(f, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));
}

function isFrameEncodingError(e: unknown): boolean {
  return e instanceof QuicError && e.wireCode === TransportErrorCode.FRAME_ENCODING_ERROR;
}

test('every frame type survives encode then decode', () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const wire = encodeFrame(frame);
      assert.equal(wire.length, frameSize(frame));
      const decoded = decodeFrames(wire);
      assert.equal(decoded.length, 1);
      assert.deepEqual(plain(decoded[0]!), plain(frame));
    }),
    { numRuns: 2000 },
  );
});

test('a packet of frames decodes to the same frames', () => {
  fc.assert(
    fc.property(
      fc.array(
        frameArb.filter((f) => f.type !== FrameType.PADDING),
        { maxLength: 10 },
      ),
      (frames) => {
        let size = 0;
        for (const f of frames) size += frameSize(f);
        const buf = new Uint8Array(size + 3);
        let pos = 3;
        for (const f of frames) pos = writeFrame(buf, pos, f);
        assert.equal(pos, size + 3);
        assert.deepEqual(decodeFrames(buf, 3).map(plain), frames.map(plain));
      },
    ),
  );
});

test('any truncation of a frame is FRAME_ENCODING_ERROR or still decodes, never another throw', () => {
  fc.assert(
    fc.property(frameArb, fc.nat(), (frame, cut) => {
      const wire = encodeFrame(frame);
      const end = cut % wire.length;
      try {
        decodeFrames(wire, 0, end);
      } catch (e) {
        assert.ok(isFrameEncodingError(e), String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('random bytes only ever raise FRAME_ENCODING_ERROR', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
      try {
        for (const f of decodeFrames(input)) assert.ok(typeof f.type === 'number');
      } catch (e) {
        assert.ok(isFrameEncodingError(e), String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
