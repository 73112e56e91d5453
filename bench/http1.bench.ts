/**
 * HTTP/1 parsing: hayate's Http1Parser against Node's built-in llhttp binding (`_http_common`'s
 * HTTPParser) on the same buffers in one run. Every iteration obtains the method, the target and the
 * Host value as strings on both sides (for llhttp: from the arrays it hands to kOnHeadersComplete). hayate's
 * side hands each head back with `release()` once read, as a proxy or server that copies what it keeps would.
 */
import { createRequire } from 'node:module';
import { Http1Parser } from '../src/http1/index.js';
import { runTinyCases, type BenchOptions, type BenchRecord, type TinyCase } from './lib/report.js';

export const area = 'http1';

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');

const MINIMAL_GET = enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
const BROWSER_GET = enc(
  'GET /articles/2024/hello-world?ref=home HTTP/1.1\r\n' +
    'Host: www.example.com\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n' +
    'Accept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Connection: keep-alive\r\n' +
    'Cookie: session=abc123; theme=dark\r\n' +
    'Upgrade-Insecure-Requests: 1\r\n\r\n',
);
const POST_1K = enc(
  'POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n' +
    'x'.repeat(1024),
);
const CHUNKED_8 = enc(
  'POST /upload HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n' +
    `80\r\n${'y'.repeat(128)}\r\n`.repeat(8) +
    '0\r\n\r\n',
);
const PIPELINED_16 = enc(
  Array.from({ length: 16 }, (_, i) => `GET /item/${i} HTTP/1.1\r\nHost: example.com\r\n\r\n`).join(''),
);

/** Sink so results are not optimised away. */
let sink = 0;

function hayateCase(input: Uint8Array): () => void {
  const parser = new Http1Parser(true);
  return () => {
    parser.push(input);
    for (let ev = parser.next(); ev !== null; ev = parser.next()) {
      if (ev.type === 'head') {
        sink += ev.method.length + ev.target.length + (ev.headers.get('host')?.length ?? 0);
        // Done with the head: the parser builds the next one in it (no head, view or span array per message).
        parser.release(ev);
      } else if (ev.type === 'data') {
        sink += ev.bytes.length;
      }
    }
  };
}

interface LlhttpParser {
  initialize(type: number, resource: object): void;
  execute(buf: Uint8Array): number | Error;
  [k: number]: unknown;
}
interface LlhttpModule {
  HTTPParser: {
    new (): LlhttpParser;
    REQUEST: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
  };
  methods: string[];
}

function llhttpCase(input: Uint8Array): () => void {
  const require = createRequire(import.meta.url);
  const { HTTPParser, methods } = require('_http_common') as LlhttpModule;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {});
  parser[HTTPParser.kOnHeaders] = (): void => undefined;
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: string[],
    method: number,
    url: string,
  ): void => {
    let host = '';
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]!.length === 4 && headers[i]!.toLowerCase() === 'host') {
        host = headers[i + 1]!;
        break;
      }
    }
    sink += methods[method]!.length + url.length + host.length;
  };
  parser[HTTPParser.kOnBody] = (b: Uint8Array): void => {
    sink += b.length;
  };
  parser[HTTPParser.kOnMessageComplete] = (): void => undefined;
  const buf = Buffer.from(input);
  return () => {
    const r = parser.execute(buf);
    if (typeof r !== 'number') throw r;
  };
}

const CASES: ReadonlyArray<[string, Uint8Array, number]> = [
  ['minimal-get', MINIMAL_GET, 1],
  ['browser-get', BROWSER_GET, 1],
  ['post-1k', POST_1K, 1],
  ['chunked-8', CHUNKED_8, 1],
  ['pipelined-16', PIPELINED_16, 16],
];

/**
 * Rounds per case. The box this runs on is shared and noisy, so every case is measured ROUNDS times
 * (hayate and llhttp back to back in each round, the same closures throughout, so both stay warm) and the
 * median is reported: `hz` is the median rate, and the hayate record carries `ratio`, the median of the
 * per-round hayate/llhttp ratios, with its spread (`ratioMin`, `ratioMax`).
 */
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const cases: TinyCase[] = CASES.map(([name, input, ops]) => ({
    name,
    opsPerCall: ops,
    subjects: [
      { subject: 'hayate', peer: false, fn: hayateCase(input) },
      { subject: 'node-llhttp', peer: true, fn: llhttpCase(input) },
    ],
  }));
  const roundOptions: BenchOptions = { timeMs: Math.max(100, Math.round(options.timeMs / 2)) };
  const hz = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const rs = await runTinyCases(area, cases, roundOptions);
    for (const r of rs) {
      const key = `${r.bench}\u0000${r.subject}`;
      hz.set(key, [...(hz.get(key) ?? []), r.hz ?? 0]);
    }
    for (const [name] of CASES) {
      const h = rs.find((r) => r.bench === `${area}/${name}` && !r.peer)?.hz ?? 0;
      const l = rs.find((r) => r.bench === `${area}/${name}` && r.peer)?.hz ?? 0;
      if (l > 0) ratios.set(name, [...(ratios.get(name) ?? []), h / l]);
    }
  }
  const records: BenchRecord[] = [];
  for (const [name, input, ops] of CASES) {
    for (const [subject, peer] of [
      ['hayate', false],
      ['node-llhttp', true],
    ] as const) {
      const rate = median(hz.get(`${area}/${name}\u0000${subject}`) ?? [0]);
      const r: BenchRecord = { bench: `${area}/${name}`, subject, peer, hz: rate, rounds: ROUNDS };
      r['bytes'] = input.length;
      // Input bytes parsed per second: calls/s times bytes per call.
      r['MBps'] = Number((((rate / ops) * input.length) / 1e6).toFixed(1));
      const rr = ratios.get(name);
      if (!peer && rr !== undefined) {
        r['ratio'] = Number(median(rr).toFixed(2));
        r['ratioMin'] = Number(Math.min(...rr).toFixed(2));
        r['ratioMax'] = Number(Math.max(...rr).toFixed(2));
      }
      records.push(r);
    }
  }
  if (sink === -1) console.log(sink);
  return records;
}
