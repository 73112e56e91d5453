/**
 * Model test over synthetic field lines (see simulate.ts): encoder output decodes under any legal
 * interleaving of the encoder stream, the decoder stream and the request streams, with cancellations.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import type { Scenario } from './simulate.js';
import { runScenario } from './simulate.js';

type Fields = Array<[string, string]>;

const POOL: Fields = [
  [':method', 'GET'],
  [':path', '/'],
  [':path', '/index.html'],
  [':authority', 'example.com'],
  ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) hayate-test'],
  ['cookie', 'session=0123456789abcdef'],
  ['x-custom', 'alpha'],
  ['x-custom', 'beta'],
  ['x-long', 'z'.repeat(90)],
  ['accept-encoding', 'gzip, deflate, br'],
  ['content-type', 'text/html; charset=utf-8'],
  ['etag', '"abc"'],
];

const fieldArb: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...POOL) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('x-a', 'x-b', 'date', ':path'),
      fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
    ),
  },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  capacity: fc.constantFrom(0, 64, 100, 256, 512, 4096),
  blocked: fc.constantFrom(0, 1, 2, 100),
  sections: fc.array(fc.array(fieldArb, { maxLength: 12 }), { minLength: 1, maxLength: 25 }),
  choices: fc.array(fc.nat({ max: 99 }), { minLength: 10, maxLength: 300 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
});

test('property: encoder output decodes under any legal interleaving of streams', () => {
  fc.assert(fc.property(scenarioArb, runScenario), { numRuns: 250 });
});
