/**
 * Binds an {@link Http3Connection} (sans-I/O core) to a {@link QuicConnection} (provider): provider
 * callbacks feed the core, the core's events go to `onEvent`, and its output is drained into the provider
 * after every input and after every action the event handler takes (STYLE §2: the server wires the two).
 */
import { ProtocolError } from '../common/errors.js';
import { Http3Connection } from '../http3/connection.js';
import type { Http3ConnectionOptions, Http3Event } from '../http3/connection.js';
import type { QuicConnection } from '../transport/quic.js';

/** Called for every HTTP/3 event; may call actions on `session.h3` (output is flushed afterwards). */
export type Http3EventHandler = (event: Http3Event, session: Http3Session) => void;

/** An HTTP/3 connection running over one QUIC connection. */
export class Http3Session {
  readonly h3: Http3Connection;
  readonly quic: QuicConnection;
  /** The connection error that ended the session, if any. */
  error: ProtocolError | undefined;
  /** Code and reason of the close, once closed (either side). */
  closeCode: number | undefined;
  private readonly onEvent: Http3EventHandler;
  private isFlushing: boolean;
  private isFlushScheduled: boolean;

  constructor(
    quic: QuicConnection,
    options: Omit<Http3ConnectionOptions, 'role'>,
    onEvent: Http3EventHandler,
  ) {
    this.quic = quic;
    this.h3 = new Http3Connection({
      ...options,
      role: quic.role,
      enableDatagrams: options.enableDatagrams === true && quic.isDatagramSupported,
    });
    this.onEvent = onEvent;
    this.error = undefined;
    this.closeCode = undefined;
    this.isFlushing = false;
    this.isFlushScheduled = false;
    quic.setHandlers({
      onStreamData: (id, bytes, fin) => {
        this.guard(() => {
          this.h3.receiveStream(id, bytes, fin);
        });
      },
      onStreamReset: (id, code) => {
        this.guard(() => {
          this.h3.receiveStreamReset(id, code);
        });
      },
      onStopSending: (id, code) => {
        this.guard(() => {
          this.h3.receiveStopSending(id, code);
        });
      },
      onDatagram: (payload) => {
        this.guard(() => {
          this.h3.receiveDatagram(payload);
        });
      },
      onStreamAcked: (id, bytes) => {
        this.h3.onStreamAcked(id, bytes);
      },
      onClose: (code, reason) => {
        this.closeCode ??= code;
        this.guard(() => {
          this.h3.receiveClose(code, reason);
        });
      },
    });
    this.flush();
  }

  /** Runs `fn` (an action on `h3`) and flushes its output; connection errors end the session. */
  guard(fn: () => void): void {
    this.run(fn);
    this.flush();
  }

  /**
   * Like {@link guard}, but flushes at the end of the current microtask, so the actions of one handler
   * turn (HEADERS, DATA, FIN) reach the provider as one write.
   */
  guardSoon(fn: () => void): void {
    this.run(fn);
    this.scheduleFlush();
  }

  private run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.error ??= err;
    }
    this.dispatch();
  }

  private scheduleFlush(): void {
    if (this.isFlushScheduled) return;
    this.isFlushScheduled = true;
    queueMicrotask(() => {
      this.isFlushScheduled = false;
      this.flush();
    });
  }

  /** Drains the core's output into the provider. */
  flush(): void {
    if (this.isFlushing) return;
    this.isFlushing = true;
    try {
      for (let o = this.h3.takeOutput(); o !== null; o = this.h3.takeOutput()) {
        switch (o.type) {
          case 'stream':
            this.quic.writeStream(o.streamId, o.chunks, o.fin);
            break;
          case 'reset':
            this.quic.resetStream(o.streamId, o.code);
            break;
          case 'stopSending':
            this.quic.stopSending(o.streamId, o.code);
            break;
          case 'datagram':
            this.quic.sendDatagram(o.payload);
            break;
          case 'close':
            this.closeCode ??= o.code;
            this.quic.close(o.code, o.reason);
            break;
        }
      }
    } finally {
      this.isFlushing = false;
    }
  }

  private dispatch(): void {
    for (let e = this.h3.nextEvent(); e !== null; e = this.h3.nextEvent()) {
      try {
        this.onEvent(e, this);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.error ??= err;
      }
    }
  }
}
