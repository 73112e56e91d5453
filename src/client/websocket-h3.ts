/**
 * WebSocket client over HTTP/3 (RFC 9220): an extended CONNECT with `:protocol` `websocket` on a request
 * stream of a QUIC connection the caller opened (any provider of src/transport/quic.ts: the in-memory one in
 * tests, quiche in production). The caller keeps the QUIC connection: closing the WebSocket ends its stream
 * only. Received DATA is returned as stream credit as the WebSocket reads it, so pausing (unread messages
 * in the async iterator) is QUIC flow control towards the server.
 */
import type { Http3Event } from '../http3/connection.js';
import { H3ErrorCode } from '../http3/errors.js';
import type { Http3Session } from '../server/http3-session.js';
import { ZlibMessageDeflater } from '../server/websocket-deflate.js';
import { WebSocket, checkWebSocketOptions } from '../server/websocket-socket.js';
import type { WebSocketPipe, WebSocketPipeSink } from '../server/websocket-socket.js';
import type { QuicConnection } from '../transport/quic.js';
import { acceptPerMessageDeflateResponse, buildPerMessageDeflateOffer } from '../websocket/extensions.js';
import type { PerMessageDeflateOptions } from '../websocket/extensions.js';
import { WEBSOCKET_VERSION } from '../websocket/handshake.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, HandshakeDeadline } from './deadline.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { SharedHttp3 } from './h3-shared.js';
import { handshakeError, type WebSocketClientOptions } from './websocket.js';

/**
 * Opens a WebSocket to `url` (its authority and path) over `quic`, a client-role QUIC connection. The first
 * tunnel on `quic` starts its HTTP/3 session; later WebSockets (and WebTransport sessions) on the same QUIC
 * connection share it. Waits for the server's SETTINGS and fails unless they enable extended CONNECT
 * (RFC 9220 §3).
 */
export async function connectWebSocketOverQuic(
  quic: QuicConnection,
  url: string | URL,
  options: WebSocketClientOptions = {},
): Promise<WebSocket> {
  const u = typeof url === 'string' ? new URL(url) : url;
  checkWebSocketOptions(options);
  const pipe = new Http3Pipe(options.highWaterMarkBytes ?? 64 * 1024);
  let onSettings: (enabled: boolean) => void = () => undefined;
  let onResponse: (e: { status: number; headers: Array<[string, string]> } | Error) => void = () => undefined;
  const settings = new Promise<boolean>((resolve) => (onSettings = resolve));
  const response = new Promise<{ status: number; headers: Array<[string, string]> } | Error>(
    (resolve) => (onResponse = resolve),
  );
  let streamId = -1;
  // One HTTP/3 connection per QUIC connection, shared by every tunnel on it (src/client/h3-shared.ts).
  const shared = SharedHttp3.of(quic);
  const session = shared.session;
  void shared.settings.then((s) => {
    onSettings(s?.enableConnectProtocol === true);
  });
  const onStreamEvent = (e: Http3Event): void => {
    switch (e.type) {
      case 'response':
        if (!e.isInformational) onResponse(e);
        return;
      case 'closed':
        onResponse(new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'QUIC connection closed'));
        pipe.onClosed();
        return;
      case 'streamReset':
      case 'stopSending':
        onResponse(new ClientError(ClientErrorCode.STREAM_RESET, 'stream reset', { wireCode: e.errorCode }));
        pipe.onReset();
        return;
      case 'data':
        pipe.onData(e.data);
        return;
      case 'end':
        pipe.onEnd();
        return;
      case 'settings':
      case 'request':
      case 'trailers':
      case 'goaway':
      case 'datagram':
        return;
    }
  };
  const deadline = new HandshakeDeadline(
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    'WebSocket',
  );
  try {
    if (!(await deadline.race(settings))) {
      throw handshakeError('the HTTP/3 server does not enable extended CONNECT (RFC 9220)');
    }
    const offered =
      options.protocols === undefined
        ? []
        : typeof options.protocols === 'string'
          ? [options.protocols]
          : [...options.protocols];
    const d = options.perMessageDeflate;
    const offer: PerMessageDeflateOptions | undefined =
      d === undefined || d === false ? undefined : d === true ? {} : d;
    const fields: Array<[string, string]> = [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', u.host],
      [':path', `${u.pathname}${u.search}`],
      ['sec-websocket-version', WEBSOCKET_VERSION],
    ];
    if (offered.length > 0) fields.push(['sec-websocket-protocol', offered.join(', ')]);
    if (offer !== undefined) fields.push(['sec-websocket-extensions', buildPerMessageDeflateOffer(offer)]);
    for (const [n, v] of options.headers ?? []) fields.push([n.toLowerCase(), v]);
    if (shared.isClosed) throw handshakeError('the QUIC connection is closed');
    session.guard(() => {
      streamId = session.h3.request(fields, false);
    });
    shared.listen(streamId, onStreamEvent);
    pipe.onDone = () => {
      shared.unlisten(streamId);
    };
    const res = await deadline.race(response);
    if (res instanceof Error) throw handshakeError('extended CONNECT failed', res);
    // RFC 9220 §3 (RFC 8441 §5): a 2xx answer opens the WebSocket.
    if (res.status < 200 || res.status > 299) throw handshakeError(`status ${res.status}`);
    const get = (name: string): string | undefined => res.headers.find((h) => h[0] === name)?.[1];
    const protocol = get('sec-websocket-protocol')?.trim() ?? '';
    if (protocol !== '' && !offered.includes(protocol)) throw handshakeError('subprotocol we did not offer');
    const ext = get('sec-websocket-extensions');
    let params = null;
    if (ext !== undefined && ext.trim() !== '') {
      if (offer === undefined) throw handshakeError('server selected an extension we did not offer');
      params = acceptPerMessageDeflateResponse(ext, offer);
    }
    const z = typeof d === 'object' ? d : {};
    const ws = new WebSocket({
      role: 'client',
      protocol,
      extensions: params === null ? '' : (ext?.trim() ?? ''),
      httpVersion: 'h3',
      deflater: params === null ? undefined : new ZlibMessageDeflater(params, 'client', z),
      options,
    });
    pipe.attach(session, streamId, ws.sink);
    ws.attach(pipe);
    return ws;
  } catch (err) {
    if (streamId >= 0) {
      shared.unlisten(streamId);
      session.guard(() => {
        if (!session.h3.isClosed) session.h3.resetStream(streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
      });
    }
    throw err;
  } finally {
    deadline.clear();
  }
}

/** The request stream as a pipe (see the file comment). */
class Http3Pipe implements WebSocketPipe {
  private session: Http3Session | null = null;
  private streamId = -1;
  private sink: WebSocketPipeSink | null = null;
  private readonly highWaterMark: number;
  private isPaused = false;
  private held: Uint8Array[] = [];
  private isEndHeld = false;
  private isReadDone = false;
  private isWriteDone = false;
  private isClosed = false;
  private isDrainArmed = false;
  /** Called once when the pipe closes (the shared session stops routing its stream). */
  onDone: (() => void) | undefined = undefined;

  constructor(highWaterMark: number) {
    this.highWaterMark = highWaterMark;
  }

  attach(session: Http3Session, streamId: number, sink: WebSocketPipeSink): void {
    this.session = session;
    this.streamId = streamId;
    this.sink = sink;
  }

  onData(data: Uint8Array): void {
    if (this.isClosed || this.sink === null) return;
    if (this.isPaused) {
      // Lifetime: the event's bytes are only valid during the call.
      this.held.push(data.slice());
      return;
    }
    this.sink.onPipeData(data, 0, data.length);
    this.session?.consumeBody(this.streamId, data.length);
  }

  onEnd(): void {
    if (this.isPaused) {
      this.isEndHeld = true;
      return;
    }
    this.isReadDone = true;
    this.sink?.onPipeEnd();
    this.checkDone();
  }

  onReset(): void {
    this.close(new ClientError(ClientErrorCode.STREAM_RESET, 'WebSocket stream reset'));
  }

  onClosed(): void {
    this.close(new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'QUIC connection closed'));
  }

  write(chunks: Uint8Array[]): boolean {
    const s = this.session;
    if (s === null || this.isWriteDone || this.isClosed) return false;
    s.guard(() => {
      for (const c of chunks) s.h3.sendData(this.streamId, c);
    });
    const isBelow = s.unackedBytes(this.streamId) < this.highWaterMark;
    if (!isBelow && !this.isDrainArmed) {
      this.isDrainArmed = true;
      void s.whenBelow(this.streamId, this.highWaterMark).then(() => {
        this.isDrainArmed = false;
        if (!this.isClosed) this.sink?.onPipeDrain();
      });
    }
    return isBelow;
  }

  get pendingBytes(): number {
    return this.session?.unackedBytes(this.streamId) ?? 0;
  }

  end(): void {
    const s = this.session;
    if (s === null || this.isWriteDone || this.isClosed) return;
    this.isWriteDone = true;
    // RFC 9220 §3 (RFC 8441 §5): FIN on the request stream is the orderly end.
    s.guard(() => {
      if (!s.h3.isClosed) s.h3.endStream(this.streamId);
    });
    this.checkDone();
  }

  destroy(): void {
    const s = this.session;
    if (s !== null && !this.isClosed) {
      s.guard(() => {
        if (!s.h3.isClosed) s.h3.resetStream(this.streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
      });
    }
    this.close(undefined);
  }

  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    const held = this.held;
    this.held = [];
    for (const d of held) this.onData(d);
    if (this.isEndHeld) {
      this.isEndHeld = false;
      this.onEnd();
    }
  }

  private checkDone(): void {
    if (this.isReadDone && this.isWriteDone) this.close(undefined);
  }

  private close(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onDone?.();
    this.sink?.onPipeClose(error);
  }
}
