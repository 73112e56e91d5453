import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { H3ErrorCode } from '../../src/http3/errors.js';
import { runExchange } from './exchange.js';
import type { ExchangeRequest } from './exchange.js';

const requestArb: fc.Arbitrary<ExchangeRequest> = fc.record({
  method: fc.constantFrom('GET' as const, 'POST' as const),
  path: fc.constantFrom('/', '/a', '/index.html', '/some/longer/path?q=1'),
  // Repeated lines make the QPACK encoder insert and reference dynamic entries (and so block streams).
  headers: fc.array(
    fc.tuple(
      fc.constantFrom('x-trace', 'user-agent', 'x-custom-header'),
      fc.constantFrom('a', 'bb', 'same-value'),
    ),
    { maxLength: 4 },
  ),
  body: fc.uint8Array({ maxLength: 300 }),
});

function expected(r: ExchangeRequest): string {
  const prefix = new TextEncoder().encode(`${r.method} ${r.path};`);
  const body = r.method === 'POST' ? r.body : new Uint8Array(0);
  const all = Buffer.concat([prefix, body]);
  return `200|${all.length}|${all.toString('hex')}`;
}

test('any interleaving and chunking of stream data gives the same responses', () => {
  fc.assert(
    fc.property(
      fc.array(requestArb, { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 40 }),
      (requests, seed, reorderStreams, maxChunkBytes) => {
        const r = runExchange(requests, { seed, reorderStreams, maxChunkBytes });
        assert.equal(r.serverError, undefined);
        assert.equal(r.clientError, undefined);
        assert.deepEqual(r.responses, requests.map(expected));
        assert.equal(r.closeCode, H3ErrorCode.H3_NO_ERROR);
      },
    ),
    { numRuns: 150 },
  );
});

test('QPACK blocking resolves in any delivery order', () => {
  // The same custom lines on every request: from the second request on, sections reference dynamic
  // entries whose inserts travel on the encoder stream, which the reordering link may deliver last.
  const requests: ExchangeRequest[] = Array.from({ length: 12 }, (_, i) => ({
    method: 'GET',
    path: `/r${i}`,
    headers: [
      ['x-session', 'abcdefghijklmnopqrstuvwxyz'],
      ['x-request', `r${i % 3}`],
    ],
    body: new Uint8Array(0),
  }));
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.integer({ min: 0, max: 8 }),
      (seed, maxChunkBytes) => {
        const r = runExchange(requests, { seed, reorderStreams: true, maxChunkBytes });
        assert.equal(r.serverError, undefined);
        assert.equal(r.clientError, undefined);
        assert.deepEqual(r.responses, requests.map(expected));
      },
    ),
    { numRuns: 100 },
  );
});
