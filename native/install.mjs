// Builds the native addon for this machine with node-gyp (build/Release/hayate.node). Run by `npm install`
// in a checkout (the prepare script), by `npx hayate build-native` in an installed package, and by
// native/prebuild.mjs. The package works without it (prebuilt binary, else node:net), so a failed build
// prints one notice line and exits 0, unless `--strict` is given (then exit 1).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

function nodeGypCommand() {
  // npm exposes its bundled node-gyp to lifecycle scripts; fall back to a local or global one.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm) return [process.execPath, [fromNpm]];
  try {
    return [process.execPath, [require.resolve('node-gyp/bin/node-gyp.js')]];
  } catch {
    const npmDir = dirname(dirname(process.execPath));
    return [process.execPath, [join(npmDir, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]];
  }
}

const strict = process.argv.includes('--strict');
if (process.env.HAYATE_SKIP_NATIVE === '1') {
  console.log('hayate: HAYATE_SKIP_NATIVE=1, native addon not built; using the node:net transport');
  process.exit(0);
}
const [cmd, args] = nodeGypCommand();
// Build offline against the installed Node headers when they are there (no header download).
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const quiet = process.env.HAYATE_NATIVE_VERBOSE === '1' ? 'inherit' : 'pipe';
// node-gyp reads binding.gyp from the working directory: the package root.
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const result = spawnSync(cmd, [...args, 'rebuild'], { cwd: root, stdio: quiet, encoding: 'utf8' });
if (result.status !== 0) {
  const lines = `${result.stderr ?? ''}\n${result.stdout ?? ''}\n${String(result.error ?? '')}`.split('\n');
  const why = lines.find((l) => /error|ERR!/.test(l) && !/not ok/.test(l))?.trim() ?? `exit ${result.status}`;
  console.log(
    `hayate: native addon build failed (${why}); falling back to the pure-TypeScript node:net transport`,
  );
  process.exit(strict ? 1 : 0);
}
console.log(`hayate: native addon built: ${join(root, 'build', 'Release', 'hayate.node')}`);
process.exit(0);
