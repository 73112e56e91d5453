import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { SessionTicketCache } from '../../src/client/ticket-cache.js';

test('keeps the newest ticket per origin, hands it out once, and drops the oldest origin beyond the bound', () => {
  const c = new SessionTicketCache(2);
  c.put('a', Uint8Array.of(1));
  c.put('a', Uint8Array.of(2));
  assert.equal(c.size, 1);
  c.put('b', Uint8Array.of(3));
  c.put('c', Uint8Array.of(4));
  assert.equal(c.size, 2);
  assert.equal(c.take('a'), undefined, 'the least recently stored origin went');
  assert.deepEqual(c.take('b'), Uint8Array.of(3));
  assert.equal(c.take('b'), undefined, 'a ticket is used once');
  assert.equal(c.size, 1);
});

test('a bound of 0 keeps nothing; a bad bound throws at the call', () => {
  const c = new SessionTicketCache(0);
  c.put('a', Uint8Array.of(1));
  assert.equal(c.take('a'), undefined);
  assert.throws(() => new SessionTicketCache(-1), UsageError);
  assert.throws(() => new SessionTicketCache(1.5), UsageError);
});
