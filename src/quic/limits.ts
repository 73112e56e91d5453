/**
 * QUIC limits (STYLE §3.5). Every default is finite and carries its reason; pass `Infinity` explicitly to
 * lift one. Limits we announce travel as transport parameters (RFC 9000 §18.2); the peer breaching them is a
 * connection error with the code RFC 9000 §20.1 names (FLOW_CONTROL_ERROR, STREAM_LIMIT_ERROR,
 * CONNECTION_ID_LIMIT_ERROR, CRYPTO_BUFFER_EXCEEDED). Local resource limits (connections, queued
 * datagrams, buffered undecryptable packets) drop the excess, as RFC 9000 §5.2 and §12.2 allow.
 */
import { UsageError } from '../common/errors.js';
import { resolveLimits } from '../common/limits.js';

/** Limits of one QUIC connection and of the endpoint that owns it. */
export interface QuicLimits {
  /** initial_max_streams_bidi we announce: peer-opened bidirectional streams at once (RFC 9000 §4.6). */
  readonly maxStreamsBidi: number;
  /** initial_max_streams_uni we announce: peer-opened unidirectional streams at once. */
  readonly maxStreamsUni: number;
  /** initial_max_stream_data_* we announce: receive window (and reassembly bound) of each stream. */
  readonly streamWindowBytes: number;
  /** initial_max_data we announce: receive window of the connection as a whole (RFC 9000 §4.1). */
  readonly connectionWindowBytes: number;
  /**
   * Largest receive window of one stream that auto-tuning may reach: the window doubles when the
   * application consumed half of it in under two round trips (see RecvCredit); at or below
   * `streamWindowBytes`, no growth.
   */
  readonly maxStreamWindowBytes: number;
  /** Largest connection receive window auto-tuning may reach; at or below `connectionWindowBytes`, no growth. */
  readonly maxConnectionWindowBytes: number;
  /** Out-of-order CRYPTO bytes buffered per encryption level before CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5). */
  readonly maxCryptoBufferBytes: number;
  /** Largest TLS handshake message accepted. */
  readonly maxHandshakeMessageBytes: number;
  /** ACK ranges remembered per packet number space (RFC 9000 §13.2.3 lets old ranges go). */
  readonly maxAckRanges: number;
  /** active_connection_id_limit we announce: peer CIDs we store (RFC 9000 §5.1.1). */
  readonly activeConnectionIdLimit: number;
  /** Connection IDs we issue at most, even when the peer allows more. */
  readonly maxIssuedConnectionIds: number;
  /** Length of the connection IDs we choose (RFC 9000 §5.1: at most 20). */
  readonly connectionIdLength: number;
  /** max_idle_timeout we announce, in ms (RFC 9000 §10.1); 0 disables it on our side. */
  readonly idleTimeoutMs: number;
  /** A handshake not confirmed within this time closes the connection. */
  readonly handshakeTimeoutMs: number;
  /**
   * While a bidirectional stream this endpoint opened is not finished (an HTTP/3 client's request awaiting
   * its response), send a PING once half the effective idle timeout passes without a packet from the peer,
   * so a long wait (a long poll, a slow handler) is not cut by the idle timeout (RFC 9000 §10.1.2; RFC 9114
   * §5.1 expects clients to keep connections open while responses are outstanding). Default true. A
   * connection with nothing outstanding still closes when idle.
   */
  readonly keepAlive: boolean;
  /**
   * UDP payload size we start with and use until DPLPMTUD (RFC 9000 §14.3) validates a larger one
   * (RFC 9000 §14: at least 1200). Also the floor: the size never drops below it except to 1200 after a
   * black hole.
   */
  readonly maxDatagramBytes: number;
  /**
   * Ceiling of DPLPMTUD on ordinary paths: the largest UDP payload probed (the peer's
   * max_udp_payload_size lowers it further). At or below `maxDatagramBytes`, no probing.
   */
  readonly maxUdpPayloadBytes: number;
  /** Ceiling of DPLPMTUD when the peer is a loopback address (127.0.0.0/8, ::1). */
  readonly maxLoopbackUdpPayloadBytes: number;
  /** max_datagram_frame_size we announce (RFC 9221 §3); 0 disables DATAGRAM frames. */
  readonly maxDatagramFrameBytes: number;
  /** Outgoing DATAGRAM frames queued by the application and not yet sent; beyond it the oldest are dropped. */
  readonly maxPendingDatagrams: number;
  /** Incoming DATAGRAM frames queued as events and not yet taken; beyond it new ones are dropped. */
  readonly maxReceivedDatagrams: number;
  /** Packets that arrive before their keys and are kept for later (RFC 9001 §5.7 allows dropping them). */
  readonly maxBufferedUndecryptable: number;
  /** ack_delay_exponent we announce (RFC 9000 §18.2). */
  readonly ackDelayExponent: number;
  /** max_ack_delay we announce, in ms (RFC 9000 §18.2). */
  readonly maxAckDelayMs: number;
  /** Connections one endpoint holds at once; Initials beyond it are answered with CONNECTION_REFUSED. */
  readonly maxConnections: number;
  /** Lifetime of a Retry address-validation token in ms (RFC 9000 §8.1.3). */
  readonly retryTokenLifetimeMs: number;
  /** Datagrams an endpoint queues for sending (version negotiation, stateless resets, refusals). */
  readonly maxEndpointQueue: number;
  /** 1-RTT packets sent with one key before we update keys (RFC 9001 §6.6 sets the AEAD's upper bound). */
  readonly keyUpdateAfterPackets: number;
  /** Stateless resets an endpoint sends per second at most (burst of the same size, RFC 9000 §10.3). */
  readonly statelessResetsPerSecond: number;
}

/** Default QUIC limits; frozen. */
export const DEFAULT_QUIC_LIMITS: Readonly<QuicLimits> = Object.freeze({
  // 100: mirrors HTTP/2's recommended minimum concurrency (RFC 9113 §6.5.2); HTTP/3 needs at least 3 uni.
  maxStreamsBidi: 100,
  maxStreamsUni: 100,
  // 256 KiB: a few round trips of a fast LAN per stream; bounds per-stream reassembly memory.
  streamWindowBytes: 256 * 1024,
  // 4 MiB: keeps many streams busy; bounds connection-wide buffering.
  connectionWindowBytes: 4 * 1024 * 1024,
  // 16 MiB: the bandwidth-delay product of 1 Gbit/s at 128 ms (quiche and Chromium cap stream windows at
  // 16 MiB too); reached only by a stream whose application keeps consuming that fast.
  maxStreamWindowBytes: 16 * 1024 * 1024,
  // 24 MiB: 1.5 times the stream maximum, so one tuned stream is not held back by the connection window
  // and others still progress; this is the bound on what one connection buffers for a reading application.
  maxConnectionWindowBytes: 24 * 1024 * 1024,
  // 64 KiB: RFC 9000 §7.5 requires at least 4096; a certificate chain fits with room.
  maxCryptoBufferBytes: 64 * 1024,
  // 64 KiB: the TLS default of the design; real certificate chains are a few KiB.
  maxHandshakeMessageBytes: 64 * 1024,
  // 32: enough for heavy reordering; old ranges are re-sent only until acknowledged (RFC 9000 §13.2.4).
  maxAckRanges: 32,
  // 4: RFC 9000 §18.2 minimum is 2; four leaves room for migration and retirement.
  activeConnectionIdLimit: 4,
  // 8: bounds the routing table entries one connection can hold.
  maxIssuedConnectionIds: 8,
  // 8: RFC 9000 §7.2 minimum for a client's first DCID; 64 bits of entropy for routing.
  connectionIdLength: 8,
  // 30 s: common default (quiche, quinn); NAT bindings usually outlive it.
  idleTimeoutMs: 30000,
  // 10 s: RFC 9000 §10.1 leaves it open; a handshake over a lossy path completes well within it.
  handshakeTimeoutMs: 10000,
  // true: an outstanding request outlives a quiet peer; an idle connection still closes.
  keepAlive: true,
  // 1200: RFC 9000 §14 minimum every path carries; DPLPMTUD raises it after the handshake.
  maxDatagramBytes: 1200,
  // 1452: fills a 1500-byte Ethernet MTU under IPv6 (1500 - 40 - 8). Not higher because Node's UDP sockets
  // cannot set the don't-fragment bit: a larger probe would be fragmented by IP and "succeed", and every
  // datagram after it would travel as fragments (fragile under loss, dropped by some middleboxes).
  maxUdpPayloadBytes: 1452,
  // 16383: loopback (MTU 65536) never fragments; per-packet cost dominates there (14.5 MB/s at 1200 bytes,
  // 37 MB/s at 4000 in issue 14's measurements). 16383 keeps every packet length a 2-byte varint.
  maxLoopbackUdpPayloadBytes: 16383,
  // 1200: a DATAGRAM frame fits in one minimum-size packet (RFC 9221 §3).
  maxDatagramFrameBytes: 1200,
  // 64: a bounded send queue; DATAGRAM is unreliable, so dropping is allowed (RFC 9221 §5).
  maxPendingDatagrams: 64,
  // 256: a bounded receive queue for an application that does not read.
  maxReceivedDatagrams: 256,
  // 16: RFC 9001 §5.7 lets an endpoint drop these; a handful covers reordering around key changes.
  maxBufferedUndecryptable: 16,
  // 3: the RFC 9000 §18.2 default.
  ackDelayExponent: 3,
  // 25 ms: the RFC 9000 §18.2 default.
  maxAckDelayMs: 25,
  // 10000: bounds per-endpoint state against Initial floods.
  maxConnections: 10000,
  // 10 s: long enough for one round trip after the Retry, short enough to limit replay (RFC 9000 §8.1.3).
  retryTokenLifetimeMs: 10000,
  // 1024: version negotiation and reset answers beyond it are dropped rather than buffered.
  maxEndpointQueue: 1024,
  // 2^23: the AES-GCM confidentiality limit of RFC 9001 §6.6 (the AEAD's own limit applies when lower).
  keyUpdateAfterPackets: 2 ** 23,
  // 100/s: RFC 9000 §10.3 lets an endpoint limit resets; enough for restarts, useless as a reflector.
  statelessResetsPerSecond: 100,
});

/** Limit objects this module produced (frozen and valid): passing one back resolves to itself. */
const resolvedLimits = new WeakSet();

/**
 * Merges `overrides` into {@link DEFAULT_QUIC_LIMITS}, validating every value. A result of this function
 * passed back in is returned as is, so connections of one endpoint share one limits object.
 */
export function resolveQuicLimits(overrides?: Partial<QuicLimits>): Readonly<QuicLimits> {
  if (overrides !== undefined && resolvedLimits.has(overrides)) return overrides as Readonly<QuicLimits>;
  const limits = resolveLimits('QuicLimits', DEFAULT_QUIC_LIMITS, overrides);
  const bad = (why: string): UsageError => new UsageError('ERR_INVALID_LIMIT', `QuicLimits: ${why}`);
  // RFC 9000 §5.1: a connection ID is 1..20 bytes here (we route by our own CIDs, so never empty).
  if (
    !Number.isInteger(limits.connectionIdLength) ||
    limits.connectionIdLength < 4 ||
    limits.connectionIdLength > 20
  ) {
    throw bad(`connectionIdLength ${limits.connectionIdLength} outside 4..20`);
  }
  // RFC 9000 §14: every datagram carrying an Initial is at least 1200 bytes.
  // Above 16383 a packet's Length field and the frame lengths we write would need 4-byte varints.
  for (const key of ['maxDatagramBytes', 'maxUdpPayloadBytes', 'maxLoopbackUdpPayloadBytes'] as const) {
    if (!Number.isInteger(limits[key]) || limits[key] < 1200 || limits[key] > 16383) {
      throw bad(`${key} ${limits[key]} outside 1200..16383`);
    }
  }
  // RFC 9000 §18.2: active_connection_id_limit at least 2, ack_delay_exponent at most 20,
  // max_ack_delay below 2^14.
  if (limits.activeConnectionIdLimit < 2) throw bad('activeConnectionIdLimit below 2');
  if (limits.ackDelayExponent > 20) throw bad('ackDelayExponent above 20');
  if (limits.maxAckDelayMs >= 16384) throw bad('maxAckDelayMs at or above 2^14');
  // RFC 9000 §7.5: the CRYPTO buffer must hold at least 4096 bytes.
  if (limits.maxCryptoBufferBytes < 4096) throw bad('maxCryptoBufferBytes below 4096');
  resolvedLimits.add(limits);
  return limits;
}
