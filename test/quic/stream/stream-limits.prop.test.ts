import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuicError } from '../../../src/common/errors.js';
import { StreamLimits } from '../../../src/quic/stream/stream-limits.js';
import { isBidi, streamIdAt, streamIndex } from '../../../src/quic/stream/stream-id.js';

/**
 * Peer streams against a model: an ID is accepted exactly when its index is below the limit we advertised
 * (RFC 9000 §4.6), acceptance opens every lower ID once (§3.2), and our limit never runs ahead of
 * closed + window, nor falls behind it by more than the batching step.
 */
test('property: peer stream opening obeys the advertised limit, which follows closures', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), bidi: fc.boolean(), index: fc.nat(80) }),
    fc.record({ kind: fc.constant('close' as const), bidi: fc.boolean() }),
    fc.record({ kind: fc.constant('update' as const), bidi: fc.boolean() }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(op, { maxLength: 200 }),
      (wb, wu, ops) => {
        const l = new StreamLimits({ role: 'client', localMaxStreamsBidi: wb, localMaxStreamsUni: wu });
        const window = (bidi: boolean): number => (bidi ? wb : wu);
        const opened = { true: 0, false: 0 };
        const closed = { true: 0, false: 0 };
        const advertised = { true: wb, false: wu };
        for (const o of ops) {
          const key = o.bidi ? 'true' : 'false';
          switch (o.kind) {
            case 'open': {
              const id = streamIdAt(o.index, o.bidi, 'server');
              let count: number | undefined;
              try {
                count = l.openRemote(id);
              } catch (e) {
                assert.ok(e instanceof QuicError && e.wireCode === 0x04);
                assert.ok(o.index >= l.localLimit(o.bidi));
                break;
              }
              assert.ok(o.index < l.localLimit(o.bidi));
              const expected = Math.max(0, o.index + 1 - opened[key]);
              assert.equal(count, expected);
              opened[key] = Math.max(opened[key], o.index + 1);
              assert.equal(isBidi(id), o.bidi);
              assert.equal(streamIndex(id), o.index);
              assert.equal(l.isOpened(id), true);
              break;
            }
            case 'close':
              if (closed[key] < opened[key]) {
                l.onRemoteStreamClosed(o.bidi);
                closed[key]++;
              }
              break;
            case 'update': {
              const u = l.takeMaxStreamsUpdate(o.bidi);
              if (u !== null) {
                assert.ok(u > advertised[key]);
                advertised[key] = u;
              }
              break;
            }
            default:
              throw new Error('unreachable');
          }
          for (const bidi of [true, false]) {
            const k = bidi ? 'true' : 'false';
            const limit = l.localLimit(bidi);
            assert.ok(limit <= closed[k] + window(bidi));
            assert.ok(limit >= closed[k] + window(bidi) - Math.max(1, Math.floor(window(bidi) / 8)));
            assert.equal(l.remoteActive(bidi), opened[k] - closed[k]);
            assert.ok(opened[k] <= limit);
          }
        }
      },
    ),
  );
});

test('property: local opening never exceeds the peer limit and IDs are sequential', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(30)), { maxLength: 100 }), (ops) => {
      const l = new StreamLimits({ role: 'server', localMaxStreamsBidi: 1, localMaxStreamsUni: 1 });
      const next = { true: 0, false: 0 };
      for (const [bidi, n] of ops) {
        const key = bidi ? 'true' : 'false';
        if (n % 3 === 0) {
          l.onMaxStreams(bidi, n);
          continue;
        }
        const id = l.openLocal(bidi);
        if (id === null) {
          assert.equal(next[key], l.peerLimit(bidi));
        } else {
          assert.equal(id, streamIdAt(next[key], bidi, 'server'));
          next[key]++;
          assert.ok(next[key] <= l.peerLimit(bidi));
        }
      }
    }),
  );
});
