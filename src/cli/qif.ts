/**
 * `hayate qif encode|decode`: the QPACK Offline Interop tool (qpackers/qifs). Encodes a QIF file into the
 * interop framing or decodes an encoded file back to QIF, sorted by stream id.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ProtocolError, UsageError } from '../common/errors.js';
import { decodeInteropFile, encodeInteropFile } from '../qpack/offline-interop.js';
import { formatQif, parseQif } from '../qpack/qif.js';

/** Help text of `hayate qif`. */
export const QIF_HELP = `usage:
  hayate qif encode <in.qif> <out> [--table T] [--blocked B] [--ack 0|1]
  hayate qif decode <in.encoded> <out.qif> [--table T] [--blocked B] [--strict]

QPACK Offline Interop (https://github.com/qpackers/qifs). An encoded file is a sequence of blocks
"stream id (u64 BE) | length (u32 BE) | payload"; stream 0 is the encoder stream, any other id holds
one field section. encode numbers the sections 1..N in QIF order.

options:
  --table T     SETTINGS_QPACK_MAX_TABLE_CAPACITY in bytes (default: from a file name
                <name>.out.T.B.A, else 4096)
  --blocked B   SETTINGS_QPACK_BLOCKED_STREAMS (default: from the file name, else 100)
  --ack 0|1     encode: 1 = the peer acknowledges each section at once, 0 = never (default 1)
  --strict      decode: start with table capacity 0 as RFC 9204 §3.2.3 says; by default the decoder
                starts at T, as the pre-RFC interop files assume
  -h, --help    show this help

Output of decode: one "name<TAB>value" line per field, a blank line after each section,
sections sorted by stream id. Exit status: 0 ok, 1 QPACK error in the input, 2 usage error.`;

interface QifArgs {
  mode: 'encode' | 'decode';
  input: string;
  output: string;
  table: number | undefined;
  blocked: number | undefined;
  ack: boolean;
  strict: boolean;
}

function parseCount(flag: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new UsageError('ERR_CLI_USAGE', `${flag} needs a non-negative integer`);
  }
  return Number(value);
}

function parseArgs(argv: readonly string[]): QifArgs | 'help' {
  const positional: string[] = [];
  const args: QifArgs = {
    mode: 'encode',
    input: '',
    output: '',
    table: undefined,
    blocked: undefined,
    ack: true,
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '--table':
        args.table = parseCount(a, argv[++i]);
        break;
      case '--blocked':
        args.blocked = parseCount(a, argv[++i]);
        break;
      case '--ack': {
        const v = argv[++i];
        if (v !== '0' && v !== '1') throw new UsageError('ERR_CLI_USAGE', '--ack takes 0 or 1');
        args.ack = v === '1';
        break;
      }
      case '--strict':
        args.strict = true;
        break;
      default:
        if (a.startsWith('-')) throw new UsageError('ERR_CLI_USAGE', `unknown option ${a}`);
        positional.push(a);
    }
  }
  const [mode, input, output, ...extra] = positional;
  if (mode !== 'encode' && mode !== 'decode') {
    throw new UsageError('ERR_CLI_USAGE', `expected 'encode' or 'decode', got ${mode ?? 'nothing'}`);
  }
  if (input === undefined || output === undefined || extra.length > 0) {
    throw new UsageError('ERR_CLI_USAGE', `qif ${mode} takes an input and an output file`);
  }
  args.mode = mode;
  args.input = input;
  args.output = output;
  return args;
}

/** Settings from a `<name>.out.T.B.A` file name, if it has that form. */
function settingsFromName(path: string): { table: number; blocked: number } | undefined {
  const m = /\.out\.(\d+)\.(\d+)\.[01]$/.exec(basename(path));
  return m === null ? undefined : { table: Number(m[1]), blocked: Number(m[2]) };
}

/** Runs `hayate qif ...`; returns the exit status. */
export function runQif(argv: readonly string[]): number {
  let args: QifArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`hayate qif: ${e.message}\n\n${QIF_HELP}`);
    return 2;
  }
  if (args === 'help') {
    console.log(QIF_HELP);
    return 0;
  }
  const named = settingsFromName(args.mode === 'decode' ? args.input : args.output);
  const table = args.table ?? named?.table ?? 4096;
  const blocked = args.blocked ?? named?.blocked ?? 100;
  try {
    if (args.mode === 'encode') {
      const sets = parseQif(readFileSync(args.input, 'latin1'));
      writeFileSync(args.output, encodeInteropFile(sets, { table, blocked, ack: args.ack }));
    } else {
      const decoded = decodeInteropFile(readFileSync(args.input), { table, blocked, strict: args.strict });
      writeFileSync(args.output, formatQif(decoded.map((d) => d.headers.toArray())), 'latin1');
    }
  } catch (e) {
    if (e instanceof ProtocolError) {
      console.error(
        `hayate qif ${args.mode}: ${args.input}: ${e.code} (wire 0x${e.wireCode.toString(16)}): ${e.message}`,
      );
      return 1;
    }
    if (e instanceof UsageError) {
      console.error(`hayate qif ${args.mode}: ${args.input}: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('E')) {
      console.error(`hayate qif ${args.mode}: ${e.message}`);
      return 2;
    }
    throw e;
  }
  return 0;
}
