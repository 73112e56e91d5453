/**
 * The protocol-neutral exchange layer. Every request on every protocol (HTTP/1.1, HTTP/2, HTTP/3) is one
 * {@link ServerExchange}: the protocol binding subclasses it with the few operations that differ (write a
 * head, data, a file, the end; abort a response already under way) and feeds it body chunks and aborts. The
 * exchange owns the rest, once for all protocols:
 *
 * - invoking the handler, and its failure: a throw or rejection answers 500 (or the error's `statusHint`,
 *   such as 413 from `req.bytes(max)`) when no head was sent, else aborts the response (HTTP/1.1 closes
 *   the connection, HTTP/2 and HTTP/3 reset the stream with INTERNAL_ERROR); `onError` hears of it unless
 *   the peer had gone away first (a peer's reset or close is an event on the request, not an error);
 * - the response timeout (`responseTimeoutMs`): a handler that has not started its response by then gets
 *   503 sent for it, its request aborted (`req.signal`) and `onError` told;
 * - what happens when an async handler settles with its response still open: nothing. The response stays
 *   open for the handler to finish later (from a callback, a stream, another request), exactly as a sync
 *   handler's does, bounded by the response timeout; it is never ended silently, and a later `end()` works;
 * - the diagnostics channels `request-start` and `response-finish` (and `request-reject` through
 *   {@link publishRejection}), published for every protocol after a `hasSubscribers` check.
 */
import { Http1ParseError, ProtocolError, UsageError } from '../common/errors.js';
import type { ResolvedCompression } from './compress.js';
import { TimerNode } from '../transport/timer-wheel.js';
import type { TimerWheel } from '../transport/timer-wheel.js';
import { requestAborted, requestRejected, requestStarted, responseFinished } from './diagnostics.js';
import { ServerError, ServerErrorCode } from './errors.js';
import type { ServerLimits } from './limits.js';
import { IncomingRequest, type RequestSource } from './request.js';
import { OutgoingResponse } from './response.js';
import { runTraced } from './trace.js';
import type { Handler, HeadersView, ResponseBackend } from './types.js';

/** What an exchange needs from its server. */
export interface ExchangeHost {
  readonly handler: Handler;
  readonly limits: Readonly<ServerLimits>;
  readonly wheel: TimerWheel;
  /** A handler failed, or a response timed out. */
  reportError(error: unknown): void;
  /** Response compression for every exchange (the server's `compression` option); undefined: off. */
  readonly compression?: ResolvedCompression | undefined;
  /** Run each handler in its request's trace (the server's `tracing` option, src/server/trace.ts). */
  readonly tracing?: boolean;
}

/** Where an exchange is; only {@link transition} assigns it (STYLE §3.2). */
export const ExchangePhase = {
  /** Created; the handler has not been called. */
  Created: 0,
  /** The handler runs (or has returned) and the response is open. */
  Responding: 1,
  /** The response was completely handed to the protocol. */
  Finished: 2,
  /** The exchange ended before its response did (peer gone, stream reset, response aborted). */
  Aborted: 3,
} as const;
export type ExchangePhase = (typeof ExchangePhase)[keyof typeof ExchangePhase];

/** Inputs of the exchange machine. */
export const ExchangeInput = { Start: 0, Finish: 1, Abort: 2 } as const;
export type ExchangeInput = (typeof ExchangeInput)[keyof typeof ExchangeInput];

/**
 * The exchange machine:
 * ```
 *   Created --Start--> Responding --Finish--> Finished
 *      |                   |                     |
 *      +------Abort--------+-------Abort---------+--> Aborted (Finished stays Finished)
 * ```
 * Returns the next phase; pairs that cannot happen keep the phase (an abort after the finish is no abort:
 * the response was already handed over).
 */
export function transition(phase: ExchangePhase, input: ExchangeInput): ExchangePhase {
  switch (phase) {
    case ExchangePhase.Created:
      if (input === ExchangeInput.Start) return ExchangePhase.Responding;
      if (input === ExchangeInput.Abort) return ExchangePhase.Aborted;
      return ExchangePhase.Finished;
    case ExchangePhase.Responding:
      if (input === ExchangeInput.Finish) return ExchangePhase.Finished;
      if (input === ExchangeInput.Abort) return ExchangePhase.Aborted;
      return phase;
    case ExchangePhase.Finished:
    case ExchangePhase.Aborted:
      return phase;
    default:
      return assertPhase(phase);
  }
}

function assertPhase(phase: never): never {
  throw new ServerError(ServerErrorCode.ConnectionClosed, `unexpected exchange phase ${String(phase)}`);
}

/** Arguments of {@link ServerExchange}'s constructor: the request as the protocol parsed it. */
export interface ExchangeRequestInit {
  /** `http/1.1`, `http/1.0`, `h2` or `h3`. */
  readonly protocol: string;
  readonly method: string;
  readonly target: string;
  readonly headers: HeadersView;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** False when the request is known to have no body (its end arrived with its head). */
  readonly hasBody: boolean;
  /** `:protocol` of an extended CONNECT (RFC 8441 §4, RFC 9220 §3), such as `websocket`. */
  readonly connectProtocol?: string | undefined;
}

/** Exchanges of extended CONNECT requests by request, for the tunnels built on them (src/server/websocket.ts). */
const tunnels = new WeakMap<object, ServerExchange>();

/**
 * The exchange of an extended CONNECT request (RFC 8441, RFC 9220), or undefined for any other request.
 * Its `connectProtocol` names the tunnelled protocol.
 */
export function tunnelExchange(request: object): ServerExchange | undefined {
  return tunnels.get(request);
}

/**
 * One request/response exchange on any protocol; the {@link ResponseBackend} of its response and the
 * {@link RequestSource} of its request. Protocol bindings subclass it.
 */
export abstract class ServerExchange implements ResponseBackend, RequestSource {
  readonly host: ExchangeHost;
  readonly request: IncomingRequest;
  readonly response: OutgoingResponse;
  readonly isHead: boolean;
  private phaseValue: ExchangePhase = ExchangePhase.Created;
  /** The handler has returned (sync) or its promise has fulfilled; only then may a gone peer close it. */
  private isHandlerSettled = false;
  /** `performance.now()` when the handler was called, when `response-finish` has subscribers; else -1. */
  private startedAt = -1;
  /**
   * The response timer, made only when a handler returns without having answered: an exchange that is
   * answered at once (the common case) allocates no timer node and costs no timer operation.
   */
  private timer: ResponseTimer | undefined = undefined;
  /** `:protocol` of an extended CONNECT request; undefined otherwise. */
  readonly connectProtocol: string | undefined;

  constructor(host: ExchangeHost, init: ExchangeRequestInit) {
    this.host = host;
    this.connectProtocol = init.connectProtocol;
    this.isHead = init.method === 'HEAD';
    this.request = new IncomingRequest(
      init.protocol,
      init.method,
      init.target,
      init.headers,
      init.remoteAddress,
      init.remotePort,
      init.hasBody,
      this,
    );
    this.response = new OutgoingResponse(this, this.request, host.compression);
    if (init.connectProtocol !== undefined) tunnels.set(this.request, this);
  }

  get phase(): ExchangePhase {
    return this.phaseValue;
  }

  private move(input: ExchangeInput): ExchangePhase {
    const prev = this.phaseValue;
    this.phaseValue = transition(prev, input);
    return prev;
  }

  // --- What a protocol implements -------------------------------------------------------------------

  abstract sendHead(status: number, headers: [string, string][], contentLength: number): void;
  abstract sendInformational(status: number, headers: [string, string][]): void;
  abstract sendData(chunk: Uint8Array): void;
  abstract sendFile(fd: number, offset: number, length: number): Promise<void>;
  /** Queues the end of the response (trailers when given). */
  protected abstract writeEnd(trailers: [string, string][] | undefined): void;
  /**
   * Ends a response whose head is already out, abnormally: HTTP/1.1 closes the connection (the only way
   * to tell the client the body is incomplete), HTTP/2 and HTTP/3 reset the stream with INTERNAL_ERROR.
   */
  protected abstract abortResponse(error: Error): void;
  abstract readonly pendingBytes: number;
  abstract waitForDrain(): Promise<void>;
  abstract readonly isClosed: boolean;

  get highWaterMark(): number {
    return this.host.limits.highWaterMarkBytes;
  }

  /** The handler wants the body: a protocol that holds it back (HTTP/1.1 `Expect: 100-continue`) overrides. */
  onBodyPull(): void {
    // Nothing to do for protocols that send the body as flow control allows.
  }

  /** The handler consumed a buffered body chunk: return credit or resume reading. */
  onConsumed(): void {
    // Overridden by protocols that pause or hold back credit.
  }

  /**
   * The status a failure answers with when no head was sent: the error's hint (413 from a body cap, the
   * parser's 400/413/... when the request body itself was malformed), else 500. HTTP/1.1 overrides it to
   * close the connection after such an answer.
   */
  protected failureStatus(error: unknown): number {
    if ((error instanceof ServerError || error instanceof Http1ParseError) && error.statusHint >= 400) {
      return error.statusHint;
    }
    return 500;
  }

  // --- The shared behaviour -------------------------------------------------------------------------

  /**
   * Calls the handler; failures and the response timeout are handled here for every protocol. Returns
   * true when the handler returned a promise (it may still read the request after this call).
   */
  run(): boolean {
    if (this.move(ExchangeInput.Start) !== ExchangePhase.Created) return false;
    if (requestStarted.hasSubscribers) requestStarted.publish({ request: this.request });
    // Timed only for someone who will read it (one clock read per request, none otherwise).
    if (responseFinished.hasSubscribers) this.startedAt = performance.now();
    let result: unknown;
    try {
      const host = this.host;
      result =
        host.tracing === true
          ? runTraced(this.request, () => host.handler(this.request, this.response))
          : host.handler(this.request, this.response);
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (Object.getPrototypeOf(this.response) !== OutgoingResponse.prototype) {
      // A node:http-style app (Express) swapped the objects' classes: it cannot be served here, and the
      // exchange must not call into the replaced methods. (A getPrototypeOf per request: a few ns.)
      this.fail(undefined);
      return false;
    }
    // The response timeout is armed only when the handler returns without having finished: a handler
    // that answers at once (the common case) costs no timer operation (measured: ~10% of a hello request).
    if (this.phaseValue === ExchangePhase.Responding && !this.response.headersSent) {
      this.timer ??= new ResponseTimer(this);
      this.host.wheel.schedule(this.timer, this.host.limits.responseTimeoutMs);
    }
    if (!(result instanceof Promise)) {
      this.handlerSettled();
      return false;
    }
    // The response stays open when the promise resolves (see the file comment), unless the peer is gone.
    result.then(
      () => {
        this.handlerSettled();
      },
      (err: unknown) => {
        this.fail(err);
      },
    );
    return true;
  }

  /**
   * The handler is done with its own code. Its response may stay open (a timer or stream may end it
   * later), but not for a peer that is gone: nobody could end it for a reason, and the connection would be
   * held for ever (an HTTP/1.1 client that closed its side after the head of a streamed response).
   */
  private handlerSettled(): void {
    this.isHandlerSettled = true;
    if (this.request.aborted && !this.response.finished && !this.isClosed) {
      this.endAbnormally(this.request.signal.reason);
    }
  }

  /**
   * Protocol side (HTTP/1.1): the peer closed its sending side. The request aborts, but a response still
   * produced is written if the socket allows (RFC 9112 §9.6: a half-closed client may still read); once
   * the handler has settled with the response still open, the response ends abnormally (closing the
   * connection) instead of waiting for an end that nobody will call.
   */
  peerEnded(error: Error): void {
    this.publishAbort(error);
    this.request.abort(error);
    if (this.isHandlerSettled && !this.response.finished && !this.isClosed) this.endAbnormally(error);
  }

  /** `ResponseBackend.sendEnd`: the response is completely handed over. */
  sendEnd(trailers: [string, string][] | undefined): void {
    this.cancelTimer();
    this.writeEnd(trailers);
    if (this.move(ExchangeInput.Finish) === ExchangePhase.Responding && responseFinished.hasSubscribers) {
      const durationMs = this.startedAt < 0 ? -1 : performance.now() - this.startedAt;
      responseFinished.publish({ request: this.request, status: this.response.status, durationMs });
    }
  }

  /**
   * Protocol side: the peer went away (connection closed, stream reset) or the protocol gave up on the
   * exchange. The request aborts (its body read fails, `signal` fires); nothing is reported as an error.
   */
  abort(error: Error): void {
    this.cancelTimer();
    this.publishAbort(error);
    this.move(ExchangeInput.Abort);
    discardResponse(this.response);
    this.request.abort(error);
  }

  /** Publishes `request-abort` for the first abort of an exchange whose response is not complete. */
  private publishAbort(error: Error): void {
    if (requestAborted.hasSubscribers && !this.request.aborted && !this.response.finished) {
      requestAborted.publish({ request: this.request, error });
    }
  }

  /**
   * Ends a tunnel (extended CONNECT) abnormally: HTTP/2 and HTTP/3 reset the stream, as for a response
   * aborted after its head. Not an error of the handler's: nothing is reported.
   */
  resetTunnel(error: Error): void {
    if (!this.isClosed && !this.response.finished) this.endAbnormally(error);
  }

  /** `ResponseBackend.abortBody`: the body could not be produced (compressor failure) after the head. */
  abortBody(error: Error): void {
    this.host.reportError(error);
    this.endAbnormally(error);
  }

  /**
   * A handler threw or rejected. Never throws: whatever goes wrong while answering for the handler (a
   * handler that replaced the response's prototype, as an Express app does) aborts the response instead,
   * so a bad handler cannot take the process down with an uncaught error.
   */
  fail(error: unknown): void {
    if (this.isClosed) return;
    try {
      // Answered as a 500 like any handler failure, once the exchange's own objects are back.
      const failure = this.restorePrototypes() ? replacedError() : error;
      this.answerFailure(failure);
    } catch (inner) {
      this.host.reportError(inner);
      this.endAbnormallyIfOpen(inner);
    }
  }

  /** Ends the response abnormally unless the exchange is already closed (read afresh after a throw). */
  private endAbnormallyIfOpen(error: unknown): void {
    if (!this.isClosed) this.endAbnormally(error);
  }

  /**
   * Puts back the request's and response's own prototypes when a handler replaced them (Express does, for
   * node:http objects); true when it had to. The exchange's own calls go through those prototypes.
   */
  private restorePrototypes(): boolean {
    let replaced = false;
    if (Object.getPrototypeOf(this.response) !== OutgoingResponse.prototype) {
      Object.setPrototypeOf(this.response, OutgoingResponse.prototype);
      replaced = true;
    }
    if (Object.getPrototypeOf(this.request) !== IncomingRequest.prototype) {
      Object.setPrototypeOf(this.request, IncomingRequest.prototype);
      replaced = true;
    }
    return replaced;
  }

  private answerFailure(error: unknown): void {
    const res = this.response;
    if (this.request.aborted) {
      // The peer went away first (a half-closed HTTP/1.1 connection is still open): the failure is most
      // likely its consequence (a body read that rejected), and nobody is told. Nobody waits for an answer
      // either: a response left unfinished ends abnormally, so the connection or stream is released.
      if (!res.finished) this.endAbnormally(error);
      return;
    }
    // What the client did wrong (malformed body bytes, a body over the handler's cap) is not the
    // handler's failure: it is answered with its 4xx status, not reported.
    if (!isClientFault(error)) this.host.reportError(error);
    if (res.finished) return;
    if (!res.headersSent) {
      const status = this.failureStatus(error);
      const code = (error as { code?: unknown } | null)?.code;
      this.answer(status, status !== 500 && typeof code === 'string' ? `${code}\n` : undefined);
    } else {
      this.endAbnormally(error);
    }
  }

  private endAbnormally(error: unknown): void {
    this.cancelTimer();
    this.move(ExchangeInput.Abort);
    discardResponse(this.response);
    this.abortResponse(
      error instanceof Error ? error : new ServerError(ServerErrorCode.ConnectionClosed, String(error)),
    );
  }

  private cancelTimer(): void {
    const timer = this.timer;
    if (timer !== undefined) this.host.wheel.cancel(timer);
  }

  /** The response timeout (`responseTimeoutMs`) fired (called by the exchange's timer node only). */
  onResponseTimeout(): void {
    const res = this.response;
    if (res.finished || res.headersSent || this.isClosed) return;
    const ms = this.host.limits.responseTimeoutMs;
    const error = new ServerError(ServerErrorCode.ResponseTimeout, `no response within ${ms} ms`, {
      statusHint: 503,
    });
    this.host.reportError(error);
    this.answer(503, undefined);
    this.request.abort(error);
  }

  /** Answers for the handler with `status` and a short text body (a stable code, never peer bytes). */
  private answer(status: number, text: string | undefined): void {
    const res = this.response;
    res.resetForAnswer(status);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(text ?? (status === 503 ? 'Service Unavailable\n' : 'Internal Server Error\n'));
  }
}

/** The response timer of one exchange (see {@link ServerExchange.run}). */
class ResponseTimer extends TimerNode {
  private readonly exchange: ServerExchange;

  constructor(exchange: ServerExchange) {
    super();
    this.exchange = exchange;
  }

  override onTimeout(): void {
    this.exchange.onResponseTimeout();
  }
}

function isClientFault(error: unknown): boolean {
  if (error instanceof ProtocolError) return true;
  return error instanceof ServerError && error.statusHint >= 400 && error.statusHint < 500;
}

/**
 * Publishes a rejected request (parse error, limit, timeout) on `request-reject` for any protocol:
 * `{ socket, error, status }` (socket: the transport socket or QUIC connection; status 0 for HTTP/2 and
 * HTTP/3 stream errors, which have no status).
 */
export function publishRejection(socket: unknown, error: unknown, status: number): void {
  if (requestRejected.hasSubscribers) requestRejected.publish({ socket, error, status });
}

/**
 * Drops what the response has buffered, through the class's own method: a handler may have replaced the
 * object's prototype (Express does), and the exchange must still clean up.
 */
function discardResponse(res: OutgoingResponse): void {
  OutgoingResponse.prototype.discard.call(res);
}

/** The failure reported when a handler replaced the request or response prototype. */
function replacedError(): UsageError {
  return new UsageError(
    'ERR_RESPONSE_REPLACED',
    'the handler replaced the request or response prototype (an Express or other node:http-style app?): ' +
      'serve it with createServer from hayate/compat',
  );
}
