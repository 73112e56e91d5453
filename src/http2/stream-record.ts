/**
 * The per-stream record of a connection: state (RFC 9113 §5.1, changed only through `transition`), windows,
 * the queue of outgoing DATA and the message bookkeeping of both directions.
 */
import { RecvWindow } from './flow-control.js';
import type { Http2Field } from './events.js';
import { DEFAULT_URGENCY } from './priority/scheduler.js';
import type { Schedulable } from './priority/scheduler.js';
import { StreamState, transition } from './stream.js';
import type { StreamInput } from './stream.js';

/** Per-stream record. Monomorphic: every field set in the constructor. */
export class StreamRecord implements Schedulable {
  state: StreamState = StreamState.Idle;
  urgency = DEFAULT_URGENCY;
  incremental = false;
  isScheduled = false;
  isBlocked = false;
  sendWindow: number;
  readonly recv: RecvWindow;
  /** Delivered to the application and not yet consumed. */
  unconsumed = 0;
  /** Queued outgoing DATA (references to caller buffers). */
  queue: Uint8Array[] = [];
  queueHead = 0;
  queueOffset = 0;
  queuedBytes = 0;
  isEndQueued = false;
  trailers: ReadonlyArray<Http2Field> | null = null;
  wantsDrain = false;
  /** Peer's announced content-length for the message it sends, or -1. */
  expectedLength = -1;
  receivedLength = 0;
  /** Client: the request was HEAD (response content-length does not describe a body). */
  isHead = false;
  /** Remote side: a final (non-1xx) head was received. */
  hasFinalHead = false;
  /** Local side: a final (non-1xx) head was sent. */
  hasSentFinalHead = false;
  readonly id: number;
  readonly isLocal: boolean;

  constructor(id: number, isLocal: boolean, sendWindow: number, recvWindow: number, recvTarget: number) {
    this.id = id;
    this.isLocal = isLocal;
    this.sendWindow = sendWindow;
    this.recv = new RecvWindow(recvWindow, recvTarget);
  }

  /** The only assignment of `state` (STYLE §3.2). */
  apply(input: StreamInput): void {
    this.state = transition(this.state, input, this.id);
  }
}
