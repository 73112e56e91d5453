/**
 * The server side of W3C Trace Context: with the `tracing` option, each handler runs in an async context
 * (AsyncLocalStorage) holding the request's trace — the incoming `traceparent`'s trace-id and flags, or a
 * new trace when there is none or it is invalid — and a span id of its own, so requests the handler makes
 * with hayate's client carry `traceparent: 00-<trace-id>-<that span id>-<flags>` and the `tracestate`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';
import { setTraceContextProvider, type TraceContext } from '../common/trace-context.js';
import type { ServerRequest } from './types.js';

const storage = new AsyncLocalStorage<TraceContext>();
let isInstalled = false;

/** Random bytes as lowercase hex; never all zero (§3.2.2.3/4: all-zero ids are invalid). */
function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  do randomFillSync(b);
  while (b.every((x) => x === 0));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The trace `req` runs in: its parent's trace when its `traceparent` is valid, else a new one. */
export function traceContextOf(req: ServerRequest): TraceContext {
  const parent = req.traceparent;
  return {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    flags: parent?.flags ?? 0,
    // §3.3.1: a tracestate without a valid traceparent is ignored.
    tracestate: parent === null ? undefined : req.headers.getAll('tracestate').join(',') || undefined,
  };
}

/** Runs `fn` in `req`'s trace (installing the client's lookup on first use). */
export function runTraced<T>(req: ServerRequest, fn: () => T): T {
  if (!isInstalled) {
    isInstalled = true;
    setTraceContextProvider(() => storage.getStore());
  }
  return storage.run(traceContextOf(req), fn);
}
