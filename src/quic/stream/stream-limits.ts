/**
 * Stream counts (RFC 9000 §4.6, §3.2, §19.11, §19.14): how many streams of each type the peer lets us open
 * (its initial_max_streams_* and MAX_STREAMS) and how many we let it open (ours, raised as its streams
 * close). Pure numbers: the connection creates the stream objects and sends the frames.
 */
import { UsageError } from '../../common/errors.js';
import { quicError } from '../errors.js';
import {
  MAX_STREAMS,
  canReceiveOn,
  canSendOn,
  isBidi,
  isLocal,
  streamIdAt,
  streamIndex,
} from './stream-id.js';
import type { QuicRole } from './stream-id.js';

/** Initial stream counts from the transport parameters (RFC 9000 §18.2). */
export interface StreamLimitsConfig {
  readonly role: QuicRole;
  /** Our initial_max_streams_bidi: how many bidirectional streams the peer may open; kept as the window. */
  readonly localMaxStreamsBidi: number;
  /** Our initial_max_streams_uni. */
  readonly localMaxStreamsUni: number;
  /** The peer's initial_max_streams_bidi (0 until its transport parameters arrive). */
  readonly peerMaxStreamsBidi?: number;
  /** The peer's initial_max_streams_uni. */
  readonly peerMaxStreamsUni?: number;
}

/** Counts for one stream type direction pair (bidirectional or unidirectional). */
class TypeLimits {
  /** Streams we opened. */
  localOpened = 0;
  /** The peer's limit on streams we open. */
  peerLimit: number;
  private blockedReported = -1;
  /** Streams the peer opened (explicitly or implicitly). */
  remoteOpened = 0;
  /** Peer streams closed: each returns one unit of our limit. */
  remoteClosed = 0;
  /** The limit we advertised last. */
  localLimit: number;
  /** Our advertised concurrency: the limit stays `remoteClosed + window`. */
  readonly window: number;
  private isUpdatePending = false;

  constructor(localLimit: number, peerLimit: number) {
    this.localLimit = localLimit;
    this.window = localLimit;
    this.peerLimit = peerLimit;
  }

  takeBlocked(): number | null {
    if (this.localOpened < this.peerLimit || this.blockedReported === this.peerLimit) return null;
    this.blockedReported = this.peerLimit;
    return this.peerLimit;
  }

  onBlockedLost(limit: number): void {
    if (this.blockedReported === limit) this.blockedReported = -1;
  }

  onClosed(): void {
    if (this.remoteClosed >= this.remoteOpened) {
      throw new UsageError(
        'ERR_QUIC_STREAM_STATE',
        `closing more peer streams than the ${this.remoteOpened} opened`,
      );
    }
    this.remoteClosed++;
    const next = Math.min(this.remoteClosed + this.window, MAX_STREAMS);
    // Batch updates: announce once an eighth of the window (at least one stream) came back.
    if (next - this.localLimit >= Math.max(1, Math.floor(this.window / 8))) {
      this.localLimit = next;
      this.isUpdatePending = true;
    }
  }

  takeUpdate(): number | null {
    if (!this.isUpdatePending) return null;
    this.isUpdatePending = false;
    return this.localLimit;
  }

  onUpdateLost(limit: number): void {
    if (limit === this.localLimit) this.isUpdatePending = true;
  }
}

/** Both stream types' counts for one connection. */
export class StreamLimits {
  readonly role: QuicRole;
  private readonly bidi: TypeLimits;
  private readonly uni: TypeLimits;

  constructor(config: StreamLimitsConfig) {
    this.role = config.role;
    this.bidi = new TypeLimits(config.localMaxStreamsBidi, config.peerMaxStreamsBidi ?? 0);
    this.uni = new TypeLimits(config.localMaxStreamsUni, config.peerMaxStreamsUni ?? 0);
  }

  private of(bidi: boolean): TypeLimits {
    return bidi ? this.bidi : this.uni;
  }

  /**
   * The ID for a new locally-initiated stream, or null when the peer's limit is reached (RFC 9000 §4.6: an
   * endpoint may not exceed it; the caller then sends STREAMS_BLOCKED from `takeStreamsBlocked`).
   */
  openLocal(bidi: boolean): number | null {
    const t = this.of(bidi);
    if (t.localOpened >= t.peerLimit) return null;
    const id = streamIdAt(t.localOpened, bidi, this.role);
    t.localOpened++;
    return id;
  }

  /** How many more streams of the type we may open now. */
  localAvailable(bidi: boolean): number {
    const t = this.of(bidi);
    return t.peerLimit - t.localOpened;
  }

  /** The limit for a STREAMS_BLOCKED frame when we are at the peer's limit (RFC 9000 §4.6 SHOULD), once; else null. */
  takeStreamsBlocked(bidi: boolean): number | null {
    return this.of(bidi).takeBlocked();
  }

  /** A STREAMS_BLOCKED frame carrying `limit` was lost: report again if still blocked at it. */
  onStreamsBlockedLost(bidi: boolean, limit: number): void {
    this.of(bidi).onBlockedLost(limit);
  }

  /**
   * The peer's MAX_STREAMS (or its transport parameter). RFC 9000 §19.11: above 2^60 is a
   * FRAME_ENCODING_ERROR; RFC 9000 §4.6: a value that does not raise the limit is ignored. Answers whether
   * it grew.
   */
  onMaxStreams(bidi: boolean, max: number, frameType: number = bidi ? 0x12 : 0x13): boolean {
    if (max > MAX_STREAMS) {
      throw quicError('FRAME_ENCODING_ERROR', `MAX_STREAMS ${max} above 2^60`, { frameType });
    }
    const t = this.of(bidi);
    if (max <= t.peerLimit) return false;
    t.peerLimit = max;
    return true;
  }

  /**
   * A frame names peer-initiated stream `id`. Answers how many streams it opens: 0 when already open (or
   * closed), else the count of new streams, which are `id` and the lower IDs of its type not yet opened
   * (RFC 9000 §3.2: opening a stream implicitly opens lower-numbered ones of the same type), i.e.
   * `id - 4 * (count - 1)` through `id` in steps of 4. RFC 9000 §4.6: an ID at or beyond our limit is a
   * STREAM_LIMIT_ERROR. The ID must be peer-initiated (use `isLocalOpened` for our own).
   */
  openRemote(id: number, frameType = 0): number {
    if (isLocal(id, this.role)) {
      throw new UsageError('ERR_QUIC_STREAM_STATE', `stream ${id} is locally initiated`);
    }
    const t = this.of(isBidi(id));
    const index = streamIndex(id);
    if (index < t.remoteOpened) return 0;
    // RFC 9000 §4.6: a stream ID beyond the advertised limit is a STREAM_LIMIT_ERROR.
    if (index >= t.localLimit) {
      throw quicError(
        'STREAM_LIMIT_ERROR',
        `peer opened stream ${id} (${isBidi(id) ? 'bidirectional' : 'unidirectional'} #${index + 1}), limit ${t.localLimit}`,
        { frameType },
      );
    }
    const count = index + 1 - t.remoteOpened;
    t.remoteOpened = index + 1;
    return count;
  }

  /**
   * Checks a frame of type `frameType` naming stream `id` against the stream's direction and existence, and
   * opens the peer streams it implies. Answers the number of newly opened peer streams (see `openRemote`).
   * Throws STREAM_STATE_ERROR, as RFC 9000 requires, for: STREAM (§19.8), RESET_STREAM (§19.4) or
   * STREAM_DATA_BLOCKED (§19.13) on a send-only stream; MAX_STREAM_DATA (§19.10) or STOP_SENDING (§19.5) on
   * a receive-only stream; any of them on a locally-initiated stream not yet created (§19.5, §19.8, §19.10);
   * STREAM_LIMIT_ERROR for a peer stream beyond our limit (§4.6). Other frame types are a UsageError.
   */
  onStreamFrame(frameType: number, id: number): number {
    let isForReceivePart: boolean;
    if ((frameType >= 0x08 && frameType <= 0x0f) || frameType === 0x04 || frameType === 0x15) {
      isForReceivePart = true;
    } else if (frameType === 0x05 || frameType === 0x11) {
      isForReceivePart = false;
    } else {
      throw new UsageError('ERR_QUIC_FRAME_TYPE', `frame type 0x${frameType.toString(16)} names no stream`);
    }
    const isAllowed = isForReceivePart ? canReceiveOn(id, this.role) : canSendOn(id, this.role);
    if (!isAllowed) {
      throw quicError(
        'STREAM_STATE_ERROR',
        `frame 0x${frameType.toString(16)} on ${isForReceivePart ? 'send-only' : 'receive-only'} stream ${id}`,
        { frameType },
      );
    }
    if (isLocal(id, this.role)) {
      if (!this.isOpened(id)) {
        throw quicError(
          'STREAM_STATE_ERROR',
          `frame 0x${frameType.toString(16)} on stream ${id}, not yet opened`,
          {
            frameType,
          },
        );
      }
      return 0;
    }
    return this.openRemote(id, frameType);
  }

  /**
   * True when `id` is an existing or past stream: for our own IDs, one we opened (RFC 9000 §19.8: a frame
   * for a locally-initiated stream not yet created is a STREAM_STATE_ERROR, which the caller raises); for the
   * peer's, one it opened.
   */
  isOpened(id: number): boolean {
    const t = this.of(isBidi(id));
    const index = streamIndex(id);
    return isLocal(id, this.role) ? index < t.localOpened : index < t.remoteOpened;
  }

  /** A peer-initiated stream of the type is fully closed: its slot goes back to the peer. */
  onRemoteStreamClosed(bidi: boolean): void {
    this.of(bidi).onClosed();
  }

  /** The value for a MAX_STREAMS frame when one is due, once; null otherwise. */
  takeMaxStreamsUpdate(bidi: boolean): number | null {
    return this.of(bidi).takeUpdate();
  }

  /** A MAX_STREAMS frame carrying `limit` was lost: resend it if still current. */
  onMaxStreamsLost(bidi: boolean, limit: number): void {
    this.of(bidi).onUpdateLost(limit);
  }

  /** The limit we advertised last for peer streams of the type. */
  localLimit(bidi: boolean): number {
    return this.of(bidi).localLimit;
  }

  /** The peer's current limit on our streams of the type. */
  peerLimit(bidi: boolean): number {
    return this.of(bidi).peerLimit;
  }

  /** How many peer streams of the type are open (opened and not yet closed). */
  remoteActive(bidi: boolean): number {
    const t = this.of(bidi);
    return t.remoteOpened - t.remoteClosed;
  }
}
