/**
 * Interop with OpenSSL through node:tls: the QUIC-mode handshake is wrapped in a minimal TLS 1.3 record
 * layer written here (RFC 8446 §5: plaintext records until the handshake keys, then AEAD records with the
 * secrets the session emits), with quic_transport_parameters off (`withoutQuic`), in both roles.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import type { Aead } from '../../../src/quic/crypto/provider.js';
import { EncryptionLevel } from '../../../src/quic/packet/levels.js';
import type { EncryptionLevelCode } from '../../../src/quic/packet/levels.js';
import { hkdfExpandLabel } from '../../../src/quic/tls/key-schedule.js';
import { TlsSession } from '../../../src/quic/tls/session.js';
import type { TlsConfig } from '../../../src/quic/tls/session.js';
import { clientConfig, serverConfig } from './harness.js';
import { skipWithoutOpenssl, testPki } from './pki.js';

const RECORD = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;
const MAX_FRAGMENT = 1 << 14;

interface RecordKeys {
  readonly aead: Aead;
  readonly iv: Uint8Array;
  seq: number;
}

function nonceFor(keys: RecordKeys): Uint8Array {
  // RFC 8446 §5.3: the 64-bit sequence number, left-padded, XORed with the IV.
  const nonce = keys.iv.slice();
  let seq = keys.seq;
  for (let i = nonce.length - 1; i >= nonce.length - 8 && seq > 0; i--) {
    nonce[i] = nonce[i]! ^ (seq & 0xff);
    seq = Math.floor(seq / 256);
  }
  keys.seq++;
  return nonce;
}

/** Our session on one side of a TCP socket, speaking TLS 1.3 records (RFC 8446 §5). */
class RecordPeer {
  private readonly socket: net.Socket;
  readonly session: TlsSession;
  private pending: Buffer = Buffer.alloc(0);
  private readKeys: RecordKeys | undefined;
  private readLevel: EncryptionLevelCode = EncryptionLevel.Initial;
  private readonly writeKeys = new Map<number, RecordKeys>();
  onAppData: (data: Buffer) => void = () => undefined;
  onFailure: (err: unknown) => void = () => undefined;

  constructor(socket: net.Socket, config: TlsConfig) {
    this.socket = socket;
    this.session = new TlsSession(config);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.receive(chunk);
      } catch (err) {
        this.onFailure(err);
        socket.destroy();
      }
    });
    socket.on('error', (err) => {
      this.onFailure(err);
    });
  }

  start(): void {
    this.session.start();
    this.pump();
  }

  sendApplicationData(data: Uint8Array): void {
    this.writeRecord(EncryptionLevel.OneRtt, RECORD.application_data, data);
  }

  private keysFor(
    secret: Uint8Array,
    aeadName: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305',
    hash: 'sha256' | 'sha384',
  ): RecordKeys {
    const keyLength = aeadName === 'aes-128-gcm' ? 16 : 32;
    const empty = new Uint8Array(0);
    const key = hkdfExpandLabel(nodeCrypto, hash, secret, 'key', empty, keyLength);
    const iv = hkdfExpandLabel(nodeCrypto, hash, secret, 'iv', empty, 12);
    return { aead: nodeCrypto.createAead(aeadName, key), iv, seq: 0 };
  }

  private pump(): void {
    for (let ev = this.session.nextEvent(); ev !== null; ev = this.session.nextEvent()) {
      if (ev.type !== 'keys') continue;
      const keys = this.keysFor(ev.secret, ev.aead, ev.hash);
      if (ev.direction === 'read') {
        this.readKeys = keys;
        this.readLevel = ev.level;
      } else this.writeKeys.set(ev.level, keys);
    }
    for (let out = this.session.nextOutput(); out !== null; out = this.session.nextOutput()) {
      this.writeRecord(out.level, RECORD.handshake, out.data);
    }
  }

  private writeRecord(level: EncryptionLevelCode, type: number, data: Uint8Array): void {
    for (let off = 0; off < data.length; off += MAX_FRAGMENT) {
      const fragment = data.subarray(off, Math.min(data.length, off + MAX_FRAGMENT));
      if (level === EncryptionLevel.Initial) {
        this.socket.write(
          Buffer.concat([Buffer.from([type, 3, 3, fragment.length >> 8, fragment.length & 0xff]), fragment]),
        );
        continue;
      }
      const keys = this.writeKeys.get(level);
      assert.ok(keys, `no write keys for level ${String(level)}`);
      // RFC 8446 §5.2: TLSInnerPlaintext = content || type, sealed under a header saying application_data.
      const inner = new Uint8Array(fragment.length + 1);
      inner.set(fragment, 0);
      inner[fragment.length] = type;
      const length = inner.length + 16;
      const header = Uint8Array.of(RECORD.application_data, 3, 3, length >> 8, length & 0xff);
      const sealed = keys.aead.seal(nonceFor(keys), header, inner);
      this.socket.write(Buffer.concat([header, sealed]));
    }
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt16BE(3);
      if (this.pending.length < 5 + length) break;
      const header = this.pending.subarray(0, 5);
      const body = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      this.receiveRecord(header, body);
    }
  }

  private receiveRecord(header: Uint8Array, body: Uint8Array): void {
    const type = header[0]!;
    // RFC 8446 §5: a change_cipher_spec record during the handshake is middlebox compatibility; dropped.
    if (type === RECORD.change_cipher_spec) return;
    if (type === RECORD.alert && this.readKeys === undefined)
      throw new Error(`plaintext alert ${String(body[1])}`);
    if (this.readKeys === undefined) {
      assert.equal(type, RECORD.handshake);
      this.session.receive(this.readLevel, body);
      this.pump();
      return;
    }
    assert.equal(type, RECORD.application_data);
    const inner = this.readKeys.aead.open(nonceFor(this.readKeys), header, body);
    assert.ok(inner, 'record authentication failed');
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    const innerType = inner[end]!;
    const content = inner.subarray(0, end);
    if (innerType === RECORD.handshake) {
      this.session.receive(this.readLevel, content);
      this.pump();
    } else if (innerType === RECORD.application_data) this.onAppData(Buffer.from(content));
    else if (innerType === RECORD.alert) throw new Error(`peer alert ${String(content[1])}`);
    else throw new Error(`inner content type ${String(innerType)}`);
  }
}

const SUITE_NAMES: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
};

async function ourClientAgainstOpenSsl(
  suite: number,
  ecdhCurve: string,
  requestCert = false,
): Promise<TlsSession> {
  const pki = testPki();
  const server = tls.createServer(
    {
      requestCert,
      rejectUnauthorized: false,
      key: pki.leafKeyPem,
      cert: pki.leafPem,
      ALPNProtocols: ['h3'],
      minVersion: 'TLSv1.3',
      ciphers: SUITE_NAMES[suite]!,
      ecdhCurve,
    },
    (s) => {
      s.on('data', (d: Buffer) => s.end(Buffer.concat([Buffer.from('pong:'), d])));
      s.on('error', () => undefined);
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    const peer = new RecordPeer(socket, clientConfig({ withoutQuic: true, cipherSuites: [suite] }));
    const reply = new Promise<string>((resolve, reject) => {
      peer.onFailure = reject;
      peer.onAppData = (d) => {
        resolve(d.toString());
      };
      socket.on('close', () => {
        reject(new Error('closed before the reply'));
      });
    });
    // Handled here so a failure before the await below is not reported as unhandled; awaited later.
    reply.catch(() => undefined);
    await once(socket, 'connect');
    peer.start();
    // The client may send once its own Finished is queued, which happens with the server's Finished.
    const ready = setInterval(() => {
      if (peer.session.isHandshakeComplete) {
        clearInterval(ready);
        peer.sendApplicationData(Buffer.from('ping'));
      }
    }, 5);
    try {
      assert.equal(await reply, 'pong:ping');
    } finally {
      clearInterval(ready);
      socket.destroy();
    }
    return peer.session;
  } finally {
    server.close();
  }
}

async function openSslClientAgainstOurServer(
  suite: number,
  ecdhCurve: string,
  over: Partial<TlsConfig> = {},
): Promise<{ session: TlsSession; alpn: string | false | null; cipher: string }> {
  let peer: RecordPeer | undefined;
  let failure: unknown;
  const server = net.createServer((socket) => {
    peer = new RecordPeer(socket, serverConfig({ withoutQuic: true, ...over }));
    const p = peer;
    p.onFailure = (err) => {
      failure = err;
    };
    p.onAppData = (d) => {
      p.sendApplicationData(Buffer.concat([Buffer.from('pong:'), d]));
    };
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const client = tls.connect({
      port: (server.address() as AddressInfo).port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: [testPki().caPem],
      ALPNProtocols: ['h3'],
      minVersion: 'TLSv1.3',
      ciphers: SUITE_NAMES[suite]!,
      ecdhCurve,
    });
    try {
      await once(client, 'secureConnect');
      client.write('ping');
      const [data] = (await once(client, 'data')) as [Buffer];
      assert.equal(data.toString(), 'pong:ping');
      assert.equal(failure, undefined);
      return { session: peer!.session, alpn: client.alpnProtocol, cipher: client.getCipher().standardName };
    } finally {
      client.destroy();
    }
  } finally {
    server.close();
  }
}

describe(
  'TLS 1.3 interop with OpenSSL (node:tls) over a test record layer',
  { skip: skipWithoutOpenssl },
  () => {
    for (const suite of [0x1301, 0x1302, 0x1303]) {
      it(`our client, OpenSSL server, suite 0x${suite.toString(16)}`, async () => {
        const session = await ourClientAgainstOpenSsl(suite, 'X25519:P-256');
        assert.equal(session.cipherSuite, suite);
        assert.equal(session.alpn, 'h3');
        assert.equal(session.isRetried, false);
      });

      it(`OpenSSL client, our server, suite 0x${suite.toString(16)}`, async () => {
        const r = await openSslClientAgainstOurServer(suite, 'X25519:P-256');
        assert.equal(r.alpn, 'h3');
        assert.equal(r.cipher, SUITE_NAMES[suite]);
        assert.ok(r.session.isHandshakeComplete);
        assert.equal(r.session.serverName, 'localhost');
      });
    }

    it('our client answers an OpenSSL CertificateRequest with an empty Certificate', async () => {
      const session = await ourClientAgainstOpenSsl(0x1303, 'X25519', true);
      assert.ok(session.isHandshakeComplete);
    });

    it('our client answers an OpenSSL HelloRetryRequest (server wants P-256)', async () => {
      const session = await ourClientAgainstOpenSsl(0x1301, 'P-256');
      assert.equal(session.isRetried, true);
    });

    it('OpenSSL client answers our HelloRetryRequest (we want P-256)', async () => {
      const r = await openSslClientAgainstOurServer(0x1302, 'X25519:P-256', { groups: ['secp256r1'] });
      assert.equal(r.session.isRetried, true);
    });

    it('OpenSSL client verifies our Ed25519 CertificateVerify and intermediate chain', async () => {
      const pki = testPki();
      const ed = await openSslClientAgainstOurServer(0x1301, 'X25519', {
        certificateChain: nodeCrypto.pemToDer(pki.ed25519LeafPem),
        signingKey: nodeCrypto.loadSigningKey(pki.ed25519KeyPem),
      });
      assert.ok(ed.session.isHandshakeComplete);
      const chained = await openSslClientAgainstOurServer(0x1301, 'X25519', {
        certificateChain: nodeCrypto.pemToDer(pki.chainPem),
        signingKey: nodeCrypto.loadSigningKey(pki.chainKeyPem),
      });
      assert.ok(chained.session.isHandshakeComplete);
    });

    it('OpenSSL client verifies our RSA-PSS CertificateVerify', async () => {
      const pki = testPki();
      const r = await openSslClientAgainstOurServer(0x1301, 'X25519', {
        certificateChain: nodeCrypto.pemToDer(pki.rsaLeafPem),
        signingKey: nodeCrypto.loadSigningKey(pki.rsaKeyPem),
      });
      assert.ok(r.session.isHandshakeComplete);
    });
  },
);
