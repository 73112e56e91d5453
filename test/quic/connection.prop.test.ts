/**
 * Issue 13's property over the simulated link: for any impairment below total loss, every stream's bytes
 * arrive exactly once and in order (both directions), and the connection either completes or closes with
 * a stated reason within a bounded virtual time. Flow-control violations would surface as a
 * FLOW_CONTROL_ERROR close, which fails the property.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CloseReason } from '../../src/quic/events.js';
import { makePair, pattern } from './sim/harness.js';

const impairment = fc.record({
  delayMs: fc.integer({ min: 1, max: 60 }),
  jitterMs: fc.integer({ min: 0, max: 60 }),
  lossRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicateRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  corruptRate: fc.double({ min: 0, max: 0.05, noNaN: true }),
});

test('every stream byte arrives exactly once, in order, under loss, reordering, duplication and corruption', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      impairment,
      impairment,
      fc.array(fc.integer({ min: 0, max: 40000 }), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.boolean(),
      (seed, up, down, sizes, smallWindows, keyUpdates) => {
        const limits = smallWindows ? { streamWindowBytes: 8192, connectionWindowBytes: 20000 } : undefined;
        const p = makePair({
          seed,
          clientToServer: up,
          serverToClient: down,
          ...(limits !== undefined ? { clientLimits: limits, serverLimits: limits } : {}),
        });
        // The server echoes each stream once it has all of it.
        p.server.onEvent = (e, side) => {
          if (e.type === 'streamData' && e.fin) side.conn!.writeStream(e.id, [side.bytes(e.id)], true);
        };
        const ids: number[] = [];
        let started = false;
        const deadline = p.link.nowMs + 600_000;
        let step = 0;
        const done = p.runUntil(() => {
          // Key updates as often as allowed, alternating sides (RFC 9001 §6).
          if (keyUpdates && started && ++step % 7 === 0)
            (step % 2 === 0 ? p.client : p.server).conn?.updateKeys();
          if (!started && p.client.isHandshakeComplete) {
            started = true;
            for (const n of sizes) {
              const id = p.client.conn!.openStream(true)!;
              ids.push(id);
              p.client.conn!.writeStream(id, n > 0 ? [pattern(id, n)] : [], true);
            }
          }
          const echoed = started && ids.every((id) => (p.client.streams.get(id)?.finCount ?? 0) > 0);
          return echoed || p.client.closed !== undefined || p.server.closed !== undefined;
        }, deadline);
        assert.ok(done, `no outcome by ${deadline} ms`);
        if (p.client.closed !== undefined || p.server.closed !== undefined) {
          // Only a handshake that could not finish over this link is an acceptable early end.
          const c = p.client.closed ?? p.server.closed!;
          assert.equal(c.reason, CloseReason.HandshakeTimeout, `closed: ${JSON.stringify(c)}`);
          return;
        }
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          const expected = pattern(id, sizes[i]!);
          for (const side of [p.server, p.client]) {
            const r = side.streams.get(id);
            assert.ok(r !== undefined, `stream ${id} seen`);
            assert.equal(r.finCount, 1, `stream ${id}: one FIN`);
            assert.equal(r.afterFin, 0, `stream ${id}: nothing after FIN`);
            assert.deepEqual(side.bytes(id), expected, `stream ${id}: bytes`);
          }
        }
      },
    ),
    { numRuns: Number(process.env['QUIC_PROP_RUNS'] ?? 20) },
  );
});

test('DPLPMTUD and either congestion controller: transfers complete and no side uses more than its path MTU', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: 1200, max: 16383 }),
      fc.integer({ min: 1200, max: 16383 }),
      fc.double({ min: 0, max: 0.1, noNaN: true }),
      fc.constantFrom('cubic' as const, 'newreno' as const),
      fc.integer({ min: 1, max: 300_000 }),
      (seed, mtuUp, mtuDown, lossRate, congestionControl, size) => {
        const limits = { maxUdpPayloadBytes: 16383 };
        const p = makePair({
          seed,
          clientToServer: { delayMs: 10, jitterMs: 2, lossRate, mtu: mtuUp },
          serverToClient: { delayMs: 10, jitterMs: 2, lossRate, mtu: mtuDown },
          clientLimits: limits,
          serverLimits: limits,
          client: { congestionControl },
          server: { congestionControl },
        });
        p.server.onEvent = (e, side) => {
          if (e.type === 'streamData' && e.fin) side.conn!.writeStream(e.id, [pattern(e.id, size)], true);
        };
        let id = -1;
        const done = p.runUntil(() => {
          if (id < 0 && p.client.isHandshakeComplete) {
            id = p.client.conn!.openStream(true)!;
            p.client.conn!.writeStream(id, [new Uint8Array([1])], true);
          }
          return (
            (id >= 0 && (p.client.streams.get(id)?.finCount ?? 0) > 0) ||
            p.client.closed !== undefined ||
            p.server.closed !== undefined
          );
        }, p.link.nowMs + 600_000);
        assert.ok(done, 'an outcome');
        if (p.client.closed !== undefined || p.server.closed !== undefined) {
          const c = p.client.closed ?? p.server.closed!;
          assert.equal(c.reason, CloseReason.HandshakeTimeout, `closed: ${JSON.stringify(c)}`);
          return;
        }
        assert.deepEqual(p.client.bytes(id), pattern(id, size));
        // Each side's size in use fits what its direction carries (or is the 1200 floor).
        assert.ok(p.client.conn!.stats.pathMtuBytes <= Math.max(1200, mtuUp));
        assert.ok(p.server.conn!.stats.pathMtuBytes <= Math.max(1200, mtuDown));
      },
    ),
    { numRuns: Number(process.env['QUIC_PROP_RUNS'] ?? 10) },
  );
});
