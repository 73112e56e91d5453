import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_HTTP1_LENIENCY,
  DEFAULT_HTTP1_LIMITS,
  resolveHttp1Leniency,
  resolveHttp1Limits,
} from '../../src/http1/limits.js';

test('default limits are finite, frozen and overridable', () => {
  assert.ok(Object.isFrozen(DEFAULT_HTTP1_LIMITS));
  assert.ok(Object.isFrozen(DEFAULT_HTTP1_LENIENCY));
  for (const v of Object.values(DEFAULT_HTTP1_LIMITS)) assert.ok(Number.isFinite(v));
  for (const v of Object.values(DEFAULT_HTTP1_LENIENCY)) assert.equal(v, false);
  assert.equal(resolveHttp1Limits({ maxHeaders: 5 }).maxHeaders, 5);
  assert.equal(resolveHttp1Limits().maxHeadBytes, 16384);
  assert.equal(resolveHttp1Leniency({ allowBareLf: true }).allowBareLf, true);
});
