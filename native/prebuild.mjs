// `npm pack` / `npm publish` (prepack): puts this platform's addon in prebuilds/<key>/hayate.node so the
// package carries it and dependents load it without an install script (src/transport/binding.ts). Uses
// the local build (build/Release/hayate.node) when it is newer than every native source; builds it first
// otherwise. Fails (exit 1) when no addon can be built: a package without its binary must not be packed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
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
