import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { Http2WebTransportSession } from '../../src/webtransport/http2-session.js';
import { DEFAULT_WEBTRANSPORT_LIMITS, resolveWebTransportLimits } from '../../src/webtransport/limits.js';

test('defaults are finite and frozen; overrides merge; unknown keys and bad values are refused', () => {
  assert.ok(Object.isFrozen(DEFAULT_WEBTRANSPORT_LIMITS));
  for (const v of Object.values(DEFAULT_WEBTRANSPORT_LIMITS)) assert.ok(Number.isFinite(v));
  const l = resolveWebTransportLimits({ maxIncomingUniStreams: 3 });
  assert.equal(l.maxIncomingUniStreams, 3);
  assert.equal(l.maxIncomingBidiStreams, DEFAULT_WEBTRANSPORT_LIMITS.maxIncomingBidiStreams);
  assert.throws(() => resolveWebTransportLimits({ maxStreams: 1 } as never), UsageError);
  assert.throws(() => resolveWebTransportLimits({ maxDatagramBytes: -1 }), UsageError);
  assert.throws(
    () => new Http2WebTransportSession({ role: 'client', limits: { maxStreamCapsuleBytes: 0 } }),
    UsageError,
  );
});
