/**
 * Field sections as the exchange layer sees them, for every protocol: one {@link HeadersView} over any
 * indexed field list (an HPACK or QPACK decoded section, or `[name, value]` pairs), and the one list of
 * connection-specific fields that HTTP/2 and HTTP/3 responses drop.
 */
import { isConnectionSpecificField } from '../common/fields.js';
import type { HeadersView } from './types.js';

export { isConnectionSpecificField };

/** Any field list readable by index: HPACK/QPACK decoded sections have this shape. */
export interface IndexedFields {
  readonly length: number;
  name(i: number): string;
  value(i: number): string;
}

/** `[name, value]` pairs seen as {@link IndexedFields}. */
export class PairFields implements IndexedFields {
  private readonly pairs: ReadonlyArray<readonly [string, string]>;

  constructor(pairs: ReadonlyArray<readonly [string, string]>) {
    this.pairs = pairs;
  }

  get length(): number {
    return this.pairs.length;
  }

  name(i: number): string {
    return this.pairs[i]![0];
  }

  value(i: number): string {
    return this.pairs[i]![1];
  }
}

/**
 * A {@link HeadersView} over an HTTP/2 or HTTP/3 field section: pseudo-header fields are hidden and, when
 * the section has no `host`, one is derived from `:authority` (RFC 9113 §8.3.1, RFC 9114 §4.3.1), so a
 * handler written for HTTP/1.1 finds it where it looks. Names are already lowercase on these protocols
 * (RFC 9113 §8.2.1, RFC 9114 §4.2); lookups lowercase the name asked for.
 */
export class FieldSectionView implements HeadersView {
  private readonly fields: IndexedFields;
  /** Index of the first regular field (pseudo-header fields come first, RFC 9113 §8.3). */
  private readonly first: number;
  private readonly host: string | undefined;
  readonly length: number;

  constructor(fields: IndexedFields, authority?: string) {
    this.fields = fields;
    let first = 0;
    while (first < fields.length && fields.name(first).charCodeAt(0) === 0x3a) first++;
    this.first = first;
    let hasHost = false;
    for (let i = first; i < fields.length; i++) {
      if (fields.name(i) === 'host') {
        hasHost = true;
        break;
      }
    }
    this.host = hasHost ? undefined : authority;
    this.length = fields.length - first + (this.host === undefined ? 0 : 1);
  }

  name(i: number): string {
    const j = this.first + i;
    return j === this.fields.length ? 'host' : this.fields.name(j);
  }

  value(i: number): string {
    const j = this.first + i;
    return j === this.fields.length ? this.host! : this.fields.value(j);
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (let i = 0; i < this.length; i++) if (this.name(i) === n) return this.value(i);
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.length; i++) if (this.name(i) === n) out.push(this.value(i));
    return out;
  }

  toArray(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }
}

/**
 * The field list of an HTTP/2 or HTTP/3 response head: `:status`, the handler's fields less the
 * connection-specific ones, and `content-length` when the length is known (`contentLength` >= 0).
 */
export function responseFieldList(
  status: number,
  headers: readonly (readonly [string, string])[],
  contentLength: number,
): [string, string][] {
  const out: [string, string][] = [[':status', String(status)]];
  for (const h of headers) if (!isConnectionSpecificField(h[0])) out.push([h[0], h[1]]);
  if (contentLength >= 0) out.push(['content-length', String(contentLength)]);
  return out;
}

/**
 * A content-length value as a number when it is plain digits (at most 15, so it stays exact), else -1. For
 * values already validated elsewhere (the protocol cores check received fields, RFC 9110 §8.6) or only to be
 * compared (a handler's own field): not a validator.
 */
export function contentLengthDigits(value: string | undefined): number {
  if (value === undefined || value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
