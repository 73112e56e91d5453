import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'undici';
import { createServer } from '../../src/server/index.js';
import { NativeLoop } from '../../src/transport/native.js';
import { TRANSPORTS, transportAvailable } from './helpers.js';
import { openFds } from '../support/traffic.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function oneShot(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.end('GET /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString()));
    s.on('close', () => {
      if (got.startsWith('HTTP/1.1 200 OK')) resolve();
      else reject(new Error(`bad answer ${got.slice(0, 40)}`));
    });
    s.on('error', reject);
  });
}

for (const transport of TRANSPORTS) {
  test(
    `no leaks on ${transport}: 100 keep-alive connections, then 1,000 connect/request/close cycles`,
    {
      skip:
        (process.platform !== 'linux' && 'needs /proc') ||
        (!transportAvailable(transport) && 'native addon not built'),
    },
    async () => {
      const server = createServer(
        (req, res) => {
          res.end(`ok ${req.path}`);
        },
        { transport },
      );
      const { port } = await server.listen(0);
      const loop = transport === 'native' ? NativeLoop.get() : undefined;
      // Warm up once so lazily created module state is in the baseline.
      await oneShot(port);
      await sleep(20);
      gc();
      const fds0 = openFds();
      const slots0 = loop?.native.arenaStats().slotsInUse ?? 0;
      const heap0 = process.memoryUsage().heapUsed;

      const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 100, pipelining: 1 });
      const rounds = [];
      for (let i = 0; i < 300; i++)
        rounds.push(pool.request({ path: `/k${i}`, method: 'GET' }).then((r) => r.body.text()));
      const answers = await Promise.all(rounds);
      assert.ok(answers.every((a, i) => a === `ok /k${i}`));
      assert.ok(server.connectionCount > 50, `many connections open at once (${server.connectionCount})`);
      await pool.close();

      for (let i = 0; i < 1000; i += 10) {
        const batch = [];
        for (let j = 0; j < 10; j++) batch.push(oneShot(port));
        await Promise.all(batch);
      }
      for (let i = 0; i < 100 && server.connectionCount > 0; i++) await sleep(10);
      assert.equal(server.connectionCount, 0);
      await sleep(20);
      gc();
      const fds1 = openFds();
      assert.equal(fds1, fds0, 'open fds back to baseline');
      if (loop !== undefined)
        assert.equal(loop.native.arenaStats().slotsInUse, slots0, 'arena slots back to baseline');
      const heapDelta = process.memoryUsage().heapUsed - heap0;
      assert.ok(heapDelta < 8 * 1024 * 1024, `heap grew by ${heapDelta} bytes`);
      await server.close();
    },
  );
}
