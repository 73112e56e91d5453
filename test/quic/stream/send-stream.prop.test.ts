import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecvCredit, SendCredit } from '../../../src/quic/stream/flow-control.js';
import { RecvState, RecvStream } from '../../../src/quic/stream/recv-stream.js';
import { SendState, SendStream } from '../../../src/quic/stream/send-stream.js';
import { CryptoStream } from '../../../src/quic/stream/crypto-stream.js';

/** One STREAM frame the sender handed out, as the loss detector would remember it. */
interface Sent {
  readonly offset: number;
  readonly length: number;
  readonly fin: boolean;
  readonly bytes: Uint8Array;
  isDelivered: boolean;
}

const Step = {
  Write: 0,
  Send: 1,
  Deliver: 2,
  Duplicate: 3,
  Drop: 4,
  Ack: 5,
  Lose: 6,
  LateAck: 7,
  Read: 8,
} as const;

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

const scenario = fc.record({
  data: fc.uint8Array({ maxLength: 1500, size: 'max' }),
  chunkSizes: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 12 }),
  streamWindow: fc.integer({ min: 1, max: 700 }),
  connWindow: fc.integer({ min: 1, max: 900 }),
  steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.nat(1000)), { maxLength: 300, size: 'max' }),
});

/**
 * A sender and a receiver joined by a network that drops, duplicates and reorders frames, with a loss
 * detector that declares frames lost (sometimes spuriously, then acknowledges them late), and flow-control
 * credit flowing back as the application consumes. Whatever the schedule, limits hold at every step, and
 * once the network behaves the receiver reads exactly the bytes written.
 */
const stats = { retransmissions: 0, atStreamLimit: 0, bytes: 0 };

test('property: lossy, reordering, duplicating link delivers the same bytes within every limit', () => {
  fc.assert(
    fc.property(scenario, ({ data, chunkSizes, streamWindow, connWindow, steps }) => {
      const sender = new SendStream(streamWindow);
      const connSend = new SendCredit(connWindow);
      const receiver = new RecvStream(streamWindow);
      const connRecv = new RecvCredit(connWindow);
      const network: Sent[] = [];
      const outstanding: Sent[] = [];
      const lostButDelivered: Sent[] = [];
      const out: number[] = [];
      let written = 0;
      let chunkIndex = 0;
      let ackedInOrder = 0;

      const write = (): void => {
        if (!sender.canWrite) return;
        const size = chunkSizes[chunkIndex % chunkSizes.length]!;
        chunkIndex++;
        const end = Math.min(data.length, written + size);
        // Several chunks per write: the first half and the second half of the slice.
        const mid = (written + end) >>> 1;
        sender.write([data.subarray(written, mid), data.subarray(mid, end)], end === data.length);
        written = end;
      };
      const send = (budget: number): boolean => {
        const f = sender.nextFrame(budget, connSend.available);
        if (f === null) return false;
        connSend.consume(f.newBytes);
        if (f.newBytes === 0 && f.length > 0) stats.retransmissions++;
        if (f.offset + f.length === receiver.credit.limit && f.length > 0) stats.atStreamLimit++;
        const bytes = concat(f.chunks);
        assert.equal(bytes.length, f.length);
        assert.deepEqual(bytes, data.subarray(f.offset, f.offset + f.length));
        // RFC 9000 §4.1: never beyond the receiver's advertised limits.
        assert.ok(f.offset + f.length <= receiver.credit.limit);
        assert.ok(connSend.used <= connRecv.limit);
        const s: Sent = { offset: f.offset, length: f.length, fin: f.fin, bytes, isDelivered: false };
        network.push(s);
        outstanding.push(s);
        return true;
      };
      const deliver = (s: Sent): void => {
        connRecv.receive(receiver.receive(s.offset, s.bytes, s.fin));
        s.isDelivered = true;
      };
      const ack = (s: Sent): void => {
        ackedInOrder += sender.onAcked(s.offset, s.length, s.fin);
        assert.equal(ackedInOrder, sender.ackedBytes);
      };
      const read = (): void => {
        for (let b = receiver.read(); b !== null; b = receiver.read()) {
          out.push(...b);
          receiver.consumed(b.length);
          connRecv.consume(b.length);
        }
        const m = receiver.maxStreamDataUpdate();
        if (m !== null) sender.onMaxStreamData(m);
        const c = connRecv.takeUpdate();
        if (c !== null) connSend.onMaxUpdate(c);
      };
      const pick = <T>(list: T[], n: number): T | undefined =>
        list.length === 0 ? undefined : list.splice(n % list.length, 1)[0];

      for (const [kind, n] of steps) {
        switch (kind) {
          case Step.Write:
            write();
            break;
          case Step.Send:
            send(1 + (n % 300));
            break;
          case Step.Deliver: {
            const s = pick(network, n);
            if (s) deliver(s);
            break;
          }
          case Step.Duplicate: {
            const s = network[n % Math.max(1, network.length)];
            if (s) deliver(s);
            break;
          }
          case Step.Drop:
            pick(network, n);
            break;
          case Step.Ack: {
            // Only delivered frames can be acknowledged.
            const i = outstanding.findIndex((s) => s.isDelivered);
            if (i >= 0) ack(outstanding.splice(i, 1)[0]!);
            break;
          }
          case Step.Lose: {
            const s = pick(outstanding, n);
            if (s) {
              sender.onLost(s.offset, s.length, s.fin);
              if (s.isDelivered) lostButDelivered.push(s);
            }
            break;
          }
          case Step.LateAck: {
            const s = pick(lostButDelivered, n);
            if (s) ack(s);
            break;
          }
          case Step.Read:
            read();
            break;
          default:
            throw new Error('unreachable');
        }
        assert.ok(receiver.highestOffset <= receiver.credit.limit);
        assert.ok(connRecv.received <= connRecv.limit);
      }

      // The network heals: everything in flight arrives, the rest is declared lost and resent.
      if (sender.canWrite) {
        sender.write([data.subarray(written)], true);
        written = data.length;
      }
      for (let round = 0; round < 10_000 && sender.state !== SendState.DataRecvd; round++) {
        for (const s of network.splice(0)) deliver(s);
        for (const s of outstanding.splice(0)) {
          if (s.isDelivered) ack(s);
          else sender.onLost(s.offset, s.length, s.fin);
        }
        read();
        while (send(200));
        assert.ok(round < 9_999, 'no progress');
      }
      read();
      assert.equal(sender.state, SendState.DataRecvd);
      assert.equal(receiver.state, RecvState.DataRead);
      assert.deepEqual(Uint8Array.from(out), data);
      assert.equal(ackedInOrder, data.length);
      assert.equal(sender.bufferedBytes, 0);
      stats.bytes += data.length;
    }),
    { numRuns: 200 },
  );
  // The generator must reach the interesting paths, or the property proves little.
  assert.ok(stats.retransmissions > 50, `retransmissions ${stats.retransmissions}`);
  assert.ok(stats.atStreamLimit > 50, `frames at the stream limit ${stats.atStreamLimit}`);
  assert.ok(stats.bytes > 20_000, `bytes ${stats.bytes}`);
});

test('property: CRYPTO send side under loss delivers the same bytes and acks them all', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300, size: 'max' }), { maxLength: 8 }),
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 200 })), { maxLength: 80 }),
      (messages, fates) => {
        const tx = new CryptoStream();
        const rx = new CryptoStream();
        for (const m of messages) tx.write(m);
        const expected = concat(messages);
        const out: number[] = [];
        let acked = 0;
        let i = 0;
        for (let round = 0; round < 10_000 && !(tx.isAllAcked && !tx.hasPendingData); round++) {
          const [isLost, budget] = fates[i++ % Math.max(1, fates.length)] ?? [false, 100];
          const f = tx.nextFrame(budget);
          if (f === null) break;
          if (isLost && round < 200) {
            tx.onLost(f.offset, f.length);
            continue;
          }
          rx.receive(f.offset, concat(f.chunks));
          for (let b = rx.read(); b !== null; b = rx.read()) out.push(...b);
          acked += tx.onAcked(f.offset, f.length);
        }
        assert.deepEqual(Uint8Array.from(out), expected);
        assert.equal(acked, expected.length);
        assert.equal(tx.bufferedBytes, 0);
      },
    ),
  );
});

const abortStats = { resetBoth: 0, complete: 0, partial: 0 };

const abortScenario = fc.record({
  data: fc.uint8Array({ maxLength: 800, size: 'max' }),
  window: fc.integer({ min: 1, max: 500 }),
  steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.nat(1000)), { maxLength: 120, size: 'max' }),
  abortAt: fc.nat(120),
  isStopSending: fc.boolean(),
});

/**
 * Same link, but one side aborts at a random step: the sender resets, or the receiver stops reading and
 * sends STOP_SENDING, which the sender answers with RESET_STREAM (RFC 9000 §3.5). Both parts end in a
 * terminal state, the application saw a prefix of the data, and connection-level credit balances: every
 * byte up to the final size was counted once and consumed or discarded (RFC 9000 §4.5).
 */
test('property: resets and STOP_SENDING at any point end consistently', () => {
  fc.assert(
    fc.property(abortScenario, ({ data, window, steps, abortAt, isStopSending }) => {
      const sender = new SendStream(window);
      const connSend = new SendCredit(10 * window);
      const receiver = new RecvStream(window);
      const connRecv = new RecvCredit(10 * window);
      sender.write([data], true);
      type Item = Sent | { reset: { errorCode: number; finalSize: number } };
      const network: Item[] = [];
      const outstanding: Sent[] = [];
      const out: number[] = [];
      const resetState = { isSent: false, isAcked: false };

      const send = (budget: number): void => {
        const f = sender.nextFrame(budget, connSend.available);
        if (f !== null) {
          connSend.consume(f.newBytes);
          const s: Sent = {
            offset: f.offset,
            length: f.length,
            fin: f.fin,
            bytes: concat(f.chunks),
            isDelivered: false,
          };
          network.push(s);
          outstanding.push(s);
        }
        const r = sender.takeReset();
        if (r !== null) {
          network.push({ reset: r });
          resetState.isSent = true;
        }
      };
      const deliver = (item: Item): void => {
        if ('reset' in item) {
          const before = receiver.state;
          connRecv.receive(receiver.onReset(item.reset.errorCode, item.reset.finalSize));
          if (before !== RecvState.ResetRecvd && receiver.state === RecvState.ResetRecvd) {
            assert.equal(receiver.resetCode, item.reset.errorCode);
            connRecv.consume(receiver.discard());
            receiver.readReset();
          }
          sender.onResetAcked();
          resetState.isAcked = true;
          return;
        }
        const grown = receiver.receive(item.offset, item.bytes, item.fin);
        connRecv.receive(grown);
        if (receiver.isDiscardingData) connRecv.consume(grown);
        item.isDelivered = true;
      };
      const read = (): void => {
        for (let b = receiver.read(); b !== null; b = receiver.read()) {
          out.push(...b);
          receiver.consumed(b.length);
          connRecv.consume(b.length);
        }
        const m = receiver.maxStreamDataUpdate();
        if (m !== null) sender.onMaxStreamData(m);
        const c = connRecv.takeUpdate();
        if (c !== null) connSend.onMaxUpdate(c);
      };
      const abort = (): void => {
        if (isStopSending) {
          connRecv.consume(receiver.discard());
          sender.onStopSending(0x99);
        } else {
          sender.reset(0x42);
        }
      };

      steps.forEach(([kind, n], i) => {
        if (i === abortAt) abort();
        switch (kind) {
          case 0:
          case 1:
            send(1 + (n % 200));
            break;
          case 2: {
            const item = network.splice(n % Math.max(1, network.length), 1)[0];
            if (item) deliver(item);
            break;
          }
          case 3: {
            const item = network[n % Math.max(1, network.length)];
            if (item) deliver(item);
            break;
          }
          case 4: {
            const item = network.splice(n % Math.max(1, network.length), 1)[0];
            if (item && 'reset' in item) sender.onResetLost();
            break;
          }
          case 5: {
            const i2 = outstanding.findIndex((s) => s.isDelivered);
            if (i2 >= 0) {
              const s = outstanding.splice(i2, 1)[0]!;
              sender.onAcked(s.offset, s.length, s.fin);
            }
            break;
          }
          case 6: {
            const s = outstanding.splice(n % Math.max(1, outstanding.length), 1)[0];
            if (s && !s.isDelivered) sender.onLost(s.offset, s.length, s.fin);
            break;
          }
          default:
            read();
        }
      });
      if (abortAt >= steps.length) abort();

      for (let round = 0; round < 10_000 && !(sender.isTerminal && receiver.isTerminal); round++) {
        for (const item of network.splice(0)) deliver(item);
        for (const s of outstanding.splice(0)) {
          if (s.isDelivered) sender.onAcked(s.offset, s.length, s.fin);
          else sender.onLost(s.offset, s.length, s.fin);
        }
        if (resetState.isSent && !resetState.isAcked) sender.onResetLost();
        read();
        for (let k = 0; k < 50; k++) send(200);
        assert.ok(round < 9_999, 'no progress');
      }
      assert.equal(sender.isTerminal, true);
      assert.equal(receiver.isTerminal, true);
      assert.deepEqual(Uint8Array.from(out), data.subarray(0, out.length));
      const finalSize = receiver.finalSize!;
      assert.equal(connRecv.received, finalSize);
      assert.equal(connRecv.consumed, finalSize);
      assert.equal(connSend.used, finalSize);
      if (sender.state === SendState.ResetRecvd && receiver.state === RecvState.ResetRead) {
        assert.equal(receiver.resetCode, isStopSending ? 0x99 : 0x42);
        abortStats.resetBoth++;
      }
      if (receiver.state === RecvState.DataRead && out.length === data.length) abortStats.complete++;
      if (out.length > 0 && out.length < data.length) abortStats.partial++;
    }),
    { numRuns: 200 },
  );
  assert.ok(abortStats.resetBoth > 20, `both reset ${abortStats.resetBoth}`);
  assert.ok(abortStats.partial > 10, `partial reads ${abortStats.partial}`);
  assert.ok(abortStats.complete > 0, `complete ${abortStats.complete}`);
});
