#!/usr/bin/env node
/**
 * The `hayate` command line. Subcommands:
 *   hayate demo [options]          the demo server (see `hayate demo --help`)
 *   hayate build-native            builds the native addon for this machine (node-gyp)
 *   hayate native                  says which addon loads (prebuilt, local build, none) and why
 *   hayate qif encode|decode ...   QPACK offline interop (see `hayate qif --help`)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  findPackageRoot,
  loadNative,
  nativePath,
  nativeSource,
  nativeUnavailableReason,
} from '../transport/binding.js';
import { runQif } from './qif.js';

const USAGE = `usage: hayate <command> [options]

commands:
  demo [options]    start the demo server (options: hayate demo --help)
  build-native      build the native addon for this machine (needs a C++ toolchain and python3)
  native            print which native addon loads (prebuilt, local build or none) and why
  qif encode <in.qif> <out> [--table T] [--blocked B] [--ack 0|1]
  qif decode <in.encoded> <out.qif> [--table T] [--blocked B] [--strict]

Run 'hayate demo --help' or 'hayate qif --help' for details.`;

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'build-native': {
      const script = join(findPackageRoot(), 'native', 'install.mjs');
      return spawnSync(process.execPath, [script, '--strict'], { stdio: 'inherit' }).status ?? 1;
    }
    case 'native': {
      const ok = loadNative(true) !== undefined;
      console.log(
        ok
          ? `native addon: ${nativeSource} (${nativePath ?? '?'})`
          : `native addon: none (${nativeUnavailableReason ?? 'unknown'}); the node:net transport is used`,
      );
      return ok ? 0 : 1;
    }
    case 'demo': {
      // Loaded only for this command: the demo pulls in the server and its transports.
      const { demoMain } = await import('../demo/main.js');
      return demoMain(rest);
    }
    case 'qif':
      return runQif(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`hayate: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
