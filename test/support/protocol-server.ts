/**
 * One server for a per-protocol test (HTTP/1.1 and HTTP/2 cleartext on TCP, HTTP/3 with a self-signed
 * certificate): runs `run` against it, then checks that every connection closed and that the process's
 * descriptors are back at their baseline.
 */
import assert from 'node:assert/strict';
import { selfSignedCertificate, type SelfSignedCertificate } from '../../src/server/cert.js';
import type { FetchApp } from '../../src/server/fetch.js';
import { createServer, type ServerOptions } from '../../src/server/server.js';
import type { Handler } from '../../src/server/types.js';
import type { Proto } from './protocol-request.js';
import { openFds, sleep } from './traffic.js';

let cert: SelfSignedCertificate | undefined;

/**
 * Serves `handler` for `proto` (node:net transport unless `options.transport` says otherwise, a 10 ms timer
 * tick, handler failures collected into `errors`) and runs `run`; asserts connection count 0 and no leaked
 * descriptor afterwards.
 */
export async function withProtocolServer(
  proto: Proto,
  handler: Handler | FetchApp,
  options: ServerOptions,
  run: (port: number, errors: unknown[]) => Promise<void>,
): Promise<void> {
  const fdsBefore = openFds();
  const errors: unknown[] = [];
  cert ??= selfSignedCertificate();
  const server = createServer(handler, {
    transport: 'net',
    ...options,
    limits: { timerTickMs: 10, ...options.limits },
    onError: (e) => errors.push(e),
    ...(proto === 'h3' ? { tls: { key: cert.key, cert: cert.cert }, http3: true } : {}),
  });
  const { port } = await server.listen(0);
  try {
    await run(port, errors);
    for (let i = 0; i < 200 && server.connectionCount > 0; i++) await sleep(10);
    assert.equal(server.connectionCount, 0, `${proto}: every connection closed`);
  } finally {
    await server.close(500);
  }
  for (let i = 0; i < 100 && openFds() > fdsBefore; i++) await sleep(10);
  assert.equal(openFds(), fdsBefore, `${proto}: descriptors back to baseline`);
}
