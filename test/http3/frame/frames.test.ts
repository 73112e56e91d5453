import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H3Error } from '../../../src/common/errors.js';
import { encodeVarint } from '../../../src/common/varint.js';
import { H3ErrorCode } from '../../../src/http3/errors.js';
import { encodeFrame, encodeFrameHeader } from '../../../src/http3/frame/header.js';
import { decodeIdPayload, encodeIdFrame } from '../../../src/http3/frame/id-frames.js';
import { decodePushPromise } from '../../../src/http3/frame/push-promise.js';
import { FrameReadResult, FrameReader } from '../../../src/http3/frame/reader.js';
import { decodeSettings, encodeSettings } from '../../../src/http3/frame/settings.js';
import {
  FrameStreamKind,
  FrameType,
  isFrameAllowed,
  isHttp2OnlyFrameType,
  isReservedType,
} from '../../../src/http3/frame/types.js';
import { everySplit } from '../../support/chunks.js';

/** Reads all chunks and returns a log: "FRAME t hexpayload" / "DATA hex" lines (DATA pieces merged). */
export function readAll(chunks: Uint8Array[], reader = new FrameReader(1 << 16, 1 << 12)): string[] {
  const log: string[] = [];
  for (const c of chunks) {
    let pos = 0;
    do {
      pos = reader.read(c, pos, c.length);
      const p = Buffer.from(reader.payload.subarray(reader.payloadStart, reader.payloadEnd)).toString('hex');
      if (reader.result === FrameReadResult.FRAME) log.push(`FRAME ${reader.frameType} ${p}`);
      else if (reader.result === FrameReadResult.DATA) {
        const last = log[log.length - 1];
        if (last?.startsWith('DATA ') === true && p !== '' && !last.endsWith('|'))
          log[log.length - 1] = last + p;
        else log.push(`DATA ${p}`);
        if (reader.payloadEnd === reader.payloadStart || isEnd(reader))
          log[log.length - 1] = `${log[log.length - 1]!}|`;
      }
    } while (pos < c.length);
  }
  return log.map((l) => (l.endsWith('|') ? l.slice(0, -1) : l));
}
function isEnd(r: FrameReader): boolean {
  return r.isAtFrameBoundary();
}

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

test('frame reader gives the same log for every split of a mixed stream', () => {
  const stream = cat(
    encodeFrame(FrameType.HEADERS, Uint8Array.of(0, 0, 0xd1)),
    encodeFrame(FrameType.DATA, Uint8Array.of(1, 2, 3, 4, 5)),
    encodeFrame(0x21 + 0x1f * 3, Uint8Array.of(9, 9, 9)), // reserved: skipped
    encodeFrame(FrameType.DATA, new Uint8Array(0)),
    encodeFrame(0x1234567, new Uint8Array(300)), // unknown, 2-byte length
    encodeFrame(FrameType.HEADERS, new Uint8Array(0)),
  );
  const whole = readAll([stream]);
  assert.deepEqual(whole, ['FRAME 1 0000d1', 'DATA 0102030405', 'DATA ', 'FRAME 1 ']);
  for (const chunks of everySplit(stream)) assert.deepEqual(readAll(chunks), whole);
  // One byte at a time.
  assert.deepEqual(readAll(Array.from(stream, (b) => Uint8Array.of(b))), whole);
});

test('frame boundary tracking', () => {
  const r = new FrameReader(100, 100);
  const f = encodeFrame(FrameType.DATA, Uint8Array.of(1, 2));
  assert.ok(r.isAtFrameBoundary());
  r.read(f, 0, 1);
  assert.ok(!r.isAtFrameBoundary());
  let pos = r.read(f, 1, 3);
  assert.ok(!r.isAtFrameBoundary());
  pos = r.read(f, pos, 4);
  assert.equal(pos, 4);
  assert.ok(r.isAtFrameBoundary());
});

test('HTTP/2-only frame types are reported at their header', () => {
  for (const t of [0x02, 0x06, 0x08, 0x09]) {
    assert.ok(isHttp2OnlyFrameType(t));
    const r = new FrameReader(100, 100);
    const f = encodeFrame(t, new Uint8Array(50));
    r.read(f, 0, 2);
    assert.equal(r.result, FrameReadResult.FRAME);
    assert.equal(r.frameType, t);
    for (const kind of Object.values(FrameStreamKind)) assert.equal(isFrameAllowed(t, kind), false);
  }
});

test('placement table (RFC 9114 §7.1 table 1)', () => {
  const { CONTROL, REQUEST, PUSH } = FrameStreamKind;
  const table: Array<[number, boolean, boolean, boolean]> = [
    [FrameType.DATA, false, true, true],
    [FrameType.HEADERS, false, true, true],
    [FrameType.CANCEL_PUSH, true, false, false],
    [FrameType.SETTINGS, true, false, false],
    [FrameType.PUSH_PROMISE, false, true, false],
    [FrameType.GOAWAY, true, false, false],
    [FrameType.MAX_PUSH_ID, true, false, false],
    [0x21, true, true, true],
  ];
  for (const [t, c, r, p] of table) {
    assert.equal(isFrameAllowed(t, CONTROL), c, `type ${t} on control`);
    assert.equal(isFrameAllowed(t, REQUEST), r, `type ${t} on request`);
    assert.equal(isFrameAllowed(t, PUSH), p, `type ${t} on push`);
  }
});

test('reserved types 0x1f*N+0x21', () => {
  assert.ok(isReservedType(0x21));
  assert.ok(isReservedType(0x40));
  assert.ok(!isReservedType(0x22));
  assert.ok(isReservedType(0x1fn * 1000000000000000n + 0x21n));
});

function expectH3(fn: () => unknown, code: number): void {
  assert.throws(fn, (e: unknown) => e instanceof H3Error && e.wireCode === code);
}

test('length rules: id frames, oversize HEADERS and SETTINGS', () => {
  expectH3(
    () => new FrameReader(100, 100).read(encodeFrameHeader(FrameType.GOAWAY, 9), 0, 2),
    H3ErrorCode.H3_FRAME_ERROR,
  );
  expectH3(
    () => new FrameReader(100, 100).read(encodeFrameHeader(FrameType.HEADERS, 101), 0, 3),
    H3ErrorCode.H3_EXCESSIVE_LOAD,
  );
  expectH3(
    () => new FrameReader(100, 100).read(encodeFrameHeader(FrameType.SETTINGS, 101), 0, 3),
    H3ErrorCode.H3_EXCESSIVE_LOAD,
  );
  // A DATA frame of any length streams through without buffering.
  const r = new FrameReader(10, 10);
  const h = encodeFrameHeader(FrameType.DATA, 1 << 20);
  r.read(h, 0, h.length);
  assert.equal(r.bufferedBytes(), 0);
  expectH3(() => decodeIdPayload('GOAWAY', Uint8Array.of(0x40, 1, 2)), H3ErrorCode.H3_FRAME_ERROR);
  expectH3(() => decodeIdPayload('GOAWAY', Uint8Array.of(0x40)), H3ErrorCode.H3_FRAME_ERROR);
  expectH3(() => decodeIdPayload('GOAWAY', new Uint8Array(0)), H3ErrorCode.H3_FRAME_ERROR);
  assert.equal(decodeIdPayload('GOAWAY', encodeVarint(400)), 400);
});

test('id frames round trip', () => {
  for (const t of [FrameType.GOAWAY, FrameType.MAX_PUSH_ID, FrameType.CANCEL_PUSH]) {
    for (const id of [0, 4, 1 << 20, 2 ** 40]) {
      const log = readAll([encodeIdFrame(t, id)]);
      assert.equal(log.length, 1);
      const hex = log[0]!.split(' ')[2]!;
      assert.equal(decodeIdPayload('x', Buffer.from(hex, 'hex')), id);
    }
  }
});

test('PUSH_PROMISE head', () => {
  const p = cat(encodeVarint(70), Uint8Array.of(0, 0));
  assert.deepEqual(decodePushPromise(p), { pushId: 70, fieldSectionStart: 2 });
  expectH3(() => decodePushPromise(Uint8Array.of(0x40)), H3ErrorCode.H3_FRAME_ERROR);
});

test('SETTINGS round trip, unknown ids kept, rules enforced', () => {
  const payload = encodeSettings({
    qpackMaxTableCapacity: 4096,
    qpackBlockedStreams: 16,
    maxFieldSectionSize: 65536,
    enableConnectProtocol: true,
    h3Datagram: true,
    extra: [[0x21 + 0x1f, 7]],
  });
  const s = decodeSettings(payload);
  assert.equal(s.qpackMaxTableCapacity, 4096);
  assert.equal(s.qpackBlockedStreams, 16);
  assert.equal(s.maxFieldSectionSize, 65536);
  assert.equal(s.enableConnectProtocol, true);
  assert.equal(s.h3Datagram, true);
  assert.deepEqual(s.unknown, [[0x40, 7]]);
  const empty = decodeSettings(new Uint8Array(0));
  assert.equal(empty.maxFieldSectionSize, Number.MAX_SAFE_INTEGER);
  assert.equal(empty.enableConnectProtocol, false);
  // Duplicate identifiers.
  expectH3(() => decodeSettings(Uint8Array.of(6, 1, 6, 2)), H3ErrorCode.H3_SETTINGS_ERROR);
  // HTTP/2 identifiers (RFC 9114 §7.2.4.1).
  for (const id of [2, 3, 4, 5])
    expectH3(() => decodeSettings(Uint8Array.of(id, 0)), H3ErrorCode.H3_SETTINGS_ERROR);
  // Boolean settings other than 0/1.
  expectH3(() => decodeSettings(Uint8Array.of(8, 2)), H3ErrorCode.H3_SETTINGS_ERROR);
  expectH3(() => decodeSettings(Uint8Array.of(0x40, 0x33, 2)), H3ErrorCode.H3_SETTINGS_ERROR);
  // Truncated pair.
  expectH3(() => decodeSettings(Uint8Array.of(6)), H3ErrorCode.H3_FRAME_ERROR);
  expectH3(() => decodeSettings(Uint8Array.of(6, 0x40)), H3ErrorCode.H3_FRAME_ERROR);
  // Values above 2^53-1 clamp.
  const big = decodeSettings(cat(Uint8Array.of(6), encodeVarint((1n << 62n) - 1n)));
  assert.equal(big.maxFieldSectionSize, Number.MAX_SAFE_INTEGER);
});
