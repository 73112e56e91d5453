/**
 * Decoder-side table entries and name interning. An entry keeps its name and value as bytes (one
 * allocation, name first) and caches their strings on first use, so a field referenced many times is
 * decoded to a string at most once. Entries never change after construction: a header list may keep
 * pointing at one after the dynamic table has evicted it.
 */
import { latin1Bytes } from '../common/bytes.js';
import { STATIC_TABLE } from './static-table.js';

/** Per-entry overhead in the table size (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/** One (name, value) pair of the static or dynamic table. */
export class HpackEntry {
  /** Name bytes followed by value bytes. Never mutated. */
  readonly bytes: Uint8Array;
  readonly nameLength: number;
  /** RFC 7541 §4.1: name length + value length + 32. */
  readonly size: number;
  private nameString: string | undefined;
  private valueString: string | undefined;

  constructor(bytes: Uint8Array, nameLength: number, name?: string, value?: string) {
    this.bytes = bytes;
    this.nameLength = nameLength;
    this.size = bytes.length + ENTRY_OVERHEAD;
    this.nameString = name;
    this.valueString = value;
  }

  /** The name, decoded once (interned when it is a static-table name). */
  name(): string {
    return (this.nameString ??=
      internName(this.bytes, 0, this.nameLength) ?? decodeLatin1(this.bytes, 0, this.nameLength));
  }

  /** The value, decoded once. */
  value(): string {
    return (this.valueString ??= decodeLatin1(this.bytes, this.nameLength, this.bytes.length));
  }

  /** Sets the cached name when the caller already holds the string (an indexed name). */
  presetName(name: string): void {
    this.nameString = name;
  }
}

/**
 * Latin1 bytes to a string. Short strings are built code unit by code unit (cheaper than a subarray plus
 * `apply` for the typical 3-30 byte header value); long ones go through `String.fromCharCode.apply`.
 */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  if (n <= 4096) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let out = '';
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return out;
}

function entryOf(name: string, value: string): HpackEntry {
  const bytes = latin1Bytes(name + value);
  return new HpackEntry(bytes, name.length, name, value);
}

/** Static entries, index 1 at position 1 (position 0 unused, RFC 7541 §2.3.3: index 0 is invalid). */
export const STATIC_ENTRIES: readonly HpackEntry[] = [
  new HpackEntry(new Uint8Array(0), 0, '', ''),
  ...STATIC_TABLE.map(([name, value]) => entryOf(name, value)),
];

// Interned names by length: every distinct static-table name plus common fields outside it, so literal
// names (as sent by encoders that never index names) come out as shared strings.
const EXTRA_NAMES = [
  'accept-ch',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-max-age',
  'alt-svc',
  'content-security-policy',
  'dnt',
  'early-data',
  'origin',
  'pragma',
  'priority',
  'purpose',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'timing-allow-origin',
  'upgrade-insecure-requests',
  'x-content-type-options',
  'x-forwarded-for',
  'x-frame-options',
  'x-requested-with',
  'x-xss-protection',
  'te',
  'trailer',
];

const INTERN_BY_LENGTH: Array<Array<{ bytes: Uint8Array; name: string }> | undefined> = [];
for (const name of [...new Set([...STATIC_TABLE.map(([n]) => n), ...EXTRA_NAMES])]) {
  (INTERN_BY_LENGTH[name.length] ??= []).push({ bytes: latin1Bytes(name), name });
}

/** The interned string for a well-known name spelled by `bytes[start, end)`, else `undefined`. */
export function internName(bytes: Uint8Array, start: number, end: number): string | undefined {
  const bucket = INTERN_BY_LENGTH[end - start];
  if (bucket === undefined) return undefined;
  outer: for (const candidate of bucket) {
    const c = candidate.bytes;
    for (let i = 0; i < c.length; i++) if (c[i] !== bytes[start + i]) continue outer;
    return candidate.name;
  }
  return undefined;
}
