import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { findPackageRoot } from '../../src/transport/binding.js';
import { TRANSPORTS, transportAvailable } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hayate-workers-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const serverModule = pathToFileURL(join(findPackageRoot(), 'dist', 'src', 'server', 'index.js')).href;
const entry = join(dir, 'entry.mjs');
writeFileSync(
  entry,
  `import { createServer, runWorkers } from ${JSON.stringify(serverModule)};
import { threadId } from 'node:worker_threads';
const group = await runWorkers(async () => {
  const s = createServer((req, res) => { res.end(process.pid + ':' + threadId + ':' + s.transport.name); },
    { transport: process.env.T });
  await s.listen(Number(process.env.PORT));
}, { workers: 2, transport: process.env.T });
if (group !== undefined) console.log('started ' + group.kind + ' ' + group.count);
`,
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => {
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
  });
}

function fetchOnce(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const r = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let s = '';
      res.on('data', (b: Buffer) => (s += b.toString()));
      res.on('end', () => {
        resolve(s);
      });
    });
    r.on('error', () => {
      resolve(undefined);
    });
  });
}

for (const transport of TRANSPORTS) {
  test(
    `runWorkers on ${transport}: two workers share one port`,
    {
      skip: !transportAvailable(transport) && 'native addon not built',
    },
    async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [entry], {
        env: { ...process.env, PORT: String(port), T: transport },
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      try {
        const seen = new Set<string>();
        // Under load the second worker may start seconds after the first: poll until a deadline,
        // pausing between attempts so a fast first worker cannot use up the attempts alone.
        const deadline = Date.now() + 30_000;
        while (seen.size < 2 && Date.now() < deadline) {
          const body = await fetchOnce(port);
          if (body !== undefined) seen.add(body);
          await new Promise((r) => setTimeout(r, 20));
        }
        const kind = transport === 'native' ? 'threads' : 'cluster';
        assert.match(out, new RegExp(`started ${kind} 2`));
        assert.equal(seen.size, 2, `answers came from two workers: ${[...seen].join(', ')} ${out}`);
        for (const s of seen) assert.ok(s.endsWith(`:${transport}`), s);
      } finally {
        child.kill();
      }
    },
  );
}
