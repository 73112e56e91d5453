import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Budget } from '../../src/http2/budget.js';

test('a burst, then refills at the rate when time is known', () => {
  const b = new Budget(3, 10);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.take(50), false); // 0.5 token
  assert.equal(b.take(100), true); // 1 token after 100 ms at 10/s
  assert.equal(b.take(100_000), true);
  assert.equal(b.tokens, 2); // capped at the burst
});

test('without time the burst is all there is', () => {
  const b = new Budget(2, 1000);
  assert.deepEqual([b.take(undefined), b.take(undefined), b.take(undefined)], [true, true, false]);
});
