import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteMatch } from '../../src/router/match.js';

const route = (names: string[]): { value: string; pattern: string; method: string; names: string[] } => ({
  value: 'v',
  pattern: '/p',
  method: 'GET',
  names,
});

test('a match reads params lazily from its offsets, by name or index', () => {
  const path = '/u/ann/posts/7/x/y/z';
  const m = new RouteMatch(
    route(['user', 'post', 'a', 'b', 'c']),
    path,
    [3, 6, 13, 14, 15, 16, 17, 18, 19, 20],
  );
  assert.equal(m.params, m);
  assert.equal(m.status, 200);
  assert.deepEqual([m.value, m.pattern, m.method, m.length], ['v', '/p', 'GET', 5]);
  assert.deepEqual(m.toObject(), { user: 'ann', post: '7', a: 'x', b: 'y', c: 'z' });
  assert.equal(m.get('post'), '7');
  assert.equal(m.get('missing'), undefined);
  assert.equal(m.at(4), 'z');
  assert.equal(m.at(5), '');
});

test('decodeParams decodes only escaped values and reports malformed ones', () => {
  const ok = new RouteMatch(route(['a', 'b']), '/x%20y/plain', [1, 6, 7, 12]);
  assert.equal(ok.decodeParams(), true);
  assert.deepEqual(ok.toObject(), { a: 'x y', b: 'plain' });
  const bad = new RouteMatch(route(['a']), '/%E2%82', [1, 7]);
  assert.equal(bad.decodeParams(), false);
  // Not decoded: the raw value stays readable.
  assert.equal(bad.get('a'), '%E2%82');
});

test('a match without params', () => {
  const m = new RouteMatch(route([]));
  assert.equal(m.length, 0);
  assert.deepEqual(m.toObject(), {});
  assert.equal(m.at(0), '');
});
