import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimerNode, TimerWheel } from '../../src/transport/timer-wheel.js';
import { UsageError } from '../../src/common/errors.js';

test('timers fire once, on the first tick at or after their deadline, and cancel is O(1)', () => {
  let now = 1000;
  const wheel = new TimerWheel(10, 8, () => now);
  const fired: string[] = [];
  const a = new TimerNode(() => fired.push('a'));
  const b = new TimerNode(() => fired.push('b'));
  const c = new TimerNode(() => fired.push('c'));
  wheel.schedule(a, 25);
  wheel.schedule(b, 500); // more than one revolution (8 * 10 ms)
  wheel.schedule(c, 15);
  assert.equal(wheel.size, 3);
  wheel.cancel(c);
  assert.equal(c.isArmed, false);
  now = 1020;
  wheel.advance(now);
  assert.deepEqual(fired, []);
  now = 1030;
  wheel.advance(now);
  assert.deepEqual(fired, ['a']);
  for (now = 1040; now < 1500; now += 10) wheel.advance(now);
  assert.deepEqual(fired, ['a']);
  now = 1500;
  wheel.advance(now);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(wheel.size, 0);
});

test('re-arming moves a timer; a callback may re-arm itself; long stalls fire everything due', () => {
  let now = 0;
  const wheel = new TimerWheel(10, 4, () => now);
  let count = 0;
  const n = new TimerNode(() => {
    count++;
    if (count < 3) wheel.schedule(n, 10);
  });
  wheel.schedule(n, 10);
  wheel.schedule(n, 1000);
  now = 20;
  wheel.advance(now);
  assert.equal(count, 0, 're-arm replaced the earlier deadline');
  now = 5000; // a stall longer than a revolution
  wheel.advance(now);
  assert.equal(count, 1);
  now = 5020;
  wheel.advance(now);
  now = 5040;
  wheel.advance(now);
  assert.equal(count, 3);
  assert.equal(wheel.size, 0);
});

test('the real interval drives timers and stops when idle', async () => {
  const wheel = new TimerWheel(5, 64);
  // The wheel's interval is unreferenced (connections keep the loop alive); hold it open here.
  const keepAlive = setTimeout(() => {
    /* nothing */
  }, 5000);
  const fired = await new Promise<number>((resolve) => {
    const start = performance.now();
    wheel.schedule(
      new TimerNode(() => {
        resolve(performance.now() - start);
      }),
      20,
    );
  });
  clearTimeout(keepAlive);
  assert.ok(fired >= 19);
  assert.equal(wheel.size, 0);
});

test('a callback that cancels or re-arms other timers of the same slot: cancelled ones never fire, none is lost', () => {
  let now = 0;
  const wheel = new TimerWheel(10, 8, () => now);
  const fired: string[] = [];
  const nodes: TimerNode[] = [];
  // Five timers in one slot; the slot's list runs newest first: e, d, c, b, a.
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    const node = new TimerNode(() => {
      fired.push(name);
      // Like a connection whose timeout closes it and cancels its other timers (the next one in the list).
      if (name === 'e') wheel.cancel(nodes[3]!);
      // And one that moves a neighbour to a later tick.
      if (name === 'c') wheel.schedule(nodes[1]!, 30);
    });
    nodes.push(node);
    wheel.schedule(node, 10);
  }
  assert.equal(wheel.size, 5);
  now = 10;
  wheel.advance(now);
  assert.deepEqual(fired.sort(), ['a', 'c', 'e'], 'd was cancelled, b moved; nothing else lost');
  assert.equal(wheel.size, 1, 'only b is still armed');
  assert.equal(nodes[1]!.isArmed, true);
  now = 40;
  wheel.advance(now);
  assert.deepEqual(fired.sort(), ['a', 'b', 'c', 'e']);
  assert.equal(wheel.size, 0);
});

test('bad wheel geometry is a UsageError at construction', () => {
  for (const [tick, slots] of [
    [100, 500],
    [100, 0],
    [100, -4],
    [100, 2.5],
    [0, 512],
    [Number.NaN, 512],
  ] as const) {
    assert.throws(
      () => new TimerWheel(tick, slots),
      (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_ARG',
      `tick ${tick}, slots ${slots}`,
    );
  }
});
