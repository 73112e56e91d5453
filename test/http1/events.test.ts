import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADER_NAMES } from '../../src/common/header-names.js';
import { EMPTY_HEADERS, Http1Parser, type Http1Head } from '../../src/http1/index.js';
import { enc } from './helpers.js';

function parseHead(s: string, options = {}): Http1Head {
  const p = new Http1Parser(true, options);
  p.push(enc(s));
  const ev = p.next();
  assert.ok(ev !== null && ev.type === 'head');
  return ev;
}

test('header view: names lowercase (interned when known), values lazy and cached', () => {
  const h = parseHead(
    'GET / HTTP/1.1\r\nHost: a\r\nX-Thing: One\r\nx-thing: Two\r\nAccept: */*\r\n\r\n',
  ).headers;
  assert.equal(h.length, 4);
  assert.equal(h.name(0), 'host');
  assert.equal(h.name(0), HEADER_NAMES[h.nameId(0)]);
  assert.equal(h.nameId(1), -1);
  assert.equal(h.name(1), 'x-thing');
  assert.equal(h.name(1), h.name(1));
  const v = h.value(2);
  assert.equal(v, 'Two');
  assert.equal(h.value(2), v, 'cached');
  assert.equal(h.get('X-THING'), 'One');
  assert.deepEqual(h.getAll('x-thing'), ['One', 'Two']);
  assert.equal(h.get('accept'), '*/*');
  assert.equal(h.get('missing'), undefined);
  assert.equal(h.has('HOST'), true);
  assert.equal(h.has('hos'), false);
  assert.equal(h.indexOf('x-thing', 2), 2);
  assert.equal(h.get('caf\u20ac'), undefined);
  assert.deepEqual(h.toArray()[3], ['accept', '*/*']);
  assert.equal(String.fromCharCode(...h.bytes.subarray(h.valueStart(0), h.valueEnd(0))), 'a');
});

test('head fields: version, target, method interned, flags', () => {
  const h = parseHead('PATCH /x HTTP/1.0\r\nContent-Length: 3\r\n\r\n');
  assert.equal(h.type, 'head');
  assert.equal(h.kind, 'request');
  assert.equal(h.method, 'PATCH');
  assert.equal(h.target, '/x');
  assert.equal(h.version, '1.0');
  assert.equal(h.status, 0);
  assert.equal(h.reason, '');
  assert.equal(h.bodyKind, 'length');
  assert.equal(h.contentLength, 3);
  assert.equal(h.keepAlive, false);
  assert.equal(h.offset, 0);
});

test('retain() copies the head so it survives reuse of the input buffer', () => {
  const buf = enc('GET /keep HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n');
  const p = new Http1Parser(true);
  p.push(buf);
  const ev = p.next();
  assert.ok(ev !== null && ev.type === 'head');
  ev.retain();
  buf.fill(0x5a);
  assert.equal(ev.target, '/keep');
  assert.equal(ev.headers.get('x'), 'y');
  assert.equal(ev.headers.name(1), 'x');
});

test('trailers view retain() and the empty view', () => {
  const buf = enc('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: v\r\n\r\n');
  const p = new Http1Parser(true);
  p.push(buf);
  p.next();
  const end = p.next();
  assert.ok(end !== null && end.type === 'end' && end.trailers !== null);
  end.trailers.retain();
  buf.fill(0);
  assert.equal(end.trailers.get('t'), 'v');
  assert.equal(EMPTY_HEADERS.length, 0);
  assert.equal(EMPTY_HEADERS.retain(), EMPTY_HEADERS);
});

test('responses expose status and reason', () => {
  const p = new Http1Parser(false);
  p.push(enc("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n"));
  const h = p.next();
  assert.ok(h !== null && h.type === 'head');
  assert.equal(h.kind, 'response');
  assert.equal(h.status, 418);
  assert.equal(h.reason, "I'm a teapot");
  assert.equal(h.target, '');
  assert.equal(h.method, '');
});
