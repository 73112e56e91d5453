import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuicError, UsageError } from '../../src/common/errors.js';
import { TransportErrorCode } from '../../src/quic/errors.js';
import {
  DEFAULT_TRANSPORT_PARAMETERS,
  checkConnectionIdParameters,
  decodeTransportParameters,
  encodeTransportParameters,
  isZeroRttCompatible,
} from '../../src/quic/transport-params.js';
import type { TransportParameters } from '../../src/quic/transport-params.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array | undefined): string => (b === undefined ? '-' : Buffer.from(b).toString('hex'));

function expectTpError(bytes: Uint8Array, role: 'client' | 'server' = 'server'): void {
  assert.throws(
    () => decodeTransportParameters(bytes, role),
    (e: unknown) => e instanceof QuicError && e.wireCode === TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
  );
}

test('RFC 9001 A.2 ClientHello transport parameters', () => {
  const tp = decodeTransportParameters(
    hex(
      '0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff',
    ),
    'client',
  );
  assert.equal(tp.initialMaxData, Number.MAX_SAFE_INTEGER);
  assert.equal(tp.initialMaxStreamDataBidiLocal, 65535);
  assert.equal(tp.initialMaxStreamDataBidiRemote, 65535);
  assert.equal(tp.initialMaxStreamDataUni, 65535);
  assert.equal(tp.initialMaxStreamsBidi, 16);
  assert.equal(tp.initialMaxStreamsUni, 16);
  assert.equal(tp.maxIdleTimeoutMs, 30000);
  assert.equal(toHex(tp.initialSourceConnectionId), '8394c8f03e515708');
  assert.equal(tp.ackDelayExponent, 3);
  assert.equal(tp.maxAckDelayMs, 25);
  assert.equal(tp.maxUdpPayloadSize, 65527);
  assert.equal(tp.activeConnectionIdLimit, 2);
  assert.equal(tp.maxDatagramFrameSize, undefined);
});

test('server parameters round trip, defaults omitted', () => {
  const tp: TransportParameters = {
    ...DEFAULT_TRANSPORT_PARAMETERS,
    originalDestinationConnectionId: hex('0102'),
    statelessResetToken: hex('00112233445566778899aabbccddeeff'),
    maxIdleTimeoutMs: 10000,
    maxUdpPayloadSize: 1472,
    initialMaxData: 1 << 20,
    initialMaxStreamsBidi: 2 ** 60,
    ackDelayExponent: 20,
    maxAckDelayMs: 2 ** 14 - 1,
    disableActiveMigration: true,
    preferredAddress: {
      ipv4Address: hex('7f000001'),
      ipv4Port: 4433,
      ipv6Address: new Uint8Array(16),
      ipv6Port: 0,
      connectionId: hex('aabbcc'),
      statelessResetToken: new Uint8Array(16).fill(9),
    },
    activeConnectionIdLimit: 8,
    initialSourceConnectionId: hex(''),
    retrySourceConnectionId: hex('99'),
    maxDatagramFrameSize: 65535,
    greaseQuicBit: true,
  };
  const bytes = encodeTransportParameters(tp, 'server');
  assert.deepEqual(decodeTransportParameters(bytes, 'server'), tp);
  assert.equal(encodeTransportParameters(DEFAULT_TRANSPORT_PARAMETERS, 'client').length, 0);
  assert.throws(() => encodeTransportParameters(tp, 'client'), UsageError);
});

test('invalid values are TRANSPORT_PARAMETER_ERROR (RFC 9000 §18.2, §7.4)', () => {
  expectTpError(hex('03 02 44af')); // max_udp_payload_size 1199
  expectTpError(hex('0a 01 15')); // ack_delay_exponent 21
  expectTpError(hex('0b 04 80004000')); // max_ack_delay 2^14
  expectTpError(hex('0e 01 01')); // active_connection_id_limit 1
  expectTpError(hex('08 08 d000000000000001')); // initial_max_streams_bidi 2^60 + 1
  expectTpError(hex('09 08 d000000000000001'));
  expectTpError(hex('01 01 05 01 01 06')); // duplicate
  expectTpError(hex('01 02 05')); // value shorter than declared
  expectTpError(hex('01 02 0505')); // integer not filling the value
  expectTpError(hex('01')); // truncated
  expectTpError(hex('02 0f' + '00'.repeat(15))); // short reset token
  expectTpError(hex('0c 01 00')); // disable_active_migration with a value
  expectTpError(hex('0f 15' + '00'.repeat(21))); // 21-byte connection ID
  // preferred_address with a zero-length connection ID, or the wrong size
  expectTpError(hex('0d 29' + '00'.repeat(24) + '00' + '00'.repeat(16)));
  expectTpError(hex('0d 2a' + '00'.repeat(24) + '01 aa' + '00'.repeat(15)));
  // server-only parameters from a client
  for (const p of ['00 00', '02 10' + '00'.repeat(16), '10 01 aa']) expectTpError(hex(p), 'client');
  assert.equal(decodeTransportParameters(hex('10 01 aa'), 'server').retrySourceConnectionId?.length, 1);
});

test('unknown and GREASE ids are ignored; limits at the edge accepted', () => {
  const tp = decodeTransportParameters(
    hex('1b 03 010203  4a4a 00  ff00000000000000 00  03 02 44b0  0a 01 14  0e 01 02  08 08 d000000000000000'),
    'client',
  );
  assert.equal(tp.maxUdpPayloadSize, 1200);
  assert.equal(tp.ackDelayExponent, 20);
  assert.equal(tp.activeConnectionIdLimit, 2);
  assert.equal(tp.initialMaxStreamsBidi, 2 ** 60);
});

test('connection ID authentication (RFC 9000 §7.3)', () => {
  const server = {
    ...DEFAULT_TRANSPORT_PARAMETERS,
    initialSourceConnectionId: hex('05'),
    originalDestinationConnectionId: hex('01'),
  };
  checkConnectionIdParameters(server, 'server', { peerInitialScid: hex('05'), originalDcid: hex('01') });
  const bad = (tp: TransportParameters, ids: Parameters<typeof checkConnectionIdParameters>[2]): void => {
    assert.throws(
      () => {
        checkConnectionIdParameters(tp, 'server', ids);
      },
      (e: unknown) => e instanceof QuicError && e.wireCode === TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
    );
  };
  bad(server, { peerInitialScid: hex('06'), originalDcid: hex('01') });
  bad(server, { peerInitialScid: hex('05'), originalDcid: hex('02') });
  bad(server, { peerInitialScid: hex('05'), originalDcid: hex('01'), retryScid: hex('07') });
  bad(
    { ...server, retrySourceConnectionId: hex('07') },
    { peerInitialScid: hex('05'), originalDcid: hex('01') },
  );
  checkConnectionIdParameters({ ...server, retrySourceConnectionId: hex('07') }, 'server', {
    peerInitialScid: hex('05'),
    originalDcid: hex('01'),
    retryScid: hex('07'),
  });
  checkConnectionIdParameters(
    { ...DEFAULT_TRANSPORT_PARAMETERS, initialSourceConnectionId: hex('') },
    'client',
    {
      peerInitialScid: hex(''),
    },
  );
  assert.throws(() => {
    checkConnectionIdParameters(DEFAULT_TRANSPORT_PARAMETERS, 'client', { peerInitialScid: hex('') });
  });
});

test('0-RTT compatibility: equal or larger limits pass, any shrunk limit fails (RFC 9001 §4.6.3)', () => {
  const base: TransportParameters = {
    ...DEFAULT_TRANSPORT_PARAMETERS,
    initialMaxData: 1000,
    initialMaxStreamDataBidiLocal: 100,
    initialMaxStreamDataBidiRemote: 100,
    initialMaxStreamDataUni: 100,
    initialMaxStreamsBidi: 10,
    initialMaxStreamsUni: 3,
    activeConnectionIdLimit: 4,
    maxDatagramFrameSize: 1200,
  };
  assert.equal(isZeroRttCompatible(base, base), true);
  assert.equal(isZeroRttCompatible(base, { ...base, initialMaxData: 2000, maxIdleTimeoutMs: 1 }), true);
  for (const key of [
    'initialMaxData',
    'initialMaxStreamDataBidiLocal',
    'initialMaxStreamDataBidiRemote',
    'initialMaxStreamDataUni',
    'initialMaxStreamsBidi',
    'initialMaxStreamsUni',
    'activeConnectionIdLimit',
    'maxDatagramFrameSize',
  ] as const) {
    assert.equal(isZeroRttCompatible(base, { ...base, [key]: base[key]! - 1 }), false, key);
  }
});
