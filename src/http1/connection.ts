/**
 * Sans-I/O HTTP/1.1 connection (STYLE §3.1) for the server or the client role.
 *
 *   receive(chunk) -> nextEvent() ... null      bytes in, events out (pull; no event arrays)
 *   send*(...)     -> takeOutput(): Uint8Array[] actions queue output for writev
 *
 * Message exchange per RFC 9112 §9.3 (persistence) and §9.3.2 (pipelining): requests are parsed as they
 * arrive, responses must be sent in request order; the connection remembers each unanswered request
 * (its method and whether it allows keep-alive) so response framing follows RFC 9112 §6.3 (no body for
 * HEAD, 1xx, 204, 304; CONNECT 2xx is a tunnel).
 *
 * Errors: a malformed message makes `nextEvent()` throw an {@link Http1ParseError} (its `statusHint`
 * is the status to answer with). The connection is then failed for input: `receive()` ignores bytes,
 * `nextEvent()` rethrows the same error, `keepAlive` is false; send actions still work so a server can
 * answer `statusHint` (no pending response needed: `sendResponseHead` is allowed once for the error)
 * and then close.
 */
import { UsageError } from '../common/errors.js';
import type { Http1ParseError } from '../common/errors.js';
import { headerNameIndex, HeaderNameId } from '../common/header-names.js';
import type { Http1Event, Http1Head } from './events.js';
import type { Http1Leniency, Http1Limits } from './limits.js';
import { Http1Parser, ParserState } from './parser.js';
import { Http1Writer, type Http1FieldList } from './serializer.js';

/** Options of {@link Http1Connection}. */
export interface Http1ConnectionOptions {
  /** `server` parses requests and sends responses; `client` the reverse. */
  readonly role: 'server' | 'client';
  readonly limits?: Partial<Http1Limits> | undefined;
  readonly leniency?: Partial<Http1Leniency> | undefined;
}

/** Options of {@link Http1Connection.sendResponseHead}. */
export interface Http1ResponseOptions {
  /** Reason phrase; defaults to the registered one. */
  readonly reason?: string;
  /** Adds `content-length` and sends a fixed-length body (same as passing the field yourself). */
  readonly contentLength?: number;
}

/** How the outgoing body is framed. */
const OutBody = { None: 0, Length: 1, Chunked: 2, Close: 3, Discard: 4 } as const;
type OutBody = (typeof OutBody)[keyof typeof OutBody];

/** Outgoing message progress. */
const OutState = { Idle: 0, Body: 1, Done: 2 } as const;
type OutState = (typeof OutState)[keyof typeof OutState];

interface PendingRequest {
  readonly isHead: boolean;
  readonly isConnect: boolean;
  readonly minor: number;
  readonly keepAlive: boolean;
  readonly upgrade: boolean;
}

const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** One HTTP/1.1 connection, either role. No I/O, no timers. */
export class Http1Connection {
  readonly role: 'server' | 'client';
  private readonly parser: Http1Parser;
  private writer: Http1Writer;
  /** Requests received (server) or sent (client) whose final response has not completed. */
  private readonly pending: PendingRequest[];
  private outState: OutState;
  private outBody: OutBody;
  private outRemaining: number;
  private outChunks: number;
  private closeAfterOutput: boolean;
  private closed: boolean;
  private failed: Http1ParseError | null;
  private upgraded: boolean;
  /** The peer's EOF was fed in (`receiveEnd`): no further message can arrive. */
  private inputEnded: boolean;

  constructor(options: Http1ConnectionOptions) {
    const role: string = options.role;
    if (role !== 'server' && role !== 'client') {
      throw new UsageError('ERR_INVALID_ARG', `role must be 'server' or 'client'`);
    }
    this.role = options.role;
    this.parser = new Http1Parser(options.role === 'server', {
      limits: options.limits,
      leniency: options.leniency,
    });
    this.writer = new Http1Writer();
    this.pending = [];
    this.outState = OutState.Idle;
    this.outBody = OutBody.None;
    this.outRemaining = 0;
    this.outChunks = 0;
    this.closeAfterOutput = false;
    this.closed = false;
    this.failed = null;
    this.upgraded = false;
    this.inputEnded = false;
  }

  /**
   * Feeds bytes from the peer. Lifetime: the chunk is referenced (not copied) by the events that
   * follow; it must stay unmodified until the next `receive()`. Ignored after `close()` or a failure.
   */
  receive(chunk: Uint8Array): void {
    if (this.closed || this.failed !== null) return;
    this.parser.push(chunk);
  }

  /** The peer closed its side (EOF): ends a close-delimited body; a truncated message becomes an error. */
  receiveEnd(): void {
    this.inputEnded = true;
    this.parser.finish();
  }

  /**
   * The next event, or null when more bytes are needed. Throws {@link Http1ParseError} on a malformed
   * message (see the class comment for the state afterwards).
   */
  nextEvent(): Http1Event | null {
    if (this.failed !== null) throw this.failed;
    if (this.closed) return null;
    const p = this.parser;
    if (this.role === 'client') {
      const req = this.pending[0];
      p.responseToHead = req?.isHead ?? false;
      p.responseToConnect = req?.isConnect ?? false;
    }
    let ev: Http1Event | null;
    try {
      ev = p.next();
    } catch (err) {
      this.failed = err as Http1ParseError;
      throw err;
    }
    if (ev === null) return null;
    if (ev.type === 'head') {
      if (this.role === 'server') this.pending.push(requestInfo(ev));
    } else if (ev.type === 'end') {
      if (this.role === 'client') this.pending.shift();
    } else if (ev.type === 'upgrade') {
      this.upgraded = true;
    }
    if (this.role === 'client' && ev.type === 'head' && ev.upgrade) this.pending.shift();
    return ev;
  }

  /** May the connection carry another message after the current exchange (RFC 9112 §9.3)? */
  get keepAlive(): boolean {
    return (
      !this.closed &&
      this.failed === null &&
      !this.upgraded &&
      !this.inputEnded &&
      !this.closeAfterOutput &&
      parserAlive(this.parser)
    );
  }

  /** True when all queued work is done and no message is half-sent or half-received. */
  get isIdle(): boolean {
    return this.parser.isIdle && this.outState !== OutState.Body && this.pending.length === 0;
  }

  /** The parse error that failed the connection, if any. */
  get error(): Http1ParseError | null {
    return this.failed;
  }

  private checkOpen(): void {
    if (this.closed) throw new UsageError('ERR_HTTP1_CLOSED', 'connection is closed');
  }

  /**
   * Server: starts the response to the oldest unanswered request. Body framing: `content-length`
   * (field or `options.contentLength`) gives a fixed body; else `transfer-encoding: chunked` is added for
   * HTTP/1.1 requests, and HTTP/1.0 requests get a close-delimited body. HEAD requests and 204/304
   * carry no body (data sent for HEAD is dropped). `connection: close` is added when the connection
   * will not persist. After a parse error it may be called once, to answer the error.
   */
  sendResponseHead(status: number, headers: Http1FieldList, options: Http1ResponseOptions = {}): void {
    this.checkOpen();
    if (this.role !== 'server')
      throw new UsageError('ERR_HTTP1_ROLE', 'sendResponseHead is for the server role');
    if (status < 200) {
      if (status === 101) {
        this.sendSwitchingProtocols(headers, options);
        return;
      }
      this.sendInformational(status, headers);
      return;
    }
    if (this.outState === OutState.Body)
      throw new UsageError('ERR_HTTP1_STATE', 'previous response not ended');
    let req = this.pending[0];
    if (req === undefined) {
      if (this.failed === null) throw new UsageError('ERR_HTTP1_STATE', 'no request to respond to');
      // Answering a parse error: one response, then close.
      req = { isHead: false, isConnect: false, minor: 1, keepAlive: false, upgrade: false };
      this.pending.push(req);
    }
    let contentLength = options.contentLength ?? -1;
    let chunked = false;
    let closeRequested = false;
    for (let k = 0; k < headers.length; k++) {
      const f = headers[k]!;
      const id = headerNameIndex(f[0]);
      if (id === HeaderNameId.ContentLength) {
        const v = Number(f[1]);
        if (!Number.isSafeInteger(v) || v < 0 || f[1].trim() === '') {
          throw new UsageError(
            'ERR_HTTP1_INVALID_FIELD_VALUE',
            `invalid content-length ${JSON.stringify(f[1])}`,
          );
        }
        if (options.contentLength !== undefined && v !== options.contentLength) {
          throw new UsageError(
            'ERR_HTTP1_INVALID_FIELD_VALUE',
            'content-length field disagrees with options',
          );
        }
        contentLength = v;
      } else if (id === HeaderNameId.TransferEncoding) {
        chunked = true;
      } else if (id === HeaderNameId.Connection && hasCloseOption(f[1])) {
        closeRequested = true;
      }
    }
    const keepAlive = req.keepAlive && !closeRequested && this.failed === null && !this.closeAfterOutput;
    const noBody = req.isHead || status === 204 || status === 304 || (req.isConnect && status < 300);
    const extra: [string, string][] = [];
    const add = (n: string, v: string): void => {
      extra.push([n, v]);
    };
    let body: OutBody;
    if (noBody) {
      body = req.isHead ? OutBody.Discard : OutBody.None;
      if (options.contentLength !== undefined && !req.isHead && status !== 304) {
        throw new UsageError('ERR_HTTP1_STATE', `status ${status} has no body`);
      }
      if (options.contentLength !== undefined) add('content-length', String(options.contentLength));
    } else if (chunked) {
      body = OutBody.Chunked;
    } else if (contentLength >= 0) {
      body = OutBody.Length;
      if (options.contentLength !== undefined && !hasField(headers, HeaderNameId.ContentLength)) {
        add('content-length', String(contentLength));
      }
    } else if (req.minor >= 1) {
      body = OutBody.Chunked;
      add('transfer-encoding', 'chunked');
    } else {
      body = OutBody.Close;
    }
    const persist = keepAlive && body !== OutBody.Close;
    if (!persist && !closeRequested) add('connection', 'close');
    else if (persist && req.minor === 0) add('connection', 'keep-alive');
    this.writer.writeResponseHead(
      status,
      extra.length === 0 ? headers : headers.concat(extra),
      options.reason,
    );
    if (!persist) this.closeAfterOutput = true;
    this.startBody(body, contentLength);
  }

  private sendSwitchingProtocols(headers: Http1FieldList, options: Http1ResponseOptions): void {
    const req = this.pending[0];
    if (req === undefined || !req.upgrade) {
      throw new UsageError('ERR_HTTP1_STATE', '101 is only valid in answer to an Upgrade request');
    }
    this.writer.writeResponseHead(101, headers, options.reason);
    this.pending.shift();
    // Everything after this belongs to the new protocol (RFC 9110 §15.2.2).
    this.upgraded = true;
  }

  /** Server: a 1xx interim response (100 Continue, 103 Early Hints) before the final one (RFC 9110 §15.2). */
  sendInformational(status: number, headers: Http1FieldList = []): void {
    this.checkOpen();
    if (this.role !== 'server')
      throw new UsageError('ERR_HTTP1_ROLE', 'sendInformational is for the server role');
    if (status < 100 || status > 199 || status === 101) {
      throw new UsageError(
        'ERR_HTTP1_INVALID_STATUS',
        `informational status must be 1xx other than 101, got ${status}`,
      );
    }
    const req = this.pending[0];
    if (req === undefined || this.outState === OutState.Body) {
      throw new UsageError('ERR_HTTP1_STATE', 'no request awaiting a response');
    }
    // RFC 9110 §15.2: a server MUST NOT send a 1xx response to an HTTP/1.0 client.
    if (req.minor === 0) return;
    this.writer.writeResponseHead(status, headers);
  }

  /** Client: sends a request head. A body follows when the fields or the method imply one. */
  sendRequestHead(method: string, target: string, headers: Http1FieldList): void {
    this.checkOpen();
    if (this.role !== 'client')
      throw new UsageError('ERR_HTTP1_ROLE', 'sendRequestHead is for the client role');
    if (this.outState === OutState.Body)
      throw new UsageError('ERR_HTTP1_STATE', 'previous request not ended');
    let contentLength = -1;
    let chunked = false;
    let close = false;
    let upgrade = false;
    for (const f of headers) {
      const id = headerNameIndex(f[0]);
      if (id === HeaderNameId.ContentLength) contentLength = Number(f[1]);
      else if (id === HeaderNameId.TransferEncoding) chunked = true;
      else if (id === HeaderNameId.Connection && hasCloseOption(f[1])) close = true;
      else if (id === HeaderNameId.Upgrade) upgrade = true;
    }
    let body: OutBody;
    let fields = headers;
    if (chunked) body = OutBody.Chunked;
    else if (contentLength >= 0) body = OutBody.Length;
    else if (NO_BODY_METHODS.has(method)) body = OutBody.None;
    else {
      body = OutBody.Chunked;
      fields = headers.concat([['transfer-encoding', 'chunked']]);
    }
    this.writer.writeRequestHead(method, target, fields);
    this.pending.push({
      isHead: method === 'HEAD',
      isConnect: method === 'CONNECT',
      minor: 1,
      keepAlive: !close,
      upgrade: upgrade || method === 'CONNECT',
    });
    if (close) this.closeAfterOutput = true;
    this.startBody(body, contentLength);
  }

  private startBody(body: OutBody, contentLength: number): void {
    this.outBody = body;
    this.outRemaining = body === OutBody.Length ? contentLength : 0;
    this.outChunks = 0;
    this.outState = OutState.Body;
  }

  /**
   * Queues body bytes. The chunk is passed by reference (never copied); chunk framing is written
   * separately. Lifetime: do not modify `chunk` until it has been written out.
   */
  sendData(chunk: Uint8Array): void {
    this.checkOpen();
    if (this.outState !== OutState.Body)
      throw new UsageError('ERR_HTTP1_STATE', 'no message body in progress');
    if (chunk.length === 0) return;
    switch (this.outBody) {
      case OutBody.None:
        throw new UsageError('ERR_HTTP1_STATE', 'this message has no body');
      case OutBody.Discard:
        return;
      case OutBody.Length:
        if (chunk.length > this.outRemaining) {
          throw new UsageError(
            'ERR_HTTP1_BODY_LENGTH',
            `body exceeds content-length by ${chunk.length - this.outRemaining}`,
          );
        }
        this.outRemaining -= chunk.length;
        this.writer.writeBytes(chunk);
        return;
      case OutBody.Chunked:
        this.writer.writeChunkHeader(chunk.length, this.outChunks > 0);
        this.outChunks++;
        this.writer.writeBytes(chunk);
        return;
      case OutBody.Close:
        this.writer.writeBytes(chunk);
        return;
      default:
        return assertOutBody(this.outBody);
    }
  }

  /** Ends the current message; `trailers` only with a chunked body (RFC 9112 §7.1.2). */
  sendEnd(trailers?: Http1FieldList): void {
    this.checkOpen();
    if (this.outState !== OutState.Body) throw new UsageError('ERR_HTTP1_STATE', 'no message in progress');
    if (this.outBody === OutBody.Chunked) {
      this.writer.writeLastChunk(trailers, this.outChunks > 0);
    } else if (trailers !== undefined && trailers.length > 0) {
      throw new UsageError('ERR_HTTP1_STATE', 'trailers need a chunked body');
    } else if (this.outBody === OutBody.Length && this.outRemaining > 0) {
      throw new UsageError(
        'ERR_HTTP1_BODY_LENGTH',
        `body is ${this.outRemaining} bytes short of content-length`,
      );
    }
    this.outState = OutState.Idle;
    if (this.role === 'server') {
      this.pending.shift();
    }
  }

  /** Pending output, writev-ready. The connection never touches a returned chunk again. */
  takeOutput(): Uint8Array[] {
    return this.writer.take();
  }

  /** True when `takeOutput()` would return something. */
  get hasOutput(): boolean {
    return this.writer.hasOutput;
  }

  /**
   * True when the transport should close after writing the pending output: a `connection: close`
   * exchange completed, a close-delimited body ended, or the connection failed or was closed.
   */
  get shouldClose(): boolean {
    if (this.closed || this.failed !== null) return true;
    if (this.upgraded) return false;
    return this.closeAfterOutput && this.outState !== OutState.Body;
  }

  /**
   * Returns the connection to its initial state so it can serve a new transport (pooling). Pending
   * output is dropped, offsets restart at 0, limits and leniency are kept.
   */
  reset(): void {
    this.parser.reset();
    // The arena is kept (no 16 KiB allocation per pooled keep-alive cycle); views already handed out
    // are never written again, so the last connection's queued output stays intact.
    this.writer.discard();
    this.pending.length = 0;
    this.outState = OutState.Idle;
    this.outBody = OutBody.None;
    this.outRemaining = 0;
    this.outChunks = 0;
    this.closeAfterOutput = false;
    this.closed = false;
    this.failed = null;
    this.upgraded = false;
    this.inputEnded = false;
  }

  /** Stops the connection: input is ignored, actions throw. Pending output can still be taken. */
  close(): void {
    this.closed = true;
  }
}

function parserAlive(p: Http1Parser): boolean {
  const s = p.currentState;
  return s !== ParserState.Discard && s !== ParserState.Upgraded && s !== ParserState.Failed;
}

/** True when a Connection field value lists the `close` option (RFC 9112 §9.6). */
function hasCloseOption(value: string): boolean {
  for (const t of value.split(',')) if (t.trim().toLowerCase() === 'close') return true;
  return false;
}

function requestInfo(h: Http1Head): PendingRequest {
  return {
    isHead: h.method === 'HEAD',
    isConnect: h.method === 'CONNECT',
    minor: h.versionMinor,
    keepAlive: h.keepAlive,
    upgrade: h.upgrade,
  };
}

function hasField(fields: Http1FieldList, id: number): boolean {
  for (const f of fields) if (headerNameIndex(f[0]) === id) return true;
  return false;
}

function assertOutBody(v: never): never {
  throw new UsageError('ERR_UNREACHABLE', `unexpected body mode ${String(v)}`);
}
