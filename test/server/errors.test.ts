/** The errors a handler sees when the peer goes away: typed, with stable codes, on every transport. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer, ServerError, type ServerRequest } from '../../src/server/index.js';
import { RawClient, TRANSPORTS, transportAvailable } from './helpers.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const CANCEL = 0x8;

/** One HTTP/2 frame (RFC 9113 §4.1). */
function frame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** Preface, SETTINGS, and a POST on stream 1 with part of a body (no END_STREAM). */
function postWithPartialBody(): Buffer {
  // HPACK (RFC 7541 Appendix A): :method POST (3), :scheme http (6), :path / (4), :authority "x".
  const block = Buffer.from([0x83, 0x86, 0x84, 0x41, 0x01, 0x78]);
  return Buffer.concat([
    Buffer.from(PREFACE, 'latin1'),
    frame(0x4, 0, 0, new Uint8Array(0)),
    frame(0x1, 0x4, 1, block),
    frame(0x0, 0, 1, Buffer.from('part')),
  ]);
}

/** A server whose handler reads the body and reports what reading it threw. */
function bodyReader(transport: 'native' | 'net'): {
  server: ReturnType<typeof createServer>;
  failure: Promise<unknown>;
  started: Promise<void>;
} {
  let fail: (e: unknown) => void = () => undefined;
  let began: () => void = () => undefined;
  const failure = new Promise<unknown>((resolve) => (fail = resolve));
  const started = new Promise<void>((resolve) => (began = resolve));
  const server = createServer(
    async (req: ServerRequest, res) => {
      began();
      try {
        await req.bytes();
        res.end('read');
        fail(undefined);
      } catch (e) {
        fail(e);
      }
    },
    { transport, onError: () => undefined },
  );
  return { server, failure, started };
}

for (const transport of TRANSPORTS) {
  const skip = !transportAvailable(transport) && 'native addon not built';

  test(
    `h2c on ${transport}: RST_STREAM aborts the request with ERR_STREAM_RESET and the wire code`,
    { skip },
    async () => {
      const { server, failure, started } = bodyReader(transport);
      const { port } = await server.listen(0);
      const c = await RawClient.open(port);
      try {
        c.write(postWithPartialBody());
        await started;
        const code = Buffer.alloc(4);
        code.writeUInt32BE(CANCEL);
        c.write(frame(0x3, 0, 1, code));
        const err = await failure;
        assert.ok(err instanceof ServerError, `got ${String(err)}`);
        assert.equal(err.code, 'ERR_STREAM_RESET');
        assert.equal(err.wireCode, CANCEL);
      } finally {
        c.destroy();
        await server.close();
      }
    },
  );

  test(
    `h2c on ${transport}: a connection the peer ends aborts the request with ERR_CONNECTION_CLOSED`,
    { skip },
    async () => {
      const { server, failure, started } = bodyReader(transport);
      const { port } = await server.listen(0);
      const c = await RawClient.open(port);
      try {
        c.write(postWithPartialBody());
        await started;
        c.socket.end();
        const err = await failure;
        assert.ok(err instanceof ServerError, `got ${String(err)}`);
        assert.equal(err.code, 'ERR_CONNECTION_CLOSED');
      } finally {
        c.destroy();
        await server.close();
      }
    },
  );

  test(
    `h2c on ${transport}: a reset connection aborts the request with ERR_CONNECTION_CLOSED caused by the socket error`,
    { skip },
    async () => {
      const { server, failure, started } = bodyReader(transport);
      const { port } = await server.listen(0);
      const c = await RawClient.open(port);
      try {
        c.write(postWithPartialBody());
        await started;
        c.socket.resetAndDestroy();
        const err = await failure;
        assert.ok(err instanceof ServerError, `got ${String(err)}`);
        assert.equal(err.code, 'ERR_CONNECTION_CLOSED');
        // net: TransportError ERR_SOCKET_ERROR with the system error as its cause; native: NativeError.
        const cause = err.cause as { code?: unknown; errno?: unknown };
        assert.equal(cause.code, transport === 'net' ? 'ERR_SOCKET_ERROR' : 'ERR_NATIVE_ECONNRESET');
        assert.equal(cause.errno, 'ECONNRESET');
        if (transport === 'net') assert.equal((cause as Error).cause instanceof Error, true);
      } finally {
        await server.close();
      }
    },
  );
}
