import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamTable } from '../../src/qpack/stream-table.js';

test('StreamTable behaves like a Map under random inserts and deletes (collisions, growth, huge ids)', () => {
  const t = new StreamTable<string>(4);
  const m = new Map<number, string>();
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  // Request ids (multiples of 4), unidirectional ids, and ids near 2^62 that share low slot bits.
  const pool: number[] = [];
  for (let i = 0; i < 200; i++) pool.push(4 * i, 4 * i + 2, 2 ** 62 - 4 * (i + 1), 4 * (i + 1) * 2 ** 32);
  for (let step = 0; step < 20000; step++) {
    const id = pool[rand(pool.length)]!;
    if (rand(3) === 0) {
      assert.equal(t.delete(id), m.delete(id));
    } else {
      const v = `v${step}`;
      t.set(id, v);
      m.set(id, v);
    }
    assert.equal(t.size, m.size);
    const probe = pool[rand(pool.length)]!;
    assert.equal(t.get(probe), m.get(probe));
    assert.equal(t.has(probe), m.has(probe));
  }
  assert.deepEqual(t.entries().sort(), [...m.values()].sort());
});
