import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashLength, hkdfExpandLabel, updateTrafficSecret } from '../../../src/quic/crypto/hkdf-label.js';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 9001 Appendix A.1: client_initial_secret and the keys derived from it.
const CLIENT_INITIAL = hex('c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea');

test('RFC 9001 A.1: quic key / iv / hp from the client Initial secret', () => {
  assert.equal(
    toHex(hkdfExpandLabel(nodeCrypto, 'sha256', CLIENT_INITIAL, 'quic key', new Uint8Array(0), 16)),
    '1f369613dd76d5467730efcbe3b1a22d',
  );
  assert.equal(
    toHex(hkdfExpandLabel(nodeCrypto, 'sha256', CLIENT_INITIAL, 'quic iv', new Uint8Array(0), 12)),
    'fa044b2f42a3fd3b46fb255c',
  );
  assert.equal(
    toHex(hkdfExpandLabel(nodeCrypto, 'sha256', CLIENT_INITIAL, 'quic hp', new Uint8Array(0), 16)),
    '9f50449e04a0e810283a1e9933adedd2',
  );
});

test('RFC 9001 A.5: "quic ku" gives the next ChaCha20 secret', () => {
  const secret = hex('9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b');
  assert.equal(
    toHex(updateTrafficSecret(nodeCrypto, 'sha256', secret)),
    '1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9',
  );
});

test('hashLength matches the provider digests', () => {
  assert.equal(hashLength('sha256'), nodeCrypto.hash('sha256', new Uint8Array(1)).length);
  assert.equal(hashLength('sha384'), nodeCrypto.hash('sha384', new Uint8Array(1)).length);
});
