import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import {
  Http1Writer,
  encodeChunkedBody,
  encodeRequestHead,
  encodeResponseHead,
} from '../../src/http1/serializer.js';
import { enc, text } from './helpers.js';

test('request and response heads', () => {
  assert.equal(
    text([
      encodeRequestHead('GET', '/a?b', [
        ['Host', 'x'],
        ['Accept', '*/*'],
      ]),
    ]),
    'GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n',
  );
  assert.equal(text([encodeResponseHead(404, [])]), 'HTTP/1.1 404 Not Found\r\n\r\n');
  assert.equal(text([encodeResponseHead(299, [])]), 'HTTP/1.1 299 \r\n\r\n');
  assert.equal(text([encodeResponseHead(200, [], 'Fine')]), 'HTTP/1.1 200 Fine\r\n\r\n');
  assert.equal(
    text([encodeResponseHead(200, [['x', 'caf\u00e9\tok']])]),
    'HTTP/1.1 200 OK\r\nx: caf\u00e9\tok\r\n\r\n',
  );
});

test('chunked body with trailers; empty chunks are skipped', () => {
  assert.equal(
    text([encodeChunkedBody([enc('abc'), enc(''), new Uint8Array(300).fill(0x78)], [['t', '1']])]),
    '3\r\nabc\r\n12c\r\n' + 'x'.repeat(300) + '\r\n0\r\nt: 1\r\n\r\n',
  );
  assert.equal(text([encodeChunkedBody([])]), '0\r\n\r\n');
});

test('refuses CR/LF/NUL injection, non-token names, bad targets and statuses', () => {
  assert.throws(() => encodeResponseHead(200, [['x', 'a\r\nSet-Cookie: evil']]), UsageError);
  assert.throws(() => encodeResponseHead(200, [['x', 'a\nb']]), UsageError);
  assert.throws(() => encodeResponseHead(200, [['x', 'a\0b']]), UsageError);
  assert.throws(() => encodeResponseHead(200, [['x', '\u20ac']]), UsageError);
  assert.throws(() => encodeResponseHead(200, [['x y', 'a']]), UsageError);
  assert.throws(() => encodeResponseHead(200, [['', 'a']]), UsageError);
  assert.throws(() => encodeResponseHead(200, [], 'OK\r\nX: y'), UsageError);
  assert.throws(() => encodeResponseHead(99, []), UsageError);
  assert.throws(() => encodeResponseHead(200.5, []), UsageError);
  assert.throws(() => encodeRequestHead('GE T', '/', []), UsageError);
  assert.throws(() => encodeRequestHead('GET', '/a b', []), UsageError);
  assert.throws(() => encodeRequestHead('GET', '', []), UsageError);
  assert.throws(() => encodeRequestHead('GET', '/\u00e9', []), UsageError);
});

test('writer: body chunks by reference, arena views never reused, large heads get their own arena', () => {
  const w = new Http1Writer();
  const body = enc('payload');
  w.writeResponseHead(200, [['content-length', '7']]);
  w.writeBytes(body);
  w.writeBytes(new Uint8Array(0));
  const first = w.take();
  assert.equal(first.length, 2);
  assert.equal(first[1], body);
  const snapshot = text(first);
  const big = 'v'.repeat(40000);
  w.writeResponseHead(200, [['x-big', big]]);
  w.writeChunkHeader(255, true);
  w.writeLastChunk(undefined, false);
  const second = w.take();
  assert.equal(text(first), snapshot, 'earlier views unchanged');
  assert.equal(text(second), `HTTP/1.1 200 OK\r\nx-big: ${big}\r\n\r\n\r\nff\r\n0\r\n\r\n`);
  assert.equal(w.hasOutput, false);
  assert.deepEqual(w.take(), []);
  assert.equal(w.bytesQueued, snapshot.length + second.reduce((n, c) => n + c.length, 0));
});

test('writer: recycle() reuses the arena once everything was taken, never under output not yet taken', () => {
  const w = new Http1Writer();
  w.writeResponseHead(200, [['a', '1']]);
  const first = w.take()[0]!;
  assert.equal(first.byteOffset, 0);
  w.recycle();
  w.writeResponseHead(204, [['b', '2']]);
  const second = w.take()[0]!;
  assert.equal(second.buffer, first.buffer, 'same arena');
  assert.equal(second.byteOffset, 0, 'written from the start again');
  assert.equal(text([second]), 'HTTP/1.1 204 No Content\r\nb: 2\r\n\r\n');
  // Output written but not taken yet: recycle() must not let the next head overwrite it.
  w.writeResponseHead(200, [['c', '3']]);
  w.recycle();
  w.writeResponseHead(200, [['d', '4']]);
  const both = w.take();
  const bothText = 'HTTP/1.1 200 OK\r\nc: 3\r\n\r\nHTTP/1.1 200 OK\r\nd: 4\r\n\r\n';
  assert.equal(text(both), bothText);
  // Without recycle() views stay valid: the next head goes after them.
  w.writeResponseHead(200, [['e', '5']]);
  const next = w.take()[0]!;
  assert.ok(next.byteOffset > 0);
  assert.equal(text(both), bothText);
});

test('field checks name the offence; the date line is encoded once per value and a bad one never cached', () => {
  const w = new Http1Writer();
  const refused: [fields: [string, string][], code: string, message?: string][] = [
    [[['x-a', 'ok\u0007no']], 'ERR_HTTP1_INVALID_FIELD_VALUE', 'value of x-a holds byte 0x7 at index 2'],
    [[['bad name', 'v']], 'ERR_HTTP1_INVALID_FIELD_NAME', 'field name "bad name" is not a token'],
    [[['', 'v']], 'ERR_HTTP1_INVALID_FIELD_NAME'],
    [[['x-\u0161', 'v']], 'ERR_HTTP1_INVALID_FIELD_NAME'],
    [[['x-b', 'caf\u0161']], 'ERR_HTTP1_INVALID_FIELD_VALUE', 'value of x-b holds byte 0x161 at index 3'],
    // Not strings (a JavaScript caller): refused before anything is written.
    [
      [['x-n', 42 as unknown as string]],
      'ERR_HTTP1_INVALID_FIELD_VALUE',
      'value of x-n must be a string, got number',
    ],
    [[[undefined as unknown as string, 'v']], 'ERR_HTTP1_INVALID_FIELD_NAME'],
  ];
  for (const [fields, code, message] of refused) {
    assert.throws(
      () => {
        w.writeResponseHead(200, fields);
      },
      message === undefined ? { code } : { code, message },
      JSON.stringify(fields),
    );
  }
  assert.throws(
    () => {
      w.writeRequestHead('GET', 7 as unknown as string, []);
    },
    { code: 'ERR_HTTP1_INVALID_TARGET' },
  );
  assert.equal(w.hasOutput, false);
  const day = 'Mon, 07 Dec 2026 17:00:00 GMT';
  w.writeResponseHead(200, [['date', day]]);
  w.writeResponseHead(200, [['date', `${day.slice(0, 5)}${day.slice(5)}`]]);
  assert.throws(() => {
    w.writeResponseHead(200, [['date', 'Mon\r\nx-injected: 1']]);
  }, UsageError);
  w.writeResponseHead(200, [['date', 'Tue, 08 Dec 2026 00:00:00 GMT']]);
  w.writeResponseHead(200, [['date', day]]);
  w.writeResponseHead(200, [['x-d', day]]);
  assert.equal(
    text(w.take()),
    `HTTP/1.1 200 OK\r\ndate: ${day}\r\n\r\n`.repeat(2) +
      'HTTP/1.1 200 OK\r\ndate: Tue, 08 Dec 2026 00:00:00 GMT\r\n\r\n' +
      `HTTP/1.1 200 OK\r\ndate: ${day}\r\n\r\n` +
      `HTTP/1.1 200 OK\r\nx-d: ${day}\r\n\r\n`,
  );
  assert.throws(() => {
    w.writeResponseHead(200, [['date', 'Mon\r\nx-injected: 1']]);
  }, UsageError);
});

test('a refused head leaves nothing behind', () => {
  const w = new Http1Writer();
  w.writeResponseHead(200, [['a', '1']]);
  assert.throws(() => {
    w.writeResponseHead(200, [['b', 'x\r\n']]);
  }, UsageError);
  assert.equal(text(w.take()), 'HTTP/1.1 200 OK\r\na: 1\r\n\r\n');
});
