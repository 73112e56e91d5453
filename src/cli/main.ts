#!/usr/bin/env node
/**
 * The `hayate` command line. Subcommands:
 *   hayate qif encode|decode ...   QPACK offline interop (see `hayate qif --help`)
 */
import { runQif } from './qif.js';

const USAGE = `usage: hayate <command> [options]

commands:
  qif encode <in.qif> <out> [--table T] [--blocked B] [--ack 0|1]
  qif decode <in.encoded> <out.qif> [--table T] [--blocked B] [--strict]

Run 'hayate qif --help' for details.`;

function main(argv: readonly string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
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

process.exitCode = main(process.argv.slice(2));
