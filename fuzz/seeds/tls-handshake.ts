/**
 * Generates corpus/tls-handshake/ seeds in the record format of fuzz/tls-handshake.ts from a real
 * handshake of the deterministic pair (fuzz/lib/tls-harness.ts): the real ClientHello, ServerHello,
 * HelloRetryRequest, EncryptedExtensions, Certificate, CertificateVerify and both Finished messages as
 * recorded, whole, split and one per record, for both roles and every option set, a NewSessionTicket after
 * the handshake, single-byte mutations of each real message, and messages at the wrong level or truncated.
 * Run after `npm run build`: `node dist/fuzz/seeds/tls-handshake.js`. Replaces the folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../test/support/vectors.js';
import { TlsOption, TlsRecord, drain, frameMessage, makeSessions } from '../lib/tls-harness.js';
import type { TlsSide } from '../lib/tls-harness.js';

const out = join(projectRoot, 'corpus', 'tls-handshake');

function rec(kind: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat([Buffer.of(kind, payload.length >>> 8, payload.length & 0xff), payload]);
}
const raw = (level: number, data: Uint8Array): Buffer => rec(TlsRecord.raw | (level << 2), data);
const relay = (rounds = 1): Buffer => rec(TlsRecord.relay | ((rounds - 1) << 2));
const mutate = (offset: number, xor: number): Buffer =>
  rec(TlsRecord.mutate, Uint8Array.of(offset >>> 8, offset & 0xff, xor));

/** One handshake message as recorded: its level and bytes. */
interface Message {
  readonly level: number;
  readonly type: number;
  readonly bytes: Uint8Array;
}

/** Splits output chunks into handshake messages (a chunk may hold several). */
function messages(chunks: readonly { level: number; data: Uint8Array }[]): Message[] {
  const list: Message[] = [];
  for (const c of chunks) {
    let p = 0;
    while (p + 4 <= c.data.length) {
      const len = (c.data[p + 1]! << 16) | (c.data[p + 2]! << 8) | c.data[p + 3]!;
      list.push({ level: c.level, type: c.data[p]!, bytes: c.data.slice(p, p + 4 + len) });
      p += 4 + len;
    }
  }
  return list;
}

/** Runs a whole handshake for `options`, recording each side's messages in order. */
function record(options: number): { client: Message[]; server: Message[] } {
  const { client, server } = makeSessions(options);
  const sent = { client: [] as Message[], server: [] as Message[] };
  const move = (from: TlsSide, to: TlsSide, log: Message[]): void => {
    drain(from);
    const chunks = from.pending.splice(0);
    log.push(...messages(chunks));
    for (const c of chunks) to.session.receive(c.level, c.data);
  };
  for (let i = 0; i < 4; i++) {
    move(client, server, sent.client);
    move(server, client, sent.server);
  }
  if (!client.session.isHandshakeComplete || !server.session.isHandshakeComplete) {
    throw new Error(`handshake with options ${options} did not complete`);
  }
  return sent;
}

/** A NewSessionTicket (RFC 8446 §4.6.1): lifetime, age_add, nonce, ticket, no extensions. */
function newSessionTicket(): Uint8Array {
  const body = Uint8Array.of(
    0x00,
    0x00,
    0x1c,
    0x20, // ticket_lifetime 7200 s
    0x01,
    0x02,
    0x03,
    0x04, // ticket_age_add
    0x01,
    0x00, // ticket_nonce<0..255>
    0x00,
    0x04,
    0xde,
    0xad,
    0xbe,
    0xef, // ticket<1..2^16-1>
    0x00,
    0x00, // extensions<0..2^16-2>
  );
  return frameMessage(4, body);
}

const seeds = new Map<string, Buffer>();
function add(...parts: Buffer[]): void {
  const seed = Buffer.concat(parts);
  seeds.set(createHash('sha256').update(seed).digest('hex'), seed);
}

const optionSets = [
  0,
  2 << TlsOption.suiteShift,
  1 << TlsOption.suiteShift,
  3 << TlsOption.suiteShift,
  TlsOption.p256,
  TlsOption.verify,
  TlsOption.small,
];
for (const base of optionSets) {
  const sent = record(base);
  for (const isClient of [false, true]) {
    const o = Buffer.of(base | (isClient ? TlsOption.client : 0));
    // The whole handshake by relaying.
    add(o, relay(4));
    // The real messages the session under test receives, one record each, then split at every third byte.
    const incoming = isClient ? sent.server : sent.client;
    const lead = isClient ? [relay()] : [];
    add(o, ...lead, ...incoming.map((m) => raw(m.level, m.bytes)));
    if (isClient && incoming.length > 0) {
      add(o, ...lead, ...incoming.map((m) => raw(m.level, m.bytes)), raw(2, newSessionTicket()));
    }
    const first = incoming[0];
    if (first !== undefined) {
      const parts: Buffer[] = [];
      for (let p = 0; p < first.bytes.length; p += 97) {
        parts.push(raw(first.level, first.bytes.subarray(p, p + 97)));
      }
      add(o, ...lead, ...parts);
      // Truncated, and at the wrong level.
      add(o, ...lead, raw(first.level, first.bytes.subarray(0, first.bytes.length >> 1)));
      add(o, ...lead, raw((first.level + 1) % 3, first.bytes));
      // The same message type with an empty body and with its body as a framed record.
      add(o, ...lead, rec(TlsRecord.message | (first.level << 2), Uint8Array.of(first.type)));
      add(
        o,
        ...lead,
        rec(TlsRecord.message | (first.level << 2), Uint8Array.of(first.type, ...first.bytes.subarray(4))),
      );
    }
    // Single-byte mutations of each message the peer sends, at a few offsets, after the real ones before.
    if (base === 0 || base === TlsOption.p256) {
      for (let i = 0; i < incoming.length; i++) {
        const m = incoming[i]!;
        for (const at of [0, 3, 4, 5, 38, m.bytes.length >> 1, m.bytes.length - 1]) {
          const before = incoming.slice(0, i).map((x) => raw(x.level, x.bytes));
          const bad = m.bytes.slice();
          const k = at % bad.length;
          bad[k] = bad[k]! ^ 0x41;
          add(o, ...lead, ...before, raw(m.level, bad));
        }
      }
      add(o, relay(), mutate(40, 0x80));
      add(o, relay(2), mutate(10, 0xff));
    }
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [name, seed] of seeds) writeFileSync(join(out, name), seed);
console.log(`corpus/tls-handshake: ${seeds.size} seeds`);
