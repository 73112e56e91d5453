import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAltSvc } from '../../src/client/alt-svc.js';

test('parseAltSvc: same-host h3 alternatives with ma (RFC 7838 §3)', () => {
  assert.deepEqual(parseAltSvc('h3=":443"; ma=3600'), { port: 443, maxAgeSec: 3600 });
  assert.deepEqual(parseAltSvc('h3=":8443"'), { port: 8443, maxAgeSec: 86400 });
  assert.deepEqual(parseAltSvc('h2=":443", h3=":4433"; persist=1; ma=60'), { port: 4433, maxAgeSec: 60 });
  assert.deepEqual(parseAltSvc(' h3 = ":99" ; ma="120"'), { port: 99, maxAgeSec: 120 });
  // A quoted comma or semicolon does not split members.
  assert.deepEqual(parseAltSvc('x="a,b;c", h3=":7"'), { port: 7, maxAgeSec: 86400 });
  assert.equal(parseAltSvc('clear'), 'clear');
});

test('parseAltSvc: other hosts, other protocols and malformed members are skipped', () => {
  assert.equal(parseAltSvc('h3="other.example:443"'), undefined);
  assert.equal(parseAltSvc('h3-29=":443"'), undefined);
  assert.equal(parseAltSvc('h3=":0", h3=":70000", h3=":x", h3'), undefined);
  assert.deepEqual(parseAltSvc('h3=":abc", h3=":5"; ma=-1'), { port: 5, maxAgeSec: 86400 });
  assert.equal(parseAltSvc(''), undefined);
});
