/**
 * Interleaving simulation shared by the QPACK properties: an encoder and a decoder joined by three
 * channels (encoder stream, decoder stream, one request stream per section) delivered in an order driven
 * by `choices`: each instruction stream stays in order, sections overtake or lag the encoder stream freely,
 * and streams may be cancelled. Every section must decode to its input, and the decoder's limits (blocked
 * streams) must never be hit.
 */
import assert from 'node:assert/strict';
import { QpackDecoder } from '../../src/qpack/decoder.js';
import { QpackEncoder } from '../../src/qpack/encoder.js';
import { splitBySizes } from '../support/chunks.js';

type Fields = Array<[string, string]>;

/** One simulated connection. */
export interface Scenario {
  capacity: number;
  blocked: number;
  sections: Fields[];
  choices: number[];
  chunkSizes: number[];
}

/** Runs one scenario; throws (assert) when a section does not round-trip or a limit is broken. */
export function runScenario(s: Scenario): void {
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
