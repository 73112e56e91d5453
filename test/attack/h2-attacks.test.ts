/**
 * Attack suite against a live hayate HTTP/2 server, scripted with hayate's own frame layer over raw TCP.
 * Each case checks the RFC answer (GOAWAY code or RST_STREAM), that the server keeps serving a normal
 * client meanwhile, and that heap growth stays bounded.
 */
import { strict as assert } from 'node:assert';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HpackEncoder } from '../../src/hpack/index.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import {
  CONNECTION_PREFACE,
  FrameType,
  decodeFrame,
  encodeContinuation,
  encodeData,
  encodeHeaders,
  encodePing,
  encodePriority,
  encodeRstStream,
  encodeSettings,
} from '../../src/http2/frame/index.js';
import type { Frame } from '../../src/http2/frame/index.js';
import { connect } from '../../src/server/http2-client.js';
import { listenHttp2, type Http2Server } from '../../src/server/http2-server.js';

const REQ = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/big'],
  [':authority', 'localhost'],
] as const;

/** A raw attacker connection: sends bytes, collects decoded frames until the socket closes. */
class Attacker {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  private buf = new Uint8Array(0);
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = netConnect({ host: '127.0.0.1', port });
    this.socket.on('error', () => undefined);
    this.socket.on('data', (d: Buffer) => {
      const next = new Uint8Array(this.buf.length + d.length);
      next.set(this.buf);
      next.set(d, this.buf.length);
      let pos = 0;
      for (;;) {
        const r = decodeFrame(next, pos, 16777215);
        if (r === null) break;
        this.frames.push(r.frame);
        pos = r.next;
      }
      this.buf = next.slice(pos);
    });
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        resolve();
      }),
    );
    this.socket.write(CONNECTION_PREFACE);
    this.socket.write(encodeSettings([]));
    this.socket.write(encodeSettings([], true));
  }

  send(parts: Uint8Array[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(parts));
  }

  goaway(): number | undefined {
    for (const f of this.frames) if (f.type === FrameType.GOAWAY) return f.errorCode;
    return undefined;
  }

  async waitGoaway(ms = 3000): Promise<number | undefined> {
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, ms))]);
    this.socket.destroy();
    return this.goaway();
  }
}

let server: Http2Server;
let port = 0;
const BIG = new Uint8Array(1 << 20);

before(async () => {
  server = await listenHttp2(
    {
      http2: {
        limits: {
          maxResetBurst: 200,
          maxControlFrameBurst: 500,
          maxEmptyFrameBurst: 50,
          maxContinuationFrames: 16,
          flowControlStallTimeoutMs: 300,
        },
      },
    },
    async (req, res) => {
      if (req.path === '/big') {
        for (let i = 0; i < 4; i++) if (!res.write(BIG)) await res.drained();
        res.end();
        return;
      }
      res.end('ok');
    },
  );
  port = server.port;
});

after(async () => {
  await server.close();
});

/** A legitimate client must be served while (and after) an attack runs. */
async function healthy(): Promise<void> {
  const s = connect(`http://127.0.0.1:${port}`);
  const r = await s.request({ path: '/hello' });
  assert.equal(await r.text(), 'ok');
  s.destroy();
}

function heapMb(): number {
  return process.memoryUsage().heapUsed / 1e6;
}

describe('attacks against the HTTP/2 server', () => {
  test('rapid reset (CVE-2023-44487) -> GOAWAY ENHANCE_YOUR_CALM', async () => {
    const a = new Attacker(port);
    const enc = new HpackEncoder();
    const parts: Uint8Array[] = [];
    for (let id = 1; id < 2000; id += 2) {
      parts.push(
        encodeHeaders(id, enc.encode(REQ).slice(), { endStream: true }),
        encodeRstStream(id, H2ErrorCode.CANCEL),
      );
    }
    a.send(parts);
    await healthy();
    assert.equal(await a.waitGoaway(), H2ErrorCode.ENHANCE_YOUR_CALM);
  });

  test('CONTINUATION flood (CVE-2024-27316) -> GOAWAY ENHANCE_YOUR_CALM, heap bounded', async () => {
    const before = heapMb();
    const a = new Attacker(port);
    // A literal field whose 16383-octet value never finishes: every CONTINUATION adds 100 octets of it.
    const open = Buffer.concat([
      new HpackEncoder().encode(REQ),
      Buffer.of(0x00, 0x01, 0x78, 0x7f, 0x80, 0x7f),
    ]);
    const h = encodeHeaders(1, open, {});
    h[4] = 0x1; // END_STREAM without END_HEADERS
    const parts = [h];
    for (let i = 0; i < 5000; i++) parts.push(encodeContinuation(1, new Uint8Array(100).fill(0x61), false));
    a.send(parts);
    assert.equal(await a.waitGoaway(), H2ErrorCode.ENHANCE_YOUR_CALM);
    await healthy();
    assert.ok(heapMb() - before < 50, `heap grew ${heapMb() - before} MB`);
  });

  test('HPACK bomb -> GOAWAY COMPRESSION_ERROR', async () => {
    const a = new Attacker(port);
    const enc = new HpackEncoder();
    const first = enc.encode([...REQ, ['x-big', 'a'.repeat(4000)]]).slice();
    const bomb = new Uint8Array(2000).fill(0xbe);
    a.send([
      encodeHeaders(1, first, { endStream: true }),
      encodeHeaders(3, Buffer.concat([enc.encode(REQ), bomb]), { endStream: true }),
    ]);
    assert.equal(await a.waitGoaway(), H2ErrorCode.COMPRESSION_ERROR);
    await healthy();
  });

  test('SETTINGS flood (CVE-2019-9515) -> GOAWAY ENHANCE_YOUR_CALM', async () => {
    const a = new Attacker(port);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) parts.push(encodeSettings([[4, 65535]]));
    a.send(parts);
    assert.equal(await a.waitGoaway(), H2ErrorCode.ENHANCE_YOUR_CALM);
    await healthy();
  });

  test('PING flood (CVE-2019-9512) -> GOAWAY ENHANCE_YOUR_CALM', async () => {
    const a = new Attacker(port);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) parts.push(encodePing(new Uint8Array(8)));
    a.send(parts);
    assert.equal(await a.waitGoaway(), H2ErrorCode.ENHANCE_YOUR_CALM);
    await healthy();
  });

  test('PRIORITY flood (CVE-2019-9513) -> GOAWAY ENHANCE_YOUR_CALM', async () => {
    const a = new Attacker(port);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++)
      parts.push(encodePriority(2 * i + 1, { exclusive: true, dependency: 0, weight: 1 }));
    a.send(parts);
    assert.equal(await a.waitGoaway(), H2ErrorCode.ENHANCE_YOUR_CALM);
  });

  test('empty DATA flood (CVE-2019-9518) -> GOAWAY ENHANCE_YOUR_CALM', async () => {
    const a = new Attacker(port);
    const post = [[':method', 'POST'], ...REQ.slice(1)] as const;
    const parts = [encodeHeaders(1, new HpackEncoder().encode(post).slice(), {})];
    for (let i = 0; i < 500; i++) parts.push(Buffer.concat(encodeData(1, new Uint8Array(0), false)));
    a.send(parts);
    assert.equal(await a.waitGoaway(), H2ErrorCode.ENHANCE_YOUR_CALM);
    await healthy();
  });

  test('zero-window slow read (CVE-2019-9517 class): stalled stream reset after the stall timeout', async () => {
    const a = new Attacker(port);
    // Window 0 for every stream: the server can send nothing of the 4 MiB response.
    a.send([
      encodeSettings([[4, 0]]),
      encodeHeaders(1, new HpackEncoder().encode(REQ).slice(), { endStream: true }),
    ]);
    await new Promise((r) => setTimeout(r, 1200));
    const rst = a.frames.find((f) => f.type === FrameType.RST_STREAM);
    assert.ok(
      rst?.type === FrameType.RST_STREAM && rst.errorCode === H2ErrorCode.CANCEL,
      'stalled stream reset',
    );
    await healthy();
    a.socket.destroy();
  });

  test('stream-id exhaustion: highest id served, lower id afterwards -> PROTOCOL_ERROR', async () => {
    const a = new Attacker(port);
    const enc = new HpackEncoder();
    const hello = [...REQ.slice(0, 2), [':path', '/hello'], REQ[3]] as const;
    a.send([encodeHeaders(0x7fffffff, enc.encode(hello).slice(), { endStream: true })]);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(a.frames.some((f) => f.type === FrameType.HEADERS && f.streamId === 0x7fffffff));
    a.send([encodeHeaders(1, enc.encode(hello).slice(), { endStream: true })]);
    assert.equal(await a.waitGoaway(), H2ErrorCode.PROTOCOL_ERROR);
  });

  test('the server still serves after every attack', async () => {
    await healthy();
  });
});
