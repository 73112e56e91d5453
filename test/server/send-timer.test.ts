/**
 * SendTimer on a fake socket and a timer wheel with a fake clock: the send-progress rule, and the one
 * linger of the server (HTTP/1.1 and HTTP/2) after our FIN.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendTimer } from '../../src/server/send-timer.js';
import { TimerWheel } from '../../src/transport/timer-wheel.js';
import type { TransportSocket } from '../../src/transport/socket.js';

class FakeSocket implements TransportSocket {
  readonly transport = 'fake';
  readonly remoteAddress = '';
  readonly remotePort = 0;
  pendingBytes = 0;
  readonly bytesRead = 0;
  readonly bytesWritten = 0;
  isClosed = false;
  isEnded = false;
  destroyError: Error | undefined | null = null;
  setHandler(): void {
    /* unused */
  }
  write(): boolean {
    return this.pendingBytes === 0;
  }
  sendFile(): void {
    /* unused */
  }
  pause(): void {
    /* unused */
  }
  resume(): void {
    /* unused */
  }
  end(): void {
    this.isEnded = true;
  }
  destroy(error?: Error): void {
    this.isClosed = true;
    this.destroyError = error;
  }
}

const TICK = 10;
const SEND_MS = 1000;
const LINGER_MS = 100;

function setup(): { socket: FakeSocket; timer: SendTimer; at: (t: number) => void } {
  let now = 0;
  const wheel = new TimerWheel(TICK, 64, () => now);
  const socket = new FakeSocket();
  const timer = new SendTimer(socket, wheel, SEND_MS);
  // Time moves one tick at a time, as the wheel's interval moves it.
  const at = (t: number): void => {
    while (now < t) {
      now = Math.min(now + TICK, t);
      wheel.advance(now);
    }
  };
  return { socket, timer, at };
}

test('linger: a peer that does not close within lingerMs of our FIN is destroyed', () => {
  const { socket, timer, at } = setup();
  timer.endAndLinger(LINGER_MS);
  assert.equal(socket.isEnded, true);
  at(LINGER_MS - TICK);
  assert.equal(socket.isClosed, false);
  at(LINGER_MS + TICK);
  assert.equal(socket.isClosed, true);
  assert.equal(socket.destroyError, undefined, 'a plain destroy, not a send timeout');
});

test('linger: output still queued (no drain reported) is waited on while it shrinks', () => {
  const { socket, timer, at } = setup();
  socket.pendingBytes = 5000;
  timer.endAndLinger(LINGER_MS);
  // A slow reader: the queue shrinks each linger step, long past lingerMs.
  for (let t = 1; t <= 8; t++) {
    socket.pendingBytes -= 500;
    at(t * LINGER_MS + TICK);
    assert.equal(socket.isClosed, false, `still waiting at step ${t}`);
  }
  // Written out (the transport did not report a drain): the next step finds nothing queued.
  socket.pendingBytes = 0;
  at(9 * LINGER_MS + TICK);
  assert.equal(socket.isClosed, true);
});

test('linger: the drain of our output restarts the linger time', () => {
  const { socket, timer, at } = setup();
  socket.pendingBytes = 10;
  timer.endAndLinger(LINGER_MS);
  at(LINGER_MS - 2 * TICK);
  socket.pendingBytes = 0;
  timer.drained();
  at(LINGER_MS + 2 * TICK);
  assert.equal(socket.isClosed, false, 'the peer gets lingerMs from the drain');
  at(2 * LINGER_MS);
  assert.equal(socket.isClosed, true);
});

test('linger: output that makes no progress for the send timeout is destroyed with ERR_SEND_TIMEOUT', () => {
  const { socket, timer, at } = setup();
  socket.pendingBytes = 10;
  timer.endAndLinger(LINGER_MS);
  at(SEND_MS - LINGER_MS);
  assert.equal(socket.isClosed, false);
  at(SEND_MS + 2 * TICK);
  assert.equal(socket.isClosed, true);
  assert.equal((socket.destroyError as { code?: string } | undefined)?.code, 'ERR_SEND_TIMEOUT');
});

test('send progress: slow is allowed, stuck is not', () => {
  const { socket, timer, at } = setup();
  socket.pendingBytes = 100;
  timer.wrote();
  socket.pendingBytes = 50;
  at(SEND_MS + TICK);
  assert.equal(socket.isClosed, false);
  at(2 * SEND_MS + 2 * TICK);
  assert.equal(socket.isClosed, true);
  assert.equal((socket.destroyError as { code?: string } | undefined)?.code, 'ERR_SEND_TIMEOUT');
});
