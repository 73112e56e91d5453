// `npm pack` / `npm publish` (prepack): puts this platform's addon in prebuilds/<key>/hayate.node so the
// package carries it and dependents load it without an install script (src/transport/binding.ts). Uses
// the local build (build/Release/hayate.node) when it is newer than every native source; builds it first
// otherwise. Fails (exit 1) when no addon can be built: a package without its binary must not be packed.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'build', 'Release', 'hayate.node');

/** Same rule as prebuildKey() in src/transport/binding.ts. */
function prebuildKey() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  return `${base}-${process.report.getReport().header.glibcVersionRuntime === undefined ? 'musl' : 'glibc'}`;
}

function newestSource() {
  let newest = statSync(join(root, 'binding.gyp')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cc|h)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'native'));
  return newest;
}

if (!existsSync(built) || statSync(built).mtimeMs < newestSource()) {
  const r = spawnSync(process.execPath, [join(root, 'native', 'install.mjs'), '--strict'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(1);
}
const dest = join(root, 'prebuilds', prebuildKey());
mkdirSync(dest, { recursive: true });
copyFileSync(built, join(dest, 'hayate.node'));
console.log(
  `hayate: prebuilt addon for ${prebuildKey()} in ${join('prebuilds', prebuildKey(), 'hayate.node')}`,
);

// linux-arm64 (glibc), cross-compiled on linux-x64 when Debian's cross compiler is installed
// (g++-aarch64-linux-gnu). Node-API and node-addon-api headers are the same for every architecture. Built in
// a temporary copy so the host's build/ stays as it is; test/package/arm64.test.ts runs it under qemu-user.
const ARM64 = 'linux-arm64-glibc';
const armOut = join(root, 'prebuilds', ARM64, 'hayate.node');
const hasCross = spawnSync('aarch64-linux-gnu-g++', ['--version'], { stdio: 'ignore' }).status === 0;
if (prebuildKey() !== 'linux-x64-glibc') {
  // Only an x64 host cross-builds.
} else if (!hasCross) {
  console.log(
    `hayate: no ${ARM64} prebuilt (aarch64-linux-gnu-g++ not found: apt-get install g++-aarch64-linux-gnu)`,
  );
} else if (!existsSync(armOut) || statSync(armOut).mtimeMs < newestSource()) {
  const work = mkdtempSync(join(tmpdir(), 'hayate-arm64-'));
  try {
    cpSync(join(root, 'binding.gyp'), join(work, 'binding.gyp'));
    cpSync(join(root, 'native'), join(work, 'native'), { recursive: true });
    const require = createRequire(import.meta.url);
    const addonApi = dirname(require.resolve('node-addon-api/package.json'));
    cpSync(addonApi, join(work, 'node_modules', 'node-addon-api'), { recursive: true });
    const prefix = dirname(dirname(process.execPath));
    const gyp =
      process.env.npm_config_node_gyp ??
      join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
    const args = [gyp, 'rebuild', '--arch=arm64'];
    if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
    const cross = {
      ...process.env,
      CC: 'aarch64-linux-gnu-gcc',
      CXX: 'aarch64-linux-gnu-g++',
      LINK: 'aarch64-linux-gnu-g++',
      AR: 'aarch64-linux-gnu-ar',
    };
    const r = spawnSync(process.execPath, args, { cwd: work, env: cross, encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`hayate: ${ARM64} cross build failed:\n${r.stderr}`);
      process.exit(1);
    }
    mkdirSync(dirname(armOut), { recursive: true });
    copyFileSync(join(work, 'build', 'Release', 'hayate.node'), armOut);
    console.log(`hayate: prebuilt addon for ${ARM64} in ${join('prebuilds', ARM64, 'hayate.node')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
