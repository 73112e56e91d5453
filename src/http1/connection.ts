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
 *
 * Time (the {@link ProtocolConnection} model): the core reads no clock. It learns the time from
 * `receive(chunk, nowMs)` and `handleTimeout(nowMs)`; `nextDeadline()` says when `handleTimeout` has work.
 * Without times there are no deadlines. The server role runs one timing phase at a time, each bounded by an
 * {@link Http1Limits} timeout (`Infinity` turns one off):
 *
 *   phase      runs while                                    counts from                       on expiry
 *   Head       a request head is incomplete and no earlier   its first byte, or when the last  HEAD_TIMEOUT
 *              request is unanswered; also a fresh           answer ahead of it ended; on a    (408)
 *              connection's wait for its first head          fresh one, the first time known;
 *                                                            never re-armed (slowloris)
 *   Body       a request body is being received              the last receive (re-armed)       BODY_TIMEOUT
 *                                                                                              (408)
 *   KeepAlive  idle between messages after a response        the end of that response          isClosed
 *   None       a request is being answered (its handler's time is the caller's), or the connection is
 *              failed, closed, upgraded or closing
 *
 * A phase entered through parsing is stamped with the `nowMs` of the receive that carried the bytes; one
 * entered through an action (a response ended while nothing was received) with the next time the core
 * learns: a caller that acts later than its last `receive` passes the time with `handleTimeout(nowMs)`
 * before asking `nextDeadline()` (until then the deadline counts from the last time it knew, never later).
 * A timeout failure behaves like a parse error (`nextEvent()` throws it, `error` holds it). The client role
 * has no deadlines: how long to wait for a response is the caller's policy.
 *
 * `isClosed` is true after `close()`, after the keep-alive timeout, or once the connection can carry
 * nothing more: no further message can arrive or be sent (`connection: close` exchange done, peer EOF
 * after the last message, a failure answered; for the client role, any failure) and nothing is owed.
 * After a 101 or CONNECT tunnel it stays false until `close()`: the bytes belong to the next protocol.
 */
import type { ProtocolConnection } from '../common/connection.js';
import { assertNever, UsageError } from '../common/errors.js';
import type { Http1ParseError } from '../common/errors.js';
import { headerNameIndex, HeaderNameId } from '../common/header-names.js';
import type { Http1Event, Http1Head } from './events.js';
import { http1Error } from './errors.js';
import { resolveHttp1Limits, type Http1Leniency, type Http1Limits } from './limits.js';
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

/**
 * The outgoing message (RFC 9112 §6 framing), one per request (server) or response (client):
 *
 *           head(framing)                    end
 *   Idle ----------------> NoBody  ---------------------> Done
 *   Done                   Length  (data counts down)      (a new head may follow: Done -> head -> ...)
 *                          Chunked (data -> chunk)
 *                          Close   (data as is; ends the connection, RFC 9112 §6.3 rule 8)
 *                          Discard (data dropped: HEAD response)
 *
 * Idle: nothing sent yet on this connection; Done: the last message is complete. Data is a self-loop on
 * the framing states (an error on NoBody); every other pair is a UsageError. Whether the connection persists
 * after a message is a separate decision (`closeAfterOutput`), not a state of the message.
 */
const OutState = { Idle: 0, NoBody: 1, Length: 2, Chunked: 3, Close: 4, Discard: 5, Done: 6 } as const;
type OutState = (typeof OutState)[keyof typeof OutState];
/** Head-sent states: how the message body is framed. */
type OutFraming =
  | typeof OutState.NoBody
  | typeof OutState.Length
  | typeof OutState.Chunked
  | typeof OutState.Close
  | typeof OutState.Discard;

/** Inputs of the outgoing machine. */
const OutInput = { Head: 0, Data: 1, End: 2 } as const;
type OutInput = (typeof OutInput)[keyof typeof OutInput];

/** The one transition function of the outgoing message; `framing` is used by `Head` only. */
function outTransition(state: OutState, input: OutInput, framing: OutFraming): OutState {
  switch (state) {
    case OutState.Idle:
    case OutState.Done:
      if (input === OutInput.Head) return framing;
      throw new UsageError('ERR_HTTP1_STATE', 'no message in progress');
    case OutState.NoBody:
    case OutState.Length:
    case OutState.Chunked:
    case OutState.Close:
    case OutState.Discard:
      if (input === OutInput.End) return OutState.Done;
      if (input === OutInput.Head) throw new UsageError('ERR_HTTP1_STATE', 'previous message not ended');
      if (state === OutState.NoBody) throw new UsageError('ERR_HTTP1_STATE', 'this message has no body');
      return state;
    default:
      return assertNever(state, 'outgoing state');
  }
}

/** True while a message head has been sent and its end has not. */
function isSending(state: OutState): boolean {
  return state !== OutState.Idle && state !== OutState.Done;
}

/** Server timing phases (see the file comment); one deadline at a time. */
const TimerPhase = { None: 0, Head: 1, Body: 2, KeepAlive: 3 } as const;
type TimerPhase = (typeof TimerPhase)[keyof typeof TimerPhase];

interface PendingRequest {
  readonly isHead: boolean;
  readonly isConnect: boolean;
  readonly minor: number;
  readonly keepAlive: boolean;
  readonly upgrade: boolean;
}

const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** One HTTP/1.1 connection, either role. No I/O, no clock (times are arguments). */
export class Http1Connection implements ProtocolConnection<Http1Event, Uint8Array[]> {
  readonly role: 'server' | 'client';
  private readonly parser: Http1Parser;
  private readonly limits: Readonly<Http1Limits>;
  private writer: Http1Writer;
  /** Requests received (server) or sent (client) whose final response has not completed. */
  private readonly pending: PendingRequest[];
  /** The outgoing message machine; assigned only from {@link outTransition}. */
  private outState: OutState;
  /** Length framing: body bytes still owed. */
  private outRemaining: number;
  /** Chunked framing: chunks sent so far. */
  private outChunks: number;
  private closeAfterOutput: boolean;
  private closed: boolean;
  private failed: Http1ParseError | null;
  /** Server: the failure hit a new head, so it is answered on its own (see `sendResponseHead`). */
  private isFailureUnanswered: boolean;
  private upgraded: boolean;
  /** The peer's EOF was fed in (`receiveEnd`): no further message can arrive. */
  private inputEnded: boolean;
  /** An incoming body is in progress (between its `head` and `end` events). */
  private isReceivingBody: boolean;
  /** Latest time learned (NaN: none yet, no deadlines). */
  private nowMs: number;
  /** Time of the latest `receive` that carried one (the body timeout counts from it). */
  private lastReceiveMs: number;
  /** The timing phase last stamped, and when it began. */
  private phase: TimerPhase;
  private phaseSinceMs: number;

  constructor(options: Http1ConnectionOptions) {
    const role: string = options.role;
    if (role !== 'server' && role !== 'client') {
      throw new UsageError('ERR_INVALID_ARG', `role must be 'server' or 'client'`);
    }
    this.role = options.role;
    this.limits = resolveHttp1Limits(options.limits);
    this.parser = new Http1Parser(options.role === 'server', {
      limits: this.limits,
      leniency: options.leniency,
    });
    this.writer = new Http1Writer();
    this.pending = [];
    this.outState = OutState.Idle;
    this.outRemaining = 0;
    this.outChunks = 0;
    this.closeAfterOutput = false;
    this.closed = false;
    this.failed = null;
    this.isFailureUnanswered = false;
    this.upgraded = false;
    this.inputEnded = false;
    this.isReceivingBody = false;
    this.nowMs = NaN;
    this.lastReceiveMs = NaN;
    this.phase = TimerPhase.None;
    this.phaseSinceMs = NaN;
  }

  /**
   * Feeds bytes from the peer, received at `nowMs` (caller's clock; omit it and no deadlines run).
   * Lifetime: the chunk is referenced (not copied) by the events that follow; it must stay unmodified
   * until the next `receive()`. Ignored after `close()` or a failure.
   */
  receive(chunk: Uint8Array, nowMs?: number): void {
    if (this.closed || this.failed !== null) return;
    if (nowMs !== undefined) {
      if (!(nowMs < this.nowMs)) this.nowMs = nowMs;
      this.lastReceiveMs = this.nowMs;
      // A phase begun by an action since the last time (a response ended) starts now.
      this.stamp();
    }
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
      this.fail(err as Http1ParseError);
      throw err;
    }
    if (ev === null) {
      // Input consumed: a head begun by these bytes is stamped with their receive time.
      this.stamp();
      return null;
    }
    if (ev.type === 'head') {
      if (ev.bodyKind !== 'none') this.isReceivingBody = true;
      if (this.role === 'server') this.pending.push(requestInfo(ev));
    } else if (ev.type === 'end') {
      this.isReceivingBody = false;
      if (this.role === 'client') this.pending.shift();
    } else if (ev.type === 'upgrade') {
      this.isReceivingBody = false;
      this.upgraded = true;
    }
    if (this.role === 'client' && ev.type === 'head' && ev.upgrade) this.pending.shift();
    return ev;
  }

  /**
   * Hands back a head from {@link nextEvent} that nothing reads any more, to be rebuilt in place for a
   * later message (see `Http1Parser.release`: optional; after it the head shows another message).
   */
  release(head: Http1Head): void {
    this.parser.release(head);
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
    return this.parser.isIdle && !isSending(this.outState) && this.pending.length === 0;
  }

  /** See the file comment: finished, no events will follow and nothing more can be sent. */
  get isClosed(): boolean {
    if (this.closed) return true;
    if (this.upgraded || isSending(this.outState) || this.pending.length > 0) return false;
    if (this.failed !== null) return this.role === 'client' || !this.isFailureUnanswered;
    return this.closeAfterOutput || (this.inputEnded && this.parser.isIdle);
  }

  /**
   * Earliest time (the caller's clock, ms) at which {@link handleTimeout} has work, or undefined: no time
   * given yet, the client role, no phase running, or its timeout is `Infinity`.
   */
  nextDeadline(): number | undefined {
    const phase = this.timingPhase();
    if (phase === TimerPhase.None) return undefined;
    // A phase not yet stamped (entered by an action) counts from the latest time known.
    const since = phase === this.phase ? this.phaseSinceMs : this.nowMs;
    const at = this.deadlineOf(phase, since);
    return Number.isFinite(at) ? at : undefined;
  }

  /**
   * Advances time to `nowMs`. When the running phase's deadline has passed: a head or body timeout fails
   * the connection for input with HEAD_TIMEOUT or BODY_TIMEOUT (408, RFC 9110 §15.5.9; `nextEvent()` throws
   * it, `error` holds it); the keep-alive timeout closes it (`isClosed`, `shouldClose`). Never throws.
   */
  handleTimeout(nowMs: number): void {
    if (!(nowMs < this.nowMs)) this.nowMs = nowMs;
    this.stamp();
    const phase = this.phase;
    if (phase === TimerPhase.None || !(this.nowMs >= this.deadlineOf(phase, this.phaseSinceMs))) return;
    const offset = this.parser.offset;
    switch (phase) {
      case TimerPhase.Head:
        this.fail(
          http1Error(
            'HEAD_TIMEOUT',
            `request head not complete within ${this.limits.headerTimeoutMs} ms`,
            offset,
          ),
        );
        return;
      case TimerPhase.Body:
        this.fail(
          http1Error('BODY_TIMEOUT', `no request body bytes for ${this.limits.bodyTimeoutMs} ms`, offset),
        );
        return;
      case TimerPhase.KeepAlive:
        this.closed = true;
        this.phase = TimerPhase.None;
        return;
      default:
        return assertNever(phase, 'timer phase');
    }
  }

  /** The phase the current state calls for (server role only; see the file comment). */
  private timingPhase(): TimerPhase {
    if (this.role !== 'server' || this.closed || this.failed !== null || this.upgraded)
      return TimerPhase.None;
    if (this.isReceivingBody) return TimerPhase.Body;
    // A request is being answered: its handler's time is the caller's business (a response timeout).
    if (this.pending.length > 0) return TimerPhase.None;
    if (!this.parser.isIdle) return TimerPhase.Head;
    if (this.closeAfterOutput || this.inputEnded || !parserAlive(this.parser)) return TimerPhase.None;
    // Before the first message the wait for a head is bounded like a head (nginx client_header_timeout).
    return this.outState === OutState.Done ? TimerPhase.KeepAlive : TimerPhase.Head;
  }

  private deadlineOf(phase: TimerPhase, since: number): number {
    switch (phase) {
      case TimerPhase.None:
        return NaN;
      case TimerPhase.Head:
        return since + this.limits.headerTimeoutMs;
      case TimerPhase.Body:
        // Re-armed by every receive: it bounds silence, not the whole body.
        return Math.max(since, this.lastReceiveMs) + this.limits.bodyTimeoutMs;
      case TimerPhase.KeepAlive:
        return since + this.limits.keepAliveTimeoutMs;
      default:
        return assertNever(phase, 'timer phase');
    }
  }

  /** Records a phase change with the latest time known (no-op without times). */
  private stamp(): void {
    if (this.nowMs !== this.nowMs) return;
    const phase = this.timingPhase();
    if (phase !== this.phase) {
      this.phase = phase;
      this.phaseSinceMs = this.nowMs;
    }
  }

  private fail(err: Http1ParseError): void {
    // A failure outside a request body has no request of its own: the server answers it separately.
    this.isFailureUnanswered = this.role === 'server' && !this.isReceivingBody;
    this.failed = err;
    this.isReceivingBody = false;
    this.phase = TimerPhase.None;
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
    if (isSending(this.outState)) throw new UsageError('ERR_HTTP1_STATE', 'previous response not ended');
    let req = this.pending[0];
    if (req === undefined) {
      if (this.failed === null) throw new UsageError('ERR_HTTP1_STATE', 'no request to respond to');
      // Answering a parse error: one response, then close.
      req = { isHead: false, isConnect: false, minor: 1, keepAlive: false, upgrade: false };
      this.pending.push(req);
      this.isFailureUnanswered = false;
    }
    let contentLength = options.contentLength ?? -1;
    if (options.contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) {
      throw new UsageError('ERR_HTTP1_INVALID_FIELD_VALUE', `invalid contentLength ${String(contentLength)}`);
    }
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
    // The framing fields added to the caller's (no list copy: the writer appends them).
    let addLength = -1; // a content-length to add, or -2 for transfer-encoding: chunked
    let body: OutFraming;
    if (noBody) {
      body = req.isHead ? OutState.Discard : OutState.NoBody;
      if (options.contentLength !== undefined && !req.isHead && status !== 304) {
        throw new UsageError('ERR_HTTP1_STATE', `status ${status} has no body`);
      }
      if (options.contentLength !== undefined) addLength = options.contentLength;
    } else if (chunked) {
      body = OutState.Chunked;
    } else if (contentLength >= 0) {
      body = OutState.Length;
      if (options.contentLength !== undefined && !hasField(headers, HeaderNameId.ContentLength)) {
        addLength = contentLength;
      }
    } else if (req.minor >= 1) {
      body = OutState.Chunked;
      addLength = -2;
    } else {
      body = OutState.Close;
    }
    const persist = keepAlive && body !== OutState.Close;
    const connection = !persist && !closeRequested ? 1 : persist && req.minor === 0 ? 2 : 0;
    this.writer.writeResponseHead(status, headers, options.reason, addLength, connection);
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
    if (req === undefined || isSending(this.outState)) {
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
    if (isSending(this.outState)) throw new UsageError('ERR_HTTP1_STATE', 'previous request not ended');
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
    let body: OutFraming;
    let fields = headers;
    if (chunked) body = OutState.Chunked;
    else if (contentLength >= 0) body = OutState.Length;
    else if (NO_BODY_METHODS.has(method)) body = OutState.NoBody;
    else {
      body = OutState.Chunked;
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

  private startBody(body: OutFraming, contentLength: number): void {
    this.outState = outTransition(this.outState, OutInput.Head, body);
    this.outRemaining = body === OutState.Length ? contentLength : 0;
    this.outChunks = 0;
  }

  /**
   * Queues body bytes. The chunk is passed by reference (never copied); chunk framing is written
   * separately. Lifetime: do not modify `chunk` until it has been written out.
   */
  sendData(chunk: Uint8Array): void {
    this.checkOpen();
    if (chunk.length === 0) {
      if (!isSending(this.outState)) throw new UsageError('ERR_HTTP1_STATE', 'no message body in progress');
      return;
    }
    const state = outTransition(this.outState, OutInput.Data, OutState.NoBody);
    switch (state) {
      case OutState.Discard:
        return;
      case OutState.Length:
        if (chunk.length > this.outRemaining) {
          throw new UsageError(
            'ERR_HTTP1_BODY_LENGTH',
            `body exceeds content-length by ${chunk.length - this.outRemaining}`,
          );
        }
        this.outRemaining -= chunk.length;
        this.writer.writeBytes(chunk);
        return;
      case OutState.Chunked:
        this.writer.writeChunkHeader(chunk.length, this.outChunks > 0);
        this.outChunks++;
        this.writer.writeBytes(chunk);
        return;
      case OutState.Close:
        this.writer.writeBytes(chunk);
        return;
      // outTransition never returns these for Data: it threw.
      case OutState.Idle:
      case OutState.NoBody:
      case OutState.Done:
        return;
      default:
        return assertNever(state, 'outgoing state');
    }
  }

  /** Ends the current message; `trailers` only with a chunked body (RFC 9112 §7.1.2). */
  sendEnd(trailers?: Http1FieldList): void {
    this.checkOpen();
    const state = this.outState;
    if (!isSending(state)) throw new UsageError('ERR_HTTP1_STATE', 'no message in progress');
    if (state === OutState.Chunked) {
      this.writer.writeLastChunk(trailers, this.outChunks > 0);
    } else if (trailers !== undefined && trailers.length > 0) {
      throw new UsageError('ERR_HTTP1_STATE', 'trailers need a chunked body');
    } else if (state === OutState.Length && this.outRemaining > 0) {
      throw new UsageError(
        'ERR_HTTP1_BODY_LENGTH',
        `body is ${this.outRemaining} bytes short of content-length`,
      );
    }
    this.outState = outTransition(state, OutInput.End, OutState.NoBody);
    if (this.role === 'server') {
      this.pending.shift();
    }
  }

  /** Pending output, writev-ready. The connection never touches a returned chunk again. */
  takeOutput(): Uint8Array[] {
    return this.writer.take();
  }

  /**
   * The transport holds none of the views `takeOutput()` returned any more (all written to the kernel or
   * copied): their memory may be written again by later output. Optional; without it views stay valid.
   */
  outputConsumed(): void {
    this.writer.recycle();
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
    return this.closeAfterOutput && !isSending(this.outState);
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
    if (this.pending.length !== 0) this.pending.length = 0; // a length store is a runtime call even at 0
    // The one assignment outside outTransition: a new connection starts a new machine.
    this.outState = OutState.Idle;
    this.outRemaining = 0;
    this.outChunks = 0;
    this.closeAfterOutput = false;
    this.closed = false;
    this.failed = null;
    this.isFailureUnanswered = false;
    this.upgraded = false;
    this.inputEnded = false;
    this.isReceivingBody = false;
    this.nowMs = NaN;
    this.lastReceiveMs = NaN;
    this.phase = TimerPhase.None;
    this.phaseSinceMs = NaN;
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
