/**
 * fast-check properties of the HTTP/1 parser and serializer (STYLE §4): serialize -> parse round trip,
 * split invariance, only typed errors, and no reads outside the caller's view.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Http1Parser,
  Http1ParseError,
  Http1Writer,
  type Http1FieldList,
  type Http1Leniency,
} from '../../src/http1/index.js';
import { runChunks, type VectorMeta } from './md-vectors.js';

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc
  .array(fc.constantFrom(...Array.from(TCHAR)), { minLength: 1, maxLength: 30 })
  .map((a) => a.join(''));
// Field values: visible ASCII, obs-text and inner SP/HTAB; no leading/trailing whitespace (it is trimmed).
const vchar = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }));
const fieldValue = fc
  .array(fc.oneof({ weight: 8, arbitrary: vchar }, { weight: 1, arbitrary: fc.constantFrom(0x20, 0x09) }), {
    maxLength: 40,
  })
  .map((codes) => String.fromCharCode(...codes).trim());
const pathChar = fc.constantFrom(..."abcxyz0123456789-._~!$&'()*+,;=:@/?%".split(''));
const target = fc.array(pathChar, { maxLength: 20 }).map((a) => '/' + a.join(''));
const RESERVED = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);
const field = fc
  .tuple(token, fieldValue)
  .filter(([n]) => !RESERVED.has(n.toLowerCase()))
  .map(([n, v]): [string, string] => [n, v]);
const bytes = fc.uint8Array({ maxLength: 64 });

interface Msg {
  method: string;
  target: string;
  fields: [string, string][];
  chunked: boolean;
  body: Uint8Array[];
  trailers: [string, string][];
}

/** A request with up to `maxFields` fields besides Host and the framing field. */
const messageOf = (maxFields: number): fc.Arbitrary<Msg> =>
  fc.record({
    method: token,
    target,
    fields: fc.array(field, { maxLength: maxFields }),
    chunked: fc.boolean(),
    body: fc.array(bytes, { maxLength: 4 }),
    trailers: fc.array(field, { maxLength: 2 }),
  });
const message = messageOf(6);

function serialize(msgs: readonly Msg[]): Uint8Array {
  const w = new Http1Writer();
  for (const m of msgs) {
    const total = m.body.reduce((n, b) => n + b.length, 0);
    const fields: Http1FieldList = [
      ['Host', 'example.com'],
      ...m.fields,
      m.chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(total)],
    ];
    w.writeRequestHead(m.method, m.target, fields);
    let first = true;
    for (const b of m.body) {
      if (m.chunked) {
        if (b.length === 0) continue;
        w.writeChunkHeader(b.length, !first);
        first = false;
      }
      w.writeBytes(b);
    }
    if (m.chunked) w.writeLastChunk(m.trailers, !first);
  }
  const parts = w.take();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function chunkBy(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(input.slice(prev, p));
    prev = p;
  }
  out.push(input.slice(prev));
  return out;
}

test('serialize -> parse round trip for arbitrary valid requests, any chunking', () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (msgs, cuts) => {
        const input = serialize(msgs);
        const p = new Http1Parser(true);
        const got: {
          method: string;
          target: string;
          fields: [string, string][];
          body: number[];
          trailers: [string, string][];
        }[] = [];
        for (const chunk of chunkBy(input, cuts)) {
          p.push(chunk);
          for (let ev = p.next(); ev !== null; ev = p.next()) {
            if (ev.type === 'head') {
              got.push({
                method: ev.method,
                target: ev.target,
                fields: ev.headers.toArray(),
                body: [],
                trailers: [],
              });
            } else if (ev.type === 'data') {
              got.at(-1)!.body.push(...ev.bytes);
            } else if (ev.type === 'end' && ev.trailers !== null) {
              got.at(-1)!.trailers = ev.trailers.toArray();
            }
          }
        }
        assert.equal(got.length, msgs.length);
        msgs.forEach((m, k) => {
          const g = got[k]!;
          assert.equal(g.method, m.method);
          assert.equal(g.target, m.target);
          const total = m.body.reduce((n, b) => n + b.length, 0);
          const expectFields = [
            ['host', 'example.com'],
            ...m.fields.map(([n, v]) => [n.toLowerCase(), v]),
            m.chunked ? ['transfer-encoding', 'chunked'] : ['content-length', String(total)],
          ];
          assert.deepEqual(g.fields, expectFields);
          assert.deepEqual(
            g.body,
            m.body.flatMap((b) => [...b]),
          );
          assert.deepEqual(g.trailers, m.chunked ? m.trailers.map(([n, v]) => [n.toLowerCase(), v]) : []);
        });
      },
    ),
    { numRuns: 300 },
  );
});

// Near-valid streams: a valid serialization with a few bytes replaced or inserted.
const SPICE = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x3b, 0x7f, 0x80, 0xff, 0x30, 0x66];
const nearValid = fc
  .tuple(
    fc.array(message, { minLength: 1, maxLength: 2 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SPICE), fc.boolean()), { maxLength: 3 }),
  )
  .map(([msgs, edits]) => {
    const base = Array.from(serialize(msgs));
    for (const [at, b, insert] of edits) {
      const k = at % (base.length + 1);
      if (insert) base.splice(k, 0, b);
      else base[k] = b;
    }
    return Uint8Array.from(base);
  });
const leniency: fc.Arbitrary<Partial<Http1Leniency>> = fc.record(
  {
    allowBareLf: fc.boolean(),
    allowObsFold: fc.boolean(),
    allowMissingHost: fc.boolean(),
    allowDuplicateContentLength: fc.boolean(),
    allowTransferEncodingWithContentLength: fc.boolean(),
    allowUnknownTransferCoding: fc.boolean(),
  },
  { requiredKeys: [] },
);

test('any chunking of a byte stream yields the same event log as one chunk', () => {
  fc.assert(
    fc.property(
      fc.oneof(nearValid, fc.uint8Array({ maxLength: 200 })),
      fc.boolean(),
      leniency,
      fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
      (input, isRequest, len, cuts) => {
        const meta: VectorMeta = {
          type: isRequest ? 'request' : 'response',
          leniency: len,
          methods: ['GET', 'HEAD'],
        };
        assert.deepEqual(runChunks(meta, chunkBy(input, cuts)), runChunks(meta, [input]));
      },
    ),
    { numRuns: 400 },
  );
});

// Streams of several heads with up to 40 fields each (past the 32 fields a parser's span scratch starts with).
const manyFields = fc.array(messageOf(40), { minLength: 1, maxLength: 5 }).map(serialize);

test('releasing every head once read changes no event, whatever the chunking and the head sizes', () => {
  fc.assert(
    fc.property(
      fc.oneof(manyFields, nearValid),
      leniency,
      fc.array(fc.nat(), { maxLength: 8 }),
      (input, len, cuts) => {
        const meta: VectorMeta = { type: 'request', leniency: len };
        assert.deepEqual(
          runChunks(meta, chunkBy(input, cuts), { release: true, host: true }),
          runChunks(meta, [input], { host: true }),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('the parser throws only Http1ParseError and never reads outside the caller view', () => {
  fc.assert(
    fc.property(
      fc.oneof(nearValid, fc.uint8Array({ maxLength: 300 })),
      fc.boolean(),
      leniency,
      fc.integer({ min: 0, max: 7 }),
      fc.constantFrom(0x00, 0x0d, 0x0a, 0x41, 0xff),
      (input, isRequest, len, pad, fill) => {
        const meta: VectorMeta = { type: isRequest ? 'request' : 'response', leniency: len };
        // runChunks rethrows anything that is not an Http1ParseError, failing the property.
        const plain = runChunks(meta, [input]);
        // The same bytes inside a larger buffer whose other bytes would change the result if read.
        const big = new Uint8Array(input.length + 2 * pad + 8).fill(fill);
        big.set(input, pad);
        const view = big.subarray(pad, pad + input.length);
        assert.deepEqual(runChunks(meta, [view]), plain);
        for (let k = 0; k < big.length; k++) {
          if (k < pad || k >= pad + input.length)
            assert.equal(big[k], fill, 'bytes outside the view untouched');
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('errors carry an offset inside the input and a status hint from the table', () => {
  fc.assert(
    fc.property(nearValid, (input) => {
      const p = new Http1Parser(true);
      p.push(input);
      p.finish();
      try {
        while (p.next() !== null);
      } catch (err) {
        assert.ok(err instanceof Http1ParseError);
        assert.ok([400, 413, 414, 431, 501, 505].includes(err.statusHint));
        assert.ok(
          err.offset !== undefined && err.offset >= 0 && err.offset <= input.length,
          `offset ${err.offset}`,
        );
        assert.ok(err.message.length < 200, 'bounded message');
      }
    }),
    { numRuns: 300 },
  );
});
