import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupMethod } from '../../src/http1/methods.js';
import { enc } from './helpers.js';

test('lookupMethod interns registered methods, case-sensitively', () => {
  const b = enc('xGETPROPPATCHget');
  assert.equal(lookupMethod(b, 1, 4), 'GET');
  assert.equal(lookupMethod(b, 4, 13), 'PROPPATCH');
  assert.equal(lookupMethod(b, 13, 16), null);
  assert.equal(lookupMethod(enc('VERYLONGMETHOD'), 0, 14), null);
});
