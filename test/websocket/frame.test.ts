import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { WebSocketError } from '../../src/common/errors.js';
import { FrameDecoder, encodeFrameHeader, frameHeaderSize, maskInPlace } from '../../src/websocket/frame.js';
import type { FrameSink } from '../../src/websocket/frame.js';
import { KEY, concat, rawFrame } from './harness.js';

/** Records frames as `fin rsv opcode length payloadhex` lines, unmasking with the decoder's key. */
function recorder(expectMasked: boolean, allowedRsv = 0, maxFrameBytes = 1 << 24) {
  const lines: string[] = [];
  let cur = '';
  let payload: number[] = [];
  const sink: FrameSink = {
    onFrameStart(fin, rsv, opcode, length) {
      cur = `${fin ? 1 : 0} ${rsv} ${opcode} ${length}`;
      payload = [];
    },
    onFramePayload(bytes, start, end, off) {
      const copy = Uint8Array.prototype.slice.call(bytes, start, end);
      if (expectMasked) maskInPlace(copy, 0, copy.length, decoder.maskKey, 0, off);
      payload.push(...copy);
    },
    onFrameEnd() {
      lines.push(`${cur} ${Buffer.from(payload).toString('hex')}`);
      return true;
    },
  };
  const decoder = new FrameDecoder({ expectMasked, allowedRsv, maxFrameBytes }, sink);
  return { lines, decoder };
}

test('decodes masked frames of every length form at every split', () => {
  const frames = [
    rawFrame({ opcode: 1, payload: 'hello' }),
    rawFrame({ opcode: 2, payload: new Uint8Array(300).map((_, i) => i) }),
    rawFrame({ opcode: 2, payload: new Uint8Array(70000).map((_, i) => i * 7) }),
    rawFrame({ opcode: 9 }),
  ];
  const all = concat(frames);
  const whole = recorder(true);
  whole.decoder.decode(all, 0, all.length);
  assert.equal(whole.lines.length, 4);
  for (const at of [1, 2, 3, 5, 6, 7, 10, 11, 100, 313, 314, 315, 320, 330, 70000]) {
    const r = recorder(true);
    r.decoder.decode(all, 0, at);
    r.decoder.decode(all, at, all.length);
    assert.deepEqual(r.lines, whole.lines, `split at ${at}`);
  }
  const bytewise = recorder(true);
  for (let i = 0; i < 400; i++) bytewise.decoder.decode(all, i, i + 1);
  bytewise.decoder.decode(all, 400, all.length);
  assert.deepEqual(bytewise.lines, whole.lines);
});

test('encodeFrameHeader uses the minimal length form and decodes back', () => {
  for (const len of [0, 1, 125, 126, 127, 65535, 65536, 2 ** 32 + 5]) {
    for (const key of [null, KEY]) {
      const buf = new Uint8Array(14);
      const end = encodeFrameHeader(buf, 0, true, 0x40, 2, len, key);
      assert.equal(end, frameHeaderSize(len, key !== null));
      let got = -1;
      const d = new FrameDecoder(
        { expectMasked: key !== null, allowedRsv: 0x40, maxFrameBytes: Number.MAX_SAFE_INTEGER },
        {
          onFrameStart(fin, rsv, op, length) {
            assert.equal(fin, true);
            assert.equal(rsv, 0x40);
            assert.equal(op, 2);
            got = length;
          },
          onFramePayload() {},
          onFrameEnd: () => true,
        },
      );
      d.decode(buf, 0, end);
      assert.equal(got, len);
      if (key !== null) assert.deepEqual(d.maskKey, KEY);
    }
  }
});

test('maskInPlace matches bytewise XOR for every alignment, phase and length', () => {
  const backing = new Uint8Array(400);
  for (let off = 0; off < 4; off++) {
    for (let phase = 0; phase < 4; phase++) {
      for (const len of [0, 1, 3, 4, 7, 8, 9, 31, 64, 101, 127, 128, 131, 257, 300]) {
        const view = backing.subarray(off, off + len + 8);
        for (let i = 0; i < view.length; i++) view[i] = (i * 31 + off) & 0xff;
        const expected = view.slice();
        for (let i = 0; i < len; i++) expected[2 + i] = expected[2 + i]! ^ KEY[(phase + i) & 3]!;
        maskInPlace(view, 2, 2 + len, KEY, 0, phase);
        assert.deepEqual(view, expected, `off ${off} phase ${phase} len ${len}`);
      }
    }
  }
});

test('decoder stops after the sink returns false', () => {
  let n = 0;
  const d = new FrameDecoder(
    { expectMasked: false, allowedRsv: 0, maxFrameBytes: 100 },
    { onFrameStart() {}, onFramePayload() {}, onFrameEnd: () => ++n < 1 },
  );
  const two = concat([rawFrame({ opcode: 8, mask: null }), rawFrame({ opcode: 1, mask: null })]);
  d.decode(two, 0, two.length);
  assert.equal(n, 1);
  assert.equal(d.isStopped, true);
});

test('decoder errors are WebSocketError with the offset of the bad byte', () => {
  const d = new FrameDecoder(
    { expectMasked: true, allowedRsv: 0, maxFrameBytes: 100 },
    { onFrameStart() {}, onFramePayload() {}, onFrameEnd: () => true },
  );
  const bytes = concat([rawFrame({ opcode: 1, payload: 'ab' }), rawFrame({ opcode: 2, mask: null })]);
  assert.throws(
    () => {
      d.decode(bytes, 0, bytes.length);
    },
    (e: unknown) => e instanceof WebSocketError && e.wireCode === 1002 && e.offset === 10,
  );
});
