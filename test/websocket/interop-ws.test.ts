/**
 * Interop with the `ws` library over loopback HTTP/1.1 (RFC 6455 §4 handshake done by hand here, since the
 * server binding lives outside the core): the core as server with `ws` as client, and the reverse, with and
 * without permessage-deflate (no context takeover, as test/websocket/harness.ts's ZlibDeflater implements).
 * `ws` is only a transitive dev dependency today; the test skips when it cannot be loaded.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomFillSync } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { WebSocketConnection } from '../../src/websocket/connection.js';
import {
  acceptPerMessageDeflateResponse,
  buildPerMessageDeflateOffer,
  negotiatePerMessageDeflate,
} from '../../src/websocket/extensions.js';
import { computeAccept, generateKey, isValidWebSocketKey } from '../../src/websocket/handshake.js';
import { ZlibDeflater } from './harness.js';

const require = createRequire(import.meta.url);
/** The few parts of `ws` this test uses (no @types/ws in the tree). */
interface WsSocket {
  on(event: string, listener: (...args: never[]) => void): void;
  send(data: string | Uint8Array, options?: { binary: boolean }): void;
  ping(data: Uint8Array): void;
  close(code: number, reason: string): void;
}
interface WsServer {
  on(event: string, listener: (...args: never[]) => void): void;
  address(): AddressInfo;
  close(): void;
}
interface WsModule {
  new (url: string, options: object): WsSocket;
  WebSocketServer: new (options: object) => WsServer;
}
let WS: WsModule | null = null;
try {
  WS = require('ws') as WsModule;
} catch {
  WS = null;
}
const sha1 = (d: Uint8Array): Uint8Array => createHash('sha1').update(d).digest();

/** Reads an HTTP head from `sock`; resolves with the head's lines and the bytes after it. */
function readHead(sock: Socket): Promise<{ lines: string[]; rest: Buffer }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      resolve({ lines: buf.subarray(0, end).toString('latin1').split('\r\n'), rest: buf.subarray(end + 4) });
    };
    sock.on('data', onData);
  });
}

function header(lines: string[], name: string): string | undefined {
  const l = lines.find((x) => x.toLowerCase().startsWith(name + ':'));
  return l?.slice(name.length + 1).trim();
}

/** Drives a core over `sock`: feeds input, echoes messages, writes output; resolves on the close event. */
function drive(
  conn: WebSocketConnection,
  sock: Socket,
  first: Buffer,
  echo: boolean,
  afterEvents: (log: string[]) => void = () => {},
): Promise<string[]> {
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const pump = (d: Uint8Array): void => {
      try {
        conn.receive(d);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      for (let ev = conn.nextEvent(); ev !== null; ev = conn.nextEvent()) {
        if (ev.type === 'message') {
          log.push(ev.isBinary ? `binary ${ev.data.length}` : `text ${ev.text}`);
          if (echo && !conn.isCloseSent) {
            if (ev.isBinary) conn.sendBinary(ev.data);
            else conn.sendText(ev.data);
          }
        } else if (ev.type === 'close') {
          log.push(`close ${ev.code} ${ev.reason}`);
        } else if (ev.type === 'error') {
          reject(ev.error);
        } else {
          log.push(ev.type);
        }
      }
      afterEvents(log);
      for (const c of conn.takeOutput()) sock.write(c);
      if (conn.isClosed) {
        sock.end();
        resolve(log);
      }
    };
    sock.on('data', pump);
    if (first.length > 0) pump(first);
  });
}

for (const isDeflate of [false, true]) {
  test(
    `core server <- ws client${isDeflate ? ' (permessage-deflate)' : ''}`,
    { skip: WS === null },
    async () => {
      let serverLog: Promise<string[]> | undefined;
      const server = createServer((sock) => {
        serverLog = (async () => {
          const { lines, rest } = await readHead(sock);
          const key = header(lines, 'sec-websocket-key')!;
          assert.ok(isValidWebSocketKey(key));
          const ext = isDeflate
            ? negotiatePerMessageDeflate(header(lines, 'sec-websocket-extensions') ?? '', {
                serverNoContextTakeover: true,
                clientNoContextTakeover: true,
              })
            : null;
          if (isDeflate) assert.ok(ext);
          sock.write(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              `Sec-WebSocket-Accept: ${computeAccept(key, sha1)}\r\n` +
              (ext ? `Sec-WebSocket-Extensions: ${ext.response}\r\n` : '') +
              '\r\n',
          );
          const conn = new WebSocketConnection({
            role: 'server',
            ...(ext ? { deflater: new ZlibDeflater() } : {}),
          });
          return drive(conn, sock, rest, true);
        })();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const ws = new WS!(`ws://127.0.0.1:${port}/`, {
        perMessageDeflate: isDeflate ? { threshold: 0 } : false,
      });
      const got: string[] = [];
      const big = Buffer.alloc(100000, 7);
      await new Promise<void>((resolve, reject) => {
        ws.on('open', () => {
          ws.send('héllo 𝄞');
          ws.send(big);
          ws.ping(Buffer.from('p'));
        });
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          got.push(isBinary ? `binary ${data.length}` : `text ${data.toString()}`);
          if (got.length === 2) ws.close(4001, 'done');
        });
        ws.on('close', (code: number) => {
          got.push(`closed ${code}`);
          resolve();
        });
        ws.on('error', reject);
      });
      assert.deepEqual(got, ['text héllo 𝄞', 'binary 100000', 'closed 4001']);
      assert.deepEqual(await serverLog, ['text héllo 𝄞', 'binary 100000', 'ping', 'close 4001 done']);
      server.close();
    },
  );

  test(
    `core client -> ws server${isDeflate ? ' (permessage-deflate)' : ''}`,
    { skip: WS === null },
    async () => {
      const wss = new WS!.WebSocketServer({
        port: 0,
        host: '127.0.0.1',
        perMessageDeflate: isDeflate
          ? { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }
          : false,
      });
      wss.on('connection', (s: WsSocket) => {
        s.on('message', (data: Buffer, isBinary: boolean) => {
          s.send(data, { binary: isBinary });
        });
      });
      await new Promise<void>((r) => {
        wss.on('listening', r);
      });
      const port = wss.address().port;
      const sock = connect(port, '127.0.0.1');
      const key = generateKey((d) => randomFillSync(d));
      const offered = { clientNoContextTakeover: true, serverNoContextTakeover: true };
      sock.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (isDeflate ? `Sec-WebSocket-Extensions: ${buildPerMessageDeflateOffer(offered)}\r\n` : '') +
          '\r\n',
      );
      const { lines, rest } = await readHead(sock);
      assert.match(lines[0]!, /^HTTP\/1.1 101/);
      assert.equal(header(lines, 'sec-websocket-accept'), computeAccept(key, sha1));
      const params = acceptPerMessageDeflateResponse(header(lines, 'sec-websocket-extensions'), offered);
      assert.equal(params !== null, isDeflate);
      const conn = new WebSocketConnection({
        role: 'client',
        randomFill: (d) => randomFillSync(d),
        ...(params ? { deflater: new ZlibDeflater() } : {}),
      });
      conn.sendText('κόσμε');
      conn.sendFragment('frag', { isBinary: false, fin: false });
      conn.sendFragment('ment', { isBinary: false, fin: true });
      conn.sendBinary(new Uint8Array(70000).fill(3));
      for (const c of conn.takeOutput()) sock.write(c);
      // Close once the three echoes are back; the drive loop writes the Close frame.
      const done = drive(conn, sock, rest, false, (log) => {
        if (log.length === 3) conn.close(1000, 'bye');
      });
      assert.deepEqual(await done, ['text κόσμε', 'text fragment', 'binary 70000', 'close 1000 bye']);
      wss.close();
    },
  );
}
