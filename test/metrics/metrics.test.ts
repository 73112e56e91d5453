/**
 * hayate/metrics: the exposition text parsed by a Prometheus text-format parser (parse-prometheus-text-format)
 * after real traffic on HTTP/1.1, HTTP/2 and HTTP/3; bounded series under a flood of odd methods and
 * statuses; rejects counted by code; nothing left subscribed after close().
 */
import assert from 'node:assert/strict';
import { hasSubscribers } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import http2 from 'node:http2';
import https from 'node:https';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { createMetrics, Counter, Histogram, LabelValues } from '../../src/metrics/index.js';
import { createServer, selfSignedCertificate } from '../../src/server/index.js';
import { protocolRequest, type Proto } from '../support/protocol-request.js';
import { quicheAvailable } from '../support/peers.js';
import { sleep } from '../support/traffic.js';

interface Sample {
  readonly value?: string;
  readonly labels?: Record<string, string>;
  readonly buckets?: Record<string, string>;
  readonly count?: string;
  readonly sum?: string;
}
interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: Sample[];
}
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

function family(families: Family[], name: string): Family {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `${name} present`);
  return f;
}

function valueOf(f: Family, labels: Record<string, string>): number {
  const s = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s === undefined ? 0 : Number(s.value ?? s.count);
}

/**
 * One labelled series of a histogram, parsed: the parser folds labelled histograms into one sample and
 * drops their sum and count, so the series' lines are handed to it alone with the label removed.
 */
function histogramSeries(text: string, name: string, label: string, value: string): Sample {
  const tag = `${label}="${value}"`;
  const lines = text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith(`# HELP ${name} `) ||
        l.startsWith(`# TYPE ${name} `) ||
        (l.startsWith(name) && l.includes(tag)),
    )
    .map((l) => l.replace(`{${tag}}`, '').replace(`${tag},`, ''));
  const f = family(parse(`${lines.join('\n')}\n`), name);
  assert.equal(f.metrics.length, 1);
  return f.metrics[0]!;
}

/** Cumulative buckets never decrease, +Inf equals the count. */
function assertMonotonic(s: Sample): void {
  const entries = Object.entries(s.buckets ?? {}).sort(
    (a, b) => (a[0] === '+Inf' ? Infinity : Number(a[0])) - (b[0] === '+Inf' ? Infinity : Number(b[0])),
  );
  let last = 0;
  for (const [, v] of entries) {
    assert.ok(Number(v) >= last, 'buckets are cumulative');
    last = Number(v);
  }
  if (s.buckets?.['+Inf'] !== undefined) assert.equal(Number(s.buckets['+Inf']), Number(s.count));
}

describe('registry', () => {
  it('an open label caps its values and folds the rest into other; a closed one knows only its list', () => {
    const open = new LabelValues(['a'], true, 4);
    assert.deepEqual(
      ['a', 'x', 'y', 'z', 'w'].map((v) => open.values[open.of(v)]),
      ['a', 'x', 'y', 'other', 'other'],
    );
    const closed = new LabelValues(['GET']);
    assert.equal(closed.values[closed.of('BREW')], 'other');
  });

  it('renders counters with escaped labels and histograms with cumulative buckets, +Inf, sum, count', () => {
    const l = new LabelValues([], true);
    const c = new Counter('t_total', 'help', ['path'], [l]);
    c.inc(c.key1(l.of('a"b\\c\nd')), 2);
    const h = new Histogram('t_seconds', 'help', [], [], [0.1, 1]);
    for (const v of [0.05, 0.5, 0.7, 3]) h.observe(h.key0(), v);
    const out: string[] = [];
    c.render(out);
    h.render(out);
    const fams = parse(`${out.join('\n')}\n`);
    assert.equal(family(fams, 't_total').metrics[0]!.labels!['path'], 'a"b\\c\nd');
    const hs = family(fams, 't_seconds').metrics[0]!;
    assert.deepEqual(hs.buckets, { '0.1': '1', '1': '3', '+Inf': '4' });
    assert.equal(Number(hs.count), 4);
    assert.equal(Number(hs.sum), 4.25);
  });
});

describe('createMetrics on a live server', () => {
  it('counts requests, durations and connections on HTTP/1.1, HTTP/2 and HTTP/3', async (t) => {
    const protos: Proto[] = (await quicheAvailable()) ? ['h1', 'h2', 'h3'] : ['h1', 'h2'];
    if (!protos.includes('h3')) t.diagnostic('HTTP/3 not tested: @matrixai/quic not loadable');
    const metrics = createMetrics();
    const { key, cert } = selfSignedCertificate();
    const server = createServer(
      (req, res) => {
        if (req.path === '/metrics') return metrics.handler(req, res);
        if (req.path === '/slow') {
          // Streams until the client goes away.
          res.write('first');
          return new Promise<void>((resolve) => {
            req.signal.addEventListener('abort', () => {
              resolve();
            });
          });
        }
        res.status = req.path === '/missing' ? 404 : 200;
        res.end('ok');
        return undefined;
      },
      { tls: { key, cert }, http3: protos.includes('h3') },
    );
    const { port } = await server.listen(0);
    try {
      for (const p of protos) {
        for (let i = 0; i < 3; i++)
          assert.equal((await protocolRequest(p, port, 'GET', '/', [], undefined, true)).status, 200);
        assert.equal((await protocolRequest(p, port, 'GET', '/missing', [], undefined, true)).status, 404);
        assert.equal((await protocolRequest(p, port, 'POST', '/', [], Buffer.from('x'), true)).status, 200);
      }
      // Client aborts mid-response: an HTTP/2 stream cancelled, an HTTP/1.1 connection dropped.
      await new Promise<void>((resolve, reject) => {
        const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
        const stream = session.request({ ':path': '/slow' });
        stream.once('data', () => {
          stream.close(http2.constants.NGHTTP2_CANCEL, () => {
            session.close();
            resolve();
          });
        });
        stream.on('error', reject);
      });
      await new Promise<void>((resolve) => {
        const req = https.get(
          { host: '127.0.0.1', port, path: '/slow', rejectUnauthorized: false, agent: false },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', () => undefined);
      });
      for (let i = 0; i < 100 && !/requests_aborted_total\{protocol="http\/1\.1"/.test(metrics.render()); i++)
        await sleep(10);
      const scrape = await protocolRequest('h1', port, 'GET', '/metrics', [], undefined, true);
      assert.match(String(scrape.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const fams = parse(scrape.body.toString());
      const requests = family(fams, 'hayate_http_requests_total');
      assert.equal(requests.type, 'COUNTER');
      const name = { h1: 'http/1.1', h2: 'h2', h3: 'h3' } as const;
      for (const p of protos) {
        assert.equal(valueOf(requests, { method: 'GET', status: '200', protocol: name[p] }), 3, p);
        assert.equal(valueOf(requests, { method: 'GET', status: '404', protocol: name[p] }), 1, p);
        assert.equal(valueOf(requests, { method: 'POST', status: '200', protocol: name[p] }), 1, p);
      }
      assert.equal(family(fams, 'hayate_http_request_duration_seconds').type, 'HISTOGRAM');
      for (const p of protos) {
        const h = histogramSeries(
          scrape.body.toString(),
          'hayate_http_request_duration_seconds',
          'protocol',
          name[p],
        );
        assertMonotonic(h);
        assert.equal(Number(h.count), 5, p);
        assert.deepEqual(Object.keys(h.buckets ?? {}).length, 10);
        assert.ok(Number(h.sum) > 0 && Number(h.sum) < 5, `${p} sum ${String(h.sum)}`);
      }
      assert.ok(valueOf(family(fams, 'hayate_tcp_connections_total'), { transport: 'tls' }) >= 2 * 5);
      // The scrape's own HTTP/1.1 connection is open while it is rendered.
      assert.ok(valueOf(family(fams, 'hayate_connections_active'), { protocol: 'http/1.1' }) >= 1);
      const hs = family(fams, 'hayate_tls_handshakes_total');
      assert.ok(valueOf(hs, { version: 'TLSv1.3', alpn: 'h2' }) >= 5);
      // node:https offers no ALPN: hayate serves HTTP/1.1 to such clients.
      assert.ok(valueOf(hs, { version: 'TLSv1.3', alpn: 'none' }) >= 5);
      const aborted = family(fams, 'hayate_http_requests_aborted_total');
      assert.equal(valueOf(aborted, { protocol: 'h2', reason: 'ERR_STREAM_RESET' }), 1);
      assert.equal(valueOf(aborted, { protocol: 'http/1.1', reason: 'ERR_CONNECTION_CLOSED' }), 1);
      assert.equal(
        valueOf(family(fams, 'hayate_http_stream_resets_total'), { protocol: 'h2', code: 'CANCEL' }),
        1,
      );
    } finally {
      await server.close();
      metrics.close();
    }
    const after = parse(metrics.render());
    assert.equal(valueOf(family(after, 'hayate_tcp_connections_active'), { transport: 'tls' }), 0);
    // Every connection was counted under its protocol once, and none is left open.
    for (const p of ['http/1.1', 'h2', ...(protos.includes('h3') ? ['h3'] : [])]) {
      assert.equal(valueOf(family(after, 'hayate_connections_active'), { protocol: p }), 0, p);
    }
    // Every TCP connection has closed: their bytes are counted (requests in, responses out).
    assert.ok(valueOf(family(after, 'hayate_received_bytes_total'), { transport: 'tls' }) > 500);
    assert.ok(valueOf(family(after, 'hayate_sent_bytes_total'), { transport: 'tls' }) > 1000);
  });

  it('keeps the series bounded under random methods and statuses, and counts parser rejects by code', async () => {
    const metrics = createMetrics();
    const server = createServer((req, res) => {
      res.status = Number(req.headers.get('x-status') ?? '200');
      res.end();
    });
    const { port } = await server.listen(0);
    const raw = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => s.end(text));
        let got = '';
        s.on('data', (c: Buffer) => (got += c.toString('latin1')));
        s.on('end', () => {
          resolve(got);
        });
        s.on('error', reject);
      });
    try {
      const jobs: Promise<string>[] = [];
      for (let i = 0; i < 300; i++) {
        const method = `M${i.toString(36).toUpperCase()}X`;
        const status = 200 + ((i * 37) % 800); // 200..999: 600-999 are legal to send but not HTTP statuses
        jobs.push(
          raw(`${method} /p${i} HTTP/1.1\r\nHost: x\r\nx-status: ${status}\r\nConnection: close\r\n\r\n`),
        );
      }
      for (let i = 0; i < 5; i++)
        jobs.push(raw('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
      await Promise.all(jobs);
    } finally {
      await server.close();
      metrics.close();
    }
    const fams = parse(metrics.render());
    const requests = family(fams, 'hayate_http_requests_total');
    const methods = new Set(requests.metrics.map((m) => m.labels!['method']));
    assert.deepEqual([...methods], ['other']);
    const statuses = requests.metrics.map((m) => m.labels!['status']!);
    assert.ok(statuses.includes('other'), 'statuses 600-999 fold into other');
    assert.ok(requests.metrics.length <= 401, `${requests.metrics.length} series`);
    const total = requests.metrics.reduce((n, m) => n + Number(m.value), 0);
    assert.equal(total, 300);
    const rejects = family(fams, 'hayate_http_request_rejects_total');
    const dup = rejects.metrics.find((m) => m.labels!['status'] === '400');
    assert.ok(dup !== undefined && Number(dup.value) === 5, JSON.stringify(rejects.metrics));
    assert.match(dup.labels!['code']!, /^ERR_/);
  });

  it('close() unsubscribes: the server publishes nothing when no metrics listen', () => {
    const m = createMetrics();
    assert.equal(hasSubscribers('hayate:server:response-finish'), true);
    m.close();
    assert.equal(hasSubscribers('hayate:server:response-finish'), false);
  });
});
