/**
 * Generates corpus/h3-server-connection/ seeds: real client flights (control, QPACK and request streams
 * from an Http3Connection client, with dynamic-table references) framed as fuzz/h3-server-connection.ts
 * expects, plus hand-made protocol violations. Run after `npm run build`:
 * `node dist/fuzz/seeds/h3-server-connection.js`. Replaces the folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Http3Connection } from '../../src/http3/connection.js';
import { encodeFrame } from '../../src/http3/frame/header.js';
import { encodeSettings } from '../../src/http3/frame/settings.js';
import { projectRoot } from '../../test/support/vectors.js';

const out = join(projectRoot, 'corpus', 'h3-server-connection');

interface Rec {
  kind: number;
  id: number;
  payload: Uint8Array;
}

function frame(options: number, recs: readonly Rec[]): Buffer {
  const parts: Buffer[] = [Buffer.of(options)];
  for (const r of recs) {
    parts.push(
      Buffer.of(r.kind, r.id & 0xff, r.payload.length >>> 8, r.payload.length & 0xff),
      Buffer.from(r.payload),
    );
  }
  return Buffer.concat(parts);
}

/** A client's output for `n` requests, as records (streams in output order, each write one record). */
function clientFlight(n: number, withBody: boolean, split: number): Rec[] {
  const c = new Http3Connection({ role: 'client' });
  // Pretend the server allowed a dynamic table so the client's encoder uses it.
  c.receiveStream(
    3,
    Buffer.concat([
      Buffer.of(0),
      encodeFrame(4, encodeSettings({ qpackMaxTableCapacity: 256, qpackBlockedStreams: 4 })),
    ]),
    false,
  );
  for (let i = 0; i < n; i++) {
    const id = c.request(
      [
        [':method', withBody ? 'POST' : 'GET'],
        [':scheme', 'https'],
        [':authority', 'example.com'],
        [':path', `/item/${i % 3}`],
        ['user-agent', 'fuzz-seed/1'],
        ['x-session', 'abcdef0123456789'],
        ...(withBody ? [['content-length', '5'] as [string, string]] : []),
      ],
      !withBody,
    );
    if (withBody) c.sendData(id, Uint8Array.of(104, 101, 108, 108, 111), true);
  }
  const recs: Rec[] = [];
  for (let o = c.takeOutput(); o !== null; o = c.takeOutput()) {
    if (o.type !== 'stream') continue;
    const bytes = Buffer.concat(o.chunks);
    if (split > 0 && bytes.length > split) {
      for (let p = 0; p < bytes.length; p += split) {
        const end = Math.min(bytes.length, p + split);
        recs.push({
          kind: end === bytes.length && o.fin ? 1 : 0,
          id: o.streamId,
          payload: bytes.subarray(p, end),
        });
      }
    } else recs.push({ kind: o.fin ? 1 : 0, id: o.streamId, payload: bytes });
  }
  return recs;
}

const settings = Buffer.concat([Buffer.of(0), encodeFrame(4, encodeSettings({}))]);
const seeds: Buffer[] = [
  frame(0, clientFlight(1, false, 0)),
  frame(8, clientFlight(3, false, 0)),
  frame(9, clientFlight(6, true, 7)),
  frame(1, clientFlight(5, false, 3)),
  // Reordered: request streams first, encoder stream last (QPACK blocking).
  frame(8, clientFlight(4, false, 0).reverse()),
  // Violations: no SETTINGS first, second control stream, HTTP/2 frame, DATA before HEADERS, reserved stream.
  frame(0, [{ kind: 0, id: 2, payload: Buffer.concat([Buffer.of(0), encodeFrame(7, Buffer.of(0))]) }]),
  frame(0, [
    { kind: 0, id: 2, payload: settings },
    { kind: 0, id: 6, payload: settings },
  ]),
  frame(0, [
    { kind: 0, id: 2, payload: settings },
    { kind: 0, id: 2, payload: encodeFrame(6, new Uint8Array(8)) },
  ]),
  frame(0, [{ kind: 1, id: 0, payload: encodeFrame(0, Buffer.from('x')) }]),
  frame(2, [
    { kind: 0, id: 10, payload: Buffer.of(0x40, 0x21, 1, 2, 3) },
    { kind: 2, id: 10, payload: new Uint8Array(0) },
    { kind: 4, id: 0, payload: Buffer.of(0, 1, 2) },
  ]),
  frame(6, [
    {
      kind: 0,
      id: 2,
      payload: Buffer.concat([Buffer.of(0), encodeFrame(4, encodeSettings({ h3Datagram: true }))]),
    },
    ...clientFlight(1, false, 0),
    { kind: 6, id: 0, payload: new Uint8Array(0) },
  ]),
];
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const s of seeds) writeFileSync(join(out, createHash('sha256').update(s).digest('hex')), s);
console.log(`${seeds.length} seeds in ${out}`);
