import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteBuffer } from '../../src/common/bytes.js';
import {
  writeDuplicate,
  writeInsertCountIncrement,
  writeInsertWithLiteralName,
  writeInsertWithNameReference,
  writeSectionAcknowledgment,
  writeSetDynamicTableCapacity,
  writeStreamCancellation,
} from '../../src/qpack/instructions.js';
import type { DecoderStreamSink, EncoderStreamSink } from '../../src/qpack/stream-parsers.js';
import { DecoderStreamParser, EncoderStreamParser } from '../../src/qpack/stream-parsers.js';
import { everySplit, splitBySizes } from '../support/chunks.js';
import { hex, qerr } from './helpers.js';

type Ins =
  | { t: 'cap'; n: number }
  | { t: 'nameRef'; isStatic: boolean; index: number; value: string }
  | { t: 'literal'; name: string; value: string }
  | { t: 'dup'; index: number };

class EncSink implements EncoderStreamSink {
  log: Ins[] = [];
  onSetDynamicTableCapacity(n: number): void {
    this.log.push({ t: 'cap', n });
  }
  onInsertWithNameReference(isStatic: boolean, index: number, value: string): void {
    this.log.push({ t: 'nameRef', isStatic, index, value });
  }
  onInsertWithLiteralName(name: string, value: string): void {
    this.log.push({ t: 'literal', name, value });
  }
  onDuplicate(index: number): void {
    this.log.push({ t: 'dup', index });
  }
}

type DIns = { t: 'ack' | 'cancel' | 'inc'; n: number };
class DecSink implements DecoderStreamSink {
  log: DIns[] = [];
  onSectionAcknowledgment(n: number): void {
    this.log.push({ t: 'ack', n });
  }
  onStreamCancellation(n: number): void {
    this.log.push({ t: 'cancel', n });
  }
  onInsertCountIncrement(n: number): void {
    this.log.push({ t: 'inc', n });
  }
}

function emit(list: Ins[]): Uint8Array {
  const out = new ByteBuffer();
  for (const i of list) {
    if (i.t === 'cap') writeSetDynamicTableCapacity(out, i.n);
    else if (i.t === 'nameRef') writeInsertWithNameReference(out, i.isStatic, i.index, i.value);
    else if (i.t === 'literal') writeInsertWithLiteralName(out, i.name, i.value);
    else writeDuplicate(out, i.index);
  }
  return out.bytes.slice(0, out.length);
}

function emitDec(list: DIns[]): Uint8Array {
  const out = new ByteBuffer();
  for (const i of list) {
    if (i.t === 'ack') writeSectionAcknowledgment(out, i.n);
    else if (i.t === 'cancel') writeStreamCancellation(out, i.n);
    else writeInsertCountIncrement(out, i.n);
  }
  return out.bytes.slice(0, out.length);
}

const SAMPLE: Ins[] = [
  { t: 'cap', n: 220 },
  { t: 'cap', n: 100000 },
  { t: 'nameRef', isStatic: true, index: 0, value: 'www.example.com' },
  { t: 'nameRef', isStatic: true, index: 98, value: '' },
  { t: 'nameRef', isStatic: false, index: 0, value: 'custom-value2' },
  { t: 'nameRef', isStatic: false, index: 70, value: 'x'.repeat(200) },
  { t: 'literal', name: 'custom-key', value: 'custom-value' },
  { t: 'literal', name: 'a'.repeat(40), value: '\u00ff\u0001 raw bytes' },
  { t: 'literal', name: '', value: '' },
  { t: 'dup', index: 0 },
  { t: 'dup', index: 31 },
  { t: 'dup', index: 5000 },
];

test('encoder stream emitters match RFC 9204 Appendix B bytes', () => {
  assert.deepEqual(emit([{ t: 'cap', n: 220 }]), hex('3fbd01'));
  // Huffman is used when shorter: "www.example.com" is 12 bytes coded (RFC 7541 C.4.1).
  assert.deepEqual(
    emit([{ t: 'nameRef', isStatic: true, index: 0, value: 'www.example.com' }]),
    hex('c08cf1e3c2e5f23a6ba0ab90f4ff'),
  );
  assert.deepEqual(emit([{ t: 'nameRef', isStatic: false, index: 0, value: '' }]), hex('8000'));
  assert.deepEqual(emit([{ t: 'dup', index: 2 }]), hex('02'));
  // B.3 uses raw strings; Huffman is shorter for these, so compare after parsing instead.
  const sink = new EncSink();
  new EncoderStreamParser(4096).push(
    hex(
      'c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468 4a637573746f6d2d6b65790c637573746f6d2d76616c7565 02 810d637573746f6d2d76616c756532',
    ),
    sink,
  );
  assert.deepEqual(sink.log, [
    { t: 'nameRef', isStatic: true, index: 0, value: 'www.example.com' },
    { t: 'nameRef', isStatic: true, index: 1, value: '/sample/path' },
    { t: 'literal', name: 'custom-key', value: 'custom-value' },
    { t: 'dup', index: 2 },
    { t: 'nameRef', isStatic: false, index: 1, value: 'custom-value2' },
  ]);
});

test('encoder stream: every instruction parses identically at every split point', () => {
  const bytes = emit(SAMPLE);
  for (const parts of everySplit(bytes)) {
    const sink = new EncSink();
    const p = new EncoderStreamParser(100000);
    for (const part of parts) p.push(part, sink);
    assert.deepEqual(sink.log, SAMPLE);
    assert.equal(p.hasPartial, false);
  }
  // One byte at a time.
  const sink = new EncSink();
  const p = new EncoderStreamParser(100000);
  for (const part of splitBySizes(bytes, [1])) p.push(part, sink);
  assert.deepEqual(sink.log, SAMPLE);
});

test('encoder stream: partial instruction is kept and reported', () => {
  const bytes = emit([{ t: 'literal', name: 'custom-key', value: 'custom-value' }]);
  const p = new EncoderStreamParser(4096);
  const sink = new EncSink();
  p.push(bytes.subarray(0, bytes.length - 1), sink);
  assert.equal(p.hasPartial, true);
  assert.deepEqual(sink.log, []);
  p.push(bytes.subarray(bytes.length - 1), sink);
  assert.equal(p.hasPartial, false);
  assert.equal(sink.log.length, 1);
});

test('encoder stream errors', () => {
  const sink = new EncSink();
  // Integer overflow.
  assert.throws(
    () => {
      new EncoderStreamParser(4096).push(hex('3fffffffffffffffffffff7f'), sink);
    },
    qerr('ERR_QPACK_ENCODER_STREAM_MALFORMED', 0x201),
  );
  // Static index past the table, reported before the value arrives (vectors err12).
  assert.throws(
    () => {
      new EncoderStreamParser(4096).push(hex('ff80ffffffff01'), sink);
    },
    qerr('ERR_QPACK_ENCODER_STREAM_INVALID_INDEX', 0x201),
  );
  // String longer than the limit (the decoder keeps it at its table capacity).
  assert.throws(
    () => {
      new EncoderStreamParser(10).push(hex('c00b'), sink);
    },
    qerr('ERR_QPACK_ENTRY_TOO_LARGE', 0x201),
  );
  // Invalid Huffman (EOS inside).
  assert.throws(
    () => {
      new EncoderStreamParser(4096).push(hex('c084ffffffff'), sink);
    },
    qerr('ERR_QPACK_ENCODER_STREAM_MALFORMED', 0x201),
  );
});

test('property: encoder stream round trip under random chunking', () => {
  const str = fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    maxLength: 80,
  });
  const ins: fc.Arbitrary<Ins> = fc
    .oneof(
      fc.record({ t: fc.constant('cap' as const), n: fc.nat({ max: 1 << 30 }) }),
      fc.record({
        t: fc.constant('nameRef' as const),
        isStatic: fc.boolean(),
        index: fc.nat({ max: 5000 }),
        value: str,
      }),
      fc.record({ t: fc.constant('literal' as const), name: str, value: str }),
      fc.record({ t: fc.constant('dup' as const), index: fc.nat({ max: 100000 }) }),
    )
    .filter((i) => !(i.t === 'nameRef' && i.isStatic && i.index >= 99));
  fc.assert(
    fc.property(
      fc.array(ins, { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1 }),
      (list, sizes) => {
        const sink = new EncSink();
        const p = new EncoderStreamParser(1 << 20);
        for (const part of splitBySizes(emit(list), sizes)) p.push(part, sink);
        assert.deepEqual(
          sink.log,
          list.map((i) => ({ ...i })),
        );
      },
    ),
    { numRuns: 300 },
  );
});

const DSAMPLE: DIns[] = [
  { t: 'ack', n: 4 },
  { t: 'ack', n: 127 },
  { t: 'ack', n: 2 ** 40 },
  { t: 'cancel', n: 8 },
  { t: 'cancel', n: 63 },
  { t: 'cancel', n: 1000 },
  { t: 'inc', n: 1 },
  { t: 'inc', n: 62 },
  { t: 'inc', n: 63 },
  { t: 'inc', n: 123456 },
];

test('decoder stream emitters match RFC 9204 Appendix B bytes', () => {
  assert.deepEqual(emitDec([{ t: 'ack', n: 4 }]), hex('84'));
  assert.deepEqual(emitDec([{ t: 'inc', n: 1 }]), hex('01'));
  assert.deepEqual(emitDec([{ t: 'cancel', n: 8 }]), hex('48'));
});

test('decoder stream: every instruction parses identically at every split point', () => {
  const bytes = emitDec(DSAMPLE);
  for (const parts of everySplit(bytes)) {
    const sink = new DecSink();
    const p = new DecoderStreamParser();
    for (const part of parts) p.push(part, sink);
    assert.deepEqual(sink.log, DSAMPLE);
    assert.equal(p.hasPartial, false);
  }
});

test('decoder stream: integer overflow is QPACK_DECODER_STREAM_ERROR', () => {
  assert.throws(
    () => {
      new DecoderStreamParser().push(hex('ffffffffffffffffffffff7f'), new DecSink());
    },
    qerr('ERR_QPACK_DECODER_STREAM_MALFORMED', 0x202),
  );
});
