import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import type { AeadName, HashName } from '../../../src/quic/crypto/provider.js';
import {
  parseHeader,
  setLongHeaderLength,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/packet/header.js';
import {
  decodePacketNumber,
  packetNumberLength,
  readPacketNumber,
  writePacketNumber,
} from '../../../src/quic/packet/number.js';
import { derivePacketKeys, protectPacket, unprotectPacket } from '../../../src/quic/packet/protection.js';
import { PacketType, QUIC_VERSION_1 } from '../../../src/quic/packet/types.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cid = fc.uint8Array({ maxLength: 20 });

test('long header round trip through writeLongHeader and parseHeader', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake),
      cid,
      cid,
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4),
      fc.integer({ min: 0, max: 1500 }),
      fc.integer({ min: 0, max: 40 }),
      (packetType, dcid, scid, token, packetNumber, pnLength, payload, trailing) => {
        const fields = { packetType, version: QUIC_VERSION_1, dcid, scid, token, packetNumber, pnLength };
        const buf = new Uint8Array(200 + payload + trailing);
        const payloadStart = writeLongHeader(buf, 0, fields);
        const pnOffset = payloadStart - pnLength;
        setLongHeaderLength(buf, pnOffset, pnLength + payload);
        const h = parseHeader(buf, 0, 0, payloadStart + payload + trailing);
        assert.ok(h);
        assert.equal(h.packetType, packetType);
        assert.equal(h.version, QUIC_VERSION_1);
        assert.equal(toHex(h.dcid), toHex(dcid));
        assert.equal(toHex(h.scid), toHex(scid));
        assert.equal(toHex(h.token), packetType === PacketType.Initial ? toHex(token) : '');
        assert.equal(h.pnOffset, pnOffset);
        assert.equal(h.packetEnd, payloadStart + payload);
        assert.equal(buf[0]! & 0x03, pnLength - 1);
        assert.equal(readPacketNumber(buf, pnOffset, pnLength), packetNumber % 2 ** (8 * pnLength));
      },
    ),
  );
});

test('short header round trip', () => {
  fc.assert(
    fc.property(
      cid,
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4),
      fc.boolean(),
      (dcid, pn, len, phase) => {
        const buf = new Uint8Array(64);
        const end = writeShortHeader(buf, 0, dcid, pn, len, phase);
        const h = parseHeader(buf, 0, dcid.length, 64);
        assert.ok(h);
        assert.equal(h.packetType, PacketType.OneRtt);
        assert.equal(toHex(h.dcid), toHex(dcid));
        assert.equal(h.pnOffset, end - len);
        assert.equal((buf[0]! & 0x04) !== 0, phase);
      },
    ),
  );
});

test('truncated or random headers never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 20 }), (bytes, shortLen) => {
      const h = parseHeader(bytes, 0, shortLen);
      if (h !== null) {
        assert.ok(h.packetEnd <= bytes.length);
        assert.ok(h.pnOffset <= h.packetEnd);
      }
    }),
    { numRuns: 3000 },
  );
});

test('packet numbers: the chosen length always decodes back (RFC 9000 A.2, A.3)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1, max: 2 ** 50 }),
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.nat(),
      (acked, ahead, seenFrac) => {
        const pn = acked + ahead;
        const len = packetNumberLength(pn, acked < 0 ? undefined : acked);
        const buf = new Uint8Array(4);
        writePacketNumber(buf, 0, pn, len);
        // the receiver's largest is anywhere between the acked packet and pn - 1
        const largest = acked + (seenFrac % ahead);
        assert.equal(decodePacketNumber(largest, readPacketNumber(buf, 0, len), len), pn);
      },
    ),
    { numRuns: 2000 },
  );
});

const suites: [AeadName, HashName][] = [
  ['aes-128-gcm', 'sha256'],
  ['aes-256-gcm', 'sha384'],
  ['chacha20-poly1305', 'sha256'],
];

test('protect then unprotect gives back the packet number and payload', () => {
  const keySets = suites.map(([aead, hash]) =>
    derivePacketKeys(nodeCrypto, aead, hash, new Uint8Array(hash === 'sha256' ? 32 : 48).fill(0x5a)),
  );
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.boolean(),
      cid,
      fc.uint8Array({ minLength: 4, maxLength: 300 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 1, max: 1000 }),
      (suite, isLong, dcid, payload, largest, ahead) => {
        const keys = keySets[suite]!;
        const pn = largest + ahead;
        const pnLength = packetNumberLength(pn, largest);
        const buf = new Uint8Array(100 + payload.length);
        let payloadStart: number;
        if (isLong) {
          payloadStart = writeLongHeader(buf, 0, {
            packetType: PacketType.Handshake,
            version: QUIC_VERSION_1,
            dcid,
            scid: dcid,
            packetNumber: pn,
            pnLength,
            length: pnLength + payload.length + 16,
          });
        } else {
          payloadStart = writeShortHeader(buf, 0, dcid, pn, pnLength, true);
        }
        buf.set(payload, payloadStart);
        const pnOffset = payloadStart - pnLength;
        const end = protectPacket(keys, buf, 0, pnOffset, pnLength, pn, payloadStart + payload.length);
        const h = parseHeader(buf, 0, dcid.length, end);
        assert.ok(h);
        assert.equal(h.pnOffset, pnOffset);
        const out = unprotectPacket(keys, buf, 0, h.pnOffset, h.packetEnd, largest);
        assert.ok(out);
        assert.equal(out.packetNumber, pn);
        assert.equal(out.keyPhase, !isLong);
        assert.equal(toHex(out.payload), toHex(payload));
        // any single flipped bit after the packet number fails authentication
        buf[pnOffset + pnLength] = buf[pnOffset + pnLength]! ^ 0x80;
        assert.equal(unprotectPacket(keys, buf, 0, h.pnOffset, h.packetEnd, largest), null);
      },
    ),
    { numRuns: 300 },
  );
});

test('unprotecting random bytes returns null, never throws', () => {
  const keys = derivePacketKeys(nodeCrypto, 'aes-128-gcm', 'sha256', new Uint8Array(32).fill(1));
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.nat(),
      fc.integer({ min: -1, max: 2 ** 40 }),
      (bytes, at, largest) => {
        const pnOffset = bytes.length === 0 ? 0 : at % bytes.length;
        assert.equal(unprotectPacket(keys, bytes, 0, pnOffset, bytes.length, largest), null);
      },
    ),
    { numRuns: 1000 },
  );
});
