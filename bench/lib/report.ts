/**
 * Shared benchmark plumbing. Every area module (`bench/<area>.bench.ts`) exports `area` and `run()`,
 * returning records; `bench/run.ts` prints them either as a table with ratios or, with `--json`,
 * one JSON object a line: {"bench": "<area>/<case>", "subject": "...", "peer": bool, "hz": N, ...}.
 */
import { Bench } from 'tinybench';

/** One measured figure. `hz` is operations (messages, fields, requests) per second. */
export interface BenchRecord {
  bench: string;
  subject: string;
  peer: boolean;
  hz?: number;
  [extra: string]: unknown;
}

/** Options every area receives. */
export interface BenchOptions {
  /** Time per task in ms for tinybench suites. */
  readonly timeMs: number;
}

/** What an area module exports. */
export interface BenchArea {
  readonly area: string;
  run(options: BenchOptions): Promise<BenchRecord[]>;
}

/** A case measured with tinybench: the subject and its peers run the same `fn`-shaped work. */
export interface TinyCase {
  readonly name: string;
  /** Operations performed by one call (e.g. 16 for 16 pipelined messages); hz is scaled by it. */
  readonly opsPerCall?: number;
  readonly subjects: ReadonlyArray<{
    readonly subject: string;
    readonly peer: boolean;
    readonly fn: () => void;
  }>;
}

/** Runs each case's subjects in one tinybench run (interleaved warm-up) and returns one record per subject. */
export async function runTinyCases(
  area: string,
  cases: readonly TinyCase[],
  options: BenchOptions,
): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const c of cases) {
    const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(200, options.timeMs / 2) });
    for (const s of c.subjects) bench.add(s.subject, s.fn);
    await bench.run();
    for (const s of c.subjects) {
      const task = bench.getTask(s.subject);
      const r = task?.result as { throughput?: { mean: number }; hz?: number } | undefined;
      const hz = r?.throughput?.mean ?? r?.hz ?? 0;
      out.push({
        bench: `${area}/${c.name}`,
        subject: s.subject,
        peer: s.peer,
        hz: hz * (c.opsPerCall ?? 1),
      });
    }
  }
  return out;
}
