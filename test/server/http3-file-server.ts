/**
 * Child process for test/server/http3-udp.test.ts: serves one file over HTTP/3 (listenHttp3 on its default QUIC, hayate/quic) and
 * reports its own peak RSS, so the parent measures the server's memory apart from the client's.
 * Protocol over IPC: parent sends { key, cert, file }; child answers { port }; on 'mark' it takes the
 * baseline again (after the parent's warm-up request) and answers { marked }; on 'report' it answers
 * { baselineArrayBuffers, baselineRss, maxRss, maxArrayBuffers, sent } and exits. GET /warm answers 'ok'; any other path is the file.
 */
import { listenHttp3 } from '../../src/server/http3.js';

interface Setup {
  readonly key: string;
  readonly cert: string;
  readonly file: string;
}

const send = (m: unknown): void => {
  process.send?.(m);
};

process.once('message', (setup: Setup) => {
  void (async () => {
    let sent = 0;
    const server = await listenHttp3(
      { key: setup.key, cert: setup.cert, idleTimeoutMs: 5000, onError: () => undefined },
      async (req, res) => {
        if (req.path === '/warm') {
          res.end('ok');
          return;
        }
        await res.sendFile(setup.file);
        sent++;
      },
    );
    // Run with --expose-gc: a full collection before each sample makes RSS follow live memory, not how
    // lazily V8 collects the (plentiful) per-packet garbage of @matrixai/quic.
    const sample = (): number => {
      global.gc?.();
      return process.memoryUsage().rss;
    };
    let baselineRss = sample();
    let maxRss = baselineRss;
    // Peak of the JS-held buffers (file chunks read ahead land here) besides peak RSS.
    let maxArrayBuffers = process.memoryUsage().arrayBuffers;
    // What was held before the measured request: the native UDP socket's receive slots and send buffer
    // (hayate/quic, about 5 MiB, allocated once at listen) are there whatever the file size.
    let baselineArrayBuffers = maxArrayBuffers;
    const timer = setInterval(() => {
      maxRss = Math.max(maxRss, sample());
      maxArrayBuffers = Math.max(maxArrayBuffers, process.memoryUsage().arrayBuffers);
    }, 100);
    process.on('message', (m) => {
      if (m === 'mark') {
        baselineRss = sample();
        maxRss = baselineRss;
        maxArrayBuffers = process.memoryUsage().arrayBuffers;
        baselineArrayBuffers = maxArrayBuffers;
        send({ marked: 1 });
        return;
      }
      if (m !== 'report') return;
      clearInterval(timer);
      maxRss = Math.max(maxRss, sample());
      send({
        baselineArrayBuffers,
        baselineRss,
        maxRss,
        sent,
        maxArrayBuffers,
      });
      void server.close().finally(() => {
        process.disconnect();
      });
    });
    send({ port: server.port });
  })();
});
