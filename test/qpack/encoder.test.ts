import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QpackDecoder } from '../../src/qpack/decoder.js';
import { QpackEncoder } from '../../src/qpack/encoder.js';
import type { EncoderStreamSink } from '../../src/qpack/stream-parsers.js';
import { EncoderStreamParser } from '../../src/qpack/stream-parsers.js';
import { hex, qerr, toHex } from './helpers.js';

type Fields = Array<[string, string]>;

/** Encoder and decoder wired with immediate delivery both ways (or with acks withheld). */
function pair(capacity: number, blocked: number): { enc: QpackEncoder; dec: QpackDecoder } {
  return {
    enc: new QpackEncoder({ maxTableCapacity: capacity, maxBlockedStreams: blocked }),
    dec: new QpackDecoder({ maxTableCapacity: capacity, maxBlockedStreams: blocked }),
  };
}

function roundTrip(
  enc: QpackEncoder,
  dec: QpackDecoder,
  streamId: number,
  fields: Fields,
  ack = true,
): Uint8Array {
  const section = enc.encodeFieldSection(streamId, fields);
  const stream = enc.takeEncoderStreamBytes();
  if (stream !== null) dec.receiveEncoderStream(stream);
  assert.deepEqual(dec.decodeFieldSection(streamId, section)?.toArray(), fields);
  const feedback = dec.takeDecoderStreamBytes();
  if (ack && feedback !== null) enc.receiveDecoderStream(feedback);
  return section;
}

class Recorder implements EncoderStreamSink {
  kinds: string[] = [];
  onSetDynamicTableCapacity(): void {
    this.kinds.push('cap');
  }
  onInsertWithNameReference(isStatic: boolean): void {
    this.kinds.push(isStatic ? 'insertStaticName' : 'insertDynamicName');
  }
  onInsertWithLiteralName(): void {
    this.kinds.push('insertLiteral');
  }
  onDuplicate(): void {
    this.kinds.push('duplicate');
  }
}

function instructions(bytes: Uint8Array | null): string[] {
  const r = new Recorder();
  if (bytes !== null) new EncoderStreamParser(1 << 20).push(bytes, r);
  return r.kinds;
}

test('the constructor announces the table capacity (RFC 9204 §4.3.1)', () => {
  assert.equal(
    toHex(new QpackEncoder({ maxTableCapacity: 220, maxBlockedStreams: 0 }).takeEncoderStreamBytes()),
    '3fbd01',
  );
  // Default cap: min(peer's maximum, 4096).
  const big = new QpackEncoder({ maxTableCapacity: 1 << 20, maxBlockedStreams: 0 });
  assert.equal(big.tableCapacity, 4096);
  assert.equal(
    new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).takeEncoderStreamBytes(),
    null,
  );
  assert.equal(
    new QpackEncoder({
      maxTableCapacity: 4096,
      maxBlockedStreams: 0,
      tableCapacity: 0,
    }).takeEncoderStreamBytes(),
    null,
  );
});

test('static matches use indexed or name-reference lines; no table without capacity', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
  const section = enc.encodeFieldSection(0, [
    [':method', 'GET'],
    [':path', '/x'],
    ['x-custom', 'v'],
  ]);
  // RIC 0, Base 0, indexed static 17, name-ref static 1 + "/x", literal name.
  // "/x" stays raw (Huffman is not shorter); "x-custom" is Huffman-coded (6 bytes, H bit 0x08).
  assert.equal(toHex(section).slice(0, 16), '0000d151022f782e');
  assert.equal(toHex(section).slice(-4), '0176');
  assert.equal(enc.takeEncoderStreamBytes(), null);
});

test('a line seen before is inserted and then referenced', () => {
  const { enc, dec } = pair(4096, 0);
  enc.takeEncoderStreamBytes();
  dec.receiveEncoderStream(hex('3fe11f'));
  const fields: Fields = [
    ['x-trace', 'abcdef'],
    [':authority', 'example.com'],
  ];
  const first = roundTrip(enc, dec, 0, fields);
  assert.equal(enc.insertCount, 0); // first sighting: literal only
  const second = roundTrip(enc, dec, 4, fields);
  assert.equal(enc.insertCount, 2); // inserted, but B=0 so still literal in this section
  assert.equal(second.length, first.length);
  const third = roundTrip(enc, dec, 8, fields);
  // RIC 2 (encoded 3), Base 2, relative indices 1 and 0.
  assert.equal(toHex(third), '03008180');
});

test('never more blocking streams than the peer allows (RFC 9204 §2.1.2)', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 1 });
  const fields: Fields = [
    ['x-a', '1'],
    ['x-b', '2'],
  ];
  enc.encodeFieldSection(0, fields); // seen once
  const s4 = enc.encodeFieldSection(4, fields); // inserted and referenced: blocking
  assert.notEqual(s4[0], 0);
  assert.equal(enc.blockedStreamCount, 1);
  const s8 = enc.encodeFieldSection(8, fields); // may not block a second stream
  assert.equal(s8[0], 0);
  assert.equal(enc.blockedStreamCount, 1);
  // The already-blocking stream may add more blocking references (trailers).
  const s4b = enc.encodeFieldSection(4, fields);
  assert.notEqual(s4b[0], 0);
  assert.equal(enc.blockedStreamCount, 1);
  // A decoder allowing one blocked stream accepts this order (sections before the encoder stream).
  const dec = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 1 });
  assert.equal(dec.decodeFieldSection(4, s4), null);
  assert.notEqual(dec.decodeFieldSection(8, s8), null);
  assert.equal(dec.decodeFieldSection(4, s4b), null);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes()!);
  assert.equal(dec.takeUnblocked().length, 2);
  // Acknowledgments unblock: Known Received Count reaches the insert count.
  enc.receiveDecoderStream(dec.takeDecoderStreamBytes()!);
  assert.equal(enc.blockedStreamCount, 0);
  assert.equal(enc.knownReceived, 2);
  const s12 = enc.encodeFieldSection(12, fields);
  assert.equal(s12.length, 4);
});

test('an entry referenced by an unacknowledged section is never evicted (RFC 9204 §2.1.1)', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 100, maxBlockedStreams: 10 });
  const dec = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 10 });
  const a: Fields = [['x-a', 'a'.repeat(20)]]; // 55 bytes
  const b: Fields = [['x-b', 'b'.repeat(20)]];
  enc.encodeFieldSection(0, a);
  const s4 = enc.encodeFieldSection(4, a); // inserts a, references it (unacknowledged)
  enc.encodeFieldSection(8, b);
  const s12 = enc.encodeFieldSection(12, b); // b would need a evicted: not allowed, so literal
  assert.equal(enc.insertCount, 1);
  assert.equal(s12[0], 0);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes()!);
  assert.deepEqual(dec.decodeFieldSection(4, s4)?.toArray(), a);
  // The acknowledgment releases a; now b can replace it.
  enc.receiveDecoderStream(dec.takeDecoderStreamBytes()!);
  const s16 = enc.encodeFieldSection(16, b);
  assert.equal(enc.insertCount, 2);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes()!);
  assert.deepEqual(dec.decodeFieldSection(16, s16)?.toArray(), b);
});

test('an unacknowledged insertion is not evicted either, even if unreferenced', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 100, maxBlockedStreams: 0 });
  const a: Fields = [['x-a', 'a'.repeat(20)]];
  const b: Fields = [['x-b', 'b'.repeat(20)]];
  enc.encodeFieldSection(0, a);
  enc.encodeFieldSection(4, a); // inserted, not referenced (B=0), never acknowledged
  enc.encodeFieldSection(8, b);
  enc.encodeFieldSection(12, b);
  assert.equal(enc.insertCount, 1);
  // Lagging acknowledgments: no more insertions that cannot be used.
  assert.equal(enc.tableSize, 55);
});

test('Stream Cancellation releases references', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 100, maxBlockedStreams: 10 });
  const a: Fields = [['x-a', 'a'.repeat(20)]];
  enc.encodeFieldSection(0, a);
  enc.encodeFieldSection(4, a);
  assert.equal(enc.blockedStreamCount, 1);
  enc.receiveDecoderStream(hex('44')); // Stream Cancellation 4
  assert.equal(enc.blockedStreamCount, 0);
  enc.receiveDecoderStream(hex('01')); // Insert Count Increment 1
  // Now evictable: shrinking the table works.
  enc.takeEncoderStreamBytes();
  enc.setDynamicTableCapacity(0);
  assert.equal(enc.tableSize, 0);
  assert.equal(toHex(enc.takeEncoderStreamBytes()), '20');
});

test('draining entries are refreshed with Duplicate (RFC 9204 §2.1.1.1)', () => {
  const { enc, dec } = pair(160, 10);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes()!);
  const f = (k: string): Fields => [[k, 'v'.repeat(10)]]; // 1 + 10 + 32 = 43 bytes
  for (const k of ['a', 'b', 'c']) {
    roundTrip(enc, dec, 0, f(k));
    roundTrip(enc, dec, 0, f(k));
  }
  assert.equal(enc.tableSize, 129);
  // "a" is the oldest entry and lies in the draining quarter: it is duplicated, then referenced.
  const section = enc.encodeFieldSection(4, f('a'));
  const stream = enc.takeEncoderStreamBytes();
  assert.deepEqual(instructions(stream), ['duplicate']);
  dec.receiveEncoderStream(stream!);
  assert.deepEqual(dec.decodeFieldSection(4, section)?.toArray(), f('a'));
  assert.equal(enc.insertCount, 4);
});

test('decoder stream errors are QPACK_DECODER_STREAM_ERROR', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 });
  assert.throws(
    () => {
      enc.receiveDecoderStream(hex('84'));
    },
    qerr('ERR_QPACK_UNEXPECTED_SECTION_ACK', 0x202),
  );
  assert.throws(
    () => {
      enc.receiveDecoderStream(hex('00'));
    },
    qerr('ERR_QPACK_INVALID_INCREMENT', 0x202),
  );
  assert.throws(
    () => {
      enc.receiveDecoderStream(hex('01'));
    },
    qerr('ERR_QPACK_INVALID_INCREMENT', 0x202),
  );
  // Stream Cancellation for an unknown stream is harmless.
  enc.receiveDecoderStream(hex('48'));
});

test('API misuse is a UsageError', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 });
  const code = (c: string) => (e: unknown) => (e as { code: string }).code === c;
  assert.throws(() => {
    enc.setDynamicTableCapacity(5000);
  }, code('ERR_QPACK_INVALID_CAPACITY'));
  assert.throws(() => enc.encodeFieldSection(0, [['x', '\u0100']]), code('ERR_QPACK_INVALID_FIELD'));
  assert.throws(
    () => new QpackEncoder({ maxTableCapacity: -1, maxBlockedStreams: 0 }),
    code('ERR_INVALID_OPTION'),
  );
  // Shrinking below unacknowledged entries is refused.
  enc.encodeFieldSection(0, [['x-a', '1']]);
  enc.encodeFieldSection(4, [['x-a', '1']]);
  assert.equal(enc.insertCount, 1);
  assert.throws(() => {
    enc.setDynamicTableCapacity(0);
  }, code('ERR_QPACK_CAPACITY_IN_USE'));
});

test('a non-latin1 field fails cleanly: no references leak, the encoder stays usable', () => {
  const { enc, dec } = pair(4096, 10);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes()!);
  const good: Fields = [['x-a', '1']];
  roundTrip(enc, dec, 0, good);
  roundTrip(enc, dec, 4, good); // x-a is now in the table, referenced and acknowledged
  assert.throws(
    () => enc.encodeFieldSection(8, [...good, ['x-b', '\u2603']]),
    (e: unknown) => (e as { code: string }).code === 'ERR_QPACK_INVALID_FIELD',
  );
  assert.equal(enc.blockedStreamCount, 0);
  roundTrip(enc, dec, 12, good);
  // Nothing is pinned any more: the table can be emptied.
  enc.setDynamicTableCapacity(0);
  assert.equal(enc.tableSize, 0);
});

test('with most of the blocked-stream budget used, only sections that gain much may block', () => {
  // Budget 4: from 1 blocked stream on, blocking needs savings of capacity / 16 = 256 bytes.
  const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 4 });
  const small: Fields = [['x-s', 'tiny']];
  const large: Fields = [['x-l', 'L'.repeat(300)]];
  enc.encodeFieldSection(0, small);
  enc.encodeFieldSection(0, large);
  assert.notEqual(enc.encodeFieldSection(4, small)[0], 0); // budget plentiful: blocks
  assert.equal(enc.blockedStreamCount, 1);
  assert.equal(enc.encodeFieldSection(8, small)[0], 0); // small gain: literal, no block
  // Inserted now but sent as a literal: nothing in the table yet promised enough savings.
  assert.equal(enc.encodeFieldSection(12, large)[0], 0);
  assert.equal(enc.insertCount, 2);
  assert.equal(enc.blockedStreamCount, 1);
  // Now referencing it saves 300 bytes: worth a slot.
  assert.equal(enc.encodeFieldSection(16, large).length, 3);
  assert.equal(enc.blockedStreamCount, 2);
});

test('applyPeerSettings: start with the RFC 9204 §5 defaults, enable the table when SETTINGS arrive', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
  const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2 });
  const early = enc.encodeFieldSection(0, [['x-a', '1']]);
  assert.equal(early[0], 0);
  assert.equal(enc.takeEncoderStreamBytes(), null);
  enc.applyPeerSettings(220, 2);
  assert.equal(enc.maxTableCapacity, 220);
  assert.equal(enc.maxBlockedStreams, 2);
  assert.equal(toHex(enc.takeEncoderStreamBytes()), '3fbd01');
  dec.receiveEncoderStream(hex('3fbd01'));
  assert.deepEqual(dec.decodeFieldSection(0, early)?.toArray(), [['x-a', '1']]);
  const later = enc.encodeFieldSection(4, [['x-a', '1']]);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes()!);
  assert.deepEqual(dec.decodeFieldSection(4, later)?.toArray(), [['x-a', '1']]);
  assert.notEqual(later[0], 0);
  assert.throws(
    () => {
      enc.applyPeerSettings(4096, 2);
    },
    (e: unknown) => (e as { code: string }).code === 'ERR_QPACK_SETTINGS_CHANGED',
  );
  enc.applyPeerSettings(220, 5); // same table size: only the blocked-stream budget changes
  assert.equal(enc.maxBlockedStreams, 5);
});

test('the blocked-stream count follows sections, acknowledgments, increments and cancellations (RFC 9204 §2.1.2)', () => {
  const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 100 });
  // Each stream sends a line seen once before, so it is inserted and referenced: RIC 1, 2, 3, 4.
  for (let i = 0; i < 4; i++) enc.encodeFieldSection(1000 + 4 * i, [[`x-${i}`, 'v']]);
  for (let i = 0; i < 4; i++) {
    assert.notEqual(enc.encodeFieldSection(4 * i, [[`x-${i}`, 'v']])[0], 0);
  }
  assert.equal(enc.blockedStreamCount, 4);
  // Stream 0 sends a second section referencing entry 3 (RIC 4): still one blocking stream.
  enc.encodeFieldSection(0, [['x-3', 'v']]);
  assert.equal(enc.blockedStreamCount, 4);
  // Insert Count Increment 2: stream 4 (RIC 2) stops blocking; 0 (now RIC 4), 8 and 12 still block.
  enc.receiveDecoderStream(hex('02'));
  assert.equal(enc.knownReceived, 2);
  assert.equal(enc.blockedStreamCount, 3);
  enc.receiveDecoderStream(hex('8c')); // Section Acknowledgment 12 (RIC 4): KRC 4, nothing blocks
  assert.equal(enc.knownReceived, 4);
  assert.equal(enc.blockedStreamCount, 0);
  // A new blocking stream, then its cancellation.
  enc.encodeFieldSection(2000, [['x-9', 'v']]);
  enc.encodeFieldSection(16, [['x-9', 'v']]);
  assert.equal(enc.blockedStreamCount, 1);
  enc.receiveDecoderStream(hex('50')); // Stream Cancellation 16
  assert.equal(enc.blockedStreamCount, 0);
  // Stream 0's sections are still unacknowledged but no longer blocking; acknowledging both is fine.
  enc.receiveDecoderStream(hex('8080'));
  assert.throws(() => {
    enc.receiveDecoderStream(hex('80'));
  }, qerr('ERR_QPACK_UNEXPECTED_SECTION_ACK'));
});
