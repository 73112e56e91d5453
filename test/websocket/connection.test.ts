import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError, WebSocketError } from '../../src/common/errors.js';
import { WebSocketConnection } from '../../src/websocket/connection.js';
import type { WebSocketConnectionOptions } from '../../src/websocket/connection.js';
import { WebSocketState } from '../../src/websocket/state.js';
import {
  ZlibDeflater,
  clientFrame,
  concat,
  counterFill,
  drain,
  enc,
  failCode,
  log,
  rawFrame,
  sentCloseCode,
  serverFrame,
} from './harness.js';

const SERVER: WebSocketConnectionOptions = { role: 'server' };
const CLIENT: WebSocketConnectionOptions = { role: 'client', randomFill: counterFill() };

function closeBody(code: number, reason: Uint8Array | string = ''): Uint8Array {
  const r = typeof reason === 'string' ? enc.encode(reason) : reason;
  return concat([new Uint8Array([code >> 8, code & 0xff]), r]);
}

/** Each case: bytes sent to a server (client frames) and the close code RFC 6455 requires. */
const SERVER_CASES: ReadonlyArray<readonly [string, Uint8Array | Uint8Array[], number, string]> = [
  ['unmasked client frame (§5.1)', serverFrame({ opcode: 1, payload: 'hi' }), 1002, 'ERR_WS_MASK'],
  [
    'RSV1 without extension (§5.2)',
    clientFrame({ opcode: 1, rsv: 0x40, payload: 'a' }),
    1002,
    'ERR_WS_RESERVED_BITS',
  ],
  ['RSV2 (§5.2)', clientFrame({ opcode: 2, rsv: 0x20 }), 1002, 'ERR_WS_RESERVED_BITS'],
  ['RSV3 (§5.2)', clientFrame({ opcode: 2, rsv: 0x10 }), 1002, 'ERR_WS_RESERVED_BITS'],
  ['reserved data opcode 3', clientFrame({ opcode: 3 }), 1002, 'ERR_WS_OPCODE'],
  ['reserved data opcode 7', clientFrame({ opcode: 7 }), 1002, 'ERR_WS_OPCODE'],
  ['reserved control opcode 0xb', clientFrame({ opcode: 0xb }), 1002, 'ERR_WS_OPCODE'],
  ['reserved control opcode 0xf', clientFrame({ opcode: 0xf }), 1002, 'ERR_WS_OPCODE'],
  ['fragmented ping (§5.5)', clientFrame({ opcode: 9, fin: false }), 1002, 'ERR_WS_CONTROL_FRAME'],
  ['fragmented close (§5.5)', clientFrame({ opcode: 8, fin: false }), 1002, 'ERR_WS_CONTROL_FRAME'],
  [
    'ping of 126 bytes (§5.5)',
    clientFrame({ opcode: 9, payload: new Uint8Array(126) }),
    1002,
    'ERR_WS_CONTROL_FRAME',
  ],
  [
    'pong with 16-bit length 125',
    clientFrame({ opcode: 0xa, payload: new Uint8Array(125), lengthForm: 16 }),
    1002,
    'ERR_WS_CONTROL_FRAME',
  ],
  [
    'continuation without a message (§5.4)',
    clientFrame({ opcode: 0, payload: 'x' }),
    1002,
    'ERR_WS_CONTINUATION',
  ],
  [
    'text inside a fragmented message (§5.4)',
    [clientFrame({ opcode: 1, fin: false, payload: 'a' }), clientFrame({ opcode: 1, payload: 'b' })],
    1002,
    'ERR_WS_CONTINUATION',
  ],
  [
    'binary inside a fragmented text message (§5.4)',
    [clientFrame({ opcode: 1, fin: false, payload: 'a' }), clientFrame({ opcode: 2, payload: 'b' })],
    1002,
    'ERR_WS_CONTINUATION',
  ],
  [
    'invalid UTF-8 in text (§8.1)',
    clientFrame({ opcode: 1, payload: new Uint8Array([0xce, 0xba, 0xff]) }),
    1007,
    'ERR_WS_INVALID_UTF8',
  ],
  [
    'surrogate in text (§8.1)',
    clientFrame({ opcode: 1, payload: new Uint8Array([0xed, 0xa0, 0x80]) }),
    1007,
    'ERR_WS_INVALID_UTF8',
  ],
  [
    'overlong in text (§8.1)',
    clientFrame({ opcode: 1, payload: new Uint8Array([0xc0, 0xaf]) }),
    1007,
    'ERR_WS_INVALID_UTF8',
  ],
  [
    'truncated code point at message end',
    clientFrame({ opcode: 1, payload: new Uint8Array([0x61, 0xe2, 0x82]) }),
    1007,
    'ERR_WS_INVALID_UTF8',
  ],
  [
    'truncated code point at end of a fragmented message',
    [
      clientFrame({ opcode: 1, fin: false, payload: new Uint8Array([0xf0, 0x9f]) }),
      clientFrame({ opcode: 0, payload: new Uint8Array([0x98]) }),
    ],
    1007,
    'ERR_WS_INVALID_UTF8',
  ],
  [
    'close with 1-byte payload (§5.5.1)',
    clientFrame({ opcode: 8, payload: new Uint8Array([3]) }),
    1002,
    'ERR_WS_CLOSE_PAYLOAD',
  ],
  ['close code 999', clientFrame({ opcode: 8, payload: closeBody(999) }), 1002, 'ERR_WS_CLOSE_CODE'],
  [
    'close code 1004 (reserved)',
    clientFrame({ opcode: 8, payload: closeBody(1004) }),
    1002,
    'ERR_WS_CLOSE_CODE',
  ],
  [
    'close code 1005 on the wire',
    clientFrame({ opcode: 8, payload: closeBody(1005) }),
    1002,
    'ERR_WS_CLOSE_CODE',
  ],
  [
    'close code 1006 on the wire',
    clientFrame({ opcode: 8, payload: closeBody(1006) }),
    1002,
    'ERR_WS_CLOSE_CODE',
  ],
  [
    'close code 1015 on the wire',
    clientFrame({ opcode: 8, payload: closeBody(1015) }),
    1002,
    'ERR_WS_CLOSE_CODE',
  ],
  ['close code 1016', clientFrame({ opcode: 8, payload: closeBody(1016) }), 1002, 'ERR_WS_CLOSE_CODE'],
  ['close code 2999', clientFrame({ opcode: 8, payload: closeBody(2999) }), 1002, 'ERR_WS_CLOSE_CODE'],
  ['close code 5000', clientFrame({ opcode: 8, payload: closeBody(5000) }), 1002, 'ERR_WS_CLOSE_CODE'],
  ['close code 65535', clientFrame({ opcode: 8, payload: closeBody(65535) }), 1002, 'ERR_WS_CLOSE_CODE'],
  [
    'invalid UTF-8 in close reason (§5.5.1)',
    clientFrame({ opcode: 8, payload: closeBody(1000, new Uint8Array([0x61, 0xff])) }),
    1007,
    'ERR_WS_INVALID_UTF8',
  ],
  [
    '64-bit length with MSB set (§5.2)',
    clientFrame({ opcode: 2, lengthForm: 64, high: 0x80000000 }),
    1002,
    'ERR_WS_LENGTH',
  ],
  [
    'non-minimal 16-bit length (§5.2)',
    clientFrame({ opcode: 2, payload: new Uint8Array(125), lengthForm: 16 }),
    1002,
    'ERR_WS_LENGTH',
  ],
  ['non-minimal 16-bit length of 0', clientFrame({ opcode: 1, lengthForm: 16 }), 1002, 'ERR_WS_LENGTH'],
  [
    'non-minimal 64-bit length (§5.2)',
    clientFrame({ opcode: 2, payload: new Uint8Array(65535), lengthForm: 64 }),
    1002,
    'ERR_WS_LENGTH',
  ],
  [
    'non-minimal 64-bit length of 5',
    clientFrame({ opcode: 2, payload: new Uint8Array(5), lengthForm: 64 }),
    1002,
    'ERR_WS_LENGTH',
  ],
];

for (const [name, bytes, code, stringCode] of SERVER_CASES) {
  test(`server fails with ${code}: ${name}`, () => {
    const r = failCode(bytes, SERVER);
    assert.equal(r.code, code);
    assert.equal(r.err?.code, stringCode);
    assert.equal(r.sent, code, 'the Close frame carries the code');
    assert.equal(r.conn.isClosed, true);
    const evs = drain(r.conn);
    assert.equal(evs.at(-1)?.type, 'error');
  });
}

test('client fails with 1002 on a masked server frame (§5.1)', () => {
  const r = failCode(clientFrame({ opcode: 1, payload: 'x' }), CLIENT);
  assert.equal(r.code, 1002);
  assert.equal(r.err?.code, 'ERR_WS_MASK');
  assert.equal(r.sent, 1002);
});

test('client fails like the server on the same rules, unmasked', () => {
  assert.equal(failCode(serverFrame({ opcode: 3 }), CLIENT).code, 1002);
  assert.equal(failCode(serverFrame({ opcode: 1, payload: new Uint8Array([0xff]) }), CLIENT).code, 1007);
  assert.equal(failCode(serverFrame({ opcode: 8, payload: new Uint8Array([1]) }), CLIENT).code, 1002);
  assert.equal(failCode(serverFrame({ opcode: 2, lengthForm: 64, high: 0x80000000 }), CLIENT).code, 1002);
});

test('frame above maxFrameBytes fails with 1009 before any payload arrives', () => {
  const frame = clientFrame({ opcode: 2, payload: new Uint8Array(1001) });
  const r = failCode(frame.subarray(0, 8), { role: 'server', limits: { maxFrameBytes: 1000 } });
  assert.equal(r.code, 1009);
  assert.equal(r.err?.code, 'ERR_WS_FRAME_TOO_BIG');
  assert.equal(r.sent, 1009);
});

test('huge 64-bit length fails with 1009, not a crash', () => {
  const r = failCode(clientFrame({ opcode: 2, lengthForm: 64, high: 0x7fffffff }), SERVER);
  assert.equal(r.code, 1009);
});

test('message above maxMessageBytes across fragments fails with 1009', () => {
  const r = failCode(
    [
      clientFrame({ opcode: 2, fin: false, payload: new Uint8Array(600) }),
      clientFrame({ opcode: 0, payload: new Uint8Array(600) }),
    ],
    { role: 'server', limits: { maxMessageBytes: 1000 } },
  );
  assert.equal(r.code, 1009);
  assert.equal(r.err?.code, 'ERR_WS_MESSAGE_TOO_BIG');
  assert.equal(r.sent, 1009);
});

test('too many fragments fails with 1008', () => {
  const frames = [clientFrame({ opcode: 2, fin: false })];
  for (let i = 0; i < 5; i++) frames.push(clientFrame({ opcode: 0, fin: false }));
  const r = failCode(concat(frames), { role: 'server', limits: { maxFragmentsPerMessage: 4 } });
  assert.equal(r.code, 1008);
});

test('ping flood with the output never taken fails with 1008', () => {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) frames.push(clientFrame({ opcode: 9, payload: 'p' }));
  const r = failCode(concat(frames), { role: 'server', limits: { maxControlQueue: 5 } });
  assert.equal(r.code, 1008);
  assert.equal(r.err?.code, 'ERR_WS_CONTROL_FLOOD');
});

test('control queue resets when the output is taken', () => {
  const conn = new WebSocketConnection({ role: 'server', limits: { maxControlQueue: 2 } });
  for (let i = 0; i < 10; i++) {
    conn.receive(clientFrame({ opcode: 9, payload: 'p' }));
    conn.takeOutput();
  }
  assert.equal(conn.isClosed, false);
});

test('valid messages: text, binary, fragmented, with interleaved control frames', () => {
  const conn = new WebSocketConnection(SERVER);
  conn.receive(
    concat([
      clientFrame({ opcode: 1, payload: 'héllo €𝄞' }),
      clientFrame({ opcode: 2, payload: new Uint8Array([0, 1, 2]) }),
      clientFrame({ opcode: 1, fin: false, payload: 'ab' }),
      clientFrame({ opcode: 9, payload: 'ping!' }),
      clientFrame({ opcode: 0, fin: false, payload: '' }),
      clientFrame({ opcode: 0xa, payload: '' }),
      clientFrame({ opcode: 0, payload: 'cd' }),
      clientFrame({ opcode: 1, payload: '' }),
    ]),
  );
  assert.deepEqual(log(drain(conn)), [
    'text "héllo €𝄞"',
    'binary 000102',
    'ping 70696e6721',
    'pong ',
    'text "abcd"',
    'text ""',
  ]);
});

test('automatic pong echoes the ping payload, unmasked from a server', () => {
  const conn = new WebSocketConnection(SERVER);
  conn.receive(clientFrame({ opcode: 9, payload: 'abc' }));
  assert.deepEqual(Buffer.from(concat(conn.takeOutput())), Buffer.from([0x8a, 3, 0x61, 0x62, 0x63]));
});

test('autoPong false: ping is only reported', () => {
  const conn = new WebSocketConnection({ role: 'server', autoPong: false });
  conn.receive(clientFrame({ opcode: 9, payload: 'abc' }));
  assert.equal(conn.takeOutput().length, 0);
  assert.deepEqual(log(drain(conn)), ['ping 616263']);
});

test('close handshake initiated by the peer: echo the code, then CLOSED (§5.5.1)', () => {
  const conn = new WebSocketConnection(SERVER);
  conn.receive(
    concat([
      clientFrame({ opcode: 8, payload: closeBody(1001, 'bye') }),
      clientFrame({ opcode: 1, payload: 'late' }),
    ]),
  );
  assert.deepEqual(log(drain(conn)), ['close 1001 "bye"']);
  assert.equal(conn.isClosed, true);
  assert.equal(sentCloseCode(concat(conn.takeOutput()), false), 1001);
  // Nothing after the Close frame is processed (§5.5.1).
  conn.receive(clientFrame({ opcode: 1, payload: 'later' }));
  assert.deepEqual(drain(conn), []);
  assert.throws(() => {
    conn.sendText('x');
  }, UsageError);
  conn.close(); // no-op
  assert.equal(conn.takeOutput().length, 0);
});

test('empty close body is reported as 1005 and answered with an empty Close', () => {
  const conn = new WebSocketConnection(SERVER);
  conn.receive(clientFrame({ opcode: 8 }));
  assert.deepEqual(log(drain(conn)), ['close 1005 ""']);
  assert.deepEqual(Buffer.from(concat(conn.takeOutput())), Buffer.from([0x88, 0]));
});

test('close codes 1000-1003, 1007-1014 and 3000-4999 are accepted', () => {
  for (const code of [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
  ]) {
    const conn = new WebSocketConnection(SERVER);
    conn.receive(clientFrame({ opcode: 8, payload: closeBody(code) }));
    assert.deepEqual(log(drain(conn)), [`close ${code} ""`]);
  }
});

test('close handshake initiated locally: data still received until the peer closes', () => {
  const conn = new WebSocketConnection(CLIENT);
  conn.close(4000, 'done');
  assert.equal(conn.closeState, WebSocketState.CLOSING);
  assert.equal(conn.isClosed, false);
  assert.equal(sentCloseCode(concat(conn.takeOutput()), true), 4000);
  assert.throws(
    () => {
      conn.sendBinary(new Uint8Array(1));
    },
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_WS_CLOSED',
  );
  conn.receive(serverFrame({ opcode: 1, payload: 'still' }));
  conn.receive(serverFrame({ opcode: 9, payload: 'p' }));
  conn.receive(serverFrame({ opcode: 8, payload: closeBody(4000) }));
  assert.deepEqual(log(drain(conn)), ['text "still"', 'ping 70', 'close 4000 ""']);
  assert.equal(conn.isClosed, true);
  // No pong after our Close, no second Close.
  assert.equal(conn.takeOutput().length, 0);
});

test('close() validates code and reason', () => {
  const conn = new WebSocketConnection(SERVER);
  assert.throws(() => {
    conn.close(1005);
  }, UsageError);
  assert.throws(() => {
    conn.close(1006);
  }, UsageError);
  assert.throws(() => {
    conn.close(999);
  }, UsageError);
  assert.throws(() => {
    conn.close(1000, 'x'.repeat(124));
  }, UsageError);
  assert.throws(() => {
    conn.close(null, 'why');
  }, UsageError);
  conn.close(1000, 'x'.repeat(123));
  const out = concat(conn.takeOutput());
  assert.equal(out[1], 125);
  const c2 = new WebSocketConnection(SERVER);
  c2.close(null);
  assert.deepEqual(Buffer.from(concat(c2.takeOutput())), Buffer.from([0x88, 0]));
});

test('after a failure, a Close frame went out once and later input is ignored', () => {
  const conn = new WebSocketConnection(SERVER);
  assert.throws(() => {
    conn.receive(clientFrame({ opcode: 3 }));
  }, WebSocketError);
  conn.receive(clientFrame({ opcode: 1, payload: 'x' }));
  const evs = drain(conn);
  assert.equal(evs.length, 1);
  assert.equal(sentCloseCode(concat(conn.takeOutput()), false), 1002);
});

test('failure after our Close sends no second Close', () => {
  const conn = new WebSocketConnection(SERVER);
  conn.close(1000);
  conn.takeOutput();
  assert.throws(() => {
    conn.receive(clientFrame({ opcode: 3 }));
  }, WebSocketError);
  assert.equal(conn.takeOutput().length, 0);
  assert.equal(conn.isClosed, true);
});

test('messages before a failure in the same chunk are still delivered', () => {
  const conn = new WebSocketConnection(SERVER);
  assert.throws(() => {
    conn.receive(concat([clientFrame({ opcode: 1, payload: 'ok' }), clientFrame({ opcode: 0xc })]));
  });
  assert.deepEqual(log(drain(conn)), ['text "ok"', 'error 1002 ERR_WS_OPCODE']);
});

test('invalid UTF-8 fails fast, before the message ends (§8.1)', () => {
  const r = failCode(clientFrame({ opcode: 1, fin: false, payload: new Uint8Array([0x61, 0xff]) }), SERVER);
  assert.equal(r.code, 1007);
});

test('server output: unmasked frames, 16- and 64-bit lengths, large payload by reference', () => {
  const conn = new WebSocketConnection(SERVER);
  const big = new Uint8Array(70000).fill(7);
  conn.sendText('hi');
  conn.sendBinary(new Uint8Array(200));
  conn.sendBinary(big);
  const out = conn.takeOutput();
  assert.ok(out.includes(big), 'large payload passed by reference');
  const client = new WebSocketConnection(CLIENT);
  client.receive(concat(out));
  const evs = drain(client);
  assert.deepEqual(log(evs).slice(0, 1), ['text "hi"']);
  assert.equal(evs[1]?.type === 'message' && evs[1].data.length, 200);
  assert.equal(evs[2]?.type === 'message' && evs[2].data.length, 70000);
});

test('client output is masked with the keys from randomFill and never echoes the payload', () => {
  const conn = new WebSocketConnection(CLIENT);
  const data = new Uint8Array(40000).fill(0x41);
  conn.sendBinary(data);
  conn.sendText('abc');
  const out = concat(conn.takeOutput());
  assert.equal(out[1]! & 0x80, 0x80);
  assert.equal(data[0], 0x41, 'the caller buffer is not masked in place');
  const server = new WebSocketConnection(SERVER);
  server.receive(out);
  const evs = drain(server);
  assert.equal(evs.length, 2);
  assert.deepEqual(evs[0]?.type === 'message' && evs[0].data, data);
});

test('sendFragment streams a message; other messages wait, control frames may interleave', () => {
  const conn = new WebSocketConnection(CLIENT);
  conn.sendFragment('hel', { isBinary: false, fin: false });
  conn.ping(enc.encode('x'));
  assert.throws(
    () => {
      conn.sendText('no');
    },
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_WS_FRAGMENT_IN_PROGRESS',
  );
  conn.sendFragment(new Uint8Array([0x6c]), { isBinary: true, fin: false });
  conn.sendFragment('o', { isBinary: false, fin: true });
  conn.sendBinary(new Uint8Array([9]));
  const server = new WebSocketConnection(SERVER);
  server.receive(concat(conn.takeOutput()));
  assert.deepEqual(log(drain(server)), ['ping 78', 'text "hello"', 'binary 09']);
});

test('ping and pong payloads above 125 bytes are a UsageError', () => {
  const conn = new WebSocketConnection(SERVER);
  assert.throws(() => {
    conn.ping(new Uint8Array(126));
  }, UsageError);
  assert.throws(() => {
    conn.pong(new Uint8Array(126));
  }, UsageError);
  conn.ping(new Uint8Array(125));
  conn.pong();
  assert.equal(conn.hasOutput, true);
});

test('message text is decoded lazily and cached', () => {
  const conn = new WebSocketConnection(SERVER);
  conn.receive(clientFrame({ opcode: 1, payload: 'ünï' }));
  const ev = conn.nextEvent();
  assert.ok(ev?.type === 'message');
  assert.equal(ev.text, 'ünï');
  assert.equal(ev.text, ev.text);
});

test('unknown limit is a UsageError', () => {
  assert.throws(
    () => new WebSocketConnection({ role: 'server', limits: { maxFoo: 1 } as never }),
    UsageError,
  );
  assert.throws(() => new WebSocketConnection({ role: 'peer' as never }), UsageError);
});

// ---- permessage-deflate ------------------------------------------------------------------------------

test('permessage-deflate: compressed messages both ways, RSV1 on the first frame only', () => {
  const client = new WebSocketConnection({ ...CLIENT, deflater: new ZlibDeflater() });
  const server = new WebSocketConnection({ role: 'server', deflater: new ZlibDeflater() });
  const text = 'compress me '.repeat(100);
  client.sendText(text);
  client.sendFragment('part one ', { isBinary: false, fin: false });
  client.sendFragment('part two', { isBinary: false, fin: true });
  client.sendBinary(new Uint8Array([1, 2, 3]), { compress: false });
  const out = concat(client.takeOutput());
  assert.equal(out[0]! & 0x40, 0x40);
  assert.ok(out.length < text.length);
  server.receive(out);
  assert.deepEqual(log(drain(server)), [
    `text ${JSON.stringify(text)}`,
    'text "part one part two"',
    'binary 010203',
  ]);
  server.sendText('back');
  client.receive(concat(server.takeOutput()));
  assert.deepEqual(log(drain(client)), ['text "back"']);
});

test('permessage-deflate: RSV1 on a continuation frame fails with 1002 (RFC 7692 §6.1)', () => {
  const r = failCode(
    [
      clientFrame({ opcode: 1, fin: false, rsv: 0x40, payload: new Uint8Array(0) }),
      clientFrame({ opcode: 0, rsv: 0x40 }),
    ],
    { role: 'server', deflater: new ZlibDeflater() },
  );
  assert.equal(r.code, 1002);
});

test('permessage-deflate: RSV1 on a control frame fails with 1002', () => {
  const r = failCode(clientFrame({ opcode: 9, rsv: 0x40 }), { role: 'server', deflater: new ZlibDeflater() });
  assert.equal(r.code, 1002);
});

test('permessage-deflate: inflated size is bounded by maxMessageBytes (1009)', () => {
  const d = new ZlibDeflater();
  const bomb = d.compress(new Uint8Array(100000), true);
  assert.ok(bomb.length < 1000);
  const r = failCode(clientFrame({ opcode: 2, rsv: 0x40, payload: bomb }), {
    role: 'server',
    deflater: d,
    limits: { maxMessageBytes: 50000 },
  });
  assert.equal(r.code, 1009);
});

test('permessage-deflate: invalid UTF-8 after inflating fails with 1007', () => {
  const d = new ZlibDeflater();
  const r = failCode(
    clientFrame({ opcode: 1, rsv: 0x40, payload: d.compress(new Uint8Array([0xff, 0x61]), true) }),
    {
      role: 'server',
      deflater: d,
    },
  );
  assert.equal(r.code, 1007);
});

test('permessage-deflate: corrupt deflate data fails with 1007', () => {
  const r = failCode(
    clientFrame({ opcode: 2, rsv: 0x40, payload: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }),
    {
      role: 'server',
      deflater: new ZlibDeflater(),
    },
  );
  assert.equal(r.code, 1007);
  assert.equal(r.err?.code, 'ERR_WS_INFLATE');
});

test('rawFrame sanity: server-built frames have no mask', () => {
  assert.equal(rawFrame({ opcode: 1, mask: null })[1], 0);
});

// ---- keep-alive ----------------------------------------------------------------------------------------

test('keep-alive: off by default', () => {
  const conn = new WebSocketConnection(SERVER);
  assert.equal(conn.nextDeadline(), undefined);
  conn.handleTimeout(1e9);
  assert.equal(conn.takeOutput().length, 0);
});

test('keep-alive: Ping after an idle interval, fail with 1001 when the peer stays silent', () => {
  const conn = new WebSocketConnection({
    role: 'server',
    keepAliveIntervalMs: 1000,
    keepAliveTimeoutMs: 300,
    nowMs: 50,
  });
  assert.equal(conn.nextDeadline(), 1050);
  conn.handleTimeout(1000); // early: nothing
  assert.equal(conn.takeOutput().length, 0);
  conn.handleTimeout(1050);
  assert.deepEqual(Buffer.from(concat(conn.takeOutput())), Buffer.from([0x89, 0]));
  assert.equal(conn.nextDeadline(), 1350);
  assert.throws(
    () => {
      conn.handleTimeout(1350);
    },
    (e: unknown) =>
      e instanceof WebSocketError && e.wireCode === 1001 && e.code === 'ERR_WS_KEEPALIVE_TIMEOUT',
  );
  assert.equal(conn.isClosed, true);
  assert.equal(sentCloseCode(concat(conn.takeOutput()), false), 1001);
  assert.equal(conn.nextDeadline(), undefined);
});

test('keep-alive: any input resets the idle timer; the Pong keeps the connection', () => {
  const conn = new WebSocketConnection({ role: 'server', keepAliveIntervalMs: 1000 });
  conn.receive(clientFrame({ opcode: 1, payload: 'x' }));
  conn.handleTimeout(1000);
  assert.equal(conn.takeOutput().length, 0, 'input during the interval: no Ping');
  assert.equal(conn.nextDeadline(), 2000);
  conn.handleTimeout(2000);
  assert.equal(conn.takeOutput().length, 1, 'idle: Ping');
  conn.receive(clientFrame({ opcode: 0xa }));
  conn.handleTimeout(3000);
  assert.equal(conn.isClosed, false);
  assert.equal(conn.nextDeadline(), 4000);
});

test('deferred deflate: compressed messages come out raw, in order with the rest; recvInflated checks them', () => {
  const conn = new WebSocketConnection({
    role: 'server',
    hasDeferredDeflate: true,
    limits: { maxMessageBytes: 8 },
  });
  conn.receive(
    concat([
      clientFrame({ opcode: 0x1, rsv: 0x40, payload: new Uint8Array([1, 2, 3]) }),
      clientFrame({ opcode: 0x9, payload: 'p' }),
      clientFrame({ opcode: 0x2, payload: new Uint8Array([9]) }),
    ]),
  );
  assert.deepEqual(log(drain(conn)), ['compressed text 010203', 'ping 70', 'binary 09']);
  const m = conn.recvInflated(false, enc.encode('héllo'));
  assert.equal(m?.text, 'héllo');
  // RFC 6455 §8.1 after inflation: invalid UTF-8 in text is 1007.
  assert.throws(
    () => conn.recvInflated(false, new Uint8Array([0xff])),
    (e: unknown) => e instanceof WebSocketError && e.wireCode === 1007,
  );
  assert.equal(sentCloseCode(concat(conn.takeOutput()), false), 1007);
  assert.equal(conn.recvInflated(true, new Uint8Array(1)), null, 'nothing after a failure');
});

test('deferred deflate: an inflater that stopped at the limit fails with 1009; corrupt data with 1007', () => {
  for (const [data, code] of [
    [null, 1009],
    [new Uint8Array(9), 1009],
    [new Error('bad block'), 1007],
  ] as const) {
    const conn = new WebSocketConnection({
      role: 'client',
      hasDeferredDeflate: true,
      limits: { maxMessageBytes: 8 },
    });
    assert.throws(
      () => conn.recvInflated(true, data),
      (e: unknown) => e instanceof WebSocketError && e.wireCode === code,
    );
    assert.equal(sentCloseCode(concat(conn.takeOutput()), true), code);
  }
});

test('deferred deflate: sendCompressed sets RSV1 on the first frame only (RFC 7692 §6.1)', () => {
  const conn = new WebSocketConnection({ role: 'server', hasDeferredDeflate: true });
  conn.sendCompressed(new Uint8Array([0xaa]), true, false);
  conn.ping();
  conn.sendCompressed(new Uint8Array([0xbb]), true, true);
  conn.sendCompressed(new Uint8Array([0xcc]), false, true);
  assert.deepEqual([...concat(conn.takeOutput())], [0x42, 1, 0xaa, 0x89, 0, 0x80, 1, 0xbb, 0xc1, 1, 0xcc]);
  assert.throws(() => {
    new WebSocketConnection({ role: 'server' }).sendCompressed(new Uint8Array(1), true, true);
  }, UsageError);
  assert.throws(
    () => new WebSocketConnection({ role: 'server', hasDeferredDeflate: true, deflater: new ZlibDeflater() }),
    UsageError,
  );
});
