import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { resolveLimits } from '../../src/common/limits.js';

type L = { readonly maxA: number; readonly flag: boolean };
const DEFAULTS: Readonly<L> = Object.freeze({ maxA: 10, flag: false });

test('defaults are returned as is when nothing is overridden', () => {
  assert.equal(resolveLimits('T', DEFAULTS, undefined), DEFAULTS);
});

test('overrides merge, undefined keeps the default, result is frozen', () => {
  const r = resolveLimits('T', DEFAULTS, { maxA: Infinity, flag: undefined } as unknown as Partial<L>);
  assert.equal(r.maxA, Infinity);
  assert.equal(r.flag, false);
  assert.ok(Object.isFrozen(r));
});

test('unknown keys and bad values are UsageErrors', () => {
  assert.throws(() => resolveLimits('T', DEFAULTS, { maxB: 1 } as unknown as Partial<L>), UsageError);
  assert.throws(() => resolveLimits('T', DEFAULTS, { maxA: -1 }), UsageError);
  assert.throws(() => resolveLimits('T', DEFAULTS, { maxA: NaN }), UsageError);
  assert.throws(() => resolveLimits('T', DEFAULTS, { flag: 1 as unknown as boolean }), UsageError);
  assert.throws(() => resolveLimits('T', DEFAULTS, { maxA: true as unknown as number }), UsageError);
});
