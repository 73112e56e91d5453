import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { resolveLimits } from '../../src/common/limits.js';
import { Http2Connection } from '../../src/http2/connection.js';
import { DEFAULT_HTTP2_LIMITS, type Http2Limits } from '../../src/http2/limits.js';

function assertLimitError(fn: () => unknown, part: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.code, 'ERR_INVALID_LIMIT');
    assert.ok(e.message.includes(part), `"${e.message}" should mention "${part}"`);
    return true;
  });
}

test('defaults are frozen, finite and as documented', () => {
  assert.ok(Object.isFrozen(DEFAULT_HTTP2_LIMITS));
  assert.throws(() => {
    (DEFAULT_HTTP2_LIMITS as { maxConcurrentStreams: number }).maxConcurrentStreams = 1;
  }, TypeError);
  // STYLE §3.5: nothing unlimited by default.
  for (const [k, v] of Object.entries(DEFAULT_HTTP2_LIMITS)) {
    assert.equal(typeof v, 'number', k);
    assert.ok(Number.isFinite(v) && v > 0, `${k} = ${String(v)}`);
  }
  assert.equal(DEFAULT_HTTP2_LIMITS.maxConcurrentStreams, 100); // RFC 9113 §6.5.2: at least 100
  assert.equal(DEFAULT_HTTP2_LIMITS.initialWindowSize, 65535); // RFC 9113 §6.9.2
  assert.equal(DEFAULT_HTTP2_LIMITS.maxFrameSize, 16384); // RFC 9113 §4.2
  assert.equal(DEFAULT_HTTP2_LIMITS.headerTableSize, 4096); // RFC 7541 §4.2
  assert.equal(DEFAULT_HTTP2_LIMITS.settingsTimeoutMs, 10000);
  assert.ok(DEFAULT_HTTP2_LIMITS.maxReceiveWindowSize >= DEFAULT_HTTP2_LIMITS.connectionWindowSize);
  assert.ok(DEFAULT_HTTP2_LIMITS.connectionWindowSize <= 0x7fffffff);
});

test('overrides merge into a new frozen object; the defaults stay untouched', () => {
  const l = resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, { maxConcurrentStreams: 10 });
  assert.ok(Object.isFrozen(l));
  assert.equal(l.maxConcurrentStreams, 10);
  assert.equal(l.maxFrameSize, DEFAULT_HTTP2_LIMITS.maxFrameSize);
  assert.equal(DEFAULT_HTTP2_LIMITS.maxConcurrentStreams, 100);
  // Infinity must be asked for explicitly, and then it is accepted.
  assert.equal(
    resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, { maxResetBurst: Infinity }).maxResetBurst,
    Infinity,
  );
});

test('unknown keys, wrong types and negative values are rejected', () => {
  const bad = (o: unknown): Partial<Http2Limits> => o as Partial<Http2Limits>;
  assertLimitError(
    () => resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, bad({ maxStreams: 1 })),
    "unknown limit 'maxStreams'",
  );
  assertLimitError(
    () => resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, bad({ maxFrameSize: '16384' })),
    'maxFrameSize',
  );
  assertLimitError(
    () => resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, { maxConcurrentStreams: -1 }),
    'maxConcurrentStreams',
  );
  assertLimitError(
    () => resolveLimits('Http2Limits', DEFAULT_HTTP2_LIMITS, { settingsTimeoutMs: NaN }),
    'settingsTimeoutMs',
  );
});

test('the connection validates protocol ranges of its limits', () => {
  // RFC 9113 §6.5.2: SETTINGS_MAX_FRAME_SIZE 16384..16777215.
  assertLimitError(
    () => new Http2Connection({ role: 'server', limits: { maxFrameSize: 16383 } }),
    'maxFrameSize',
  );
  assertLimitError(
    () => new Http2Connection({ role: 'server', limits: { maxFrameSize: 16777216 } }),
    'maxFrameSize',
  );
  // RFC 9113 §6.9.1: windows at most 2^31-1.
  assertLimitError(
    () => new Http2Connection({ role: 'client', limits: { initialWindowSize: 0x80000000 } }),
    'window',
  );
  assertLimitError(
    () => new Http2Connection({ role: 'client', limits: { connectionWindowSize: 0x80000000 } }),
    'window',
  );
  assertLimitError(
    () => new Http2Connection({ role: 'client', limits: { bogus: 1 } as unknown as Partial<Http2Limits> }),
    'bogus',
  );
  // In-range values are accepted and announced.
  const c = new Http2Connection({
    role: 'server',
    limits: { maxFrameSize: 16777215, initialWindowSize: 0x7fffffff },
  });
  assert.equal(c.localSettings.maxFrameSize, 16777215);
  assert.equal(c.localSettings.initialWindowSize, 0x7fffffff);
});
