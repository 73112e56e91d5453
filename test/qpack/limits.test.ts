import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QPACK_LIMITS, resolveQpackLimits } from '../../src/qpack/limits.js';

test('defaults are frozen and finite', () => {
  assert.ok(Object.isFrozen(DEFAULT_QPACK_LIMITS));
  for (const v of Object.values(DEFAULT_QPACK_LIMITS)) assert.ok(Number.isFinite(v));
  assert.equal(DEFAULT_QPACK_LIMITS.maxTableCapacity, 4096);
  assert.equal(DEFAULT_QPACK_LIMITS.maxBlockedStreams, 100);
});

test('overrides merge; unknown keys and bad values are rejected', () => {
  const l = resolveQpackLimits({ maxBlockedStreams: 0, maxFieldSectionSize: Infinity });
  assert.equal(l.maxBlockedStreams, 0);
  assert.equal(l.maxFieldSectionSize, Infinity);
  assert.equal(l.maxTableCapacity, 4096);
  assert.throws(() => resolveQpackLimits({ maxTableCapacity: -1 }));
  assert.throws(() => resolveQpackLimits({ nope: 1 } as never));
});
