import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecvState, RecvStream } from '../../../src/quic/stream/recv-stream.js';
import { CryptoStream } from '../../../src/quic/stream/crypto-stream.js';

interface Piece {
  readonly offset: number;
  readonly end: number;
  readonly fin: boolean;
}

/**
 * A byte string and a delivery schedule of pieces that covers it: a partition at random cut points plus
 * random extra (duplicate, overlapping) ranges, in a random order, FIN on every piece reaching the end.
 */
const schedule = fc
  .record({
    data: fc.uint8Array({ minLength: 0, maxLength: 600, size: 'max' }),
    cuts: fc.array(fc.nat(600), { maxLength: 30, size: 'max' }),
    extras: fc.array(fc.tuple(fc.nat(600), fc.nat(120)), { maxLength: 15 }),
    keys: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    readEvery: fc.integer({ min: 1, max: 5 }),
  })
  .map(({ data, cuts, extras, keys, readEvery }) => {
    const n = data.length;
    const points = [...new Set([0, n, ...cuts.map((c) => c % (n + 1))])].sort((a, b) => a - b);
    const pieces: Piece[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      pieces.push({ offset: points[i]!, end: points[i + 1]!, fin: points[i + 1] === n });
    }
    if (pieces.length === 0) pieces.push({ offset: 0, end: 0, fin: true });
    for (const [s, len] of extras) {
      const start = s % (n + 1);
      const end = Math.min(n, start + len);
      pieces.push({ offset: start, end, fin: end === n });
    }
    const order = pieces
      .map((p, i) => ({ p, k: keys[i % keys.length]! + i / 1000 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.p);
    return { data, order, readEvery };
  });

test('property: any chunking, reordering and duplication reassembles the same bytes (RecvStream)', () => {
  fc.assert(
    fc.property(schedule, ({ data, order, readEvery }) => {
      const r = new RecvStream(data.length);
      const out: number[] = [];
      let counted = 0;
      const readAll = (): void => {
        for (let b = r.read(); b !== null; b = r.read()) {
          out.push(...b);
          r.consumed(b.length);
        }
      };
      order.forEach((p, i) => {
        // A fresh copy per delivery, then scribbled over: the stream must have copied what it kept.
        const view = data.slice(p.offset, p.end);
        counted += r.receive(p.offset, view, p.fin);
        view.fill(0xee);
        assert.ok(r.highestOffset <= r.credit.limit);
        if (i % readEvery === 0) readAll();
      });
      readAll();
      assert.equal(counted, data.length);
      assert.deepEqual(Uint8Array.from(out), data);
      assert.equal(r.state, RecvState.DataRead);
      assert.equal(r.bufferedBytes, 0);
    }),
  );
});

test('property: the same for CRYPTO frames (CryptoStream)', () => {
  fc.assert(
    fc.property(schedule, ({ data, order, readEvery }) => {
      const c = new CryptoStream(Math.max(1, data.length));
      const out: number[] = [];
      const readAll = (): void => {
        for (let b = c.read(); b !== null; b = c.read()) out.push(...b);
      };
      order.forEach((p, i) => {
        c.receive(p.offset, data.subarray(p.offset, p.end));
        if (i % readEvery === 0) readAll();
      });
      readAll();
      assert.deepEqual(Uint8Array.from(out), data);
    }),
  );
});

test('property: RESET_STREAM at any point leaves a consistent, terminal stream', () => {
  fc.assert(
    fc.property(schedule, fc.nat(), fc.nat(50), ({ data, order }, at, extra) => {
      const r = new RecvStream(data.length + 50);
      const cut = at % (order.length + 1);
      let counted = 0;
      let highest = 0;
      for (const p of order.slice(0, cut)) {
        counted += r.receive(p.offset, data.subarray(p.offset, p.end), p.fin);
        highest = Math.max(highest, p.end);
      }
      const finalSize = r.finalSize ?? highest + extra;
      counted += r.onReset(3, finalSize);
      assert.equal(counted, finalSize);
      const wasComplete = r.state === RecvState.DataRecvd;
      if (!wasComplete) {
        assert.equal(r.state, RecvState.ResetRecvd);
        const before = r.credit.consumed;
        assert.equal(r.discard(), finalSize - before);
        assert.equal(r.credit.consumed, finalSize);
        r.readReset();
        assert.equal(r.isTerminal, true);
      }
      // Anything late is checked against the final size and otherwise ignored.
      for (const p of order.slice(cut)) {
        if (p.end <= finalSize)
          counted += r.receive(p.offset, data.subarray(p.offset, p.end), p.end === finalSize);
      }
      assert.equal(counted, finalSize);
    }),
  );
});
