/**
 * Generates corpus/h2-server-connection/ seeds: real client flights from an Http2Connection client (requests,
 * bodies, trailers, resets, pings, priority updates) plus hand-made violations, framed as
 * fuzz/h2-server-connection.ts expects (one options byte, then the bytes after the preface and SETTINGS).
 * Run after `npm run build`: `node dist/fuzz/seeds/h2-server-connection.js`. Replaces the folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Http2Connection } from '../../src/http2/connection.js';
import {
  encodeContinuation,
  encodeData,
  encodeHeaders,
  encodePing,
  encodePriorityUpdate,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
} from '../../src/http2/frame/index.js';
import { projectRoot } from '../../test/support/vectors.js';

const out = join(projectRoot, 'corpus', 'h2-server-connection');
const GET = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/index.html'],
  ['user-agent', 'fuzz-seed/1'],
] as const;

/** What a client sends after its preface and SETTINGS (those are skipped: the target adds its own). */
function flight(build: (c: Http2Connection) => void): Uint8Array {
  const c = new Http2Connection({ role: 'client', limits: { connectionWindowSize: 65535 } });
  c.takeOutput();
  build(c);
  return Buffer.concat(c.takeOutput());
}

const flights: Uint8Array[] = [
  flight((c) => {
    c.request(GET, { endStream: true });
  }),
  flight((c) => {
    for (let i = 0; i < 5; i++) c.request([...GET, ['x-i', String(i)]], { endStream: true });
  }),
  flight((c) => {
    const id = c.request([[':method', 'POST'], ...GET.slice(1), ['content-length', '10']]);
    c.sendData(id, new Uint8Array(10), true);
  }),
  flight((c) => {
    const id = c.request([[':method', 'POST'], ...GET.slice(1)]);
    c.sendData(id, new Uint8Array(100));
    c.sendTrailers(id, [['x-checksum', 'abc']]);
  }),
  flight((c) => {
    const id = c.request(GET);
    c.resetStream(id);
    c.ping();
  }),
  flight((c) => {
    c.request([...GET, ['priority', 'u=0, i']], { endStream: true });
  }),
  Buffer.concat([
    encodeSettings([
      [4, 1 << 20],
      [1, 0],
    ]),
    encodeWindowUpdate(0, 1 << 20),
    encodePing(new Uint8Array(8)),
  ]),
  Buffer.concat([
    encodePriorityUpdate(1, 'u=5'),
    encodeHeaders(1, new Uint8Array([0x82, 0x87, 0x84, 0x41, 0x01, 0x61]), { endStream: true }),
  ]),
  Buffer.concat([
    (() => {
      const h = encodeHeaders(1, new Uint8Array([0x82, 0x87]), {});
      h[4] = 0x1;
      return h;
    })(),
    encodeContinuation(1, new Uint8Array([0x84, 0x41, 0x01, 0x61]), true),
  ]),
  Buffer.concat([
    encodeHeaders(1, new Uint8Array([0x83, 0x87, 0x84, 0x41, 0x01, 0x61]), {}),
    ...encodeData(1, new Uint8Array(50), true, 10),
  ]),
  Buffer.concat([encodeRstStream(1, 8)]),
  Buffer.concat([encodeHeaders(2, new Uint8Array([0x82]), { endStream: true })]),
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let n = 0;
for (const f of flights) {
  for (const opt of [0x80, 0x80 | 0x07, 0xc0, 0x01]) {
    const buf = Buffer.concat([Buffer.of(opt), Buffer.from(f)]);
    writeFileSync(join(out, createHash('sha256').update(buf).digest('hex')), buf);
    n++;
  }
}
console.log(`wrote ${n} seeds to ${out}`);
