import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Http1ErrorKind, http1Error } from '../../src/http1/errors.js';
import {
  DEFAULT_HTTP1_LENIENCY,
  DEFAULT_HTTP1_LIMITS,
  resolveHttp1Leniency,
  resolveHttp1Limits,
} from '../../src/http1/limits.js';
import { decodeLatin1 } from '../../src/http1/latin1.js';
import { lookupMethod } from '../../src/http1/methods.js';
import { enc } from './helpers.js';

test('Http1ErrorKind: every status hint is one a server can send', () => {
  for (const [kind, status] of Object.entries(Http1ErrorKind)) {
    assert.ok([400, 413, 414, 431, 501, 505].includes(status), kind);
  }
  const e = http1Error('TARGET_TOO_LONG', 'm', 12);
  assert.equal(e.statusHint, 414);
  assert.equal(e.code, 'ERR_HTTP1_TARGET_TOO_LONG');
  assert.equal(e.offset, 12);
});

test('default limits are finite, frozen and overridable', () => {
  assert.ok(Object.isFrozen(DEFAULT_HTTP1_LIMITS));
  assert.ok(Object.isFrozen(DEFAULT_HTTP1_LENIENCY));
  for (const v of Object.values(DEFAULT_HTTP1_LIMITS)) assert.ok(Number.isFinite(v));
  for (const v of Object.values(DEFAULT_HTTP1_LENIENCY)) assert.equal(v, false);
  assert.equal(resolveHttp1Limits({ maxHeaders: 5 }).maxHeaders, 5);
  assert.equal(resolveHttp1Limits().maxHeadBytes, 16384);
  assert.equal(resolveHttp1Leniency({ allowBareLf: true }).allowBareLf, true);
});

test('decodeLatin1 matches a reference for every length up to 300', () => {
  const all = Uint8Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff);
  for (let n = 0; n <= 300; n++) {
    let ref = '';
    for (let k = 3; k < 3 + n; k++) ref += String.fromCharCode(all[k]!);
    assert.equal(decodeLatin1(all, 3, 3 + n), ref, `length ${n}`);
  }
});

test('lookupMethod interns registered methods, case-sensitively', () => {
  const b = enc('xGETPROPPATCHget');
  assert.equal(lookupMethod(b, 1, 4), 'GET');
  assert.equal(lookupMethod(b, 4, 13), 'PROPPATCH');
  assert.equal(lookupMethod(b, 13, 16), null);
  assert.equal(lookupMethod(enc('VERYLONGMETHOD'), 0, 14), null);
});
