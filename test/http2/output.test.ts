import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { FrameType } from '../../src/http2/frame/index.js';
import { FrameOutput } from '../../src/http2/output.js';
import { concat, frames } from './harness.js';

test('frames are written into the arena and handed out in order, references between them', () => {
  const o = new FrameOutput(10);
  assert.equal(o.isEmpty, true);
  o.writeWindowUpdate(0, 100);
  const body = new Uint8Array([1, 2, 3]);
  o.pushRef(body);
  o.writePing(false, new Uint8Array(8), 0);
  assert.equal(o.isEmpty, false);
  const out = o.take();
  assert.equal(out.length, 3);
  assert.equal(out[1], body);
  assert.deepEqual(
    frames(concat([out[0]!, out[2]!])).map((f) => f.type),
    [FrameType.WINDOW_UPDATE, FrameType.PING],
  );
  assert.equal(o.isEmpty, true);
  assert.deepEqual(o.take(), []);
});

test('a handed-out region is never written again', () => {
  const o = new FrameOutput(10);
  o.writeRst(1, H2ErrorCode.CANCEL);
  const [first] = o.take();
  const copy = first!.slice();
  for (let i = 0; i < 10000; i++) o.writeWindowUpdate(1, i + 1);
  assert.deepEqual(first, copy);
  assert.equal(frames(concat(o.take())).length, 10000);
});

test('control answers not taken by the caller are bounded (CVE-2019-9512/9515)', () => {
  const o = new FrameOutput(3);
  o.writeSettingsAck();
  o.writeRst(1, 0);
  o.queueControl();
  assert.throws(
    () => {
      o.writeRst(3, 0);
    },
    (e: unknown) => e instanceof H2Error && e.wireCode === H2ErrorCode.ENHANCE_YOUR_CALM,
  );
  o.take();
  o.writeRst(5, 0);
});
