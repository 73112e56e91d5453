/**
 * Bad input never escapes: arbitrary datagrams to an endpoint, and arbitrary frame payloads injected into
 * established connections past packet protection (the fuzzing hook), either are ignored or close the
 * connection with the RFC 9000 §20 code of a detected error, never INTERNAL_ERROR and never a throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import { QuicEndpoint } from '../../src/quic/endpoint.js';
import { TransportErrorCode } from '../../src/quic/errors.js';
import { EncryptionLevel } from '../../src/quic/packet/levels.js';
import { makePair, testCertificate } from './sim/harness.js';

const FRAME_TYPES = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
  0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x30, 0x31, 0x40,
];

/** A frame type byte followed by random bytes, a few times: mostly malformed, sometimes valid frames. */
const framePayload = fc
  .array(fc.tuple(fc.constantFrom(...FRAME_TYPES), fc.uint8Array({ maxLength: 24 })), {
    minLength: 1,
    maxLength: 5,
  })
  .map((parts) => {
    const out: number[] = [];
    for (const [t, rest] of parts) out.push(t, ...rest);
    return Uint8Array.from(out);
  });

test('arbitrary datagrams never throw out of a server endpoint', () => {
  const c = testCertificate();
  const ep = new QuicEndpoint({
    crypto: nodeCrypto,
    server: {
      alpn: ['hq-interop'],
      certificateChain: nodeCrypto.pemToDer(c.cert),
      signingKey: nodeCrypto.loadSigningKey(c.key),
    },
  });
  let now = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 1500 }),
        // Long headers of version 1 with random rest, padded so they pass the 1200-byte Initial rule.
        fc.uint8Array({ minLength: 1200, maxLength: 1300 }).map((b) => {
          b.set([0xc0 | (b[0]! & 0x3f), 0, 0, 0, 1, 8]);
          return b;
        }),
      ),
      (bytes) => {
        now += 10;
        ep.receive(bytes, { address: '10.1.1.1', port: 1 }, now);
        for (let t = ep.pollTransmit(now); t !== null; t = ep.pollTransmit(now));
        ep.handleTimeout(now);
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(ep.connectionCount <= ep.limits.maxConnections);
});

test('arbitrary frames injected after the handshake close with a stated code or are ignored', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.constantFrom(0, 1, 2), framePayload), {
        minLength: 1,
        maxLength: 8,
      }),
      (injections) => {
        const p = makePair();
        assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
        for (const [toServer, level, payload] of injections) {
          const side = toServer ? p.server : p.client;
          side.conn!.injectPayloadForTest(
            level === 0
              ? EncryptionLevel.Initial
              : level === 1
                ? EncryptionLevel.Handshake
                : EncryptionLevel.OneRtt,
            payload,
            p.link.nowMs,
          );
          p.runUntil(() => false, p.link.nowMs + 50);
        }
        p.runUntil(() => false, p.link.nowMs + 2000);
        for (const side of [p.client, p.server]) {
          const closed = side.closed;
          if (closed === undefined) continue;
          assert.notEqual(
            closed.code,
            TransportErrorCode.INTERNAL_ERROR,
            `internal error: ${closed.reasonPhrase}`,
          );
        }
      },
    ),
    { numRuns: 60 },
  );
});
