/**
 * The HTTP/1 fuzz harness shared by the request and response targets. Input layout:
 *   byte 0: options: bit 0 allowBareLf, bit 1 allowObsFold, bit 2 the other leniency flags,
 *           bit 3 small limits, bits 4-7: chunk size for streaming (0 = whole input)
 *   then the raw byte stream.
 * The stream is parsed once whole and once in chunks, the chunked run handing every head back with
 * `release()` once logged (so later heads are rebuilt in it): the two compact event logs must match (split
 * and reuse invariance), every head's strings are decoded, and only Http1ParseError is an acceptable failure.
 */
import { Http1ParseError } from '../../src/common/errors';
import { Http1Parser } from '../../src/http1/index';

function run(isRequest: boolean, data: Uint8Array, options: number, chunk: number, release: boolean): string {
  const lenient = (options & 4) !== 0;
  const small = (options & 8) !== 0;
  const p = new Http1Parser(isRequest, {
    leniency: {
      allowBareLf: (options & 1) !== 0,
      allowObsFold: (options & 2) !== 0,
      allowMissingHost: lenient,
      allowDuplicateContentLength: lenient,
      allowTransferEncodingWithContentLength: lenient,
      allowUnknownTransferCoding: lenient,
    },
    limits: small
      ? {
          maxHeadBytes: 256,
          maxHeaders: 8,
          maxTargetBytes: 64,
          maxTrailerBytes: 64,
          maxChunkExtensionBytes: 32,
          maxBodyBytes: 4096,
        }
      : undefined,
  });
  let log = '';
  let methods = 0;
  let upgraded = false;
  const drain = (): void => {
    for (;;) {
      // Response framing depends on the request method: alternate GET and HEAD.
      p.responseToHead = (methods & 1) === 1;
      const ev = p.next();
      if (ev === null) return;
      if (ev.type === 'head') {
        const h = ev.headers;
        log += `H${ev.offset}:${ev.method}${ev.target}${ev.status}${ev.reason}${ev.bodyKind}${ev.contentLength}${ev.keepAlive}|`;
        for (let i = 0; i < h.length; i++) log += `${h.name(i)}=${h.value(i)};`;
        if (h.get('host') !== h.getAll('host')[0]) throw new Error('get/getAll disagree');
        if (release) p.release(ev);
      } else if (ev.type === 'data') {
        for (const b of ev.bytes) log += String.fromCharCode(b);
      } else if (ev.type === 'end') {
        methods++;
        log += `E${ev.offset}|`;
        if (ev.trailers !== null) for (let i = 0; i < ev.trailers.length; i++) log += ev.trailers.value(i);
      } else {
        // After a hand-off every chunk comes back as another upgrade event: log the bytes, not the events.
        if (!upgraded) log += `U${ev.offset}|`;
        upgraded = true;
        for (const b of ev.bytes) log += String.fromCharCode(b);
      }
    }
  };
  try {
    if (chunk === 0) {
      p.push(data);
      drain();
    } else {
      for (let i = 0; i < data.length; i += chunk) {
        p.push(data.slice(i, i + chunk));
        drain();
      }
    }
    p.finish();
    drain();
  } catch (err) {
    if (!(err instanceof Http1ParseError)) throw err;
    log += `X${err.kind}@${String(err.offset)}`;
  }
  return log;
}

/** Runs one fuzz input against the request (`isRequest`) or response parser. */
export function fuzzHttp1(isRequest: boolean, buf: Buffer): void {
  if (buf.length < 1) return;
  const options = buf[0]!;
  const data = new Uint8Array(buf.buffer, buf.byteOffset + 1, buf.length - 1);
  const whole = run(isRequest, data, options, 0, false);
  const chunk = options >>> 4;
  if (run(isRequest, data, options, chunk, true) !== whole) {
    throw new Error(chunk === 0 ? 'releasing heads changed the events' : 'split invariance violated');
  }
}
