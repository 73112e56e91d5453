#!/usr/bin/env node
/**
 * The `hayate` command line. Subcommands:
 *   hayate demo [options]          the demo server (see `hayate demo --help`)
 *   hayate qif encode|decode ...   QPACK offline interop (see `hayate qif --help`)
 */
import { runQif } from './qif.js';

const USAGE = `usage: hayate <command> [options]

commands:
  demo [options]    start the demo server (options: hayate demo --help)
  qif encode <in.qif> <out> [--table T] [--blocked B] [--ack 0|1]
  qif decode <in.encoded> <out.qif> [--table T] [--blocked B] [--strict]

Run 'hayate demo --help' or 'hayate qif --help' for details.`;

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
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
