import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HeaderDrop,
  decodeVersionNegotiation,
  encodeStatelessReset,
  encodeVersionNegotiation,
  isStatelessResetToken,
  longHeaderSize,
  parseHeader,
  parseHeaderOrReason,
  setLongHeaderLength,
  statelessResetCandidate,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/packet/header.js';
import { PacketType, QUIC_VERSION_1 } from '../../../src/quic/packet/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('RFC 9001 A.2 client Initial header (unprotected form)', () => {
  // c3 00000001 08 8394c8f03e515708 00 00 449e 00000002
  const bytes = hex('c300000001088394c8f03e5157080000449e00000002' + '00'.repeat(1182 - 4));
  const h = parseHeader(bytes, 0, 8);
  assert.ok(h);
  assert.equal(h.isLongHeader, true);
  assert.equal(h.packetType, PacketType.Initial);
  assert.equal(h.version, QUIC_VERSION_1);
  assert.equal(toHex(h.dcid), '8394c8f03e515708');
  assert.equal(h.scid.length, 0);
  assert.equal(h.token.length, 0);
  assert.equal(h.pnOffset, 18);
  assert.equal(h.packetEnd, bytes.length);
});

test('long header writer round trips through the parser, coalesced packets', () => {
  const buf = new Uint8Array(200);
  const fields = {
    packetType: PacketType.Initial,
    version: QUIC_VERSION_1,
    dcid: hex('0102030405060708'),
    scid: hex('aabb'),
    token: hex('cafe'),
    packetNumber: 0x1234,
    pnLength: 2,
  } as const;
  const payloadStart = writeLongHeader(buf, 0, fields);
  assert.equal(payloadStart, longHeaderSize(fields));
  const pnOffset = payloadStart - 2;
  setLongHeaderLength(buf, pnOffset, 2 + 30);
  const second = pnOffset + 32;
  const after = writeLongHeader(buf, second, {
    packetType: PacketType.Handshake,
    version: QUIC_VERSION_1,
    dcid: hex('01'),
    scid: hex(''),
    packetNumber: 7,
    pnLength: 1,
    length: 1 + 20,
  });
  const end = after + 20;
  const h1 = parseHeader(buf, 0, 0, end);
  assert.ok(h1);
  assert.equal(buf[0], 0xc1);
  assert.equal(toHex(h1.token), 'cafe');
  assert.equal(toHex(h1.scid), 'aabb');
  assert.equal(h1.pnOffset, pnOffset);
  assert.equal(h1.packetEnd, second);
  const h2 = parseHeader(buf, h1.packetEnd, 0, end);
  assert.ok(h2);
  assert.equal(h2.packetType, PacketType.Handshake);
  assert.equal(h2.pnOffset, after - 1);
  assert.equal(h2.packetEnd, end);
  assert.equal(buf[h2.pnOffset], 7);
});

test('short header', () => {
  const buf = new Uint8Array(40);
  const end = writeShortHeader(buf, 0, hex('0102030405'), 0x010203, 3, true, true);
  assert.equal(toHex(buf.subarray(0, end)), '660102030405010203');
  const h = parseHeader(buf, 0, 5);
  assert.ok(h);
  assert.equal(h.isLongHeader, false);
  assert.equal(h.packetType, PacketType.OneRtt);
  assert.equal(toHex(h.dcid), '0102030405');
  assert.equal(h.pnOffset, 6);
  assert.equal(h.packetEnd, 40);
});

test('drops: fixed bit 0, long CIDs, truncation, Length past the datagram', () => {
  assert.equal(parseHeaderOrReason(hex('00 0102'), 0, 1), HeaderDrop.FixedBitZero);
  assert.equal(parseHeaderOrReason(hex('40 01'), 0, 4), HeaderDrop.Truncated);
  assert.equal(parseHeaderOrReason(hex('80 00000001 00 00 00 01 00'), 0, 0), HeaderDrop.FixedBitZero);
  assert.equal(
    parseHeaderOrReason(hex('c0 00000001 15' + '00'.repeat(21) + '00 00 01 00'), 0, 0),
    HeaderDrop.ConnectionIdTooLong,
  );
  assert.equal(parseHeaderOrReason(hex('c0 00000001 00 00 00 05 00'), 0, 0), HeaderDrop.LengthBeyondDatagram);
  assert.equal(parseHeaderOrReason(hex('c0 00000001 00 00 05 01'), 0, 0), HeaderDrop.Truncated);
  assert.equal(parseHeaderOrReason(hex('e0 00000001 00 00 40'), 0, 0), HeaderDrop.Truncated);
  assert.equal(parseHeaderOrReason(hex('c0 000000'), 0, 0), HeaderDrop.Truncated);
  assert.equal(parseHeader(new Uint8Array(0), 0, 0), null);
});

test('unsupported versions expose the invariant fields (RFC 8999 §5.1)', () => {
  const h = parseHeader(hex('c5 1a2a3a4a 15' + '11'.repeat(21) + '02 2222 ffff'), 0, 0);
  assert.ok(h);
  assert.equal(h.packetType, PacketType.UnsupportedVersion);
  assert.equal(h.version, 0x1a2a3a4a);
  assert.equal(h.dcid.length, 21);
  assert.equal(toHex(h.scid), '2222');
  assert.equal(h.pnOffset, -1);
});

test('Version Negotiation encode/decode (RFC 9000 §17.2.1)', () => {
  const vn = encodeVersionNegotiation(hex('aa'), hex('bbcc'), [1, 0x0a0a0a0a]);
  assert.equal(toHex(vn), 'c000000000' + '01aa' + '02bbcc' + '00000001' + '0a0a0a0a');
  const h = parseHeader(vn, 0, 0);
  assert.ok(h);
  assert.equal(h.packetType, PacketType.VersionNegotiation);
  assert.deepEqual(decodeVersionNegotiation(h), [1, 0x0a0a0a0a]);
  assert.equal(parseHeaderOrReason(vn.subarray(0, vn.length - 1), 0, 0), HeaderDrop.BadVersionList);
  assert.equal(parseHeaderOrReason(hex('80 00000000 00 00'), 0, 0), HeaderDrop.BadVersionList);
});

test('Retry header: token up to the 16-byte tag', () => {
  const h = parseHeader(hex('f0 00000001 00 02 aabb 0102 ' + '00'.repeat(16)), 0, 0);
  assert.ok(h);
  assert.equal(h.packetType, PacketType.Retry);
  assert.equal(toHex(h.token), '0102');
  assert.equal(parseHeaderOrReason(hex('f0 00000001 00 00' + '00'.repeat(15)), 0, 0), HeaderDrop.Truncated);
});

test('stateless reset encode and detection (RFC 9000 §10.3)', () => {
  const token = hex('00112233445566778899aabbccddeeff');
  const reset = encodeStatelessReset(hex('ffffffffff'), token);
  assert.equal(reset.length, 21);
  assert.equal(reset[0]! & 0xc0, 0x40);
  const cand = statelessResetCandidate(reset);
  assert.ok(cand);
  assert.equal(isStatelessResetToken(cand, token), true);
  assert.equal(isStatelessResetToken(cand, new Uint8Array(16)), false);
  assert.equal(statelessResetCandidate(reset.subarray(1)), null);
  assert.throws(() => encodeStatelessReset(hex('ff'), token), RangeError);
});
