import { strict as assert } from 'node:assert';
import { createHash, randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import {
  computeAccept,
  encodeBase64,
  generateKey,
  isSupportedVersion,
  isValidWebSocketKey,
} from '../../src/websocket/handshake.js';

const sha1 = (d: Uint8Array): Uint8Array => createHash('sha1').update(d).digest();

test('computeAccept matches the RFC 6455 §1.3 example', () => {
  assert.equal(computeAccept('dGhlIHNhbXBsZSBub25jZQ==', sha1), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('encodeBase64 matches Buffer for every length up to 40', () => {
  for (let n = 0; n <= 40; n++) {
    const b = new Uint8Array(n).map((_, i) => (i * 97 + n) & 0xff);
    assert.equal(encodeBase64(b), Buffer.from(b).toString('base64'));
  }
});

test('Sec-WebSocket-Key validation: base64 of exactly 16 bytes', () => {
  assert.ok(isValidWebSocketKey('dGhlIHNhbXBsZSBub25jZQ=='));
  for (let i = 0; i < 50; i++) assert.ok(isValidWebSocketKey(generateKey((d) => randomFillSync(d))));
  assert.ok(!isValidWebSocketKey(''));
  assert.ok(!isValidWebSocketKey('dGhlIHNhbXBsZSBub25jZQ='));
  assert.ok(!isValidWebSocketKey('dGhlIHNhbXBsZSBub25jZQ=a'));
  assert.ok(!isValidWebSocketKey('dGhlIHNhbXBsZSBub25jZR=='), 'non-zero padding bits');
  assert.ok(!isValidWebSocketKey('dGhlIHNhbXBsZSBub25j!Q=='));
  assert.ok(!isValidWebSocketKey('dGhlIHNhbXBsZSBub25jZQ==='));
  assert.ok(!isValidWebSocketKey(Buffer.alloc(15).toString('base64')));
  assert.ok(!isValidWebSocketKey(Buffer.alloc(17).toString('base64')));
});

test('version 13 only', () => {
  assert.ok(isSupportedVersion('13'));
  assert.ok(isSupportedVersion(' 13 '));
  assert.ok(!isSupportedVersion('8'));
  assert.ok(!isSupportedVersion(undefined));
  assert.ok(!isSupportedVersion('13, 8'));
});
