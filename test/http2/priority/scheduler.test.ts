import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { PriorityScheduler, parsePriority } from '../../../src/http2/priority/scheduler.js';
import type { Schedulable } from '../../../src/http2/priority/scheduler.js';

function s(id: number, urgency = 3, incremental = false): Schedulable {
  return { id, urgency, incremental, isScheduled: false };
}

test('parsePriority (RFC 9218 §4)', () => {
  const base = { urgency: 3, incremental: false };
  assert.deepEqual(parsePriority('u=1, i', base), { urgency: 1, incremental: true });
  assert.deepEqual(parsePriority('i=?0,u=7', base), { urgency: 7, incremental: false });
  assert.deepEqual(parsePriority('u=9, x=1, i=1', base), base);
  assert.deepEqual(parsePriority('', base), base);
  assert.deepEqual(parsePriority('u=2;foo', base), { urgency: 2, incremental: false });
});

test('urgency first; non-incremental in id order; incremental round robin', () => {
  const q = new PriorityScheduler<Schedulable>();
  const a = s(5, 3);
  const b = s(3, 3);
  const c = s(7, 0, true);
  const d = s(9, 0, true);
  for (const x of [a, b, c, d]) q.add(x);
  assert.deepEqual([q.next()!.id, q.next()!.id, q.next()!.id], [7, 9, 7]);
  q.remove(c);
  q.remove(d);
  assert.equal(q.next()!.id, 3);
  assert.equal(q.next()!.id, 3);
  q.remove(b);
  assert.equal(q.next()!.id, 5);
  q.reprioritize(a, 7, true);
  assert.equal(q.next()!.id, 5);
  q.remove(a);
  assert.equal(q.next(), undefined);
  assert.equal(q.size, 0);
});
