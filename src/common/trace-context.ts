/**
 * W3C Trace Context (Level 1, https://www.w3.org/TR/trace-context/): parsing and formatting of the
 * `traceparent` field, and the hook through which the client finds the trace of the request being
 * handled (the server installs it when its `tracing` option is on). No I/O, no clock, no randomness.
 */

/** A parsed `traceparent` (§3.2). Ids are lowercase hex, as on the wire. */
export interface TraceParent {
  /** Two hex digits; `00` is the only version this parser fully understands. */
  readonly version: string;
  /** 32 hex digits, not all zero. */
  readonly traceId: string;
  /** 16 hex digits, not all zero: the caller's span. */
  readonly parentId: string;
  /** The trace-flags byte; bit 0 is `sampled`. */
  readonly flags: number;
}

/** The trace a server request runs in: outgoing requests made while handling it continue it. */
export interface TraceContext {
  readonly traceId: string;
  /** This server's span for the request: the parent-id of its outgoing requests. */
  readonly spanId: string;
  readonly flags: number;
  /** The incoming `tracestate`, passed on unchanged (§3.3: only its own entries may be changed). */
  readonly tracestate: string | undefined;
}

const HEX = /* @__PURE__ */ (() => {
  const t = new Uint8Array(128);
  for (const c of '0123456789abcdef') t[c.charCodeAt(0)] = 1;
  return t;
})();

/** Whether `s[from, from + n)` is lowercase hex (§3.2.2: HEXDIGLC) and, with `nonZero`, not all `0`. */
function isHex(s: string, from: number, n: number, nonZero: boolean): boolean {
  let any = !nonZero;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || HEX[c] === 0) return false;
    if (c !== 0x30) any = true;
  }
  return any;
}

/**
 * Parses a `traceparent` value; null when it is invalid, which §3.2.2 treats like no header: the receiver
 * starts a new trace (and ignores `tracestate`). Version `ff` is invalid; version `00` must be exactly 55
 * characters; a higher version is read by its version-00 prefix when what follows starts with `-`
 * (§3.2.4, forward compatibility).
 */
export function parseTraceparent(value: string | undefined | null): TraceParent | null {
  if (value === undefined || value === null) return null;
  const v = value.trim();
  if (v.length < 55 || !isHex(v, 0, 2, false) || v.startsWith('ff')) return null;
  const version = v.slice(0, 2);
  if (version === '00' ? v.length !== 55 : v.length > 55 && v.charCodeAt(55) !== 0x2d) return null;
  if (v.charCodeAt(2) !== 0x2d || v.charCodeAt(35) !== 0x2d || v.charCodeAt(52) !== 0x2d) return null;
  if (!isHex(v, 3, 32, true) || !isHex(v, 36, 16, true) || !isHex(v, 53, 2, false)) return null;
  return {
    version,
    traceId: v.slice(3, 35),
    parentId: v.slice(36, 52),
    flags: parseInt(v.slice(53, 55), 16),
  };
}

/** A version-00 `traceparent` value. */
export function formatTraceparent(traceId: string, parentId: string, flags: number): string {
  return `00-${traceId}-${parentId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

let provider: (() => TraceContext | undefined) | undefined;

/** The trace of the server request whose handler is running now, or undefined (tracing off, or none). */
export function currentTraceContext(): TraceContext | undefined {
  return provider?.();
}

/** Installs where {@link currentTraceContext} looks (the server's async context store). */
export function setTraceContextProvider(fn: () => TraceContext | undefined): void {
  provider = fn;
}
