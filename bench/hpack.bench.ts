/**
 * HPACK: hayate against hpack.js over every raw-data story of the shared hpack-test-case vectors, in one
 * run. `hpack/encode` encodes every case of every story (a fresh encoder per story, as a connection
 * would); `hpack/decode` decodes the same wire bytes (hayate's encodings) with a fresh decoder per story and
 * reads every name and value as a string on both sides. hz counts header fields per second.
 * The suite runs ROUNDS times (the machine may be shared); for each case, the round whose hayate/hpack.js
 * ratio is the median supplies both subjects' hz. Both subjects of a round run back to back under the same
 * load, so pairing them per round keeps a slow stretch that hit only one subject's median from deciding the
 * ratio; the choice is symmetric, favouring neither side.
 * `hpack/size` records total encoded bytes with the default 4096-byte table, plus the vectors' own nghttp2
 * encodings for reference.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HpackDecoder, HpackEncoder } from '../src/hpack/index.js';
import { vectorPath } from '../test/support/vectors.js';
import { runTinyCases, type BenchOptions, type BenchRecord, type TinyCase } from './lib/report.js';

export const area = 'hpack';

/** Repetitions of the tinybench suite; the round with the median ratio is reported. */
const ROUNDS = 5;

interface HpackJsCompressor {
  write(headers: Array<{ name: string; value: string }>): void;
  read(): Buffer | null;
}
interface HpackJsDecompressor {
  write(data: Uint8Array): void;
  execute(): void;
  read(): { name: string; value: string } | null;
}
interface HpackJs {
  compressor: { create(o: { table: { size: number } }): HpackJsCompressor };
  decompressor: { create(o: { table: { size: number } }): HpackJsDecompressor };
}

type Story = Array<Array<[string, string]>>;

function loadStories(
  folder: string,
): Array<{ cases: Array<{ wire?: string; headers: Array<Record<string, string>> }> }> {
  const dir = vectorPath('hpack', folder);
  if (dir === undefined) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map(
      (f) =>
        JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
          cases: Array<{ wire?: string; headers: Array<Record<string, string>> }>;
        },
    );
}

let sink = 0;

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const raw = loadStories('raw-data');
  if (raw.length === 0) return [];
  const hpackjs = createRequire(import.meta.url)('hpack.js') as HpackJs;
  const stories: Story[] = raw.map((s) => s.cases.map((c) => c.headers.map((h) => Object.entries(h)[0]!)));
  const storiesJs = stories.map((s) => s.map((fields) => fields.map(([name, value]) => ({ name, value }))));
  const fieldCount = stories.reduce((n, s) => n + s.reduce((m, c) => m + c.length, 0), 0);

  // Wire bytes to decode: hayate's encodings, one encoder per story; and the sizes of both encoders.
  let hayateBytes = 0;
  const wires: Uint8Array[][] = stories.map((story) => {
    const e = new HpackEncoder();
    return story.map((fields) => {
      const w = e.encode(fields).slice();
      hayateBytes += w.length;
      return w;
    });
  });
  let hpackjsBytes = 0;
  for (const story of storiesJs) {
    const c = hpackjs.compressor.create({ table: { size: 4096 } });
    for (const fields of story) {
      c.write(fields);
      for (let b = c.read(); b !== null; b = c.read()) hpackjsBytes += b.length;
    }
  }
  let nghttp2Bytes = 0;
  for (const s of loadStories('nghttp2')) for (const c of s.cases) nghttp2Bytes += c.wire!.length / 2;

  const cases: TinyCase[] = [
    {
      name: 'encode',
      opsPerCall: fieldCount,
      subjects: [
        {
          subject: 'hayate',
          peer: false,
          fn: () => {
            for (const story of stories) {
              const e = new HpackEncoder();
              for (const fields of story) sink += e.encode(fields).length;
            }
          },
        },
        {
          subject: 'hpack.js',
          peer: true,
          fn: () => {
            for (const story of storiesJs) {
              const c = hpackjs.compressor.create({ table: { size: 4096 } });
              for (const fields of story) {
                c.write(fields);
                for (let b = c.read(); b !== null; b = c.read()) sink += b.length;
              }
            }
          },
        },
      ],
    },
    {
      name: 'decode',
      opsPerCall: fieldCount,
      subjects: [
        {
          subject: 'hayate',
          peer: false,
          fn: () => {
            for (const story of wires) {
              const d = new HpackDecoder();
              for (const wire of story) {
                const list = d.decode(wire);
                for (let i = 0; i < list.length; i++) sink += list.name(i).length + list.value(i).length;
              }
            }
          },
        },
        {
          subject: 'hpack.js',
          peer: true,
          fn: () => {
            for (const story of wires) {
              const d = hpackjs.decompressor.create({ table: { size: 4096 } });
              for (const wire of story) {
                d.write(wire);
                d.execute();
                for (let h = d.read(); h !== null; h = d.read()) sink += h.name.length + h.value.length;
              }
            }
          },
        },
      ],
    },
  ];
  // The machine may be shared: run the whole suite ROUNDS times and, per case, report the round whose
  // ratio (subject over peer, measured back to back) is the median, so one noisy stretch does not decide it.
  const runs: BenchRecord[][] = [];
  for (let r = 0; r < ROUNDS; r++) runs.push(await runTinyCases(area, cases, options));
  const records: BenchRecord[] = [];
  for (let i = 0; i < runs[0]!.length;) {
    const bench = runs[0]![i]!.bench;
    let n = 0;
    while (i + n < runs[0]!.length && runs[0]![i + n]!.bench === bench) n++;
    const ratio = (run: BenchRecord[]): number => {
      const own = run.slice(i, i + n).find((rec) => !rec.peer)?.hz ?? 0;
      const peer = run.slice(i, i + n).find((rec) => rec.peer)?.hz ?? 0;
      return peer > 0 ? own / peer : 0;
    };
    const median = [...runs].sort((a, b) => ratio(a) - ratio(b))[Math.floor(runs.length / 2)]!;
    records.push(...median.slice(i, i + n));
    i += n;
  }
  records.push(
    { bench: 'hpack/size', subject: 'hayate', peer: false, bytes: hayateBytes },
    { bench: 'hpack/size', subject: 'hpack.js', peer: true, bytes: hpackjsBytes },
    { bench: 'hpack/size', subject: 'nghttp2 (vectors)', peer: true, bytes: nghttp2Bytes },
  );
  if (sink === -1) console.log('unreachable');
  return records;
}
