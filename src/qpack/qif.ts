/**
 * The QIF text format of the QPACK offline interop (qpackers/qifs): one `name<TAB>value` line per field,
 * a blank line after each field section, `#` comment lines. Text is handled as latin1 code units.
 */

/** One field section as `[name, value]` pairs. */
export type FieldSection = Array<[string, string]>;

/** Parses QIF text into its field sections (comments skipped; a final set without blank line kept). */
export function parseQif(text: string): FieldSection[] {
  const sets: FieldSection[] = [];
  let current: FieldSection = [];
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    start = end + 1;
    if (line.startsWith('#')) continue;
    if (line.length === 0) {
      if (current.length > 0) sets.push(current);
      current = [];
      continue;
    }
    const tab = line.indexOf('\t');
    current.push(tab < 0 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)]);
  }
  if (current.length > 0) sets.push(current);
  return sets;
}

/** Formats field sections as QIF: each line `name<TAB>value`, each section followed by one blank line. */
export function formatQif(sets: ReadonlyArray<ReadonlyArray<readonly [string, string]>>): string {
  let out = '';
  for (const set of sets) {
    for (const [name, value] of set) out += name + '\t' + value + '\n';
    out += '\n';
  }
  return out;
}
