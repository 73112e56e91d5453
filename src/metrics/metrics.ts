/**
 * `createMetrics()`: Prometheus metrics for every hayate server in the process, fed by the server's
 * diagnostics channels (src/server/diagnostics.ts), so the server does no metrics work unless this
 * subscribes. Label values are bounded: unknown methods, protocols and error codes fold into `other`,
 * statuses outside 100–599 too, so a client cannot grow the number of series.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { UsageError } from '../common/errors.js';
import { h2ErrorName } from '../http2/errors.js';
import { h3ErrorName } from '../http3/errors.js';
import type { Handler, ServerRequest } from '../server/types.js';
import { Counter, Gauge, Histogram, LabelValues } from './registry.js';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Upper bounds (seconds) of the request duration histogram. */
  readonly durationBuckets?: readonly number[];
}

/** The default duration buckets, in seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5];

/** RFC 9110 §9 methods plus PATCH (RFC 5789); anything else is `other`. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const PROTOCOLS = ['http/1.0', 'http/1.1', 'h2', 'h3'];
const STATUSES = Array.from({ length: 500 }, (_, i) => String(100 + i));

/** Prometheus metrics of the hayate servers in this process. */
export interface Metrics {
  /** The exposition text (Prometheus text format 0.0.4). */
  render(): string;
  /** A handler answering GET/HEAD with {@link render}'s text (mount it at `/metrics`). */
  readonly handler: Handler;
  /** Stops listening to the diagnostics channels (the figures stay readable). */
  close(): void;
}

interface SocketLike {
  readonly transport?: string;
  readonly bytesRead?: number;
  readonly bytesWritten?: number;
  readonly tlsVersion?: string | null;
  readonly alpnProtocol?: string | false;
}

interface ChannelMessage {
  readonly request?: ServerRequest;
  readonly status?: number;
  readonly durationMs?: number;
  readonly socket?: SocketLike;
  readonly connection?: { readonly socket?: SocketLike };
  readonly error?: { readonly code?: unknown; readonly wireCode?: unknown } | undefined;
}

/**
 * Subscribes to the server's diagnostics channels and keeps:
 * - `hayate_http_requests_total{method,status,protocol}`: responses completed;
 * - `hayate_http_request_duration_seconds{protocol}`: handler called to response queued;
 * - `hayate_connections_active{transport}` and `hayate_connections_total{transport}` (TCP: native, net, tls);
 * - `hayate_http_request_rejects_total{code,status}`: requests refused by the parser, a limit or a timeout;
 * - `hayate_http_requests_aborted_total{protocol,reason}`: exchanges the peer ended before the response;
 * - `hayate_http_stream_resets_total{protocol,code}`: HTTP/2 RST_STREAM and HTTP/3 RESET_STREAM from peers;
 * - `hayate_tls_handshakes_total{version,alpn}`: TLS connections accepted;
 * - `hayate_received_bytes_total{transport}`, `hayate_sent_bytes_total{transport}`: TCP bytes, counted
 *   when each connection closes.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const buckets = options.durationBuckets ?? DEFAULT_DURATION_BUCKETS;
  if (buckets.length === 0 || buckets.some((b) => !(b > 0) || !Number.isFinite(b))) {
    throw new UsageError('ERR_INVALID_ARG', 'durationBuckets: positive finite numbers');
  }
  const method = new LabelValues(METHODS);
  const status = new LabelValues(STATUSES);
  const protocol = new LabelValues(PROTOCOLS);
  const transport = new LabelValues(['native', 'net', 'tls'], true, 8);
  const code = new LabelValues([], true, 64);
  const rejectStatus = new LabelValues(['0', ...STATUSES]);

  const requests = new Counter(
    'hayate_http_requests_total',
    'HTTP responses completed, by request method, status and protocol.',
    ['method', 'status', 'protocol'],
    [method, status, protocol],
  );
  const duration = new Histogram(
    'hayate_http_request_duration_seconds',
    'Time from the parsed request head to the response queued in full.',
    ['protocol'],
    [protocol],
    buckets,
  );
  const active = new Gauge(
    'hayate_tcp_connections_active',
    'Open TCP connections, by transport.',
    ['transport'],
    [transport],
  );
  const accepted = new Counter(
    'hayate_tcp_connections_total',
    'TCP connections accepted, by transport.',
    ['transport'],
    [transport],
  );
  const protocolActive = new Gauge(
    'hayate_connections_active',
    'Open connections by protocol, once it is known (ALPN, the h2c preface; h3: each QUIC connection).',
    ['protocol'],
    [protocol],
  );
  // The protocol each open connection was counted under (WeakMap: nothing kept for a connection gone).
  const protocolOf = new WeakMap<object, number>();
  const rejects = new Counter(
    'hayate_http_request_rejects_total',
    'Requests refused by the parser, a limit or a timeout, by error code and status (0: a stream error).',
    ['code', 'status'],
    [code, rejectStatus],
  );

  const reason = new LabelValues(['ERR_CONNECTION_CLOSED', 'ERR_STREAM_RESET'], true, 16);
  const aborted = new Counter(
    'hayate_http_requests_aborted_total',
    'Exchanges the peer ended before the response was complete, by protocol and reason.',
    ['protocol', 'reason'],
    [protocol, reason],
  );
  const resetCode = new LabelValues([], true, 32);
  const resets = new Counter(
    'hayate_http_stream_resets_total',
    'Streams reset by the peer (HTTP/2 RST_STREAM, HTTP/3 RESET_STREAM), by protocol and error code name.',
    ['protocol', 'code'],
    [protocol, resetCode],
  );
  const tlsVersion = new LabelValues(['TLSv1.3', 'TLSv1.2'], true, 8);
  const alpn = new LabelValues(['h2', 'http/1.1', 'none'], true, 8);
  const handshakes = new Counter(
    'hayate_tls_handshakes_total',
    'TLS connections accepted, by negotiated version and ALPN protocol.',
    ['version', 'alpn'],
    [tlsVersion, alpn],
  );
  const received = new Counter(
    'hayate_received_bytes_total',
    'Bytes received on TCP connections (decrypted on TLS), counted when each connection closes.',
    ['transport'],
    [transport],
  );
  const sent = new Counter(
    'hayate_sent_bytes_total',
    'Bytes written on TCP connections (before TLS encryption), counted when each connection closes.',
    ['transport'],
    [transport],
  );

  /** Index of a status in `status` (whose values are 100..599 in order, then `other`) without a string. */
  const statusIndex = (v: number | undefined): number =>
    v !== undefined && v >= 100 && v <= 599 && Number.isInteger(v) ? v - 100 : STATUSES.length;

  const onFinish = (m: unknown): void => {
    const { request: r, status: s, durationMs } = m as ChannelMessage;
    if (r === undefined) return;
    const p = protocol.of(r.protocol);
    requests.inc(requests.key3(method.of(r.method), statusIndex(s), p));
    if (durationMs !== undefined && durationMs >= 0) duration.observe(duration.key1(p), durationMs / 1000);
  };
  const onOpen = (m: unknown): void => {
    const socket = (m as ChannelMessage).socket;
    const t = transport.of(socket?.transport ?? 'other');
    active.add(active.key1(t), 1);
    accepted.inc(accepted.key1(t));
    if (socket?.transport === 'tls') {
      const a = socket.alpnProtocol;
      handshakes.inc(
        handshakes.key2(
          tlsVersion.of(socket.tlsVersion ?? 'other'),
          alpn.of(a === false || a === undefined ? 'none' : a),
        ),
      );
    }
  };
  const onProtocol = (m: unknown): void => {
    const { connection, protocol: name } = m as { connection?: object; protocol?: string };
    if (connection === undefined || name === undefined) return;
    const p = protocol.of(name);
    protocolOf.set(connection, p);
    protocolActive.add(protocolActive.key1(p), 1);
  };
  const onClose = (m: unknown): void => {
    const connection = (m as ChannelMessage).connection;
    if (connection === undefined) return;
    const p = protocolOf.get(connection);
    if (p !== undefined) {
      protocolOf.delete(connection);
      protocolActive.add(protocolActive.key1(p), -1);
    }
    const socket = connection.socket;
    // An HTTP/3 connection has no TCP socket.
    if (socket === undefined) return;
    const t = transport.of(socket.transport ?? 'other');
    active.add(active.key1(t), -1);
    if (socket.bytesRead !== undefined) received.inc(received.key1(t), socket.bytesRead);
    if (socket.bytesWritten !== undefined) sent.inc(sent.key1(t), socket.bytesWritten);
  };
  const onAbort = (m: unknown): void => {
    const { request: r, error } = m as ChannelMessage;
    if (r === undefined) return;
    const p = protocol.of(r.protocol);
    const c = typeof error?.code === 'string' ? error.code : 'other';
    aborted.inc(aborted.key2(p, reason.of(c)));
    if (c === 'ERR_STREAM_RESET' && typeof error?.wireCode === 'number') {
      const name = r.protocol === 'h3' ? h3ErrorName(error.wireCode) : h2ErrorName(error.wireCode);
      resets.inc(resets.key2(p, resetCode.of(name)));
    }
  };
  const onReject = (m: unknown): void => {
    const { error, status: s } = m as ChannelMessage;
    const c = typeof error?.code === 'string' ? error.code : error === undefined ? 'timeout' : 'other';
    rejects.inc(rejects.key2(code.of(c), rejectStatus.of(String(s ?? 0))));
  };

  const subscriptions: [string, (m: unknown) => void][] = [
    ['hayate:server:response-finish', onFinish],
    ['hayate:server:connection-open', onOpen],
    ['hayate:server:connection-close', onClose],
    ['hayate:server:request-reject', onReject],
    ['hayate:server:request-abort', onAbort],
    ['hayate:server:connection-protocol', onProtocol],
  ];
  for (const [name, fn] of subscriptions) subscribe(name, fn);
  let isClosed = false;

  const render = (): string => {
    const out: string[] = [];
    const families = [
      requests,
      duration,
      aborted,
      resets,
      rejects,
      protocolActive,
      active,
      accepted,
      handshakes,
      received,
      sent,
    ];
    for (const f of families) f.render(out);
    return `${out.join('\n')}\n`;
  };

  return {
    render,
    handler: (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.status = 405;
        res.setHeader('allow', 'GET, HEAD');
        res.end();
        return;
      }
      res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.end(render());
    },
    close: () => {
      if (isClosed) return;
      isClosed = true;
      for (const [name, fn] of subscriptions) unsubscribe(name, fn);
    },
  };
}
