import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuicError } from '../../src/common/errors.js';
import { TransportErrorCode } from '../../src/quic/errors.js';
import { decodeTransportParameters, encodeTransportParameters } from '../../src/quic/transport-params.js';
import type { TransportParameters } from '../../src/quic/transport-params.js';

const int = fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 2 ** 53 - 2 }));
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const cid = fc.uint8Array({ maxLength: 20 });

const clientTp: fc.Arbitrary<TransportParameters> = fc.record({
  maxIdleTimeoutMs: int,
  maxUdpPayloadSize: fc.integer({ min: 1200, max: 65527 }),
  initialMaxData: int,
  initialMaxStreamDataBidiLocal: int,
  initialMaxStreamDataBidiRemote: int,
  initialMaxStreamDataUni: int,
  initialMaxStreamsBidi: fc.oneof(int, fc.constant(2 ** 60)),
  initialMaxStreamsUni: int,
  ackDelayExponent: fc.integer({ min: 0, max: 20 }),
  maxAckDelayMs: fc.integer({ min: 0, max: 2 ** 14 - 1 }),
  disableActiveMigration: fc.boolean(),
  activeConnectionIdLimit: fc.integer({ min: 2, max: 2 ** 40 }),
  initialSourceConnectionId: opt(cid),
  maxDatagramFrameSize: opt(int),
  greaseQuicBit: fc.boolean(),
});

function plain(tp: TransportParameters): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tp))
    if (v !== undefined) out[k] = v instanceof Uint8Array ? Array.from(v) : v;
  return out;
}

test('client transport parameters round trip', () => {
  fc.assert(
    fc.property(clientTp, (tp) => {
      assert.deepEqual(
        plain(decodeTransportParameters(encodeTransportParameters(tp, 'client'), 'client')),
        plain(tp),
      );
    }),
    { numRuns: 1000 },
  );
});

test('random bytes only raise TRANSPORT_PARAMETER_ERROR', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), fc.boolean(), (bytes, isClient) => {
      try {
        decodeTransportParameters(bytes, isClient ? 'client' : 'server');
      } catch (e) {
        assert.ok(
          e instanceof QuicError && e.wireCode === TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
          String(e),
        );
      }
    }),
    { numRuns: 3000 },
  );
});
