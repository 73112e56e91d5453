/** Each named limit of src/http2/limits.ts, exceeded: the answer the RFC (or CVE mitigation) calls for. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { HpackEncoder } from '../../src/hpack/index.js';
import { Http2Connection } from '../../src/http2/connection.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import {
  FrameType,
  encodeContinuation,
  encodeData,
  encodeHeaders,
  encodePing,
  encodePriority,
  encodeRstStream,
  encodeSettings,
  writeFrameHeader,
} from '../../src/http2/frame/index.js';
import { DEFAULT_HTTP2_LIMITS } from '../../src/http2/limits.js';
import { Pair, RawClient, concat, frames } from './harness.js';

const REQ = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'localhost'],
] as const;

function goawayCode(c: RawClient): number | undefined {
  for (const f of c.output()) if (f.type === FrameType.GOAWAY) return f.errorCode;
  return undefined;
}

function expectCalm(c: RawClient, err: unknown): void {
  assert.ok(err instanceof H2Error, String(err));
  assert.equal(err.wireCode, H2ErrorCode.ENHANCE_YOUR_CALM, err.message);
  assert.equal(goawayCode(c), H2ErrorCode.ENHANCE_YOUR_CALM);
}

test('defaults are frozen and finite', () => {
  assert.ok(Object.isFrozen(DEFAULT_HTTP2_LIMITS));
  for (const [k, v] of Object.entries(DEFAULT_HTTP2_LIMITS)) assert.ok(Number.isFinite(v), k);
  assert.throws(() => new Http2Connection({ role: 'server', limits: { bogus: 1 } as never }));
});

test('rapid reset (CVE-2023-44487): resets beyond the budget -> GOAWAY ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxResetBurst: 50 } });
  const enc = new HpackEncoder();
  let err: unknown;
  let id = 1;
  for (; id < 400 && err === undefined; id += 2) {
    err = c.send(
      encodeHeaders(id, enc.encode(REQ).slice(), { endStream: true }),
      encodeRstStream(id, H2ErrorCode.CANCEL),
    );
  }
  expectCalm(c, err);
  assert.ok(id > 100 && id < 110, `cut off after ${id} streams`);
});

test('rapid reset budget refills with time', () => {
  const c = new RawClient({ limits: { maxResetBurst: 10, resetRefillPerSecond: 10 } });
  const enc = new HpackEncoder();
  for (let id = 1; id < 200; id += 2) {
    c.nowMs += 200; // 2 tokens per 200 ms; one reset each step never exhausts the budget
    assert.equal(
      c.send(encodeHeaders(id, enc.encode(REQ).slice(), { endStream: true }), encodeRstStream(id, 8)),
      undefined,
    );
    c.output();
  }
});

test('CONTINUATION flood (CVE-2024-27316 class): frame count bounded', () => {
  const c = new RawClient({ limits: { maxContinuationFrames: 8 } });
  const parts = [encodeHeaders(1, new Uint8Array([0x82]), {})];
  parts[0]![4] = 0x1; // END_STREAM, no END_HEADERS
  for (let i = 0; i < 20; i++) parts.push(encodeContinuation(1, new Uint8Array([0x82]), false));
  expectCalm(c, c.send(...parts));
});

test('CONTINUATION flood: block size bounded', () => {
  const c = new RawClient({ limits: { maxHeaderBlockSize: 4096 } });
  const h = encodeHeaders(1, new Uint8Array(0), {});
  h[4] = 0x1;
  const parts = [h];
  // Literal bytes that never finish a representation: the decoder keeps carrying, the limit cuts.
  for (let i = 0; i < 10; i++) parts.push(encodeContinuation(1, new Uint8Array(1000).fill(0x20), false));
  expectCalm(c, c.send(...parts));
});

test('HPACK bomb: header list size enforced while decoding -> COMPRESSION_ERROR', () => {
  const c = new RawClient({ limits: { maxHeaderListSize: 4096 } });
  const enc = new HpackEncoder();
  // One 4000-octet field goes into the dynamic table; then 100 one-octet references to it.
  const first = enc.encode([...REQ, ['x-big', 'a'.repeat(3000)]]).slice();
  assert.equal(c.send(encodeHeaders(1, first, { endStream: true })), undefined);
  const bomb = new Uint8Array(100).fill(0xbe); // indexed field 62: the x-big entry
  const err = c.send(encodeHeaders(3, concat([enc.encode(REQ), bomb]), { endStream: true }));
  assert.ok(err instanceof H2Error && err.wireCode === H2ErrorCode.COMPRESSION_ERROR, String(err));
});

test('SETTINGS flood (CVE-2019-9515) -> ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxControlFrameBurst: 100 } });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) parts.push(encodeSettings([]));
  expectCalm(c, c.send(...parts));
});

test('PING flood (CVE-2019-9512) -> ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxControlFrameBurst: 100 } });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) parts.push(encodePing(new Uint8Array(8)));
  expectCalm(c, c.send(...parts));
});

test('PING ACKs the peer does not read are bounded (maxPendingControlFrames)', () => {
  const c = new RawClient({ limits: { maxPendingControlFrames: 50, maxControlFrameBurst: 100000 } });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 60; i++) parts.push(encodePing(new Uint8Array(8)));
  expectCalm(c, c.send(...parts));
});

test('PRIORITY flood (CVE-2019-9513) -> ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxControlFrameBurst: 100 } });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 200; i++)
    parts.push(encodePriority(2 * i + 1, { exclusive: false, dependency: 0, weight: 1 }));
  expectCalm(c, c.send(...parts));
});

test('empty DATA flood (CVE-2019-9518) -> ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxEmptyFrameBurst: 20 } });
  const enc = new HpackEncoder();
  const parts = [encodeHeaders(1, enc.encode([...REQ.slice(1), [':method', 'POST']]).slice(), {})];
  for (let i = 0; i < 50; i++) parts.push(concat(encodeData(1, new Uint8Array(0), false)));
  expectCalm(c, c.send(...parts));
});

test('zero-length HEADERS / CONTINUATION flood -> ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxEmptyFrameBurst: 20, maxContinuationFrames: 1000 } });
  const h = encodeHeaders(1, new Uint8Array(0), {});
  h[4] = 0x1;
  const parts = [h];
  for (let i = 0; i < 50; i++) parts.push(encodeContinuation(1, new Uint8Array(0), false));
  expectCalm(c, c.send(...parts));
});

test('unknown-type frame flood -> ENHANCE_YOUR_CALM', () => {
  const c = new RawClient({ limits: { maxControlFrameBurst: 100 } });
  const f = new Uint8Array(9);
  writeFrameHeader(f, 0, 0, 0xee, 0, 0);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) parts.push(f);
  expectCalm(c, c.send(...parts));
});

test('SETTINGS timeout: no ACK within settingsTimeoutMs -> SETTINGS_TIMEOUT', () => {
  const s = new Http2Connection({ role: 'server', nowMs: 1000, limits: { settingsTimeoutMs: 500 } });
  assert.equal(s.nextDeadline(), 1500);
  s.handleTimeout(1400);
  assert.throws(
    () => {
      s.handleTimeout(1500);
    },
    (e: unknown) => e instanceof H2Error && e.wireCode === H2ErrorCode.SETTINGS_TIMEOUT,
  );
  const out = frames(concat(s.takeOutput()));
  assert.ok(out.some((f) => f.type === FrameType.GOAWAY && f.errorCode === H2ErrorCode.SETTINGS_TIMEOUT));
});

test('zero-window stall: a stream held at window 0 is reset after flowControlStallTimeoutMs', () => {
  const p = new Pair(
    { limits: { maxReceiveWindowSize: 65535 } },
    { limits: { flowControlStallTimeoutMs: 1000 } },
  );
  p.pump();
  const id = p.client.request(REQ, { endStream: true });
  p.pump();
  p.server.respond(id, [[':status', '200']]);
  p.server.sendData(id, new Uint8Array(100000), true);
  p.pump(); // client never calls consumed(): its window stays closed
  assert.equal(p.server.sendWindow(id), 0);
  const deadline = p.server.nextDeadline();
  assert.ok(deadline !== undefined && deadline <= p.nowMs + 1000);
  p.server.handleTimeout(p.nowMs + 1000);
  p.pump();
  assert.ok(p.clientEvents.some((e) => e.type === 'streamReset' && e.errorCode === H2ErrorCode.CANCEL));
});

test('zero connection window stall -> GOAWAY', () => {
  const p = new Pair(
    { limits: { connectionWindowSize: 65535, initialWindowSize: 1 << 20, maxReceiveWindowSize: 65535 } },
    { limits: { flowControlStallTimeoutMs: 1000 } },
  );
  p.pump();
  const id = p.client.request(REQ, { endStream: true });
  p.pump();
  p.server.respond(id, [[':status', '200']]);
  p.server.sendData(id, new Uint8Array(100000), true);
  p.pump();
  assert.equal(p.server.sendWindow(0), 0);
  assert.throws(
    () => {
      p.server.handleTimeout(p.nowMs + 1000);
    },
    (e: unknown) => e instanceof H2Error && e.wireCode === H2ErrorCode.ENHANCE_YOUR_CALM,
  );
});

test('stream-id exhaustion: the highest id is usable, then the peer cannot go lower', () => {
  const c = new RawClient();
  const enc = new HpackEncoder();
  assert.equal(c.send(encodeHeaders(0x7fffffff, enc.encode(REQ).slice(), { endStream: true })), undefined);
  assert.ok(c.events().some((e) => e.type === 'request' && e.streamId === 0x7fffffff));
  const err = c.send(encodeHeaders(5, enc.encode(REQ).slice(), { endStream: true }));
  assert.ok(err instanceof H2Error && err.wireCode === H2ErrorCode.PROTOCOL_ERROR);
});
