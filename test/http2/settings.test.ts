import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import {
  INITIAL_SETTINGS,
  SettingsId,
  applySetting,
  settingsToPairs,
  validateSetting,
  type Http2Settings,
} from '../../src/http2/settings.js';

function assertConnError(fn: () => unknown, wireCode: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof H2Error);
    assert.equal(e.scope, 'connection');
    assert.equal(e.wireCode, wireCode);
    return true;
  });
}

test('identifiers and initial values match RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1', () => {
  assert.deepEqual(
    [
      SettingsId.HEADER_TABLE_SIZE,
      SettingsId.ENABLE_PUSH,
      SettingsId.MAX_CONCURRENT_STREAMS,
      SettingsId.INITIAL_WINDOW_SIZE,
      SettingsId.MAX_FRAME_SIZE,
      SettingsId.MAX_HEADER_LIST_SIZE,
      SettingsId.ENABLE_CONNECT_PROTOCOL,
      SettingsId.NO_RFC7540_PRIORITIES,
    ],
    [1, 2, 3, 4, 5, 6, 8, 9],
  );
  assert.ok(Object.isFrozen(INITIAL_SETTINGS));
  assert.equal(INITIAL_SETTINGS.headerTableSize, 4096);
  assert.equal(INITIAL_SETTINGS.enablePush, true);
  assert.equal(INITIAL_SETTINGS.maxConcurrentStreams, Infinity);
  assert.equal(INITIAL_SETTINGS.initialWindowSize, 65535);
  assert.equal(INITIAL_SETTINGS.maxFrameSize, 16384);
  assert.equal(INITIAL_SETTINGS.maxHeaderListSize, Infinity);
  assert.equal(INITIAL_SETTINGS.enableConnectProtocol, false);
});

test('boolean settings accept 0 and 1 only: else PROTOCOL_ERROR', () => {
  for (const id of [
    SettingsId.ENABLE_PUSH,
    SettingsId.ENABLE_CONNECT_PROTOCOL,
    SettingsId.NO_RFC7540_PRIORITIES,
  ]) {
    assert.equal(validateSetting(id, 0), true);
    assert.equal(validateSetting(id, 1), true);
    assertConnError(() => validateSetting(id, 2), H2ErrorCode.PROTOCOL_ERROR);
    assertConnError(() => validateSetting(id, 0xffffffff), H2ErrorCode.PROTOCOL_ERROR);
  }
});

test('INITIAL_WINDOW_SIZE above 2^31-1 is FLOW_CONTROL_ERROR', () => {
  assert.equal(validateSetting(SettingsId.INITIAL_WINDOW_SIZE, 0), true);
  assert.equal(validateSetting(SettingsId.INITIAL_WINDOW_SIZE, 0x7fffffff), true);
  assertConnError(
    () => validateSetting(SettingsId.INITIAL_WINDOW_SIZE, 0x80000000),
    H2ErrorCode.FLOW_CONTROL_ERROR,
  );
  assertConnError(
    () => validateSetting(SettingsId.INITIAL_WINDOW_SIZE, 0xffffffff),
    H2ErrorCode.FLOW_CONTROL_ERROR,
  );
});

test('MAX_FRAME_SIZE within 16384..16777215, else PROTOCOL_ERROR', () => {
  assert.equal(validateSetting(SettingsId.MAX_FRAME_SIZE, 16384), true);
  assert.equal(validateSetting(SettingsId.MAX_FRAME_SIZE, 16777215), true);
  for (const bad of [0, 16383, 16777216, 0xffffffff]) {
    assertConnError(() => validateSetting(SettingsId.MAX_FRAME_SIZE, bad), H2ErrorCode.PROTOCOL_ERROR);
  }
});

test('unbounded settings take any 32-bit value; unknown identifiers are ignored', () => {
  for (const id of [
    SettingsId.HEADER_TABLE_SIZE,
    SettingsId.MAX_CONCURRENT_STREAMS,
    SettingsId.MAX_HEADER_LIST_SIZE,
  ]) {
    assert.equal(validateSetting(id, 0), true);
    assert.equal(validateSetting(id, 0xffffffff), true);
  }
  // RFC 9113 §6.5.2: an unknown or unsupported identifier is ignored, whatever its value.
  assert.equal(validateSetting(0x7, 99), false);
  assert.equal(validateSetting(0xffff, 0xffffffff), false);
  const s: Http2Settings = { ...INITIAL_SETTINGS };
  applySetting(s, 0xffff, 1);
  assert.deepEqual(s, { ...INITIAL_SETTINGS });
});

test('applySetting updates the matching field', () => {
  const s: Http2Settings = { ...INITIAL_SETTINGS };
  applySetting(s, SettingsId.HEADER_TABLE_SIZE, 0);
  applySetting(s, SettingsId.ENABLE_PUSH, 0);
  applySetting(s, SettingsId.MAX_CONCURRENT_STREAMS, 7);
  applySetting(s, SettingsId.INITIAL_WINDOW_SIZE, 1 << 20);
  applySetting(s, SettingsId.MAX_FRAME_SIZE, 32768);
  applySetting(s, SettingsId.MAX_HEADER_LIST_SIZE, 8192);
  applySetting(s, SettingsId.ENABLE_CONNECT_PROTOCOL, 1);
  applySetting(s, SettingsId.NO_RFC7540_PRIORITIES, 1);
  assert.deepEqual(s, {
    headerTableSize: 0,
    enablePush: false,
    maxConcurrentStreams: 7,
    initialWindowSize: 1 << 20,
    maxFrameSize: 32768,
    maxHeaderListSize: 8192,
    enableConnectProtocol: true,
    noRfc7540Priorities: true,
  });
  applySetting(s, SettingsId.ENABLE_PUSH, 1);
  assert.equal(s.enablePush, true);
});

test('settingsToPairs: initial values are not sent, finite limits are', () => {
  assert.deepEqual(settingsToPairs(INITIAL_SETTINGS, true), []);
  // A client that refuses push says so explicitly.
  assert.deepEqual(settingsToPairs({ ...INITIAL_SETTINGS, enablePush: false }, false), [
    [SettingsId.ENABLE_PUSH, 0],
  ]);
  // RFC 9113 §8.4: a server never sends ENABLE_PUSH 1 (nor 0 here: it is meaningless from a server).
  assert.deepEqual(settingsToPairs({ ...INITIAL_SETTINGS, enablePush: false }, true), []);
  const local: Http2Settings = {
    headerTableSize: 8192,
    enablePush: false,
    maxConcurrentStreams: 100,
    initialWindowSize: 1 << 20,
    maxFrameSize: 65536,
    maxHeaderListSize: 65536,
    enableConnectProtocol: true,
    noRfc7540Priorities: true,
  };
  assert.deepEqual(settingsToPairs(local, true), [
    [SettingsId.HEADER_TABLE_SIZE, 8192],
    [SettingsId.MAX_CONCURRENT_STREAMS, 100],
    [SettingsId.INITIAL_WINDOW_SIZE, 1 << 20],
    [SettingsId.MAX_FRAME_SIZE, 65536],
    [SettingsId.MAX_HEADER_LIST_SIZE, 65536],
    [SettingsId.ENABLE_CONNECT_PROTOCOL, 1],
    [SettingsId.NO_RFC7540_PRIORITIES, 1],
  ]);
  // RFC 8441 §3: ENABLE_CONNECT_PROTOCOL is a server's announcement; a client does not send it.
  const client = settingsToPairs(local, false);
  assert.ok(!client.some((p) => p[0] === SettingsId.ENABLE_CONNECT_PROTOCOL));
  assert.ok(client.some((p) => p[0] === SettingsId.ENABLE_PUSH && p[1] === 0));
  // Every pair produced is itself valid on receipt.
  for (const [id, v] of client) assert.equal(validateSetting(id, v), true);
});
