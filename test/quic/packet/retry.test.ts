import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import { parseHeader } from '../../../src/quic/packet/header.js';
import { encodeRetry, isRetryIntegrityValid, retryIntegrityTag } from '../../../src/quic/packet/retry.js';
import { PacketType } from '../../../src/quic/packet/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 9001 Appendix A.4
const ODCID = hex('8394c8f03e515708');
const RETRY = 'ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba';

test('A.4 Retry byte for byte', () => {
  const bytes = encodeRetry(
    nodeCrypto,
    new Uint8Array(0),
    hex('f067a5502a4262b5'),
    hex('746f6b656e'),
    ODCID,
    0xf,
  );
  assert.equal(toHex(bytes), RETRY);
  const wire = hex(RETRY);
  assert.equal(
    toHex(retryIntegrityTag(nodeCrypto, ODCID, wire.subarray(0, wire.length - 16))),
    RETRY.slice(-32),
  );
  assert.equal(isRetryIntegrityValid(nodeCrypto, wire, 0, wire.length, ODCID), true);
  const h = parseHeader(wire, 0, 0);
  assert.ok(h);
  assert.equal(h.packetType, PacketType.Retry);
  assert.equal(toHex(h.scid), 'f067a5502a4262b5');
  assert.equal(Buffer.from(h.token).toString(), 'token');
});

test('a wrong ODCID or a flipped bit fails the integrity check', () => {
  const wire = hex(RETRY);
  assert.equal(isRetryIntegrityValid(nodeCrypto, wire, 0, wire.length, hex('8394c8f03e515709')), false);
  wire[10] = wire[10]! ^ 0x01;
  assert.equal(isRetryIntegrityValid(nodeCrypto, wire, 0, wire.length, ODCID), false);
  assert.equal(isRetryIntegrityValid(nodeCrypto, wire, 0, 10, ODCID), false);
});
