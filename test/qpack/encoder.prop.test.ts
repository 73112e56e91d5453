/**
 * Model test: an encoder and a decoder joined by three channels (encoder stream, decoder stream, one
 * request stream per section) delivered in a random but legal order: each instruction stream stays in
 * order, sections overtake or lag the encoder stream freely, and streams may be cancelled. Every section
 * must decode to its input, and the decoder's limits (blocked streams) must never be hit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { QpackDecoder } from '../../src/qpack/decoder.js';
import { QpackEncoder } from '../../src/qpack/encoder.js';
import { splitBySizes } from '../support/chunks.js';

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

interface Scenario {
  capacity: number;
  blocked: number;
  sections: Fields[];
  choices: number[];
  chunkSizes: number[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  capacity: fc.constantFrom(0, 64, 100, 256, 512, 4096),
  blocked: fc.constantFrom(0, 1, 2, 100),
  sections: fc.array(fc.array(fieldArb, { maxLength: 12 }), { minLength: 1, maxLength: 25 }),
  choices: fc.array(fc.nat({ max: 99 }), { minLength: 10, maxLength: 300 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
});

function run(s: Scenario): void {
  const enc = new QpackEncoder({ maxTableCapacity: s.capacity, maxBlockedStreams: s.blocked });
  const dec = new QpackDecoder({ maxTableCapacity: s.capacity, maxBlockedStreams: s.blocked });
  const encoderStream: Uint8Array[] = [];
  const decoderStream: Uint8Array[] = [];
  const inFlight: Array<{ streamId: number; bytes: Uint8Array }> = [];
  const expected = new Map<number, Fields>();
  const decoded = new Map<number, Fields>();
  const cancelled = new Set<number>();
  let next = 0;
  let c = 0;
  const choice = (): number => s.choices[c++ % s.choices.length]!;

  const pullEncoder = (): void => {
    const bytes = enc.takeEncoderStreamBytes();
    if (bytes !== null) encoderStream.push(...splitBySizes(bytes, s.chunkSizes));
  };
  const pullDecoder = (): void => {
    for (const u of dec.takeUnblocked()) decoded.set(u.streamId, u.headers.toArray());
    const bytes = dec.takeDecoderStreamBytes();
    if (bytes !== null) decoderStream.push(...splitBySizes(bytes, s.chunkSizes));
  };
  const deliverSection = (i: number): void => {
    const { streamId, bytes } = inFlight.splice(i, 1)[0]!;
    const headers = dec.decodeFieldSection(streamId, bytes);
    if (headers !== null) decoded.set(streamId, headers.toArray());
    pullDecoder();
  };

  pullEncoder();
  let steps = 0;
  while (
    next < s.sections.length ||
    inFlight.length > 0 ||
    encoderStream.length > 0 ||
    decoderStream.length > 0
  ) {
    const draining = next >= s.sections.length || steps++ > 400;
    const idle = inFlight.length === 0 && encoderStream.length === 0 && decoderStream.length === 0;
    const pick = choice() % 5;
    if ((pick === 0 || idle) && next < s.sections.length) {
      const streamId = 4 * next;
      expected.set(streamId, s.sections[next]!);
      inFlight.push({ streamId, bytes: enc.encodeFieldSection(streamId, s.sections[next]!) });
      next++;
      pullEncoder();
    } else if (pick === 1 && encoderStream.length > 0) {
      dec.receiveEncoderStream(encoderStream.shift()!);
      pullDecoder();
    } else if (pick === 2 && inFlight.length > 0) {
      deliverSection(choice() % inFlight.length);
    } else if (pick === 3 && decoderStream.length > 0) {
      enc.receiveDecoderStream(decoderStream.shift()!);
      pullEncoder();
    } else if (pick === 4 && inFlight.length > 0 && choice() % 8 === 0) {
      // The request stream is reset before its section arrives.
      const { streamId } = inFlight.splice(choice() % inFlight.length, 1)[0]!;
      cancelled.add(streamId);
      dec.cancelStream(streamId);
      pullDecoder();
    } else if (draining) {
      if (encoderStream.length > 0) {
        dec.receiveEncoderStream(encoderStream.shift()!);
        pullDecoder();
      } else if (inFlight.length > 0) deliverSection(0);
      else if (decoderStream.length > 0) enc.receiveDecoderStream(decoderStream.shift()!);
    }
    assert.ok(enc.blockedStreamCount <= s.blocked);
  }
  assert.equal(dec.blockedStreamCount, 0);
  for (const [id, fields] of expected) {
    if (cancelled.has(id)) continue;
    assert.deepEqual(decoded.get(id), fields, `stream ${id}`);
  }
  // Everything acknowledged or cancelled: the encoder has nothing blocking and knows every insert.
  assert.equal(enc.blockedStreamCount, 0);
  assert.ok(enc.knownReceived <= enc.insertCount);
  assert.ok(enc.tableSize <= enc.tableCapacity);
}

test('property: encoder output decodes under any legal interleaving of streams', () => {
  fc.assert(fc.property(scenarioArb, run), { numRuns: 250 });
});
