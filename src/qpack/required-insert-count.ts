/**
 * Required Insert Count encoding (RFC 9204 §4.5.1.1) and Base (§4.5.1.2).
 *
 * The count is sent modulo 2 * MaxEntries so the prefix stays small; the decoder recovers it from its own
 * insert count, knowing the true value lies within MaxEntries of it (an entry older than that has been
 * evicted, a newer one cannot exist yet without blocking beyond the table size).
 */

/** MaxEntries = floor(MaxTableCapacity / 32) (RFC 9204 §4.5.1.1). */
export function maxEntries(maxTableCapacity: number): number {
  return Math.floor(maxTableCapacity / 32);
}

/** Encoded Required Insert Count for `ric` (RFC 9204 §4.5.1.1). */
export function encodeRequiredInsertCount(ric: number, maxEntriesValue: number): number {
  if (ric === 0) return 0;
  return (ric % (2 * maxEntriesValue)) + 1;
}

/**
 * Decodes an encoded Required Insert Count (RFC 9204 §4.5.1.1) given the decoder's total number of
 * inserts. Returns -1 when no conformant encoder could have produced `encoded`.
 */
export function decodeRequiredInsertCount(
  encoded: number,
  maxEntriesValue: number,
  totalInserts: number,
): number {
  if (encoded === 0) return 0;
  const fullRange = 2 * maxEntriesValue;
  // RFC 9204 §4.5.1.1: an encoded value above FullRange (including any value when MaxEntries is 0) is an error.
  if (encoded > fullRange) return -1;
  const maxValue = totalInserts + maxEntriesValue;
  const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
  let ric = maxWrapped + encoded - 1;
  if (ric > maxValue) {
    if (ric <= fullRange) return -1;
    ric -= fullRange;
  }
  // RFC 9204 §4.5.1.1: a Required Insert Count of 0 must be encoded as 0.
  if (ric === 0) return -1;
  return ric;
}
