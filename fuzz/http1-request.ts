/** jsfuzz target for the HTTP/1 request parser; the input layout is in lib/http1-harness.ts. */
import { fuzzHttp1 } from './lib/http1-harness';

export function fuzz(buf: Buffer): void {
  fuzzHttp1(true, buf);
}
