import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { RangeSet } from '../../../src/quic/stream/range-set.js';

function ranges(s: RangeSet): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < s.count; i++) out.push([s.start(i), s.end(i)]);
  return out;
}

test('add merges overlapping and adjacent ranges', () => {
  const s = new RangeSet();
  s.add(10, 20);
  s.add(30, 40);
  assert.deepEqual(ranges(s), [
    [10, 20],
    [30, 40],
  ]);
  s.add(20, 25);
  assert.deepEqual(ranges(s), [
    [10, 25],
    [30, 40],
  ]);
  s.add(0, 5);
  s.add(5, 31);
  assert.deepEqual(ranges(s), [[0, 40]]);
  s.add(3, 3);
  assert.equal(s.size, 40);
});

test('remove splits; covers and extentFrom', () => {
  const s = new RangeSet();
  s.add(0, 100);
  s.remove(10, 20);
  s.remove(50, 60);
  assert.deepEqual(ranges(s), [
    [0, 10],
    [20, 50],
    [60, 100],
  ]);
  assert.equal(s.covers(20, 50), true);
  assert.equal(s.covers(20, 51), false);
  assert.equal(s.extentFrom(0), 10);
  assert.equal(s.extentFrom(10), 10);
  assert.equal(s.extentFrom(25), 50);
  s.trimBelow(30);
  assert.deepEqual(ranges(s), [
    [30, 50],
    [60, 100],
  ]);
  s.remove(0, 1000);
  assert.equal(s.isEmpty, true);
});

test('property: RangeSet matches a boolean array model', () => {
  const op = fc.record({
    isAdd: fc.boolean(),
    start: fc.nat(200),
    len: fc.nat(40),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const s = new RangeSet();
      const model = new Array<boolean>(260).fill(false);
      for (const o of ops) {
        if (o.isAdd) s.add(o.start, o.start + o.len);
        else s.remove(o.start, o.start + o.len);
        for (let i = o.start; i < o.start + o.len; i++) model[i] = o.isAdd;
      }
      const expected: number[][] = [];
      for (let i = 0; i < model.length; i++) {
        if (model[i] && (i === 0 || !model[i - 1])) expected.push([i, i]);
        if (model[i]) expected[expected.length - 1]![1] = i + 1;
      }
      assert.deepEqual(ranges(s), expected);
    }),
  );
});
