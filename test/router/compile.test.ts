import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteStatus } from '../../src/router/status.js';
import { RouteTree } from '../../src/router/tree.js';

/** The tree's compiled walk (white-box: a private field). */
function compiledOf(t: RouteTree<unknown>): unknown {
  return (t as unknown as { compiled: unknown }).compiled;
}

test('generated code holds no route text: a path full of code characters stays data', () => {
  const evil = "/');globalThis.pwned=1;('/$x=1;(';)";
  const t = new RouteTree<string>();
  t.add('GET', evil, 'evil');
  t.add('GET', `${evil}/:p`, 'evil-param');
  assert.equal(t.find('GET', evil).status, RouteStatus.Found);
  const walk = compiledOf(t);
  assert.equal(typeof walk, 'function');
  const source = String(walk);
  assert.ok(!source.includes('pwned') && !source.includes("'"), 'no route text in the source');
  assert.equal((globalThis as { pwned?: unknown }).pwned, undefined);
  const r = t.find('GET', `${evil}/v`);
  assert.ok(r.status === RouteStatus.Found);
  assert.equal(r.params.get('p'), 'v');
});

test('compiling is lazy and redone after a change', () => {
  const t = new RouteTree<string>();
  t.add('GET', '/a', 'a');
  assert.equal(compiledOf(t), undefined);
  t.find('GET', '/a');
  const first = compiledOf(t);
  assert.equal(typeof first, 'function');
  t.find('GET', '/a');
  assert.equal(compiledOf(t), first, 'reused while nothing changes');
  t.add('GET', '/b', 'b');
  assert.equal(compiledOf(t), undefined);
  assert.equal(t.find('GET', '/b').status, RouteStatus.Found);
  assert.notEqual(compiledOf(t), first);
});

test('compile: false never generates code', () => {
  const t = new RouteTree<string>({ compile: false });
  t.add('GET', '/a', 'a');
  assert.equal(t.find('GET', '/a').status, RouteStatus.Found);
  assert.equal(compiledOf(t), null);
});
