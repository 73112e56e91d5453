import assert from 'node:assert/strict';
import { createServer as netServer, type Server as NetServer } from 'node:net';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import * as serverApi from '../../src/server/index.js';
import { createServer } from '../../src/server/index.js';
import { NativeError } from '../../src/transport/binding.js';
import {
  formatAddress,
  listenError,
  toError,
  TransportError,
  TransportErrorCode,
  validatePort,
} from '../../src/transport/errors.js';
import { NativeTransport } from '../../src/transport/native.js';
import { NetTransport } from '../../src/transport/net.js';
import { listenQuiche } from '../../src/transport/quic-quiche.js';
import type { ListenOptions, Transport } from '../../src/transport/socket.js';
import { TlsTransport } from '../../src/transport/tls.js';

const transports: [string, () => Transport | undefined][] = [
  ['native', () => NativeTransport.create(undefined, true)],
  ['net', () => new NetTransport()],
  ['tls', () => new TlsTransport({})],
];

const BAD_PORTS: unknown[] = [70000, 65536, -1, 1.5, Number.NaN, Infinity, '80', undefined];

function options(port: number): ListenOptions {
  return { host: '127.0.0.1', port, backlog: 16, reusePort: false };
}

/** A port held by a plain node:net listener for the duration of `fn`. */
async function withBusyPort(fn: (port: number) => Promise<void>): Promise<void> {
  const holder: NetServer = netServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const addr = holder.address();
  assert.ok(typeof addr === 'object' && addr !== null);
  try {
    await fn(addr.port);
  } finally {
    await new Promise<void>((resolve) =>
      holder.close(() => {
        resolve();
      }),
    );
  }
}

test('TransportError: stable code, details, cause, name', () => {
  const cause = new Error('boom');
  const e = new TransportError('ERR_ADDRESS_IN_USE', 'taken', {
    cause,
    errno: 'EADDRINUSE',
    syscall: 'listen',
    address: '::1',
    port: 8080,
  });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'TransportError');
  assert.equal(e.code, TransportErrorCode.ADDRESS_IN_USE);
  assert.equal(e.cause, cause);
  assert.deepEqual(
    [e.errno, e.syscall, e.address, e.port, e.wireCode],
    ['EADDRINUSE', 'listen', '::1', 8080, undefined],
  );
  assert.ok(String(e).startsWith('TransportError: taken'));
  const bare = new TransportError('ERR_CONNECTION_CLOSED', 'closed');
  assert.equal(bare.cause, undefined);
  assert.equal(Object.hasOwn(bare, 'cause'), false, 'no cause property unless one was given');
  assert.equal(new TransportError('ERR_STREAM_RESET', 'r', { wireCode: 8 }).wireCode, 8);
});

test('TransportErrorCode: ERR_ prefixed, unique, frozen at the type level', () => {
  const codes = Object.values(TransportErrorCode);
  assert.deepEqual(codes.slice().sort(), [
    'ERR_ADDRESS_IN_USE',
    'ERR_CONNECTION_CLOSED',
    'ERR_CONNECTION_CLOSING',
    'ERR_FILE_TRUNCATED',
    'ERR_LISTEN_FAILED',
    'ERR_NON_ERROR_THROWN',
    'ERR_RESPONSE_BODY_TOO_LARGE',
    'ERR_SOCKET_CLOSED',
    'ERR_SOCKET_ERROR',
    'ERR_STREAM_RESET',
  ]);
  assert.equal(new Set(codes).size, codes.length);
});

test('hayate/server exports TransportError, its codes, NativeError and UsageError', () => {
  assert.equal(serverApi.TransportError, TransportError);
  assert.equal(serverApi.TransportErrorCode, TransportErrorCode);
  assert.equal(serverApi.NativeError, NativeError);
  assert.equal(serverApi.UsageError, UsageError);
});

test('validatePort: integers 0..65535 pass, anything else is ERR_INVALID_PORT', () => {
  for (const p of [0, 1, 80, 65535]) assert.equal(validatePort(p), p);
  for (const p of BAD_PORTS) {
    assert.throws(
      () => validatePort(p),
      (e: unknown) =>
        e instanceof UsageError && e.code === 'ERR_INVALID_PORT' && /0 to 65535/.test(e.message),
      String(p),
    );
  }
});

test('listenError: EADDRINUSE from node:net or the addon is ERR_ADDRESS_IN_USE; others ERR_LISTEN_FAILED', () => {
  const fromNet = Object.assign(new Error('listen EADDRINUSE'), {
    code: 'EADDRINUSE',
    errno: -98,
    syscall: 'listen',
  });
  const a = listenError(fromNet, '127.0.0.1', 8080);
  assert.equal(a.code, 'ERR_ADDRESS_IN_USE');
  assert.equal(a.message, 'address 127.0.0.1:8080 is already in use');
  assert.deepEqual(
    [a.errno, a.syscall, a.address, a.port, a.cause],
    ['EADDRINUSE', 'listen', '127.0.0.1', 8080, fromNet],
  );
  const native = new NativeError('listen', -98 - 1000);
  const b = listenError(native, '::1', 1);
  // Whatever the addon's table says, the errno name comes from NativeError.errno.
  assert.equal(b.errno, native.errno);
  assert.equal(b.cause, native);
  assert.match(b.message, /\[::1\]:1/);
  const denied = listenError(Object.assign(new Error('x'), { code: 'EACCES', syscall: 'listen' }), 'h', 80);
  assert.equal(denied.code, 'ERR_LISTEN_FAILED');
  assert.equal(denied.message, 'cannot listen on h:80: EACCES');
  assert.equal(listenError('odd', 'h', 1).errno, 'EUNKNOWN');
  assert.equal(formatAddress('fe80::1', 443), '[fe80::1]:443');
});

test('toError: keeps Errors, wraps other values as ERR_NON_ERROR_THROWN with the value as cause', () => {
  const e = new RangeError('r');
  assert.equal(toError(e), e);
  const w = toError('text');
  assert.ok(w instanceof TransportError);
  assert.equal(w.code, 'ERR_NON_ERROR_THROWN');
  assert.equal(w.message, 'text');
  assert.equal(w.cause, 'text');
});

for (const [name, make] of transports) {
  test(`${name} transport: a port outside 0..65535 is ERR_INVALID_PORT, before any socket is made`, async (t) => {
    const transport = make();
    if (transport === undefined) {
      if (process.env['CI'] !== undefined) assert.fail('native addon missing in CI');
      t.skip('native addon not built');
      return;
    }
    for (const port of BAD_PORTS) {
      await assert.rejects(
        transport.listen(options(port as number), () => undefined),
        (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_PORT',
        `port ${String(port)}`,
      );
    }
  });

  test(`${name} transport: a busy port is TransportError ERR_ADDRESS_IN_USE naming host:port`, async (t) => {
    const transport = make();
    if (transport === undefined) {
      if (process.env['CI'] !== undefined) assert.fail('native addon missing in CI');
      t.skip('native addon not built');
      return;
    }
    await withBusyPort(async (port) => {
      const err = await transport
        .listen(options(port), () => undefined)
        .then(
          (l) => {
            void l.close();
            assert.fail('listen on a busy port succeeded');
          },
          (e: unknown) => e,
        );
      assert.ok(err instanceof TransportError, `got ${String(err)}`);
      assert.equal(err.code, 'ERR_ADDRESS_IN_USE');
      assert.equal(err.errno, 'EADDRINUSE');
      assert.equal(err.syscall, 'listen');
      assert.equal(err.address, '127.0.0.1');
      assert.equal(err.port, port);
      assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
      assert.ok(err.cause instanceof Error, 'the system error is kept');
      if (name === 'native') assert.ok(err.cause instanceof NativeError);
    });
  });
}

test('server.listen: bad port and busy port reject with typed errors; the server can listen afterwards', async () => {
  for (const transport of ['native', 'net'] as const) {
    if (transport === 'native' && NativeTransport.create(undefined, true) === undefined) continue;
    const server = createServer(() => undefined, { transport });
    await assert.rejects(server.listen(70000), { name: 'UsageError', code: 'ERR_INVALID_PORT' });
    await withBusyPort(async (port) => {
      await assert.rejects(server.listen(port), { name: 'TransportError', code: 'ERR_ADDRESS_IN_USE' });
    });
    const addr = await server.listen(0);
    assert.ok(addr.port > 0);
    await server.close();
  }
});

test('listenQuiche: a port outside 0..65535 is ERR_INVALID_PORT (checked before the QUIC package loads)', async () => {
  for (const port of [70000, -1, 2.5]) {
    await assert.rejects(listenQuiche({ port, key: '', cert: '', onConnection: () => undefined }), {
      name: 'UsageError',
      code: 'ERR_INVALID_PORT',
    });
  }
});
