/**
 * `npm run bench [-- --json] [area...]`: runs every bench/<area>.bench.ts (or only the named areas).
 * Text mode prints a table with subject/peer ratios; --json prints one JSON object a line.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchArea, BenchRecord } from './lib/report.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const timeArg = args.find((a) => a.startsWith('--time='));
const timeMs = timeArg === undefined ? 1000 : Number(timeArg.slice('--time='.length));
const wanted = args.filter((a) => !a.startsWith('--'));
const here = dirname(fileURLToPath(import.meta.url));

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();
const known = files.map((f) => f.slice(0, -'.bench.js'.length));
for (const w of wanted) {
  if (!known.includes(w)) {
    console.error(`unknown bench area '${w}' (known: ${known.join(', ')})`);
    process.exit(2);
  }
}

function printTable(records: BenchRecord[]): void {
  const byBench = new Map<string, BenchRecord[]>();
  for (const r of records) byBench.set(r.bench, [...(byBench.get(r.bench) ?? []), r]);
  for (const [name, rs] of byBench) {
    const subject = rs.find((r) => !r.peer);
    for (const r of rs) {
      const extra = Object.entries(r)
        .filter(([k]) => !['bench', 'subject', 'peer', 'hz'].includes(k))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      const hz = r.hz === undefined ? '' : `${Math.round(r.hz).toLocaleString('en-US')} ops/s`;
      const ratio =
        r.peer && subject?.hz !== undefined && r.hz !== undefined && r.hz > 0
          ? `  hayate/peer = ${(subject.hz / r.hz).toFixed(2)}x`
          : '';
      console.log(`${name.padEnd(32)} ${r.subject.padEnd(28)} ${hz.padStart(18)}${ratio} ${extra}`);
    }
  }
}

if (!json) {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}`);
}
for (const file of files) {
  const name = file.slice(0, -'.bench.js'.length);
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchArea;
  const records = await mod.run({ timeMs });
  if (json) for (const r of records) console.log(JSON.stringify(r));
  else printTable(records);
}
