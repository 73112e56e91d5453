import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { QuicError } from '../../../src/common/errors.js';
import { EncryptionLevel } from '../../../src/quic/packet/levels.js';
import { TlsSession } from '../../../src/quic/tls/session.js';
import { clientConfig, pair, runHandshake, secretOf, serverConfig } from './harness.js';
import type { Splitter } from './harness.js';
import { skipWithoutOpenssl } from './pki.js';

/** A splitter cutting each flight at the given fractions of its length. */
function splitterFrom(cuts: readonly number[]): Splitter {
  return (data) => {
    const points = [...new Set(cuts.map((f) => Math.floor(f * data.length)))].sort((a, b) => a - b);
    const out: Uint8Array[] = [];
    let prev = 0;
    for (const p of points) {
      if (p <= prev || p >= data.length) continue;
      out.push(data.subarray(prev, p));
      prev = p;
    }
    out.push(data.subarray(prev));
    return out;
  };
}

function hrrBaseline(): string[] {
  const [c, s] = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1'] });
  return runHandshake(c, s).log;
}

describe('TlsSession properties', { skip: skipWithoutOpenssl }, () => {
  it('any split of the CRYPTO bytes yields the same handshake (with HRR)', () => {
    const baseline = hrrBaseline();
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), (cuts) => {
        const [client, server] = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1'] });
        const { client: c, server: s, log } = runHandshake(client, server, { split: splitterFrom(cuts) });
        assert.deepEqual(log, baseline);
        for (const level of [EncryptionLevel.Handshake, EncryptionLevel.OneRtt]) {
          assert.deepEqual(secretOf(c, level, 'write'), secretOf(s, level, 'read'));
          assert.deepEqual(secretOf(s, level, 'write'), secretOf(c, level, 'read'));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('byte-at-a-time delivery completes', () => {
    const [client, server] = pair();
    runHandshake(client, server, {
      split: (d) => Array.from({ length: d.length }, (_, i) => d.subarray(i, i + 1)),
    });
    assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
  });

  it('a corrupted or truncated flight fails only with a QuicError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('client', 'server'),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (victim, flightIndex, pos, xor, truncate) => {
          const client = new TlsSession(clientConfig());
          const server = new TlsSession(serverConfig());
          let n = 0;
          try {
            runHandshake(client, server, {
              tamper: (from, _level, data) => {
                if (from === victim) return data;
                if (n++ !== flightIndex % 2) return data;
                const at = pos % data.length;
                if (truncate) return data.subarray(0, at);
                const copy = data.slice();
                copy[at] = copy[at]! ^ xor;
                return copy;
              },
            });
          } catch (err) {
            assert.ok(err instanceof QuicError, `unexpected ${String(err)}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
