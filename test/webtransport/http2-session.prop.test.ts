/** Split invariance of the HTTP/2 session's capsule parser: any chunking of the same bytes, the same events. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import type { WebTransportEvent } from '../../src/webtransport/events.js';
import {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
} from '../../src/webtransport/http2-session.js';

const peer = peerSettingsFromHttp2(new Map(http2WebTransportSettings()));

function render(s: Http2WebTransportSession): string[] {
  const out: string[] = [];
  let text = '';
  let id = -1;
  for (let e: WebTransportEvent | null = s.nextEvent(); e !== null; e = s.nextEvent()) {
    if (e.type === 'data') {
      // Data may arrive in any number of pieces; compare the concatenation per stream run.
      if (id !== e.streamId && id !== -1) {
        out.push(`data ${id} ${text}`);
        text = '';
      }
      id = e.streamId;
      text += Buffer.from(e.data).toString('hex');
      s.consumed(e.streamId, e.data.length);
      continue;
    }
    if (id !== -1) out.push(`data ${id} ${text}`);
    id = -1;
    text = '';
    out.push(JSON.stringify(e.type === 'datagram' ? { ...e, data: Buffer.from(e.data).toString('hex') } : e));
  }
  if (id !== -1) out.push(`data ${id} ${text}`);
  return out;
}

test('any split of a capsule stream yields the same events', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('bidi' as const),
            data: fc.uint8Array({ maxLength: 300 }),
            fin: fc.boolean(),
          }),
          fc.record({
            kind: fc.constant('uni' as const),
            data: fc.uint8Array({ maxLength: 300 }),
            fin: fc.boolean(),
          }),
          fc.record({
            kind: fc.constant('dgram' as const),
            data: fc.uint8Array({ maxLength: 100 }),
            fin: fc.constant(false),
          }),
        ),
        { maxLength: 12 },
      ),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      (ops, cuts, close) => {
        const sender = new Http2WebTransportSession({ role: 'client', peerSettings: peer });
        for (const op of ops) {
          if (op.kind === 'dgram') sender.sendDatagram(op.data);
          else {
            const id = op.kind === 'bidi' ? sender.openBidiStream() : sender.openUniStream();
            sender.sendStream(id, op.data, op.fin);
          }
        }
        if (close) sender.close(3, 'done');
        const bytes = Buffer.concat(sender.takeOutput());
        const whole = new Http2WebTransportSession({ role: 'server', peerSettings: peer });
        whole.receive(bytes);
        const split = new Http2WebTransportSession({ role: 'server', peerSettings: peer });
        let pos = 0;
        for (let i = 0; pos < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          split.receive(bytes.subarray(pos, pos + n));
          pos += n;
        }
        assert.deepEqual(render(split), render(whole));
      },
    ),
    { numRuns: 200 },
  );
});
