import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { SendBuffer } from '../../../src/quic/stream/send-buffer.js';

test('views span chunks; acks release whole chunks only', () => {
  const b = new SendBuffer();
  const c1 = new Uint8Array([1, 2, 3]);
  const c2 = new Uint8Array([4, 5]);
  b.push(c1);
  b.push(new Uint8Array(0));
  b.push(c2);
  assert.equal(b.writtenEnd, 5);
  b.takeNew(5);
  const v = b.views(2, 4);
  assert.deepEqual(
    v.map((x) => [...x]),
    [[3], [4]],
  );
  assert.equal(v[0]!.buffer, c1.buffer);
  assert.equal(b.onAcked(0, 2), 2);
  assert.equal(b.bufferedBytes, 3);
  assert.deepEqual([...b.views(2, 5)[0]!], [3]); // chunk 1 still held: byte 2 not acknowledged
  assert.equal(b.onAcked(3, 5), 0);
  assert.equal(b.onAcked(2, 3), 3);
  assert.equal(b.bufferedBytes, 0);
});

test('lost ranges skip acknowledged holes and unsent bytes', () => {
  const b = new SendBuffer();
  b.push(new Uint8Array(20));
  b.takeNew(15);
  b.onAcked(5, 10);
  b.onLost(0, 20);
  assert.deepEqual(b.takeLost(100), { start: 0, end: 5 });
  assert.deepEqual(b.takeLost(3), { start: 10, end: 13 });
  b.onAcked(13, 14);
  assert.deepEqual(b.takeLost(100), { start: 14, end: 15 });
  assert.equal(b.takeLost(100), null);
});

test('property: arbitrary ack, loss and retransmission ranges match a per-byte model', () => {
  const op = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.nat(300), fc.nat(60));
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 10 }),
      fc.array(op, { maxLength: 150 }),
      (sizes, ops) => {
        const b = new SendBuffer();
        let written = 0;
        const acked: boolean[] = [];
        const lost: boolean[] = [];
        const source: number[] = [];
        for (const n of sizes) {
          const c = new Uint8Array(n);
          for (let i = 0; i < n; i++) c[i] = (written + i) & 0xff;
          b.push(c);
          written += n;
        }
        for (let i = 0; i < written; i++) source.push(i & 0xff);
        let sent = 0;
        for (const [kind, at, len] of ops) {
          const start = at % (written + 1);
          const end = Math.min(written, start + len);
          if (kind === 0) {
            const n = Math.min(len, written - sent);
            assert.equal(b.takeNew(n), sent);
            sent += n;
          } else if (kind === 1) {
            const before = b.ackedEnd;
            const grown = b.onAcked(start, end);
            for (let i = start; i < Math.min(end, sent); i++) {
              acked[i] = true;
              lost[i] = false;
            }
            let prefix = 0;
            while (acked[prefix] === true) prefix++;
            assert.equal(b.ackedEnd, prefix);
            assert.equal(grown, prefix - before);
          } else if (kind === 2) {
            b.onLost(start, end);
            for (let i = start; i < Math.min(end, sent); i++) if (acked[i] !== true) lost[i] = true;
          } else {
            const r = b.takeLost(len);
            if (r === null) {
              assert.ok(len === 0 || !lost.includes(true));
              continue;
            }
            assert.equal(r.start, lost.indexOf(true));
            assert.ok(r.end - r.start <= len);
            for (let i = r.start; i < r.end; i++) {
              assert.equal(lost[i], true);
              lost[i] = false;
            }
            // The retransmitted bytes are still held and unchanged.
            const views = b.views(r.start, r.end);
            const got = views.flatMap((v) => [...v]);
            assert.deepEqual(got, source.slice(r.start, r.end));
          }
          assert.equal(b.hasLost, lost.includes(true));
          assert.equal(b.bufferedBytes, written - b.ackedEnd);
        }
      },
    ),
  );
});
