/**
 * Differential test: on generated near-valid requests, the strict parser must agree with Node's
 * built-in llhttp (`_http_common`'s HTTPParser) on accept/reject and, for accepted messages, on method,
 * target, field list and body bytes. Every kind of disagreement is listed below with the RFC rule that
 * justifies hayate's behaviour; an unlisted disagreement fails the test and prints the input.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Http1Parser, Http1ParseError } from '../../src/http1/index.js';

interface Message {
  method: string;
  target: string;
  headers: string[];
  body: string;
}

interface Outcome {
  messages: Message[];
  error: string | null;
  /** hayate only: a message was still in progress when the input ended. */
  pending?: boolean;
}

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
};

function runHayate(input: Uint8Array): Outcome {
  const p = new Http1Parser(true);
  const messages: Message[] = [];
  let cur: Message | null = null;
  try {
    p.push(input);
    for (let ev = p.next(); ev !== null; ev = p.next()) {
      if (ev.type === 'head') {
        cur = { method: ev.method, target: ev.target, headers: [], body: '' };
        for (let i = 0; i < ev.headers.length; i++) cur.headers.push(ev.headers.name(i), ev.headers.value(i));
      } else if (ev.type === 'data' && cur !== null) {
        cur.body += latin1(ev.bytes);
      } else if (ev.type === 'end' && cur !== null) {
        messages.push(cur);
        cur = null;
      } else if (ev.type === 'upgrade') {
        break;
      }
    }
    return { messages, error: null, pending: !p.isIdle };
  } catch (err) {
    if (!(err instanceof Http1ParseError)) throw err;
    return { messages, error: err.kind };
  }
}

interface LlhttpParser {
  initialize(type: number, resource: object): void;
  execute(buf: Uint8Array): number | (Error & { code?: string });
  finish(): unknown;
  close(): void;
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

const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as LlhttpModule;

function runLlhttp(input: Uint8Array): Outcome {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {});
  const messages: Message[] = [];
  let cur: Message | null = null;
  const st = { upgraded: false };
  let pendingHeaders: string[] = [];
  let pendingUrl = '';
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string): void => {
    pendingHeaders = pendingHeaders.concat(headers);
    pendingUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _msg: unknown,
    upgrade: boolean,
  ): number => {
    const all = pendingHeaders.concat(headers ?? []);
    cur = {
      method: methods[method] ?? '?',
      target: pendingUrl + (url ?? ''),
      headers: all.map((h, i) => (i % 2 === 0 ? h.toLowerCase() : h)),
      body: '',
    };
    pendingHeaders = [];
    pendingUrl = '';
    if (upgrade) st.upgraded = true;
    return 0;
  };
  parser[HTTPParser.kOnBody] = (b: Uint8Array): void => {
    if (cur !== null) cur.body += latin1(b);
  };
  parser[HTTPParser.kOnMessageComplete] = (): void => {
    if (cur !== null) messages.push(cur);
    cur = null;
  };
  const r = parser.execute(Buffer.from(input));
  parser.close();
  if (typeof r !== 'number' && !st.upgraded) return { messages, error: r.code ?? 'error' };
  return { messages, error: null };
}

/** Deterministic PRNG (mulberry32) so the generated inputs are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEMPLATES = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Y: z\r\n\r\n',
  'POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
  'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'PUT /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
  'DELETE /d HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
];

const SNIPPETS = [
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\0',
  ':',
  ',',
  ';',
  '"',
  '0',
  '5',
  'f',
  '-',
  '\x7f',
  '\xff',
  '\x0b',
  'Content-Length: 3\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Host: b\r\n',
  'chunked',
  ' chunked',
  'HTTP/1.0',
  'X: y\r\n',
];

function mutate(template: string, r: () => number): string {
  let s = template;
  const n = 1 + Math.floor(r() * 2);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    const snip = SNIPPETS[Math.floor(r() * SNIPPETS.length)]!;
    if (op < 0.45) s = s.slice(0, at) + snip + s.slice(at);
    else if (op < 0.8) s = s.slice(0, at) + snip + s.slice(at + 1);
    else s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 3));
  }
  return s;
}

const hasField = (m: Message, name: string): number =>
  m.headers.filter((h, i) => i % 2 === 0 && h === name).length;

/**
 * Known, justified disagreements. Returns the justification, or null when the difference is unexplained.
 * `h` is hayate's outcome, `l` llhttp's, `input` the raw request stream.
 */
function justify(input: string, h: Outcome, l: Outcome): string | null {
  const lower = input.toLowerCase();
  // hayate rejects; llhttp accepts.
  if (h.error === 'INVALID_HOST')
    return 'RFC 9112 §3.2: HTTP/1.1 request without exactly one Host MUST get 400';
  if (h.error === 'DUPLICATE_CONTENT_LENGTH') {
    return 'RFC 9112 §6.3: repeated Content-Length is rejected (strict smuggling defence; equal values are opt-in)';
  }
  if (h.error === 'UNSUPPORTED_TRANSFER_CODING') {
    return 'RFC 9112 §6.1: a transfer coding the server does not implement SHOULD get 501';
  }
  if (h.error === 'INVALID_TRANSFER_ENCODING' && /http\/1\.0/.test(lower)) {
    return 'RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing';
  }
  if (h.error === 'INVALID_TRANSFER_ENCODING' || h.error === 'TRANSFER_ENCODING_WITH_CONTENT_LENGTH') {
    return 'RFC 9112 §6.1/§6.3: request Transfer-Encoding must end in chunked, once, and not come with Content-Length';
  }
  if (h.error === 'UNSUPPORTED_VERSION' || h.error === 'INVALID_VERSION') {
    return 'RFC 9112 §2.3: HTTP-version is exactly HTTP/1.DIGIT; other majors get 505';
  }
  if (h.error === 'INVALID_TARGET' && /[\x80-\xff]/.test(input)) {
    return 'RFC 9112 §3.2 / RFC 3986: a raw obs-text byte is not allowed in request-target';
  }
  if (h.error === 'INVALID_CONTENT_LENGTH' && l.error === null) {
    return 'RFC 9110 §8.6: Content-Length = 1*DIGIT (no list, no sign, no OWS inside)';
  }
  if (h.error === 'INVALID_HEADER_VALUE' && l.error === null && /[\x7f]/.test(input)) {
    return 'RFC 9110 §5.5: DEL is not a field-vchar';
  }
  if ((h.error === 'INVALID_CHUNK_EXTENSION' || h.error === 'INVALID_CHUNK_SIZE') && l.error === null) {
    return 'RFC 9112 §7.1.1: chunk-ext grammar (BWS ";" token [= token/quoted-string]) is enforced';
  }
  if (h.error === 'INVALID_TARGET' && / {2}/.test(input.split('\r\n')[0] ?? '')) {
    return 'RFC 9112 §3: request-line elements are separated by a single SP';
  }
  if (h.error === null && h.pending === true && l.error !== null) {
    return 'hayate checks framing fields once the head is complete; the input ended before that';
  }
  if (h.error === null && l.error === 'HPE_INVALID_TRANSFER_ENCODING' && /chunked\s*,/.test(lower)) {
    return 'RFC 9110 §5.6.1: a recipient MUST accept (and ignore) empty list elements';
  }
  if (h.error === null && l.error === 'HPE_STRICT') {
    return 'RFC 9112 §7.1.1: BWS is allowed around ";" and "=" in chunk-ext';
  }
  if (h.error === 'BARE_CR' && l.error === null) {
    return 'RFC 9112 §2.2: a bare CR is rejected (llhttp skips a lone CR before the request-line)';
  }
  if (h.error === 'BARE_LF' && l.error === null) {
    return 'RFC 9112 §2.2: a bare LF is not a line terminator unless allowBareLf (smuggling defence)';
  }
  if (h.error === 'INVALID_START_LINE' && l.error === null) {
    return 'RFC 9112 §3: a request-line ends with SP HTTP-version; HTTP/0.9 forms are not accepted';
  }
  // llhttp rejects; hayate accepts.
  if (
    h.error === null &&
    l.error === 'HPE_INVALID_METHOD' &&
    h.messages.some((m) => !methods.includes(m.method))
  ) {
    return "RFC 9110 §9.1: a method is any token; unknown methods are the server's 501 to give, not a parse error";
  }
  if (h.error === null && l.error === 'HPE_INVALID_METHOD' && h.pending === true) {
    return 'RFC 9110 §9.1: a method is any token, so an unfinished one waits for more bytes instead of failing';
  }
  if (h.error === null && l.error === 'HPE_CLOSED_CONNECTION') {
    return 'RFC 9112 §9.6: after Connection: close further bytes are ignored (hayate discards, llhttp errors)';
  }
  if (h.error === null && l.error !== null && h.messages.length > l.messages.length) {
    const extra = h.messages[l.messages.length]!;
    if (hasField(extra, 'content-length') === 0 && hasField(extra, 'transfer-encoding') === 0) {
      if (/\r\n\r\n\r\n/.test(input) || /^\r\n/.test(input)) {
        return 'RFC 9112 §2.2: empty lines before a request-line are ignored';
      }
    }
  }
  if (h.error === null && l.error === 'HPE_INVALID_METHOD' && /^(\r\n)+/.test(input)) {
    return 'RFC 9112 §2.2: empty lines before a request-line are ignored';
  }
  // Both reject or both accept, but with different message lists.
  if (h.error !== null && l.error !== null) return 'both reject';
  return null;
}

function same(a: Outcome, b: Outcome): boolean {
  return (
    (a.error === null) === (b.error === null) && JSON.stringify(a.messages) === JSON.stringify(b.messages)
  );
}

test('valid templates: hayate and llhttp agree exactly', () => {
  for (const t of TEMPLATES) {
    const input = Uint8Array.from(t, (c) => c.charCodeAt(0));
    const h = runHayate(input);
    const l = runLlhttp(input);
    assert.equal(h.error, null, t);
    assert.equal(l.error, null, t);
    assert.deepEqual(h.messages, l.messages, t);
  }
});

test('near-valid mutations: every disagreement is a listed, justified one', () => {
  const r = rng(0x5eed);
  const seen = new Map<string, number>();
  let agreed = 0;
  const unexplained: string[] = [];
  for (let n = 0; n < 6000; n++) {
    const t = TEMPLATES[n % TEMPLATES.length]!;
    const s = mutate(t, r);
    const input = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    const h = runHayate(input);
    const l = runLlhttp(input);
    if (same(h, l)) {
      agreed++;
      continue;
    }
    const why = justify(s, h, l);
    if (why === null) {
      unexplained.push(
        `${JSON.stringify(s)}\n  hayate: ${JSON.stringify(h)}\n  llhttp: ${JSON.stringify(l)}`,
      );
    } else {
      seen.set(why, (seen.get(why) ?? 0) + 1);
    }
  }
  if (process.env['HTTP1_DIFF_VERBOSE'] !== undefined) {
    console.log(`# agreed ${agreed}`);
    for (const [why, count] of seen) console.log(`# ${count} x ${why}`);
  }
  assert.ok(agreed > 3000, `most inputs agree (${agreed})`);
  assert.deepEqual(unexplained.slice(0, 5), [], `${unexplained.length} unexplained disagreements`);
});
