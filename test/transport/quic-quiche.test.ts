import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H3ErrorCode } from '../../src/http3/errors.js';
import type { Http3Event } from '../../src/http3/connection.js';
import { Http3Session } from '../../src/server/http3-session.js';
import {
  connectQuiche,
  isStarting,
  listenQuiche,
  loadQuiche,
  patchHandshakeStreams,
} from '../../src/transport/quic-quiche.js';
import { selfSignedCert } from '../http3/tls.js';

test('handshake streams are deferred, not rejected (workaround for @matrixai/quic 2.0.9)', async () => {
  // A stand-in with the package's private start/stop state: processStreams must not run while starting.
  const statusSym = Symbol('_status');
  const calls: string[] = [];
  class FakeConnection {
    [statusSym]: string | null = null;
    processStreams(): void {
      calls.push(`process while ${String(this[statusSym])}`);
    }
    start(): Promise<void> {
      this[statusSym] = 'starting';
      this.processStreams(); // quiche finished the handshake inside recv(): original code rejects streams here
      return Promise.resolve().then(() => {
        this[statusSym] = null;
      });
    }
    send(): Promise<void> {
      calls.push('send');
      return Promise.resolve();
    }
  }
  patchHandshakeStreams(FakeConnection.prototype);
  patchHandshakeStreams(FakeConnection.prototype); // idempotent
  const c = new FakeConnection();
  assert.equal(isStarting(c), false);
  await c.start();
  assert.deepEqual(calls, [], 'nothing processed while starting');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['process while null', 'send']);
  // Outside start, processStreams runs directly.
  c.processStreams();
  assert.equal(calls.length, 3);
});

test('hayate HTTP/3 client and server over quiche on loopback UDP', async (t) => {
  try {
    await loadQuiche();
  } catch (err) {
    if (process.env['CI']) throw err;
    t.skip(String(err));
    return;
  }
  const tls = selfSignedCert();
  if (tls === undefined) {
    t.skip('no openssl');
    return;
  }
  const big = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  const sessions: Http3Session[] = [];
  const listener = await listenQuiche({
    key: tls.key,
    cert: tls.cert,
    onConnection: (quic) => {
      sessions.push(
        new Http3Session(quic, {}, (e: Http3Event, s) => {
          if (e.type !== 'request') return;
          if (e.path === '/big') {
            s.h3.respond(e.streamId, [
              [':status', '200'],
              ['content-length', String(big.length)],
            ]);
            s.h3.sendData(e.streamId, big, true);
          } else {
            s.h3.respond(e.streamId, [
              [':status', '200'],
              ['content-type', 'text/plain'],
            ]);
            s.h3.sendData(e.streamId, new TextEncoder().encode(`hello ${e.path ?? ''}`), true);
          }
        }),
      );
    },
  });
  const quic = await connectQuiche({ host: '127.0.0.1', port: listener.port, verifyPeer: false });
  try {
    const bodies = new Map<number, Uint8Array[]>();
    const statuses = new Map<number, number>();
    let remaining = 4;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const client = new Http3Session(quic, {}, (e, s) => {
      if (e.type === 'response') statuses.set(e.streamId, e.status);
      else if (e.type === 'data') bodies.get(e.streamId)!.push(e.data.slice());
      else if (e.type === 'end' && --remaining === 0) {
        s.h3.goAway();
        resolveDone();
      }
    });
    const ids: number[] = [];
    for (const path of ['/a', '/b', '/big', '/c']) {
      client.guard(() => {
        const id = client.h3.request(
          [
            [':method', 'GET'],
            [':scheme', 'https'],
            [':authority', 'localhost'],
            [':path', path],
          ],
          true,
        );
        bodies.set(id, []);
        ids.push(id);
      });
    }
    await done;
    const text = (id: number): string => Buffer.concat(bodies.get(id)!).toString();
    assert.equal(text(ids[0]!), 'hello /a');
    assert.equal(text(ids[3]!), 'hello /c');
    assert.ok(Buffer.concat(bodies.get(ids[2]!)!).equals(Buffer.from(big)));
    assert.deepEqual([...statuses.values()], [200, 200, 200, 200]);
    assert.equal(client.error, undefined);
    await quic.closed;
    assert.equal(client.closeCode, H3ErrorCode.H3_NO_ERROR);
    assert.equal(sessions[0]?.error, undefined);
  } finally {
    await quic.destroy();
    await listener.close();
  }
});
