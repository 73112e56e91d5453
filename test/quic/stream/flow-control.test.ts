import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuicError, UsageError } from '../../../src/common/errors.js';
import { RecvCredit, SendCredit } from '../../../src/quic/stream/flow-control.js';

test('SendCredit: MAX_DATA only raises; BLOCKED once per limit and again after loss', () => {
  const c = new SendCredit(100);
  assert.equal(c.available, 100);
  c.consume(100);
  assert.throws(() => {
    c.consume(1);
  }, UsageError);
  assert.equal(c.takeBlocked(false), null);
  assert.equal(c.takeBlocked(true), 100);
  assert.equal(c.takeBlocked(true), null);
  c.onBlockedLost(100);
  assert.equal(c.takeBlocked(true), 100);
  // RFC 9000 §4.1: a smaller MAX_DATA is ignored.
  assert.equal(c.onMaxUpdate(50), false);
  assert.equal(c.onMaxUpdate(200), true);
  assert.equal(c.available, 100);
  assert.equal(c.takeBlocked(true), null);
});

test('RecvCredit: over the limit is FLOW_CONTROL_ERROR', () => {
  const c = new RecvCredit(100);
  c.receive(100);
  assert.throws(
    () => {
      c.receive(1, 0x08);
    },
    (e: unknown) => e instanceof QuicError && e.wireCode === 0x03 && e.frameType === 0x08,
  );
});

test('RecvCredit: announces after half the window is consumed, resends after loss', () => {
  const c = new RecvCredit(100);
  c.receive(80);
  c.consume(40);
  assert.equal(c.takeUpdate(), null);
  c.consume(10);
  assert.equal(c.takeUpdate(), 150);
  assert.equal(c.takeUpdate(), null);
  c.onUpdateLost(150);
  assert.equal(c.takeUpdate(), 150);
  c.onUpdateLost(120);
  assert.equal(c.takeUpdate(), null);
  assert.throws(() => {
    c.consume(31);
  }, UsageError);
});

test('property: a sender obeying SendCredit never trips RecvCredit, and credit keeps flowing', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.tuple(fc.nat(500), fc.nat(500)), { maxLength: 80 }),
      (window, steps) => {
        const send = new SendCredit(window);
        const recv = new RecvCredit(window);
        let unconsumed = 0;
        for (const [want, eat] of steps) {
          const n = Math.min(want, send.available);
          send.consume(n);
          recv.receive(n);
          unconsumed += n;
          const c = Math.min(eat, unconsumed);
          recv.consume(c);
          unconsumed -= c;
          const up = recv.takeUpdate();
          if (up !== null) send.onMaxUpdate(up);
          assert.ok(recv.received <= recv.limit);
          assert.ok(send.limit <= recv.limit);
          // Never stalls: with everything consumed, at least half a window is open.
          if (unconsumed === 0) assert.ok(send.available >= window / 2);
        }
      },
    ),
  );
});

test('RecvCredit auto-tuning: doubles when half a window is consumed within 2 RTTs, up to the maximum', () => {
  const rtt = 10;
  const c = new RecvCredit(100, 400);
  let now = 0;
  const eat = (n: number, dt: number): number | null => {
    now += dt;
    c.receive(n);
    c.consume(n, now, rtt);
    return c.takeUpdate();
  };
  // First announcement: nothing to measure against, no growth.
  assert.equal(eat(50, 5), 150);
  assert.equal(c.window, 100);
  // Half a window 5 ms later (under 2 RTTs): the window limited the peer, it doubles.
  assert.equal(eat(50, 5), 100 + 200);
  assert.equal(c.window, 200);
  assert.equal(eat(100, 5), 200 + 400);
  assert.equal(c.window, 400);
  // At the maximum: no further growth.
  assert.equal(eat(200, 1), 400 + 400);
  assert.equal(c.window, 400);
});

test('RecvCredit auto-tuning: a slow consumer (over 2 RTTs per half window) or none keeps the window', () => {
  const c = new RecvCredit(100, 1000);
  c.receive(100);
  c.consume(50, 0, 10);
  c.consume(50, 25, 10);
  assert.equal(c.window, 100);
  // Received but never consumed: no announcement, no growth.
  const idle = new RecvCredit(100, 1000);
  idle.receive(100);
  assert.equal(idle.takeUpdate(), null);
  assert.equal(idle.window, 100);
  // Without a clock (NaN) the window never grows; a maximum below the window disables tuning.
  const clockless = new RecvCredit(100, 1000);
  for (let i = 0; i < 4; i++) {
    clockless.receive(50);
    clockless.consume(50);
  }
  assert.equal(clockless.window, 100);
  assert.equal(new RecvCredit(100, 10).maxWindow, 100);
  // ensureWindow raises to a bound, never lowers.
  const conn = new RecvCredit(100, 300);
  conn.ensureWindow(1000);
  assert.equal(conn.window, 300);
  conn.ensureWindow(50);
  assert.equal(conn.window, 300);
});
