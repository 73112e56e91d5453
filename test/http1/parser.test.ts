import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Http1Parser, Http1ParseError, ParserState } from '../../src/http1/index.js';
import { body, drain, enc } from './helpers.js';

test('a head in one chunk is zero-copy: spans point into the caller buffer', () => {
  const buf = enc('GET /zero HTTP/1.1\r\nHost: a\r\n\r\n');
  const p = new Http1Parser(true);
  p.push(buf);
  const h = p.next();
  assert.ok(h !== null && h.type === 'head');
  assert.equal(h.headers.bytes, buf);
});

test('a head split across chunks is carried; two carried heads do not overwrite each other', () => {
  const p = new Http1Parser(true);
  p.push(enc('GET /one HTTP/1.1\r\nHo'));
  assert.equal(p.next(), null);
  p.push(enc('st: a\r\n\r\nGET /two HTTP/1.1\r\nHo'));
  const first = p.next();
  assert.ok(first !== null && first.type === 'head');
  assert.equal(p.next()?.type, 'end');
  assert.equal(p.next(), null, 'second head incomplete: carried');
  // Lifetime: the first head stays valid until the next push even though the second head was carried.
  assert.equal(first.target, '/one');
  assert.equal(first.headers.get('host'), 'a');
  p.push(enc('st: b\r\n\r\n'));
  const second = p.next();
  assert.ok(second !== null && second.type === 'head');
  assert.equal(second.target, '/two');
  assert.equal(second.headers.get('host'), 'b');
});

test('pushing before draining keeps the unparsed bytes', () => {
  const p = new Http1Parser(true);
  p.push(enc('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc'));
  p.push(enc('def'));
  const evs = drain(p);
  assert.equal(body(evs), 'abcdef');
  assert.equal(evs.at(-1)!.type, 'end');
});

test('Buffer input: data events are plain Uint8Array views of it', () => {
  const buf = Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi');
  const p = new Http1Parser(true);
  p.push(buf);
  const evs = drain(p);
  const data = evs.find((e) => e.type === 'data');
  assert.ok(data?.type === 'data');
  assert.equal(data.bytes.constructor, Uint8Array);
  assert.equal(data.bytes.buffer, buf.buffer);
});

test('state, offset, isIdle and unconsumed', () => {
  const p = new Http1Parser(true);
  assert.equal(p.isIdle, true);
  p.push(enc('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nREST'));
  assert.equal(p.next()?.type, 'head');
  assert.equal(p.isIdle, false);
  assert.equal(p.next()?.type, 'end');
  const up = p.next();
  assert.ok(up !== null && up.type === 'upgrade');
  assert.equal(p.currentState, ParserState.Upgraded);
  assert.equal(p.isIdle, true);
  assert.equal(p.offset, 64);
  assert.equal(p.unconsumed().length, 0);
  p.push(enc('MORE'));
  const more = p.next();
  assert.ok(more !== null && more.type === 'upgrade');
  assert.equal(more.offset, 64);
});

test('a failed parser rethrows the same error; push is ignored', () => {
  const p = new Http1Parser(true);
  p.push(enc('BAD\0 / HTTP/1.1\r\n'));
  let first: unknown;
  try {
    p.next();
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof Http1ParseError);
  p.push(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
  assert.throws(
    () => p.next(),
    (e: unknown) => e === first,
  );
  assert.equal(p.currentState, ParserState.Failed);
});

test('limits and leniency options are validated', () => {
  assert.throws(() => new Http1Parser(true, { limits: { maxHeaders: -1 } }), /non-negative/);
  assert.throws(() => new Http1Parser(true, { leniency: { allowBareLF: true } as never }), /unknown limit/);
  const p = new Http1Parser(true, { limits: { maxHeaders: Infinity } });
  const many = Array.from({ length: 300 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
  p.push(enc(`GET / HTTP/1.1\r\nHost: a\r\n${many}\r\n`));
  const h = p.next();
  assert.ok(h !== null && h.type === 'head');
  assert.equal(h.headers.length, 301);
  assert.equal(h.headers.get('x-299'), '299');
});

test('Buffer pool offsets: word-at-a-time scanning works at every alignment', () => {
  const msg = 'GET /' + 'p'.repeat(40) + ' HTTP/1.1\r\nHost: a\r\nX-Long: ' + 'v'.repeat(50) + ' \t\r\n\r\n';
  for (let pad = 0; pad < 8; pad++) {
    const big = new Uint8Array(msg.length + 16);
    big.set(enc(msg), pad);
    const p = new Http1Parser(true);
    p.push(big.subarray(pad, pad + msg.length));
    const h = p.next();
    assert.ok(h !== null && h.type === 'head');
    assert.equal(h.target, '/' + 'p'.repeat(40));
    assert.equal(h.headers.get('x-long'), 'v'.repeat(50));
  }
  const bad = enc(
    'GET / HTTP/1.1\r\nHost: a\r\nX-Long: ' + 'v'.repeat(30) + '\x01' + 'v'.repeat(30) + '\r\n\r\n',
  );
  const p = new Http1Parser(true);
  p.push(bad);
  assert.throws(
    () => p.next(),
    (e: unknown) => e instanceof Http1ParseError && e.kind === 'INVALID_HEADER_VALUE' && e.offset === 63,
  );
});

/** What a parser made of a whole input: the head's start line and fields, or the error's kind and offset. */
function outcome(p: Http1Parser, chunks: readonly Uint8Array[]): string {
  try {
    const evs: ReturnType<typeof drain> = [];
    for (const c of chunks) {
      p.push(c);
      evs.push(...drain(p));
    }
    const h = evs.find((e) => e.type === 'head');
    if (h?.type !== 'head') return `no head (${evs.length} events)`;
    return JSON.stringify([h.method, h.target, h.headers.toArray()]);
  } catch (e) {
    if (!(e instanceof Http1ParseError)) throw e;
    return `${e.kind} at ${e.offset}`;
  }
}

test('word scans agree with the byte loops: every byte value, at every alignment, in a name, a value and a target', () => {
  // The word scans (target, field name, field value) only run on spans of 16 bytes or more in one chunk;
  // fed one byte at a time the parser takes the byte loops. Same verdict, same offset, same fields.
  const places: Array<(k: number, b: string) => string> = [
    (k, b) => `GET /${'p'.repeat(k)}${b}${'q'.repeat(20)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    (k, b) => `GET / HTTP/1.1\r\nHost: a\r\nX-${'n'.repeat(k)}${b}${'m'.repeat(20)}: v\r\n\r\n`,
    (k, b) => `GET / HTTP/1.1\r\nHost: a\r\nX-V: ${'v'.repeat(k)}${b}${'w'.repeat(20)}\r\n\r\n`,
    // The byte right before the CRLF (the scan's last word), after a value of every length mod 4.
    (k, b) => `GET / HTTP/1.1\r\nHost: a\r\nX-V: ${'v'.repeat(16 + k)}${b}\r\n\r\n`,
  ];
  let accepted = 0;
  for (const place of places) {
    for (let byte = 0; byte < 256; byte++) {
      for (let k = 0; k < 8; k++) {
        const msg = enc(place(k, String.fromCharCode(byte)));
        const expected = outcome(
          new Http1Parser(true),
          Array.from(msg, (x) => Uint8Array.of(x)),
        );
        if (expected.startsWith('[')) accepted++;
        // Every offset of the message in its ArrayBuffer mod 4, and an ArrayBuffer that ends with the message
        // (its last bytes are in no 32-bit word: the scans must leave them to the byte loops).
        for (let shift = 0; shift < 4; shift++) {
          for (const tail of [0, 3]) {
            const big = new Uint8Array(shift + msg.length + tail);
            big.set(msg, shift);
            const got = outcome(new Http1Parser(true), [big.subarray(shift, shift + msg.length)]);
            assert.equal(got, expected, `byte 0x${byte.toString(16)} at ${k}, shift ${shift}, tail ${tail}`);
          }
        }
      }
    }
  }
  // Sanity: both verdicts occur (token, target and value bytes are accepted; CTLs are not).
  assert.ok(accepted > 1000 && accepted < 4 * 256 * 8, `${accepted} accepted`);
});

test('framing names are resolved while scanning: Host is O(1) and matches a scan, whatever the split', () => {
  const msg = 'GET / HTTP/1.1\r\nX-A: 1\r\nhOsT:  www.example.com \r\nConnection: close\r\n\r\n';
  for (let split = 1; split < msg.length; split++) {
    const p = new Http1Parser(true);
    p.push(enc(msg.slice(0, split)));
    const evs = drain(p);
    p.push(enc(msg.slice(split)));
    evs.push(...drain(p));
    const h = evs.find((e) => e.type === 'head');
    assert.ok(h?.type === 'head', `split ${split}`);
    assert.equal(h.headers.get('host'), 'www.example.com', `split ${split}`);
    assert.equal(h.headers.get('HOST'), 'www.example.com');
    assert.equal(h.headers.indexOf('host'), 1);
    assert.equal(h.headers.name(1), 'host');
    assert.equal(h.keepAlive, false, `split ${split}: Connection: close read`);
  }
});

test('get("host") on a head without Host (HTTP/1.0) and on a response is undefined', () => {
  const p = new Http1Parser(true);
  p.push(enc('GET / HTTP/1.0\r\nX-Host: a\r\n\r\n'));
  const h = p.next();
  assert.ok(h !== null && h.type === 'head');
  assert.equal(h.headers.get('host'), undefined);
  const r = new Http1Parser(false);
  r.push(enc('HTTP/1.1 200 OK\r\nHost: b\r\nContent-Length: 0\r\n\r\n'));
  const rh = r.next();
  assert.ok(rh !== null && rh.type === 'head');
  assert.equal(rh.headers.get('host'), 'b');
});

test('obs-fold after a framing field resolved on the fast path is still refused for Content-Length', () => {
  const p = new Http1Parser(true, { leniency: { allowObsFold: true } });
  p.push(enc('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n 2\r\n\r\nx'));
  assert.throws(
    () => drain(p),
    (e: unknown) => e instanceof Http1ParseError && e.kind === 'OBS_FOLD',
  );
  const q = new Http1Parser(true, { leniency: { allowObsFold: true } });
  q.push(enc('GET / HTTP/1.1\r\nHost: a\r\nX-Y: 1\r\n 2\r\n\r\n'));
  const h = q.next();
  assert.ok(h !== null && h.type === 'head');
  assert.equal(h.headers.get('x-y'), '1 2');
  assert.equal(h.headers.get('host'), 'a');
});

test('release(): the next head is built in the released one, and a head not released stays intact', () => {
  const p = new Http1Parser(true);
  p.push(
    enc(
      'GET /one HTTP/1.1\r\nHost: a\r\nX-One: 1\r\n\r\n' +
        'POST /two HTTP/1.1\r\nHost: bb\r\nContent-Length: 2\r\nX-Two: 2\r\nX-Extra: e\r\n\r\nhi' +
        'GET /three HTTP/1.1\r\nHost: ccc\r\n\r\n',
    ),
  );
  const one = p.next();
  assert.ok(one !== null && one.type === 'head');
  // Fill the caches the rebuilt view must drop: the target, a value, an unknown name and Host's index.
  assert.equal(one.target, '/one');
  assert.equal(one.headers.value(1), '1');
  assert.equal(one.headers.name(1), 'x-one');
  assert.equal(one.headers.get('host'), 'a');
  const oneHeaders = one.headers;
  p.release(one);
  assert.equal(p.next()?.type, 'end');
  const two = p.next();
  assert.ok(two === one, 'the released object is reused');
  assert.equal(two.headers, oneHeaders);
  assert.equal(two.method, 'POST');
  assert.equal(two.bodyKind, 'length');
  assert.equal(two.contentLength, 2);
  assert.equal(p.next()?.type, 'data');
  assert.equal(p.next()?.type, 'end');
  // Nothing released: a new head, and building it must not write into the spans `two` now holds.
  const three = p.next();
  assert.ok(three !== null && three.type === 'head' && three !== two);
  assert.equal(three.target, '/three');
  assert.equal(two.target, '/two');
  assert.deepEqual(two.headers.toArray(), [
    ['host', 'bb'],
    ['content-length', '2'],
    ['x-two', '2'],
    ['x-extra', 'e'],
  ]);
  assert.equal(two.headers.get('host'), 'bb');
  assert.deepEqual(three.headers.toArray(), [['host', 'ccc']]);
});

test('release() misuse throws UsageError at the call', () => {
  const p = new Http1Parser(true);
  p.push(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
  const head = p.next();
  assert.ok(head !== null && head.type === 'head');
  p.release(head);
  assert.throws(
    () => {
      p.release(head);
    },
    { name: 'UsageError', code: 'ERR_HEAD_RELEASED' },
  );
  const r = new Http1Parser(false);
  r.push(enc('HTTP/1.1 204 No Content\r\n\r\n'));
  const response = r.next();
  assert.ok(response !== null && response.type === 'head');
  assert.throws(
    () => {
      p.release(response);
    },
    { name: 'UsageError', code: 'ERR_INVALID_ARG' },
  );
});
