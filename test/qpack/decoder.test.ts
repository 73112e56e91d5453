import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBuffer } from '../../src/common/bytes.js';
import { QpackDecoder } from '../../src/qpack/decoder.js';
import {
  writeDuplicate,
  writeInsertWithLiteralName,
  writeInsertWithNameReference,
  writeInteger,
  writeSetDynamicTableCapacity,
  writeStringLiteral,
} from '../../src/qpack/instructions.js';
import { hex, qerr, toHex } from './helpers.js';

const B1_SECTION = hex('0000510b2f696e6465782e68746d6c');
const B2_ENCODER = hex('3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468');
const B2_SECTION = hex('03811011');
const B3_ENCODER = hex('4a637573746f6d2d6b65790c637573746f6d2d76616c7565');
const B4_ENCODER = hex('02');
const B4_SECTION = hex('050080c181');
const B5_ENCODER = hex('810d637573746f6d2d76616c756532');

function bytesOf(f: (out: ByteBuffer) => void): Uint8Array {
  const out = new ByteBuffer();
  f(out);
  return out.bytes.slice(0, out.length);
}

test('RFC 9204 Appendix B walkthrough (strict: capacity starts at 0)', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 100 });
  assert.equal(d.tableCapacity, 0);
  // B.1: static only, RIC 0, so no acknowledgment.
  assert.deepEqual(d.decodeFieldSection(4, B1_SECTION)?.toArray(), [[':path', '/index.html']]);
  assert.equal(d.takeDecoderStreamBytes(), null);
  // B.2: inserts, then a section using post-base indexing (Base 0).
  d.receiveEncoderStream(B2_ENCODER);
  assert.equal(d.tableCapacity, 220);
  assert.equal(d.insertCount, 2);
  assert.equal(d.tableSize, 106);
  assert.deepEqual(d.decodeFieldSection(8, B2_SECTION)?.toArray(), [
    [':authority', 'www.example.com'],
    [':path', '/sample/path'],
  ]);
  // Section Acknowledgment (stream 8) covers both inserts: no Insert Count Increment.
  assert.equal(toHex(d.takeDecoderStreamBytes()), '88');
  // B.3: an insert nothing references yet: Insert Count Increment 1.
  d.receiveEncoderStream(B3_ENCODER);
  assert.equal(toHex(d.takeDecoderStreamBytes()), '01');
  // B.4: Duplicate, then a section with relative indexing.
  d.receiveEncoderStream(B4_ENCODER);
  assert.equal(d.tableSize, 217);
  assert.deepEqual(d.decodeFieldSection(12, B4_SECTION)?.toArray(), [
    [':authority', 'www.example.com'],
    [':path', '/'],
    ['custom-key', 'custom-value'],
  ]);
  assert.equal(toHex(d.takeDecoderStreamBytes()), '8c');
  // B.5: dynamic name reference that evicts the oldest entry.
  d.receiveEncoderStream(B5_ENCODER);
  assert.equal(d.insertCount, 5);
  assert.equal(d.tableSize, 215);
  assert.equal(toHex(d.takeDecoderStreamBytes()), '01');
});

test('a blocked section is kept and delivered once its inserts arrive, then acknowledged', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
  const section = B2_SECTION.slice();
  assert.equal(d.decodeFieldSection(8, section), null);
  section.fill(0); // the decoder copied it
  assert.equal(d.blockedStreamCount, 1);
  assert.equal(d.takeDecoderStreamBytes(), null);
  // First insert only: still blocked (RIC 2).
  d.receiveEncoderStream(B2_ENCODER.subarray(0, 20));
  assert.deepEqual(d.takeUnblocked(), []);
  d.receiveEncoderStream(B2_ENCODER.subarray(20));
  const un = d.takeUnblocked();
  assert.equal(un.length, 1);
  assert.equal(un[0]!.streamId, 8);
  assert.deepEqual(un[0]!.headers.toArray(), [
    [':authority', 'www.example.com'],
    [':path', '/sample/path'],
  ]);
  assert.equal(d.blockedStreamCount, 0);
  assert.equal(toHex(d.takeDecoderStreamBytes()), '88');
});

test('sections of one stream stay in order behind a blocked one', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
  d.receiveEncoderStream(hex('3fbd01'));
  assert.equal(d.decodeFieldSection(8, B2_SECTION), null);
  // A static-only section on the same stream waits too (trailers after headers).
  assert.equal(d.decodeFieldSection(8, B1_SECTION), null);
  assert.equal(d.blockedStreamCount, 1);
  d.receiveEncoderStream(B2_ENCODER.subarray(3));
  const un = d.takeUnblocked();
  assert.deepEqual(
    un.map((u) => [u.streamId, u.headers.length]),
    [
      [8, 2],
      [8, 1],
    ],
  );
});

test('more blocked streams than SETTINGS_QPACK_BLOCKED_STREAMS is QPACK_DECOMPRESSION_FAILED', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
  assert.equal(d.decodeFieldSection(8, B2_SECTION), null);
  assert.throws(
    () => d.decodeFieldSection(12, B2_SECTION),
    qerr('ERR_QPACK_TOO_MANY_BLOCKED_STREAMS', 0x200),
  );
  const zero = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  assert.throws(() => zero.decodeFieldSection(8, B2_SECTION), qerr('ERR_QPACK_TOO_MANY_BLOCKED_STREAMS'));
});

test('blocked bytes are bounded', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 10, maxBlockedBytes: 6 });
  assert.equal(d.decodeFieldSection(8, B2_SECTION), null);
  assert.throws(() => d.decodeFieldSection(12, B2_SECTION), qerr('ERR_QPACK_BLOCKED_BYTES', 0x200));
  // Cancelling releases the budget.
  d.cancelStream(8);
  assert.equal(d.decodeFieldSection(12, B2_SECTION), null);
});

test('cancelStream drops blocked sections and queues Stream Cancellation', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 5 });
  assert.equal(d.decodeFieldSection(8, B2_SECTION), null);
  d.cancelStream(8);
  assert.equal(d.blockedStreamCount, 0);
  assert.equal(toHex(d.takeDecoderStreamBytes()), '48');
  d.receiveEncoderStream(B2_ENCODER);
  assert.deepEqual(d.takeUnblocked(), []);
  // RFC 9204 §2.2.2.2: with a maximum capacity of 0, nothing to cancel.
  const none = new QpackDecoder({ maxTableCapacity: 0 });
  none.cancelStream(4);
  assert.equal(none.takeDecoderStreamBytes(), null);
});

test('literal with post-base name reference and indexed post-base lines', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220 });
  d.receiveEncoderStream(B2_ENCODER);
  // RIC 2 (encoded 3), Base 0 (sign 1, delta 1); post-base name ref index 1 with value "/ab"; post-base index 0.
  const section = hex('0381 01 032f6162 10');
  assert.deepEqual(d.decodeFieldSection(4, section)?.toArray(), [
    [':path', '/ab'],
    [':authority', 'www.example.com'],
  ]);
});

test('literal field line with literal name, raw and Huffman, and the N bit', () => {
  const d = new QpackDecoder();
  const section = bytesOf((out) => {
    writeInteger(out, 0, 8, 0);
    writeInteger(out, 0, 7, 0);
    writeStringLiteral(out, 'x-raw', 3, 0x30); // N=1
    writeStringLiteral(out, '\u00ff\u0000', 7, 0);
    writeStringLiteral(out, 'custom-key', 3, 0x20);
    writeStringLiteral(out, 'custom-value', 7, 0);
    writeInteger(out, 5, 4, 0x70); // name ref static 5 (cookie), N=1
    writeStringLiteral(out, 'a=b', 7, 0);
  });
  const list = d.decodeFieldSection(4, section)!;
  assert.equal(list.length, 3);
  assert.equal(list.value(0), '\u00ff\u0000');
  assert.equal(list.name(1), 'custom-key');
  assert.equal(list.value(1), 'custom-value');
  assert.deepEqual(list.toArray()[2], ['cookie', 'a=b']);
  assert.throws(() => list.name(3), RangeError);
  assert.equal(d.takeDecoderStreamBytes(), null);
});

test('Required Insert Count wrap-around over many evictions', () => {
  // Capacity 64: one 33..64-byte entry at a time, MaxEntries 2, FullRange 4.
  const d = new QpackDecoder({ maxTableCapacity: 64 }, { initialTableCapacity: 64 });
  for (let i = 0; i < 50; i++) {
    d.receiveEncoderStream(
      bytesOf((out) => {
        writeInsertWithLiteralName(out, 'k', String(i % 10));
      }),
    );
    const ric = i + 1;
    const section = bytesOf((out) => {
      writeInteger(out, (ric % 4) + 1, 8, 0);
      writeInteger(out, 0, 7, 0);
      writeInteger(out, 0, 6, 0x80); // relative 0 = the newest entry
    });
    assert.deepEqual(d.decodeFieldSection(i + 1, section)?.toArray(), [['k', String(i % 10)]]);
  }
  assert.equal(d.insertCount, 50);
});

test('encoder stream errors are QPACK_ENCODER_STREAM_ERROR', () => {
  const cap = new QpackDecoder({ maxTableCapacity: 100 });
  assert.throws(
    () => {
      cap.receiveEncoderStream(
        bytesOf((o) => {
          writeSetDynamicTableCapacity(o, 101);
        }),
      );
    },
    qerr('ERR_QPACK_CAPACITY_EXCEEDED', 0x201),
  );
  // Strict start: capacity 0, so the first insert does not fit.
  const strict = new QpackDecoder({ maxTableCapacity: 100 });
  assert.throws(
    () => {
      strict.receiveEncoderStream(
        bytesOf((o) => {
          writeInsertWithLiteralName(o, 'a', 'b');
        }),
      );
    },
    qerr('ERR_QPACK_ENTRY_TOO_LARGE', 0x201),
  );
  const small = new QpackDecoder({ maxTableCapacity: 40 }, { initialTableCapacity: 40 });
  assert.throws(
    () => {
      small.receiveEncoderStream(
        bytesOf((o) => {
          writeInsertWithLiteralName(o, 'abcde', 'fghi');
        }),
      );
    },
    qerr('ERR_QPACK_ENTRY_TOO_LARGE', 0x201),
  );
  const d = new QpackDecoder({ maxTableCapacity: 100 }, { initialTableCapacity: 100 });
  assert.throws(
    () => {
      d.receiveEncoderStream(
        bytesOf((o) => {
          writeInsertWithNameReference(o, false, 0, 'v');
        }),
      );
    },
    qerr('ERR_QPACK_ENCODER_STREAM_INVALID_INDEX', 0x201),
  );
  assert.throws(
    () => {
      d.receiveEncoderStream(
        bytesOf((o) => {
          writeDuplicate(o, 0);
        }),
      );
    },
    qerr('ERR_QPACK_ENCODER_STREAM_INVALID_INDEX', 0x201),
  );
  assert.throws(
    () => new QpackDecoder({ maxTableCapacity: 10 }, { initialTableCapacity: 11 }),
    (e: unknown) => (e as { code: string }).code === 'ERR_INVALID_OPTION',
  );
});

test('capacity reduction evicts; an evicted entry cannot be referenced', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220 });
  d.receiveEncoderStream(B2_ENCODER);
  d.receiveEncoderStream(
    bytesOf((o) => {
      writeSetDynamicTableCapacity(o, 60);
    }),
  );
  assert.equal(d.tableSize, 49); // only :path /sample/path remains
  assert.throws(() => d.decodeFieldSection(4, B2_SECTION), qerr('ERR_QPACK_INVALID_DYNAMIC_INDEX', 0x200));
});

test('field section errors are QPACK_DECOMPRESSION_FAILED', () => {
  const cases: Array<[string, string]> = [
    ['ff', 'ERR_QPACK_TRUNCATED'],
    ['00', 'ERR_QPACK_TRUNCATED'],
    ['00ff', 'ERR_QPACK_TRUNCATED'],
    ['0081', 'ERR_QPACK_INVALID_BASE'],
    ['000041', 'ERR_QPACK_INVALID_DYNAMIC_INDEX'],
    ['000027', 'ERR_QPACK_TRUNCATED'],
    ['000051ff', 'ERR_QPACK_TRUNCATED'],
    ['0000bf', 'ERR_QPACK_TRUNCATED'],
    ['000051 05 61', 'ERR_QPACK_TRUNCATED'], // value shorter than its length
    ['0000ff24', 'ERR_QPACK_INVALID_STATIC_INDEX'], // static 63 + 36 = 99
    ['00005f54 00', 'ERR_QPACK_INVALID_STATIC_INDEX'], // name ref static 15 + 84 = 99
    ['000051 81 ff', 'ERR_QPACK_INVALID_HUFFMAN'],
    ['0d00 80', 'ERR_QPACK_INVALID_REQUIRED_INSERT_COUNT'], // 13 > FullRange 12 (MaxEntries 6)
    ['0200 80', 'ERR_QPACK_TOO_MANY_BLOCKED_STREAMS'], // RIC 1 with no inserts and no blocking allowed
    ['ffffffffffffffffffffff7f', 'ERR_QPACK_INTEGER_OVERFLOW'],
    ['0000 10', 'ERR_QPACK_INVALID_DYNAMIC_INDEX'], // post-base with RIC 0
    ['0000 00 00', 'ERR_QPACK_INVALID_DYNAMIC_INDEX'], // post-base name ref with RIC 0
  ];
  for (const [h, code] of cases) {
    const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
    assert.throws(() => d.decodeFieldSection(4, hex(h)), qerr(code, 0x200), h);
  }
});

test('Required Insert Count larger than the references need is an error', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220 });
  d.receiveEncoderStream(B2_ENCODER);
  // RIC 2 (encoded 3), Base 2, but only absolute 0 is referenced.
  assert.throws(
    () => d.decodeFieldSection(4, hex('0300 81')),
    qerr('ERR_QPACK_REQUIRED_INSERT_COUNT_MISMATCH', 0x200),
  );
  // Reference at or above RIC.
  assert.throws(
    () => d.decodeFieldSection(4, hex('0201 80')),
    qerr('ERR_QPACK_INVALID_DYNAMIC_INDEX', 0x200),
  );
});

test('limits: string length and field section size', () => {
  const long = bytesOf((out) => {
    writeInteger(out, 0, 8, 0);
    writeInteger(out, 0, 7, 0);
    writeInteger(out, 5, 4, 0x50);
    const v = 'v'.repeat(30);
    out.ensure(64);
    out.bytes[out.length++] = v.length;
    for (let i = 0; i < v.length; i++) out.bytes[out.length++] = 0x76;
  });
  assert.throws(
    () => new QpackDecoder({ maxStringLength: 29 }).decodeFieldSection(4, long),
    qerr('ERR_QPACK_STRING_TOO_LONG', 0x200),
  );
  assert.equal(
    new QpackDecoder({ maxStringLength: 30 }).decodeFieldSection(4, long)?.value(0),
    'v'.repeat(30),
  );
  // cookie (6) + 30 + 32 = 68 bytes.
  assert.throws(
    () => new QpackDecoder({ maxFieldSectionSize: 67 }).decodeFieldSection(4, long),
    (e: unknown) =>
      qerr('ERR_QPACK_FIELD_SECTION_TOO_LARGE', 0x107)(e) && (e as { scope: string }).scope === 'stream',
  );
  assert.equal(new QpackDecoder({ maxFieldSectionSize: 68 }).decodeFieldSection(4, long)?.length, 1);
});

test('a section refused for size releases its references with Stream Cancellation', () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxFieldSectionSize: 40 });
  d.receiveEncoderStream(B2_ENCODER);
  d.takeDecoderStreamBytes();
  assert.throws(() => d.decodeFieldSection(8, B2_SECTION), qerr('ERR_QPACK_FIELD_SECTION_TOO_LARGE'));
  assert.equal(toHex(d.takeDecoderStreamBytes()), '48');
});

test('limits are validated', () => {
  assert.throws(
    () => new QpackDecoder({ maxTableCapacity: -1 }),
    (e: unknown) => (e as { code: string }).code === 'ERR_INVALID_LIMIT',
  );
});
