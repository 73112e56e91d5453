/**
 * Generates corpus/websocket-frame/ seeds as fuzz/websocket-frame.ts expects: valid traffic of both roles
 * (text, binary, fragments, control frames, close, compressed messages) and one seed per RFC 6455 rule the
 * connection enforces. Run after `npm run build`: `node dist/fuzz/seeds/websocket-frame.js`. Replaces the
 * folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketConnection } from '../../src/websocket/connection.js';
import { KEY, ZlibDeflater, concat, enc, rawFrame } from '../../test/websocket/harness.js';
import type { RawFrame } from '../../test/websocket/harness.js';
import { projectRoot } from '../../test/support/vectors.js';

const out = join(projectRoot, 'corpus', 'websocket-frame');

/** Frames as the given sender writes them: masked from a client, plain from a server. */
function traffic(sender: 'client' | 'server', isCompressed: boolean): Uint8Array {
  const c = new WebSocketConnection({
    role: sender,
    randomFill: (d) => d.fill(0x5a),
    ...(isCompressed ? { deflater: new ZlibDeflater() } : {}),
  });
  c.sendText('hello');
  c.sendText('κόσμε €𝄞');
  c.sendBinary(new Uint8Array(200).map((_, i) => i));
  c.sendFragment('frag', { isBinary: false, fin: false });
  c.ping(enc.encode('ping'));
  c.sendFragment('ment', { isBinary: false, fin: true });
  c.pong();
  c.close(1000, 'bye');
  return concat(c.takeOutput());
}

const rules: RawFrame[][] = [
  [{ opcode: 1, rsv: 0x40, payload: 'a' }],
  [{ opcode: 3 }],
  [{ opcode: 0xb }],
  [{ opcode: 9, fin: false }],
  [{ opcode: 9, payload: new Uint8Array(126) }],
  [{ opcode: 0, payload: 'x' }],
  [
    { opcode: 1, fin: false, payload: 'a' },
    { opcode: 1, payload: 'b' },
  ],
  [{ opcode: 1, payload: Uint8Array.of(0xce, 0xba, 0xff) }],
  [
    { opcode: 1, fin: false, payload: Uint8Array.of(0xf0, 0x9f) },
    { opcode: 0, payload: Uint8Array.of(0x98, 0x80) },
  ],
  [{ opcode: 8, payload: Uint8Array.of(3) }],
  [{ opcode: 8, payload: Uint8Array.of(0x03, 0xed) }],
  [{ opcode: 8, payload: Uint8Array.of(0x03, 0xe8, 0xff) }],
  [{ opcode: 2, lengthForm: 64, high: 0x80000000 }],
  [{ opcode: 2, payload: new Uint8Array(5), lengthForm: 16 }],
  [{ opcode: 2, payload: new Uint8Array(300), lengthForm: 64 }],
  [{ opcode: 2, payload: new Uint8Array(70000) }],
  [
    { opcode: 2, fin: false, payload: 'a' },
    { opcode: 0, fin: false },
    { opcode: 0, fin: false },
    { opcode: 0, payload: 'z' },
  ],
  [{ opcode: 9 }, { opcode: 9 }, { opcode: 9 }, { opcode: 9 }, { opcode: 9 }, { opcode: 9 }],
];

const seeds: Buffer[] = [];
for (const sender of ['client', 'server'] as const) {
  const roleBit = sender === 'client' ? 1 : 0; // the target's connection receives what `sender` writes
  for (const isCompressed of [false, true]) {
    for (const extra of [0, 2, 4]) {
      const opts = roleBit | extra | (isCompressed ? 8 : 0);
      seeds.push(Buffer.concat([Buffer.of(opts, 16), traffic(sender, isCompressed)]));
    }
  }
  for (const r of rules) {
    const bytes = concat(r.map((f) => rawFrame({ ...f, mask: sender === 'client' ? KEY : null })));
    seeds.push(Buffer.concat([Buffer.of(roleBit, 5), bytes]));
    seeds.push(Buffer.concat([Buffer.of(roleBit | 2, 0), bytes]));
  }
}
// Wrong masking for the role.
seeds.push(Buffer.concat([Buffer.of(1, 3), rawFrame({ opcode: 1, payload: 'x', mask: null })]));
seeds.push(Buffer.concat([Buffer.of(0, 3), rawFrame({ opcode: 1, payload: 'x' })]));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const buf of seeds) writeFileSync(join(out, createHash('sha256').update(buf).digest('hex')), buf);
console.log(`wrote ${seeds.length} seeds to ${out}`);
