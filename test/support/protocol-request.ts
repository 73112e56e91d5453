/**
 * One request over HTTP/1.1 (node:http), HTTP/2 cleartext (node:http2) or HTTP/3 (hayate's Http3Client over
 * the quiche provider, certificate not verified), each on a fresh connection that is closed afterwards, so
 * server tests can run the same case on every protocol. Repeated request fields are sent as separate fields.
 */
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { Http3Client } from '../../src/client/http3-client.js';

export type Proto = 'h1' | 'h2' | 'h3';
export const PROTOS: readonly Proto[] = ['h1', 'h2', 'h3'];

export type Fields = readonly (readonly [string, string])[];

/** A complete response: pseudo-fields dropped, repeated fields as arrays. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function h1Request(
  port: number,
  method: string,
  path: string,
  fields: Fields,
  body: Uint8Array | undefined,
  secure: boolean,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [n, v] of fields) {
      const had = headers[n];
      headers[n] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
    }
    const options = {
      host: '127.0.0.1',
      port,
      method,
      path,
      headers,
      agent: false,
      rejectUnauthorized: false,
    };
    const req = (secure ? https : http).request(options, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function h2Request(
  port: number,
  method: string,
  path: string,
  fields: Fields,
  body: Uint8Array | undefined,
  secure: boolean,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`${secure ? 'https' : 'http'}://127.0.0.1:${port}`, {
      rejectUnauthorized: false,
    });
    session.on('error', reject);
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': path };
    for (const [n, v] of fields) {
      const had = headers[n];
      // Node sends each element of an array as its own field (two cookie fields, as RFC 9113 §8.2.3 allows).
      headers[n] = had === undefined ? v : [...(Array.isArray(had) ? had : [String(had)]), v];
    }
    const stream = session.request(headers, { endStream: body === undefined });
    const parts: Buffer[] = [];
    let got: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (got = h));
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      session.close();
      const { ':status': status, ...rest } = got;
      resolve({ status: Number(status), headers: rest, body: Buffer.concat(parts) });
    });
    stream.on('error', (e: Error) => {
      session.destroy();
      reject(e);
    });
    if (body !== undefined) stream.end(body);
  });
}

async function h3Request(
  port: number,
  method: string,
  path: string,
  fields: Fields,
  body?: Uint8Array,
): Promise<Reply> {
  const client = await Http3Client.connect('127.0.0.1', port, { verifyPeer: false, serverName: 'localhost' });
  try {
    const r = await client.request(
      method,
      path,
      fields.map(([n, v]) => [n, v] as [string, string]),
      body,
    );
    const headers: Record<string, string | string[]> = {};
    for (const [n, v] of r.headers) {
      if (n.startsWith(':')) continue;
      const had = headers[n];
      headers[n] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
    }
    return { status: r.status, headers, body: Buffer.from(r.body) };
  } finally {
    await client.close();
  }
}

/**
 * Sends one request to 127.0.0.1:`port` over `proto` and reads the whole response; `secure` uses TLS for
 * h1 and h2 (certificate not verified; h3 always is TLS).
 */
export function protocolRequest(
  proto: Proto,
  port: number,
  method: string,
  path: string,
  fields: Fields = [],
  body?: Uint8Array,
  secure = false,
): Promise<Reply> {
  switch (proto) {
    case 'h1':
      return h1Request(port, method, path, fields, body, secure);
    case 'h2':
      return h2Request(port, method, path, fields, body, secure);
    case 'h3':
      return h3Request(port, method, path, fields, body);
  }
}
