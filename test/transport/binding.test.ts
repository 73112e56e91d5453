import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { check, errnoName, findPackageRoot, loadNative, NativeError } from '../../src/transport/binding.js';
import { NATIVE_ABI_VERSION, NativeErrno, renderNativeHeader } from '../../src/transport/constants.js';

function requireNative(t: { skip(msg: string): void }) {
  const native = loadNative(true);
  if (native === undefined) {
    // The package must work without the addon; CI builds it, so there it must be present.
    if (process.env['CI']) assert.fail('native addon missing in CI');
    t.skip('native addon not built');
  }
  return native;
}

test('native addon loads after npm install and reports its ABI version', (t) => {
  const native = requireNative(t);
  if (native === undefined) return;
  assert.equal(native.abiVersion(), NATIVE_ABI_VERSION);
});

test('native/gen/constants.h is the one generated from src/transport/constants.ts', () => {
  const committed = readFileSync(join(findPackageRoot(), 'native/gen/constants.h'), 'utf8');
  assert.equal(committed, renderNativeHeader(), 'run `npm run build && node native/gen-constants.mjs`');
});

test('errno results map to NativeError with stable codes', (t) => {
  const native = requireNative(t);
  if (native === undefined) return;
  const r = native.close(1_000_000);
  assert.equal(r, -NativeErrno.EBADF);
  assert.equal(errnoName(r), 'EBADF');
  assert.throws(
    () => check('close', r),
    (e: unknown) => e instanceof NativeError && e.code === 'ERR_NATIVE_EBADF' && e.syscall === 'close',
  );
  assert.equal(check('close', 0), 0);
  // A bad address is EINVAL from the addon's own parser; an unmapped errno keeps its platform name.
  assert.equal(native.listen('not-an-ip', 0, 16, false), -NativeErrno.EINVAL);
  assert.equal(errnoName(-(1000 + 2)), 'ENOENT');
  // Binding a port in use without SO_REUSEPORT on either socket is EADDRINUSE.
  const fd = check('listen', native.listen('127.0.0.1', 0, 16, false));
  const port = check('localPort', native.localPort(fd));
  assert.equal(native.listen('127.0.0.1', port, 16, false), -NativeErrno.EADDRINUSE);
  native.close(fd);
});

test('SO_REUSEPORT lets two listeners share a port, IPv4 and IPv6 loopback', (t) => {
  const native = requireNative(t);
  if (native === undefined) return;
  for (const host of ['127.0.0.1', '::1']) {
    const a = native.listen(host, 0, 16, true);
    if (host === '::1' && a === -NativeErrno.EADDRNOTAVAIL) continue; // no IPv6 loopback here
    check('listen', a);
    const port = native.localPort(a);
    const b = check('listen', native.listen(host, port, 16, true));
    assert.equal(native.localPort(b), port);
    native.close(a);
    native.close(b);
  }
});

test('write on a full socket returns a partial count, then EAGAIN', (t) => {
  const native = requireNative(t);
  if (native === undefined) return;
  const pair = native.socketpair();
  assert.ok(Array.isArray(pair));
  const [a, b] = pair;
  native.setSendBuffer(a, 4096);
  const big = new Uint8Array(4 * 1024 * 1024);
  const first = native.write(a, big, 0, big.length);
  assert.ok(first > 0 && first < big.length, `partial write, got ${first}`);
  let r = first;
  while (r > 0) r = native.write(a, big, 0, big.length);
  assert.equal(r, -NativeErrno.EAGAIN);
  // writev with an offset into the first chunk skips what was already written.
  const into = new Uint8Array(16);
  while (native.read(b, big) > 0);
  const n = native.writev(a, [new Uint8Array([1, 2, 3, 4]), new Uint8Array([5, 6])], 2);
  assert.equal(n, 4);
  assert.equal(native.read(b, into), 4);
  assert.deepEqual([...into.subarray(0, 4)], [3, 4, 5, 6]);
  assert.equal(native.read(b, into), -NativeErrno.EAGAIN);
  native.close(a);
  assert.equal(native.read(b, into), 0, 'EOF after the peer closed');
  native.close(b);
});
