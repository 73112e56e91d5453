/** A request/response exchange between two Http3Sessions over an in-memory QUIC pair (tests and bench). */
import { Http3Session } from '../../src/server/http3-session.js';
import type { Http3Event } from '../../src/http3/connection.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';
import type { MemoryQuicOptions } from '../../src/transport/quic-memory.js';

export interface ExchangeRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
}

export interface ExchangeResult {
  /** Per request index: "status|x-len|body as hex" or an error mark. */
  readonly responses: string[];
  readonly serverError: string | undefined;
  readonly clientError: string | undefined;
  readonly closeCode: number | undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Server echoes `path` and the request body; client sends every request at once, then GOAWAY once all
 * responses are complete. Returns what the client saw.
 */
export function runExchange(requests: readonly ExchangeRequest[], link: MemoryQuicOptions): ExchangeResult {
  const pair = new MemoryQuicPair(link);
  const bodies = new Map<number, Uint8Array>();
  const server = new Http3Session(pair.server, {}, (e: Http3Event, s) => {
    if (e.type === 'request') {
      bodies.set(e.streamId, new TextEncoder().encode(`${e.method} ${e.path ?? ''};`));
    } else if (e.type === 'data') {
      bodies.set(e.streamId, concat(bodies.get(e.streamId)!, e.data));
    } else if (e.type === 'end') {
      {
        const body = bodies.get(e.streamId)!;
        bodies.delete(e.streamId);
        s.h3.respond(e.streamId, [
          [':status', '200'],
          ['x-len', String(body.length)],
          ['content-length', String(body.length)],
        ]);
        s.h3.sendData(e.streamId, body, true);
      }
    }
  });
  const got = new Map<number, { status: number; len: string; body: Uint8Array; done: boolean }>();
  const index = new Map<number, number>();
  let pending = requests.length;
  const client = new Http3Session(pair.client, {}, (e: Http3Event, s) => {
    if (e.type === 'response') {
      got.set(e.streamId, {
        status: e.status,
        len: e.headers.find(([n]) => n === 'x-len')?.[1] ?? '',
        body: new Uint8Array(0),
        done: false,
      });
    } else if (e.type === 'data') {
      const r = got.get(e.streamId)!;
      r.body = concat(r.body, e.data);
    } else if (e.type === 'end') {
      got.get(e.streamId)!.done = true;
      if (--pending === 0) s.h3.goAway();
    } else if (e.type === 'streamReset') {
      got.set(e.streamId, { status: -e.errorCode, len: '', body: new Uint8Array(0), done: true });
      if (--pending === 0) s.h3.goAway();
    }
  });
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    client.guard(() => {
      const id = client.h3.request(
        [
          [':method', r.method],
          [':scheme', 'https'],
          [':authority', 'test'],
          [':path', r.path],
          ...r.headers,
        ],
        r.method === 'GET',
      );
      index.set(id, i);
      if (r.method === 'POST') {
        // Two DATA frames, so frame boundaries fall in varied places.
        const half = r.body.length >> 1;
        client.h3.sendData(id, r.body.subarray(0, half));
        client.h3.sendData(id, r.body.subarray(half), true);
      }
    });
  }
  pair.run();
  const responses: string[] = new Array<string>(requests.length).fill('missing');
  for (const [id, r] of got) {
    responses[index.get(id)!] =
      `${r.status}|${r.len}|${Buffer.from(r.body).toString('hex')}${r.done ? '' : '|incomplete'}`;
  }
  return {
    responses,
    serverError: server.error?.message,
    clientError: client.error?.message,
    closeCode: client.closeCode,
  };
}
