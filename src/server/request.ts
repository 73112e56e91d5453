/**
 * The shared {@link ServerRequest} implementation. A protocol feeds it body chunks (`pushBody`), the end
 * (`endBody`) and aborts; the handler reads `body` as an async iterable. Buffered bytes are bounded: the
 * protocol pauses reading when {@link IncomingRequest.bufferedBytes} passes its limit and resumes on
 * `onConsumed`.
 */
import { UsageError } from '../common/errors.js';
import type { HeadersView, ServerRequest } from './types.js';

/** Hooks a protocol gives the request. */
export interface RequestSource {
  /** The handler started reading the body (send `100 Continue` if the client waits for it). */
  onBodyPull(): void;
  /** Buffered body bytes were consumed (resume reading if paused). */
  onConsumed(): void;
}

const decoder = new TextDecoder();

/** A request as the handler sees it. */
export class IncomingRequest implements ServerRequest {
  readonly protocol: string;
  readonly method: string;
  readonly target: string;
  readonly headers: HeadersView;
  trailers: HeadersView | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  aborted = false;
  private readonly source: RequestSource;
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private isEnded: boolean;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private isPulled = false;
  private queryIndex = -2;

  constructor(
    protocol: string,
    method: string,
    target: string,
    headers: HeadersView,
    remoteAddress: string,
    remotePort: number,
    hasBody: boolean,
    source: RequestSource,
  ) {
    this.protocol = protocol;
    this.method = method;
    this.target = target;
    this.headers = headers;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.isEnded = !hasBody;
    this.source = source;
  }

  get path(): string {
    const q = this.qIndex();
    return q < 0 ? this.target : this.target.slice(0, q);
  }

  get query(): string {
    const q = this.qIndex();
    return q < 0 ? '' : this.target.slice(q + 1);
  }

  private qIndex(): number {
    if (this.queryIndex === -2) this.queryIndex = this.target.indexOf('?');
    return this.queryIndex;
  }

  /** Body bytes received and not yet read by the handler. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True once the whole body has been received. */
  get isBodyComplete(): boolean {
    return this.isEnded;
  }

  /** Protocol side: a body chunk (already the request's own copy). */
  pushBody(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    this.wake();
  }

  /** Protocol side: the body is complete. */
  endBody(trailers: HeadersView | null): void {
    this.trailers = trailers;
    this.isEnded = true;
    this.wake();
  }

  /** Protocol side: the peer went away before the body or the response completed. */
  abort(error: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    if (!this.isEnded) this.failure = error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w();
    }
  }

  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.iterate() };
  }

  private async *iterate(): AsyncGenerator<Uint8Array> {
    if (!this.isPulled) {
      this.isPulled = true;
      if (!this.isEnded) this.source.onBodyPull();
    }
    for (;;) {
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.buffered -= c.byteLength;
        this.source.onConsumed();
        yield c;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.isEnded) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async bytes(maxBytes = 1024 * 1024): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of this.body) {
      n += c.byteLength;
      if (n > maxBytes) throw new UsageError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
      parts.push(c);
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(n);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.byteLength;
    }
    return out;
  }

  async text(maxBytes?: number): Promise<string> {
    return decoder.decode(await this.bytes(maxBytes));
  }
}
