/**
 * HTTP/1 Markdown vectors (STYLE §4): each `## case` has an optional meta comment, a raw ```http input
 * block and an expected ```log block, one line per event with the byte offset first.
 *
 * Input block: every line is followed by CRLF, except a line ending in a backslash (the backslash is
 * dropped and nothing is added). Escapes: \r \n \t \0 \\ \xHH. Meta: `<!-- meta={...} -->` with
 * `type` ("request" | "response"), `methods` (request methods the responses answer, in order),
 * `limits`, `leniency`, `eof` (default true: the input ends with peer EOF).
 */
import { readFileSync } from 'node:fs';
import {
  Http1Parser,
  Http1ParseError,
  type Http1Event,
  type Http1Headers,
  type Http1Leniency,
  type Http1Limits,
} from '../../src/http1/index.js';

/** Options a vector may set. */
export interface VectorMeta {
  type: 'request' | 'response';
  methods?: string[];
  limits?: Partial<Http1Limits>;
  leniency?: Partial<Http1Leniency>;
  eof?: boolean;
}

/** One parsed vector. */
export interface Vector {
  file: string;
  name: string;
  meta: VectorMeta;
  input: Uint8Array;
  expected: string[];
  /** Line in the file where the log block starts (for updates). */
  line: number;
}

/** Decodes the input-block syntax to bytes. */
export function decodeInputBlock(lines: readonly string[]): Uint8Array {
  const out: number[] = [];
  for (const raw of lines) {
    let line = raw;
    let crlf = true;
    if (line.endsWith('\\') && !line.endsWith('\\\\')) {
      line = line.slice(0, -1);
      crlf = false;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (c !== '\\') {
        out.push(line.charCodeAt(i) & 0xff);
        continue;
      }
      const n = line[++i];
      if (n === 'r') out.push(13);
      else if (n === 'n') out.push(10);
      else if (n === 't') out.push(9);
      else if (n === '0') out.push(0);
      else if (n === '\\') out.push(0x5c);
      else if (n === 'x') {
        out.push(parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else throw new Error(`bad escape \\${n ?? ''} in ${raw}`);
    }
    if (crlf) out.push(13, 10);
  }
  return Uint8Array.from(out);
}

/** Parses every vector of one Markdown file. */
export function readVectors(path: string): Vector[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const out: Vector[] = [];
  let name = '';
  let meta: VectorMeta = { type: 'request' };
  let fileMeta: Partial<VectorMeta> = {};
  let input: Uint8Array | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) {
      name = line.slice(3).trim();
      meta = { type: 'request', ...fileMeta };
      input = null;
    } else if (line.startsWith('<!-- meta=')) {
      const json = JSON.parse(
        line.slice('<!-- meta='.length, line.lastIndexOf('-->')).trim(),
      ) as Partial<VectorMeta>;
      if (name === '') fileMeta = json;
      else meta = { ...meta, ...json };
    } else if (line.startsWith('```http')) {
      const body: string[] = [];
      for (i++; !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
      input = decodeInputBlock(body);
    } else if (line.startsWith('```log')) {
      const start = i;
      const body: string[] = [];
      for (i++; !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
      if (input === null) throw new Error(`${path}: log without input in '${name}'`);
      out.push({ file: path, name, meta, input, expected: body, line: start });
    }
  }
  return out;
}

/** JSON string of latin1 bytes with everything outside printable ASCII escaped (logs stay ASCII). */
export function json(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return asciiJson(s);
}

function asciiJson(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

function fieldLines(prefix: string, h: Http1Headers, out: string[]): void {
  for (let i = 0; i < h.length; i++) out.push(`  ${prefix} ${h.name(i)}: ${asciiJson(h.value(i))}`);
}

/** Formats one event (data events are merged by the caller). */
export function formatEvent(ev: Http1Event, out: string[]): void {
  switch (ev.type) {
    case 'head': {
      const start =
        ev.kind === 'request'
          ? `${ev.method} ${asciiJson(ev.target)} HTTP/${ev.version}`
          : `HTTP/${ev.version} ${ev.status} ${asciiJson(ev.reason)}`;
      const flags = [
        `body=${ev.bodyKind}${ev.contentLength >= 0 ? `:${ev.contentLength}` : ''}`,
        `keepAlive=${ev.keepAlive}`,
      ];
      if (ev.expectContinue) flags.push('expectContinue');
      if (ev.upgrade) flags.push('upgrade');
      out.push(`off=${ev.offset} head ${start} ${flags.join(' ')}`);
      fieldLines('h', ev.headers, out);
      return;
    }
    case 'data':
      out.push(`off=${ev.offset} data ${json(ev.bytes)}`);
      return;
    case 'end':
      out.push(`off=${ev.offset} end`);
      if (ev.trailers !== null) fieldLines('t', ev.trailers, out);
      return;
    case 'upgrade':
      out.push(`off=${ev.offset} upgrade ${json(ev.bytes)}`);
      return;
  }
}

/**
 * Runs `chunks` through a fresh parser configured by `meta`; returns the event log. `release` hands every
 * head back to the parser once logged (`Http1Parser.release`); `host` logs `get('host')` after each head.
 */
export function runChunks(
  meta: VectorMeta,
  chunks: readonly Uint8Array[],
  options: { release?: boolean; host?: boolean } = {},
): string[] {
  const p = new Http1Parser(meta.type === 'request', { limits: meta.limits, leniency: meta.leniency });
  const methods = [...(meta.methods ?? [])];
  const out: string[] = [];
  let pendingData: { offset: number; parts: number[] } | null = null;
  let lastUpgrade: Uint8Array | null = null;
  let lastUpgradeOffset = 0;
  const flushData = (): void => {
    if (pendingData !== null) {
      out.push(`off=${pendingData.offset} data ${json(Uint8Array.from(pendingData.parts))}`);
      pendingData = null;
    }
  };
  const drain = (): void => {
    for (;;) {
      p.responseToHead = methods[0] === 'HEAD';
      p.responseToConnect = methods[0] === 'CONNECT';
      const ev = p.next();
      if (ev === null) return;
      if (ev.type === 'upgrade' && out.length > 0 && lastUpgrade !== null) {
        // Chunks after a hand-off come back as further upgrade events: merge them (split invariance).
        lastUpgrade = Uint8Array.from([...lastUpgrade, ...ev.bytes]);
        out[out.length - 1] = `off=${lastUpgradeOffset} upgrade ${json(lastUpgrade)}`;
        continue;
      }
      if (ev.type === 'upgrade') {
        lastUpgrade = Uint8Array.from(ev.bytes);
        lastUpgradeOffset = ev.offset;
      }
      if (ev.type === 'data') {
        if (pendingData !== null && pendingData.offset + pendingData.parts.length === ev.offset) {
          for (const b of ev.bytes) pendingData.parts.push(b);
        } else {
          flushData();
          pendingData = { offset: ev.offset, parts: Array.from(ev.bytes) };
        }
        continue;
      }
      flushData();
      formatEvent(ev, out);
      if (ev.type === 'head') {
        if (options.host === true) out.push(`host=${String(ev.headers.get('host'))}`);
        if (options.release === true) p.release(ev);
      }
      if (ev.type === 'end' || (ev.type === 'head' && ev.upgrade && ev.kind === 'response')) methods.shift();
    }
  };
  try {
    for (const c of chunks) {
      p.push(c);
      drain();
    }
    if (meta.eof !== false) {
      p.finish();
      drain();
    }
    flushData();
  } catch (err) {
    flushData();
    if (!(err instanceof Http1ParseError)) throw err;
    out.push(`off=${err.offset ?? -1} error ${err.kind} ${err.statusHint}`);
  }
  return out;
}
