import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecvCredit, SendCredit } from '../../../src/quic/stream/flow-control.js';
import { RecvState, RecvStream } from '../../../src/quic/stream/recv-stream.js';
import { SendState, SendStream } from '../../../src/quic/stream/send-stream.js';

interface InFlight {
  readonly stream: number;
  readonly offset: number;
  readonly length: number;
  readonly fin: boolean;
  readonly bytes: Uint8Array;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Several streams share one connection window (RFC 9000 §4.1): the receiver's count is the sum of every
 * stream's highest offset and never passes the MAX_DATA it advertised, whatever the interleaving, loss,
 * duplication and consumption order; and all streams complete once the link heals.
 */
test('property: streams sharing MAX_DATA never exceed it and all complete', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 600, size: 'max' }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 400 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(1000)), { maxLength: 200, size: 'max' }),
      (datas, streamWindow, connWindow, steps) => {
        const senders = datas.map((d) => {
          const s = new SendStream(streamWindow);
          s.write([d], true);
          return s;
        });
        const receivers = datas.map(() => new RecvStream(streamWindow));
        const connSend = new SendCredit(connWindow);
        const connRecv = new RecvCredit(connWindow);
        const outs = datas.map(() => [] as number[]);
        const network: InFlight[] = [];
        let turn = 0;

        const send = (budget: number): void => {
          for (let k = 0; k < senders.length; k++) {
            const i = (turn + k) % senders.length;
            const f = senders[i]!.nextFrame(budget, connSend.available);
            if (f === null) continue;
            connSend.consume(f.newBytes);
            network.push({
              stream: i,
              offset: f.offset,
              length: f.length,
              fin: f.fin,
              bytes: concat(f.chunks),
            });
            turn = i + 1;
            return;
          }
        };
        const deliver = (f: InFlight, isLost: boolean): void => {
          if (isLost) {
            senders[f.stream]!.onLost(f.offset, f.length, f.fin);
            return;
          }
          connRecv.receive(receivers[f.stream]!.receive(f.offset, f.bytes, f.fin));
          senders[f.stream]!.onAcked(f.offset, f.length, f.fin);
        };
        const read = (i: number): void => {
          const r = receivers[i]!;
          for (let b = r.read(); b !== null; b = r.read()) {
            outs[i]!.push(...b);
            r.consumed(b.length);
            connRecv.consume(b.length);
          }
          const m = r.maxStreamDataUpdate();
          if (m !== null) senders[i]!.onMaxStreamData(m);
          const c = connRecv.takeUpdate();
          if (c !== null) connSend.onMaxUpdate(c);
        };
        const check = (): void => {
          const sum = receivers.reduce((n, r) => n + r.highestOffset, 0);
          assert.equal(connRecv.received, sum);
          assert.ok(sum <= connRecv.limit);
          assert.ok(connSend.used <= connSend.limit);
        };

        for (const [kind, n] of steps) {
          if (kind <= 1) send(1 + (n % 150));
          else if (kind === 2 || kind === 3) {
            const f = network.splice(n % Math.max(1, network.length), 1)[0];
            if (f) deliver(f, kind === 3 && n % 2 === 0);
          } else if (kind === 4) {
            const f = network[n % Math.max(1, network.length)];
            if (f) connRecv.receive(receivers[f.stream]!.receive(f.offset, f.bytes, f.fin));
          } else read(n % receivers.length);
          check();
        }
        for (let round = 0; round < 10_000; round++) {
          if (senders.every((s) => s.state === SendState.DataRecvd)) break;
          for (const f of network.splice(0)) deliver(f, false);
          for (let i = 0; i < receivers.length; i++) read(i);
          for (let k = 0; k < 100; k++) send(200);
          check();
          assert.ok(round < 9_999, 'no progress');
        }
        for (let i = 0; i < receivers.length; i++) {
          read(i);
          assert.equal(receivers[i]!.state, RecvState.DataRead);
          assert.deepEqual(Uint8Array.from(outs[i]!), datas[i]);
        }
        assert.equal(
          connRecv.received,
          datas.reduce((n, d) => n + d.length, 0),
        );
      },
    ),
    { numRuns: 150 },
  );
});
