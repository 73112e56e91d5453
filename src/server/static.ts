/**
 * Static files: conditional requests (RFC 9110 §13: If-None-Match, If-Modified-Since, If-Range),
 * single byte ranges (RFC 9110 §14: 206, 416), Content-Type by extension, path traversal refused.
 * The body goes out with sendfile(2) on the native transport and a read stream on node:net.
 *
 * Precompressed siblings (`precompressed`): `file.br` / `file.gz` beside the file, chosen by Accept-Encoding
 * (RFC 9110 §12.5.3) when not older than the file; they go out with sendfile(2) like any file. Files are
 * never compressed on the fly: that would give up Range and sendfile for work a build step does once.
 *
 * open/fstat are synchronous: for page-cached files they take microseconds, far less than a thread-pool
 * round trip. Serving from slow network file systems would want the async variants.
 */
import { closeSync, fstatSync, openSync, type Stats } from 'node:fs';
import { resolve, sep } from 'node:path';
import { UsageError } from '../common/errors.js';
import { codedEtag, negotiate, varyCovers, type ContentCoding } from './compress.js';
import { contentTypeFor } from './mime.js';
import type { OutgoingResponse } from './response.js';
import type { Handler, SendFileOptions, ServerRequest, ServerResponse } from './types.js';

/** Strong validator from size and mtime (changes whenever either does). */
function etagOf(st: Stats): string {
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; `*` matches any current representation. */
function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const bare = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const part of header.split(',')) {
    let t = part.trim();
    if (t.startsWith('W/')) t = t.slice(2);
    if (t === bare) return true;
  }
  return false;
}

/** Parses a single `bytes=` range against `size`: [start, end] inclusive, 'unsatisfiable', or null to ignore. */
export function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | null {
  const h = header.trim();
  if (!h.toLowerCase().startsWith('bytes=')) return null;
  const spec = h.slice(6).trim();
  // RFC 9110 §14.2: a server MAY ignore Range; several ranges are served whole (no multipart).
  if (spec.includes(',')) return null;
  const dash = spec.indexOf('-');
  if (dash < 0) return null;
  const a = spec.slice(0, dash).trim();
  const b = spec.slice(dash + 1).trim();
  const isDigits = (s: string): boolean => /^[0-9]+$/.test(s);
  if (a === '') {
    // Suffix range: the last N bytes (RFC 9110 §14.1.1).
    if (!isDigits(b)) return null;
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  if (!isDigits(a) || (b !== '' && !isDigits(b))) return null;
  const start = Number(a);
  let end = b === '' ? size - 1 : Number(b);
  if (b !== '' && end < start) return null;
  if (start >= size) return 'unsatisfiable';
  if (end >= size) end = size - 1;
  return [start, end];
}

/** File name suffix of each coding's precompressed sibling. */
const SIBLING_SUFFIX = { br: '.br', gzip: '.gz' } as const;

/** The codings `precompressed` asks for, in order of preference. */
function siblingCodings(option: SendFileOptions['precompressed']): readonly ContentCoding[] {
  if (option === undefined || option === false) return [];
  if (option === true) return ['br', 'gzip'];
  const list: unknown = option;
  if (!Array.isArray(list)) {
    throw new UsageError('ERR_INVALID_ARG_TYPE', 'precompressed must be a boolean or a list of codings');
  }
  const out: ContentCoding[] = [];
  for (const c of list as unknown[]) {
    if (c !== 'br' && c !== 'gzip') {
      throw new UsageError('ERR_INVALID_ARG_TYPE', `precompressed: unknown coding ${String(c)}`);
    }
    out.push(c);
  }
  return out;
}

/** An open precompressed sibling. */
interface Sibling {
  readonly fd: number;
  readonly st: Stats;
  readonly coding: ContentCoding;
}

/**
 * Opens the precompressed siblings of `full` that may stand for it (regular files, not older than it),
 * and picks the one Accept-Encoding prefers; the others are closed. `exists` is false when there is none
 * (the answer does not vary then); `pick` null when the client takes none of them.
 */
function openSibling(
  full: string,
  st: Stats,
  codings: readonly ContentCoding[],
  acceptEncoding: string | undefined,
): { exists: boolean; pick: Sibling | null } {
  const found: Sibling[] = [];
  for (const coding of codings) {
    let fd: number;
    try {
      fd = openSync(full + SIBLING_SUFFIX[coding], 'r');
    } catch {
      continue;
    }
    const sst = fstatSync(fd);
    // A sibling older than the file was made from an older version of it: never serve stale content.
    if (sst.isFile() && sst.mtimeMs >= st.mtimeMs) found.push({ fd, st: sst, coding });
    else closeSync(fd);
  }
  if (found.length === 0) return { exists: false, pick: null };
  const chosen = negotiate(
    acceptEncoding,
    found.map((f) => f.coding),
  );
  let pick: Sibling | null = null;
  for (const f of found) {
    if (f.coding === chosen) pick = f;
    else closeSync(f.fd);
  }
  return { exists: true, pick };
}

function notFound(res: ServerResponse): void {
  res.status = 404;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('Not Found\n');
}

/** Resolves `path` under `root`, or undefined when it would escape it. */
export function resolveUnder(root: string, path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  const base = resolve(root);
  const full = resolve(base, '.' + (path.startsWith('/') ? path : '/' + path));
  if (full !== base && !full.startsWith(base + sep)) return undefined;
  return full;
}

/** Implements {@link ServerResponse.sendFile}. */
export async function serveFile(
  res: OutgoingResponse,
  req: ServerRequest,
  path: string,
  options: SendFileOptions,
): Promise<void> {
  const full = options.root === undefined ? resolve(path) : resolveUnder(options.root, path);
  if (full === undefined) {
    notFound(res);
    return;
  }
  let fd: number;
  try {
    fd = openSync(full, 'r');
  } catch {
    notFound(res);
    return;
  }
  let bodyFd = fd;
  try {
    const fileSt = fstatSync(fd);
    if (!fileSt.isFile()) {
      notFound(res);
      return;
    }
    // The body is sent as it is on disk: never compressed on the fly (see the file comment).
    res.compress = false;
    let st = fileSt;
    let coding: ContentCoding | null = null;
    const codings = siblingCodings(options.precompressed);
    if (codings.length > 0 && (req.method === 'GET' || req.method === 'HEAD')) {
      const accept = req.headers.getAll('accept-encoding');
      const sibling = openSibling(full, fileSt, codings, accept.length === 0 ? undefined : accept.join(','));
      if (sibling.exists) {
        // RFC 9110 §12.5.5: the representation chosen depends on Accept-Encoding.
        const vary = res.getHeader('vary');
        if (vary === undefined) res.setHeader('vary', 'Accept-Encoding');
        else if (!varyCovers(vary)) res.setHeader('vary', `${vary}, Accept-Encoding`);
      }
      const pick = sibling.pick;
      if (pick !== null) {
        bodyFd = pick.fd;
        st = pick.st;
        coding = pick.coding;
        res.setHeader('content-encoding', pick.coding);
      }
    }
    // RFC 9110 §8.8.3: each representation has its own strong validator (the suffix keeps a sibling's
    // apart from the file's even when size and mtime coincide).
    const etag = coding === null ? etagOf(st) : codedEtag(etagOf(st), coding);
    const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
    res.setHeader('etag', etag);
    res.setHeader('last-modified', lastModified);
    if (options.cacheControl !== undefined) res.setHeader('cache-control', options.cacheControl);
    const isGetOrHead = req.method === 'GET' || req.method === 'HEAD';
    // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only when it is absent.
    const inm = req.headers.get('if-none-match');
    let notModified = false;
    if (inm !== undefined) notModified = isGetOrHead && noneMatch(inm, etag);
    else {
      const ims = req.headers.get('if-modified-since');
      if (ims !== undefined && isGetOrHead) {
        const t = Date.parse(ims);
        notModified = !Number.isNaN(t) && Math.floor(st.mtimeMs / 1000) * 1000 <= t;
      }
    }
    if (notModified) {
      res.status = 304;
      res.end();
      return;
    }
    // A sibling has the file's media type, with its coding on top (RFC 9110 §8.3, §8.4).
    res.setHeader('content-type', options.contentType ?? contentTypeFor(full));
    const acceptRanges = options.acceptRanges ?? true;
    if (acceptRanges) res.setHeader('accept-ranges', 'bytes');
    let start = 0;
    let length = st.size;
    const range = req.headers.get('range');
    // RFC 9110 §13.1.5: If-Range with a validator that does not match means "send it all".
    const ifRange = req.headers.get('if-range');
    const rangeApplies =
      acceptRanges &&
      range !== undefined &&
      req.method === 'GET' &&
      (ifRange === undefined || ifRange.trim() === etag || ifRange.trim() === lastModified);
    if (rangeApplies) {
      const r = parseRange(range, st.size);
      if (r === 'unsatisfiable') {
        res.status = 416;
        res.removeHeader('content-type');
        res.setHeader('content-range', `bytes */${st.size}`);
        res.end();
        return;
      }
      if (r !== null) {
        res.status = 206;
        start = r[0];
        length = r[1] - r[0] + 1;
        res.setHeader('content-range', `bytes ${r[0]}-${r[1]}/${st.size}`);
      }
    }
    res.sendHead(length);
    await res.sendFileBody(bodyFd, start, length);
    res.end();
  } finally {
    if (bodyFd !== fd) closeSync(bodyFd);
    closeSync(fd);
  }
}

/** Options of {@link serveStatic}. */
export interface StaticOptions extends SendFileOptions {
  /** File served for a path ending in `/` (default `index.html`). */
  readonly index?: string;
  /** Called when no file matches (default: 404). */
  readonly fallback?: Handler;
}

/** A handler serving files under `root`. Percent-decodes the path; `..` escaping the root answers 404. */
export function serveStatic(root: string, options: StaticOptions = {}): Handler {
  const index = options.index ?? 'index.html';
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      res.status = 400;
      res.end('Bad Request\n');
      return;
    }
    if (path.endsWith('/')) path += index;
    const full = resolveUnder(root, path);
    if (full === undefined) {
      notFound(res);
      return;
    }
    if (options.fallback !== undefined) {
      try {
        if (!fstatIsFile(full)) {
          await options.fallback(req, res);
          return;
        }
      } catch {
        await options.fallback(req, res);
        return;
      }
    }
    await res.sendFile(path, { ...options, root });
  };
}

function fstatIsFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).isFile();
  } finally {
    closeSync(fd);
  }
}
