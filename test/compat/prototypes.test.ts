/**
 * Express sets each request's and response's prototype per app (src/compat/prototypes.ts): an app served by
 * hayate/compat is re-parented onto hayate/compat's classes, while another Express app in the same process
 * keeps running on node:http, and a second compat app (sharing express's module objects) works too.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import express from 'express';
import { createServer, IncomingMessage, ServerResponse } from '../../src/compat/index.js';
import { request, TEST_OPTIONS, withServer } from './helpers.js';

function app(name: string): express.Express {
  const a = express();
  a.get('/', (req, res) => {
    res.json({
      name,
      compatReq: req instanceof IncomingMessage,
      compatRes: res instanceof ServerResponse,
      nodeReq: req instanceof http.IncomingMessage,
    });
  });
  return a;
}

test('two Express apps on hayate/compat and one on node:http in the same process', async () => {
  const onNode = http.createServer(app('node'));
  await new Promise<void>((resolve) => onNode.listen(0, '127.0.0.1', resolve));
  const nodePort = (onNode.address() as { port: number }).port;
  try {
    for (const name of ['compat-1', 'compat-2']) {
      await withServer(createServer(TEST_OPTIONS, app(name)), async (port) => {
        const r = await request('h1', port, 'GET', '/');
        assert.deepEqual(JSON.parse(r.body.toString()), {
          name,
          compatReq: true,
          compatRes: true,
          nodeReq: false,
        });
      });
    }
    // After both compat apps (its client socket would otherwise be in their descriptor baselines).
    const r = await request('h1', nodePort, 'GET', '/');
    assert.deepEqual(JSON.parse(r.body.toString()), {
      name: 'node',
      compatReq: false,
      compatRes: false,
      nodeReq: true,
    });
  } finally {
    await new Promise<void>((resolve) =>
      onNode.close(() => {
        resolve();
      }),
    );
  }
});
