/**
 * Child process for test/server/backpressure.test.ts: serves one big response so the parent can measure
 * this process's RSS while a client reads slowly. Prints JSON lines on stdout: `{"port"}` once listening,
 * `{"rss"}` every 20 ms, `{"aborted"}` (Date.now()) when a request's signal fires, `{"done"}` when a
 * handler finished writing.
 *
 * argv: transport (native|net), mode (write|file), totalBytes, filePath (for mode file).
 */
import { createServer } from '../../src/server/server.js';

const [transport = 'net', mode = 'write', totalArg = '1073741824', filePath = ''] = process.argv.slice(2);
const total = Number(totalArg);
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

function emit(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

const server = createServer(
  async (req, res) => {
    req.signal.addEventListener('abort', () => {
      // An empty chunk: a sendFile response's fixed length is already queued, so bytes would be misuse.
      emit({ aborted: Date.now(), writeReturns: res.write(new Uint8Array(0)) });
    });
    res.setHeader('content-type', 'application/octet-stream');
    if (mode === 'file') {
      await res.sendFile(filePath);
      emit({ done: 'file' });
      return;
    }
    res.setHeader('content-length', String(total));
    // Writing starts before any await: backpressure must hold from the first write.
    let sent = 0;
    while (sent < total) {
      const n = Math.min(CHUNK.length, total - sent);
      sent += n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await res.drained();
      if (req.signal.aborted) break;
    }
    if (!req.aborted) res.end();
    emit({ done: 'write', sent });
  },
  { transport: transport === 'native' ? 'native' : 'net' },
);
const { port } = await server.listen(0);
emit({ port, rss: process.memoryUsage().rss });
setInterval(() => {
  emit({ rss: process.memoryUsage().rss });
}, 20).unref();
process.stdin.on('end', () => {
  void server.close(100).then(() => process.exit(0));
});
process.stdin.resume();
