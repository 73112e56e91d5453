/**
 * A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4): counters,
 * gauges and histograms whose label values come from a fixed vocabulary or are capped, so no client can
 * grow the number of series without limit. Series are stored under a numeric key (each label value is an
 * index into its label's vocabulary), so recording builds no string.
 */
import { UsageError } from '../common/errors.js';

/** Distinct values a label may take before new ones fold into {@link OTHER}. */
export const DEFAULT_MAX_LABEL_VALUES = 64;
/** The value unknown or excess label values are reported as. */
export const OTHER = 'other';

/**
 * One label's vocabulary: known values get fixed indexes; values first seen at run time are added until
 * `max`, after which they map to `other`.
 */
export class LabelValues {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];
  private readonly otherIndex: number;
  /** Most values this label can ever hold (`other` included): the radix of its digit in a series key. */
  readonly radix: number;
  private readonly open: boolean;

  /**
   * `known` values always have their own series; with `open`, values first seen at run time are added
   * too until the label holds `max` values, after which they count as `other`.
   */
  constructor(known: readonly string[], open = false, max: number = DEFAULT_MAX_LABEL_VALUES) {
    this.open = open;
    for (const v of known) this.add(v);
    this.otherIndex = this.add(OTHER);
    this.radix = open ? Math.max(max, this.values.length) : this.values.length;
  }

  private add(v: string): number {
    const had = this.index.get(v);
    if (had !== undefined) return had;
    const i = this.values.length;
    this.index.set(v, i);
    this.values.push(v);
    return i;
  }

  /** Index of `v`: a known value, a new one while the label is open and below its cap, else `other`. */
  of(v: string): number {
    const i = this.index.get(v);
    if (i !== undefined) return i;
    if (!this.open || this.values.length >= this.radix) return this.otherIndex;
    return this.add(v);
  }
}

/** Escapes a label value (Prometheus text format: backslash, double quote and line feed). */
function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Formats a sample value: integers as such, `+Inf`/`-Inf`/`NaN` spelled as Prometheus wants. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A metric family with labels; series keyed by the mixed-radix number of their label indexes. */
abstract class Family {
  protected readonly series = new Map<number, number[]>();
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly labels: readonly LabelValues[];

  constructor(name: string, help: string, labelNames: readonly string[], labels: readonly LabelValues[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.labels = labels;
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name))
      throw new UsageError('ERR_INVALID_ARG', `bad metric name ${name}`);
    if (labelNames.length !== labels.length)
      throw new UsageError('ERR_INVALID_ARG', 'one vocabulary per label');
  }

  /** The key of a series with no labels. */
  key0(): number {
    return 0;
  }

  /** The key of a series from its one label's index. */
  key1(a: number): number {
    return a;
  }

  /** The key of a series from its two labels' indexes. */
  key2(a: number, b: number): number {
    return a * this.labels[1]!.radix + b;
  }

  /** The key of a series from its three labels' indexes. */
  key3(a: number, b: number, c: number): number {
    return (a * this.labels[1]!.radix + b) * this.labels[2]!.radix + c;
  }

  protected labelText(key: number, extra = ''): string {
    const parts: string[] = [];
    let k = key;
    for (let i = this.labels.length - 1; i >= 0; i--) {
      const radix = this.labels[i]!.radix;
      const idx = k % radix;
      k = (k - idx) / radix;
      parts.unshift(`${this.labelNames[i]!}="${escapeLabel(this.labels[i]!.values[idx] ?? OTHER)}"`);
    }
    if (extra !== '') parts.push(extra);
    return parts.length === 0 ? '' : `{${parts.join(',')}}`;
  }

  abstract render(out: string[]): void;
}

/** A monotonically increasing count per label combination. */
export class Counter extends Family {
  inc(key: number, by = 1): void {
    const s = this.series.get(key);
    if (s === undefined) this.series.set(key, [by]);
    else s[0]! += by;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [k, s] of this.series) out.push(`${this.name}${this.labelText(k)} ${formatValue(s[0]!)}`);
  }
}

/** A value that goes up and down per label combination. */
export class Gauge extends Family {
  add(key: number, by: number): void {
    const s = this.series.get(key);
    if (s === undefined) this.series.set(key, [by]);
    else s[0]! += by;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const [k, s] of this.series) out.push(`${this.name}${this.labelText(k)} ${formatValue(s[0]!)}`);
  }
}

/** Observations counted into cumulative buckets, with their sum and count, per label combination. */
export class Histogram extends Family {
  readonly buckets: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    labels: readonly LabelValues[],
    buckets: readonly number[],
  ) {
    super(name, help, labelNames, labels);
    this.buckets = buckets;
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]! > buckets[i - 1]!)) throw new UsageError('ERR_INVALID_ARG', 'buckets must increase');
    }
  }

  /** Layout of a series: one count per bucket (not cumulative), then +Inf, sum, count. */
  observe(key: number, v: number): void {
    let s = this.series.get(key);
    if (s === undefined) {
      s = new Array<number>(this.buckets.length + 3).fill(0);
      this.series.set(key, s);
    }
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    s[i]!++;
    s[b.length + 1]! += v;
    s[b.length + 2]!++;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    const n = this.buckets.length;
    for (const [k, s] of this.series) {
      let cumulative = 0;
      for (let i = 0; i < n; i++) {
        cumulative += s[i]!;
        out.push(
          `${this.name}_bucket${this.labelText(k, `le="${formatValue(this.buckets[i]!)}"`)} ${cumulative}`,
        );
      }
      cumulative += s[n]!;
      out.push(`${this.name}_bucket${this.labelText(k, 'le="+Inf"')} ${cumulative}`);
      out.push(`${this.name}_sum${this.labelText(k)} ${formatValue(s[n + 1]!)}`);
      out.push(`${this.name}_count${this.labelText(k)} ${formatValue(s[n + 2]!)}`);
    }
  }
}
