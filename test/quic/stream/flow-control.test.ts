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
