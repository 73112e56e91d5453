/**
 * RFC 7541 Appendix C, byte for byte: C.2 (each representation), C.3/C.4 (requests without and with
 * Huffman), C.5/C.6 (responses with a 256-byte table, with eviction). Each sequence is decoded by one
 * decoder and encoded by one encoder, checking the dynamic table size after every block.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HpackDecoder, HpackEncoder } from '../../src/hpack/index.js';
import type { HpackHuffmanMode } from '../../src/hpack/index.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Step {
  readonly wire: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly tableSize: number;
}

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';

const REQ1: Step['headers'] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQ2: Step['headers'] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: Step['headers'] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];
const RES1: Step['headers'] = [
  [':status', '302'],
  ['cache-control', 'private'],
  ['date', DATE1],
  ['location', 'https://www.example.com'],
];
const RES2: Step['headers'] = [[':status', '307'], ...RES1.slice(1)];
const RES3: Step['headers'] = [
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', DATE2],
  ['location', 'https://www.example.com'],
  ['content-encoding', 'gzip'],
  ['set-cookie', COOKIE],
];

const C3: Step[] = [
  { wire: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', headers: REQ1, tableSize: 57 },
  { wire: '8286 84be 5808 6e6f 2d63 6163 6865', headers: REQ2, tableSize: 110 },
  {
    wire: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    headers: REQ3,
    tableSize: 164,
  },
];
const C4: Step[] = [
  { wire: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', headers: REQ1, tableSize: 57 },
  { wire: '8286 84be 5886 a8eb 1064 9cbf', headers: REQ2, tableSize: 110 },
  { wire: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', headers: REQ3, tableSize: 164 },
];
const C5: Step[] = [
  {
    wire:
      '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32' +
      '3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    headers: RES1,
    tableSize: 222,
  },
  { wire: '4803 3330 37c1 c0bf', headers: RES2, tableSize: 222 },
  {
    wire:
      '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970' +
      '7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61' +
      '6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
    headers: RES3,
    tableSize: 215,
  },
];
const C6: Step[] = [
  {
    wire:
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad' +
      '1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
    headers: RES1,
    tableSize: 222,
  },
  { wire: '4883 640e ffc1 c0bf', headers: RES2, tableSize: 222 },
  {
    wire:
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2' +
      'e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    headers: RES3,
    tableSize: 215,
  },
];

function decodeSteps(steps: readonly Step[], tableSize: number): void {
  const decoder = new HpackDecoder({ headerTableSize: tableSize });
  for (const step of steps) {
    const list = decoder.decode(hex(step.wire));
    assert.deepEqual(list.toArray(), step.headers);
    assert.equal(decoder.tableSize, step.tableSize);
  }
}

function encodeSteps(steps: readonly Step[], tableSize: number, huffman: HpackHuffmanMode): void {
  // Appendix C indexes every literal, so the naive `always` strategy reproduces it exactly; cookies are
  // not treated as sensitive there either.
  const encoder = new HpackEncoder({
    maxTableSize: tableSize,
    huffman,
    indexing: 'always',
    defaultSensitive: false,
  });
  for (const step of steps) {
    assert.equal(toHex(encoder.encode(step.headers)), toHex(hex(step.wire)));
    assert.equal(encoder.tableSize, step.tableSize);
  }
}

test('C.2.1 literal with indexing', () => {
  const d = new HpackDecoder();
  const list = d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
  assert.deepEqual(list.toArray(), [['custom-key', 'custom-header']]);
  assert.equal(d.tableSize, 55);
  assert.equal(d.tableLength, 1);
  const e = new HpackEncoder({ huffman: 'never' });
  assert.equal(
    toHex(e.encode([['custom-key', 'custom-header']])),
    '400a637573746f6d2d6b65790d637573746f6d2d686561646572',
  );
});

test('C.2.2 literal without indexing', () => {
  const d = new HpackDecoder();
  const list = d.decode(hex('040c 2f73 616d 706c 652f 7061 7468'));
  assert.deepEqual(list.toArray(), [[':path', '/sample/path']]);
  assert.equal(d.tableSize, 0);
  // :path values are not indexed on first sight by the default strategy.
  const e = new HpackEncoder({ huffman: 'never' });
  assert.equal(toHex(e.encode([[':path', '/sample/path']])), '040c2f73616d706c652f70617468');
});

test('C.2.3 literal never indexed', () => {
  const d = new HpackDecoder();
  const list = d.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
  assert.deepEqual(list.toArray(), [['password', 'secret']]);
  assert.equal(list.isSensitive(0), true);
  assert.equal(d.tableSize, 0);
  const e = new HpackEncoder({ huffman: 'never' });
  assert.equal(toHex(e.encode([['password', 'secret', true]])), '100870617373776f726406736563726574');
});

test('C.2.4 indexed field', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('82')).toArray(), [[':method', 'GET']]);
  assert.equal(d.tableSize, 0);
  assert.equal(toHex(new HpackEncoder().encode([[':method', 'GET']])), '82');
});

test('C.3 requests without Huffman: decode', () => {
  decodeSteps(C3, 4096);
});
test('C.3 requests without Huffman: encode', () => {
  encodeSteps(C3, 4096, 'never');
});
test('C.4 requests with Huffman: decode', () => {
  decodeSteps(C4, 4096);
});
test('C.4 requests with Huffman: encode', () => {
  encodeSteps(C4, 4096, 'auto');
});
test('C.5 responses without Huffman, 256-byte table with eviction: decode', () => {
  decodeSteps(C5, 256);
});
test('C.5 responses without Huffman, 256-byte table with eviction: encode', () => {
  encodeSteps(C5, 256, 'never');
});
test('C.6 responses with Huffman, 256-byte table with eviction: decode', () => {
  decodeSteps(C6, 256);
});
test('C.6 responses with Huffman (always, as the RFC codes "307" in 3 bytes either way), 256-byte table: encode', () => {
  encodeSteps(C6, 256, 'always');
});

test('C.3 and C.4 requests also encode byte for byte with the default strategy', () => {
  for (const [steps, huffman] of [
    [C3, 'never'],
    [C4, 'auto'],
  ] as const) {
    const encoder = new HpackEncoder({ huffman });
    for (const step of steps) assert.equal(toHex(encoder.encode(step.headers)), toHex(hex(step.wire)));
  }
});
