/** Interop: python-hyper h2 (python3-h2) as a client against hayate's HTTP/2 server. */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Http2Server } from '../../src/server/http2-server.js';
import { requirePythonModule } from '../support/peers.js';
import { startServer } from './http2-support.js';

const run = promisify(execFile);
const python = requirePythonModule('h2', 'python3-h2');

// A blocking h2 client: 10 concurrent GETs, one POST with a 200 kB body, then GOAWAY; prints a JSON summary.
const SCRIPT = String.raw`
import json, socket, sys
import h2.connection, h2.events, h2.config
port = int(sys.argv[1])
sock = socket.create_connection(('127.0.0.1', port))
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding='utf-8'))
conn.initiate_connection()
sock.sendall(conn.data_to_send())
streams = {}
for i in range(10):
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(':method', 'GET'), (':path', '/hello'), (':scheme', 'http'), (':authority', 'localhost')], end_stream=True)
    streams[sid] = {'status': None, 'body': b''}
body = bytes((i * 31 + 7) & 0xff for i in range(200000))
post = conn.get_next_available_stream_id()
conn.send_headers(post, [(':method', 'POST'), (':path', '/echo'), (':scheme', 'http'), (':authority', 'localhost')])
streams[post] = {'status': None, 'body': b''}
pending = body
done = set()
sock.sendall(conn.data_to_send())
while len(done) < len(streams):
    while pending:
        n = min(len(pending), conn.local_flow_control_window(post), conn.max_outbound_frame_size)
        if n <= 0:
            break
        conn.send_data(post, pending[:n], end_stream=(n == len(pending)))
        pending = pending[n:]
    sock.sendall(conn.data_to_send())
    data = sock.recv(65536)
    if not data:
        break
    for ev in conn.receive_data(data):
        if isinstance(ev, h2.events.ResponseReceived):
            streams[ev.stream_id]['status'] = dict(ev.headers)[':status']
        elif isinstance(ev, h2.events.DataReceived):
            streams[ev.stream_id]['body'] += ev.data
            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            done.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            done.add(ev.stream_id)
    sock.sendall(conn.data_to_send())
conn.close_connection()
sock.sendall(conn.data_to_send())
print(json.dumps({'hello': [s['body'].decode() for k, s in streams.items() if k != post], 'status': streams[post]['status'], 'echo_ok': streams[post]['body'] == body}))
`;

let server: Http2Server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

test(
  'python3-h2 client: concurrent GETs and a flow-controlled POST',
  { skip: python === undefined },
  async () => {
    const { stdout } = await run(python!, ['-c', SCRIPT, String(server.port)], { timeout: 20000 });
    const r = JSON.parse(stdout) as { hello: string[]; status: string; echo_ok: boolean };
    assert.equal(r.hello.length, 10);
    assert.ok(r.hello.every((b) => b === 'hello world'));
    assert.equal(r.status, '200');
    assert.equal(r.echo_ok, true);
  },
);
