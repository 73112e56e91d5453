import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Pair } from './harness.js';

const GET = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/'],
] as const;

test('request and response round trip between two connections', () => {
  const p = new Pair();
  p.pump();
  const id = p.client.request(GET, { endStream: true });
  assert.equal(id, 1);
  p.pump();
  const req = p.serverEvents.find((e) => e.type === 'request');
  assert.ok(req?.type === 'request');
  assert.equal(req.method, 'GET');
  assert.equal(req.path, '/');
  assert.equal(req.endStream, true);
  p.server.respond(1, [
    [':status', '200'],
    ['content-type', 'text/plain'],
  ]);
  p.server.sendData(1, new TextEncoder().encode('hello'), true);
  p.pump();
  const res = p.clientEvents.find((e) => e.type === 'response');
  assert.ok(res?.type === 'response');
  assert.equal(res.status, 200);
  const data = p.clientEvents.filter((e) => e.type === 'data');
  assert.equal(new TextDecoder().decode(data[0]?.type === 'data' ? data[0].data : undefined), 'hello');
  assert.equal(p.client.activeStreams, 0);
  assert.equal(p.server.activeStreams, 0);
});
