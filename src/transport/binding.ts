/**
 * Loads the native addon (build/Release/hayate.node) and types its calls. When the addon is missing
 * (build failed, unsupported platform, HAYATE_NATIVE=0) callers get `undefined` and one notice line is
 * printed, and the portable node:net transport is used instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's exported functions. Every call returns numbers; failures are negative errno values. */
export interface NativeBinding {
  abiVersion(): number;
}

let loaded: NativeBinding | null | undefined;
let noticePrinted = false;

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Why the addon is not available, or `undefined` when it is. */
export let nativeUnavailableReason: string | undefined;

/**
 * Returns the addon, or `undefined` (after printing one notice) when it cannot be loaded.
 * `quiet` suppresses the notice, for callers that only probe.
 */
export function loadNative(quiet = false): NativeBinding | undefined {
  if (loaded === undefined) {
    if (process.env['HAYATE_NATIVE'] === '0') {
      nativeUnavailableReason = 'disabled by HAYATE_NATIVE=0';
      loaded = null;
    } else {
      const path = join(findPackageRoot(), 'build', 'Release', 'hayate.node');
      try {
        const require = createRequire(import.meta.url);
        loaded = require(path) as NativeBinding;
      } catch (err) {
        nativeUnavailableReason = `cannot load ${path}: ${(err as Error).message.split('\n')[0] ?? ''}`;
        loaded = null;
      }
    }
  }
  if (loaded === null) {
    if (!quiet && !noticePrinted) {
      noticePrinted = true;
      console.warn(
        `hayate: native addon unavailable (${nativeUnavailableReason ?? 'unknown'}); using node:net`,
      );
    }
    return undefined;
  }
  return loaded;
}
