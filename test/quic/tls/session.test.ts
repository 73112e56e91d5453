import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuicError } from '../../../src/common/errors.js';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import { TlsAlert, TransportErrorCode } from '../../../src/quic/errors.js';
import type { TlsAlertName } from '../../../src/quic/errors.js';
import { EncryptionLevel } from '../../../src/quic/packet/levels.js';
import {
  ExtensionType,
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeType,
  decodeClientHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeHandshake,
  encodeServerHello,
} from '../../../src/quic/tls/messages.js';
import { HandshakeInput, HandshakeState, TlsSession, transition } from '../../../src/quic/tls/session.js';
import type { TlsConfig } from '../../../src/quic/tls/session.js';
import { clientConfig, pair, runHandshake, secretOf, serverConfig } from './harness.js';
import { skipWithoutOpenssl, testPki } from './pki.js';

const { Initial, Handshake, OneRtt } = EncryptionLevel;

function alertCode(name: TlsAlertName): number {
  return TransportErrorCode.CRYPTO_ERROR + TlsAlert[name];
}

function expectAlert(fn: () => unknown, alert: TlsAlertName): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof QuicError, `expected QuicError, got ${String(err)}`);
    assert.equal(err.wireCode, alertCode(alert), `${err.code}: ${err.message}`);
    return true;
  });
}

function expectTransportError(fn: () => unknown, name: keyof typeof TransportErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof QuicError, `expected QuicError, got ${String(err)}`);
    assert.equal(err.wireCode, TransportErrorCode[name], `${err.code}: ${err.message}`);
    return true;
  });
}

/** The client's first ClientHello bytes. */
function clientHelloBytes(over: Partial<TlsConfig> = {}): Uint8Array {
  const c = new TlsSession(clientConfig(over));
  c.start();
  return c.nextOutput()!.data;
}

type Ext = readonly [number, Uint8Array];

/** Re-encodes a ClientHello with changed fields. */
function rebuildClientHello(
  ch: Uint8Array,
  change: {
    sessionId?: Uint8Array;
    suites?: number[];
    exts?: (exts: Ext[]) => Ext[];
    compression?: number[];
  },
): Uint8Array {
  const d = decodeClientHello(ch.subarray(4));
  let exts: Ext[] = d.extensions.types.map((t) => [t, d.extensions.map.get(t)!] as const);
  if (change.exts) exts = change.exts(exts);
  const out = encodeClientHello(
    d.random,
    change.sessionId ?? d.sessionId,
    change.suites ?? [...d.cipherSuites],
    exts,
  );
  if (change.compression === undefined) return out;
  // Compression methods sit after random, session id and suites; rebuild by hand.
  const body = out.subarray(4);
  const at = 2 + 32 + 1 + body[34]! + 2 + ((body[35 + body[34]!]! << 8) | body[36 + body[34]!]!);
  const head = body.subarray(0, at);
  const tail = body.subarray(at + 2);
  const mid = Uint8Array.of(change.compression.length, ...change.compression);
  const nb = new Uint8Array(head.length + mid.length + tail.length);
  nb.set(head, 0);
  nb.set(mid, head.length);
  nb.set(tail, head.length + mid.length);
  return encodeHandshake(HandshakeType.client_hello, nb);
}

function flip(b: Uint8Array, i: number): void {
  b[i] = b[i]! ^ 1;
}

function withoutExt(type: number): (exts: Ext[]) => Ext[] {
  return (exts) => exts.filter(([t]) => t !== type);
}
function replaceExt(type: number, body: Uint8Array): (exts: Ext[]) => Ext[] {
  return (exts) => exts.map((e) => (e[0] === type ? ([type, body] as const) : e));
}

function serverReceives(ch: Uint8Array, over: Partial<TlsConfig> = {}): TlsSession {
  const s = new TlsSession(serverConfig(over));
  s.receive(Initial, ch);
  return s;
}

describe('handshake transition table', () => {
  it('accepts exactly the listed (state, message) pairs and raises unexpected_message otherwise', () => {
    const S = HandshakeState;
    const H = HandshakeInput;
    const allowed = new Map<number, [number, number][]>([
      [S.Start, [[H.start, S.WaitServerHello]]],
      [
        S.WaitServerHello,
        [
          [H.server_hello, S.WaitEncryptedExtensions],
          [H.hello_retry_request, S.WaitServerHelloAfterRetry],
        ],
      ],
      [S.WaitServerHelloAfterRetry, [[H.server_hello, S.WaitEncryptedExtensions]]],
      [
        S.WaitEncryptedExtensions,
        [
          [H.encrypted_extensions, S.WaitCertificate],
          [H.encrypted_extensions_psk, S.WaitFinished],
        ],
      ],
      [
        S.WaitCertificate,
        [
          [H.certificate, S.WaitCertificateVerify],
          [H.certificate_request, S.WaitCertificateAfterRequest],
        ],
      ],
      [S.WaitCertificateAfterRequest, [[H.certificate, S.WaitCertificateVerify]]],
      [S.WaitCertificateVerify, [[H.certificate_verify, S.WaitFinished]]],
      [S.WaitFinished, [[H.finished, S.ClientConnected]]],
      [S.ClientConnected, [[H.new_session_ticket, S.ClientConnected]]],
      [
        S.WaitClientHello,
        [
          [H.client_hello, S.WaitClientFinished],
          [H.hello_retry_request, S.WaitClientHelloAfterRetry],
        ],
      ],
      [S.WaitClientHelloAfterRetry, [[H.client_hello, S.WaitClientFinished]]],
      [S.WaitClientFinished, [[H.finished, S.ServerConnected]]],
      [S.ServerConnected, []],
      [S.Failed, []],
    ]);
    const inputs = [...new Set(Object.values(H))].filter((i) => i !== H.fail);
    for (const state of Object.values(S)) {
      const row = allowed.get(state);
      assert.ok(row, `state ${String(state)} listed`);
      for (const input of inputs) {
        const hit: [number, number] | undefined = row.find(([i]) => i === input);
        if (hit) assert.equal(transition(state, input), hit[1]);
        else expectAlert(() => transition(state, input), 'unexpected_message');
      }
      assert.equal(transition(state, H.fail), S.Failed);
    }
  });
});

describe('TlsSession handshake in memory', { skip: skipWithoutOpenssl }, () => {
  it('completes with keys, ALPN, SNI and transport parameters at the right moments', () => {
    const [client, server] = pair();
    const { client: c, server: s, log } = runHandshake(client, server);
    assert.deepEqual(log, [
      'server<-Initial',
      'server:peerTransportParameters',
      'server:keys Handshake read',
      'server:keys Handshake write',
      'server:keys OneRtt write',
      'client<-Initial',
      'client:keys Handshake read',
      'client:keys Handshake write',
      'client<-Handshake',
      'client:peerTransportParameters',
      'client:keys OneRtt read',
      'client:keys OneRtt write',
      'client:handshakeComplete',
      'server<-Handshake',
      'server:keys OneRtt read',
      'server:handshakeComplete',
    ]);
    assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
    assert.equal(client.alpn, 'h3');
    assert.equal(server.alpn, 'h3');
    assert.equal(server.serverName, 'localhost');
    assert.equal(client.cipherSuite, 0x1301);
    assert.equal(client.peerCertificates.length, 1);
    assert.equal(server.peerCertificates.length, 0);
    const tp = (side: typeof c): Uint8Array | undefined => {
      for (const e of side.events) if (e.type === 'peerTransportParameters') return e.bytes;
      return undefined;
    };
    assert.deepEqual(tp(s), Uint8Array.of(1, 2, 3));
    assert.deepEqual(tp(c), Uint8Array.of(4, 5, 6));
    for (const level of [Handshake, OneRtt]) {
      assert.deepEqual(secretOf(c, level, 'write'), secretOf(s, level, 'read'));
      assert.deepEqual(secretOf(c, level, 'read'), secretOf(s, level, 'write'));
      assert.ok(secretOf(c, level, 'write') !== undefined);
    }
    assert.notDeepEqual(secretOf(c, Handshake, 'write'), secretOf(c, OneRtt, 'write'));
  });

  for (const suite of [0x1301, 0x1302, 0x1303]) {
    for (const group of ['x25519', 'secp256r1'] as const) {
      it(`completes with suite 0x${suite.toString(16)} and ${group}`, () => {
        const [client, server] = pair({ cipherSuites: [suite], groups: [group] }, { groups: [group] });
        const { client: c } = runHandshake(client, server);
        assert.ok(server.isHandshakeComplete);
        assert.equal(server.cipherSuite, suite);
        assert.equal(client.isRetried, false);
        const keys = c.events.find((e) => e.type === 'keys');
        assert.ok(keys?.type === 'keys');
        const expected = {
          0x1301: ['aes-128-gcm', 'sha256'],
          0x1302: ['aes-256-gcm', 'sha384'],
          0x1303: ['chacha20-poly1305', 'sha256'],
        }[suite]!;
        assert.deepEqual([keys.aead, keys.hash], expected);
        assert.equal(keys.secret.length, expected[1] === 'sha384' ? 48 : 32);
      });
    }
  }

  it('prefers the server cipher suite order', () => {
    const [client, server] = pair({ cipherSuites: [0x1301, 0x1303] }, { cipherSuites: [0x1303, 0x1301] });
    runHandshake(client, server);
    assert.equal(client.cipherSuite, 0x1303);
  });

  it('completes with an RSA certificate (rsa_pss_rsae_sha256)', () => {
    const pki = testPki();
    const [client, server] = pair(
      {},
      {
        certificateChain: nodeCrypto.pemToDer(pki.rsaLeafPem),
        signingKey: nodeCrypto.loadSigningKey(pki.rsaKeyPem),
      },
    );
    runHandshake(client, server);
    assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
  });

  it('completes with an Ed25519 certificate', () => {
    const pki = testPki();
    const [client, server] = pair(
      {},
      {
        certificateChain: nodeCrypto.pemToDer(pki.ed25519LeafPem),
        signingKey: nodeCrypto.loadSigningKey(pki.ed25519KeyPem),
      },
    );
    runHandshake(client, server);
    assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
  });

  it('verifies a chain through an intermediate CA', () => {
    const pki = testPki();
    const [client, server] = pair(
      {},
      {
        certificateChain: nodeCrypto.pemToDer(pki.chainPem),
        signingKey: nodeCrypto.loadSigningKey(pki.chainKeyPem),
      },
    );
    runHandshake(client, server);
    assert.ok(client.isHandshakeComplete);
    assert.equal(client.peerCertificates.length, 2);
  });

  it('rejects a chain missing its intermediate: unknown_ca', () => {
    const pki = testPki();
    const [client, server] = pair(
      {},
      {
        certificateChain: nodeCrypto.pemToDer(pki.chainPem).slice(0, 1),
        signingKey: nodeCrypto.loadSigningKey(pki.chainKeyPem),
      },
    );
    expectAlert(() => runHandshake(client, server), 'unknown_ca');
  });

  it('sends no SNI for an IP literal and checks the IP against the certificate', () => {
    const [client, server] = pair({ serverName: '127.0.0.1' });
    runHandshake(client, server);
    assert.ok(server.isHandshakeComplete);
    assert.equal(server.serverName, undefined);
  });

  it('selects the server-preferred ALPN protocol the client offered', () => {
    const [client, server] = pair({ alpn: ['h3-29', 'h3'] }, { alpn: ['h3', 'h3-29'] });
    runHandshake(client, server);
    assert.equal(client.alpn, 'h3');
  });

  it('skips certificate checks when verifyPeer is false', () => {
    const [client, server] = pair({ ca: [testPki().otherCaPem], verifyPeer: false });
    runHandshake(client, server);
    assert.ok(client.isHandshakeComplete);
  });

  it('turns a NewSessionTicket after the handshake into a sessionTicket event (any split)', () => {
    const [client, server] = pair();
    runHandshake(client, server);
    const nst = encodeHandshake(
      HandshakeType.new_session_ticket,
      Uint8Array.of(0, 0, 0, 60, 1, 2, 3, 4, 1, 9, 0, 2, 0xaa, 0xbb, 0, 0),
    );
    client.receive(OneRtt, nst.subarray(0, 5));
    client.receive(OneRtt, nst.subarray(5));
    const ev = client.nextEvent();
    assert.ok(ev !== null && ev.type === 'sessionTicket', `event ${JSON.stringify(ev?.type)}`);
    assert.equal(ev.ticket.lifetimeSeconds, 60);
    assert.equal(ev.ticket.ageAdd, 0x01020304);
    assert.deepEqual(ev.ticket.ticket, Uint8Array.of(0xaa, 0xbb));
    assert.equal(ev.ticket.maxEarlyDataSize, 0);
    assert.equal(client.nextEvent(), null);
  });
});

describe('TlsSession HelloRetryRequest', { skip: skipWithoutOpenssl }, () => {
  it('retries with the group the server asks for, echoing the cookie', () => {
    const [client, server] = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1'] });
    const { log, client: c, server: s } = runHandshake(client, server);
    assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
    assert.ok(client.isRetried && server.isRetried);
    assert.deepEqual(log.slice(0, 3), ['server<-Initial', 'client<-Initial', 'server<-Initial']);
    assert.deepEqual(secretOf(c, OneRtt, 'write'), secretOf(s, OneRtt, 'read'));
  });

  it('retries with SHA-384 suites too', () => {
    const [client, server] = pair(
      { groups: ['secp256r1', 'x25519'], cipherSuites: [0x1302] },
      { groups: ['x25519'] },
    );
    runHandshake(client, server);
    assert.ok(server.isHandshakeComplete && client.isRetried);
  });

  it('server rejects a second ClientHello without the cookie', () => {
    const [client, server] = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1'] });
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, _level, data) =>
            from === 'client' && client.isRetried
              ? rebuildClientHello(data, { exts: withoutExt(ExtensionType.cookie) })
              : data,
        }),
      'missing_extension',
    );
  });

  it('server rejects a second ClientHello with the wrong share', () => {
    const [client, server] = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1'] });
    let first: Uint8Array | undefined;
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, _level, data) => {
            if (from !== 'client') return data;
            if (first === undefined) {
              first = data;
              return data;
            }
            // Keep the new cookie but put back the first key_share (x25519).
            const ks = decodeClientHello(first.subarray(4)).extensions.map.get(ExtensionType.key_share)!;
            return rebuildClientHello(data, { exts: replaceExt(ExtensionType.key_share, ks) });
          },
        }),
      'illegal_parameter',
    );
  });

  it('client rejects a second HelloRetryRequest', () => {
    const [client, server] = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1'] });
    let hrr: Uint8Array | undefined;
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) => {
            if (from === 'server' && level === Initial) {
              if (hrr === undefined) hrr = data;
              else return hrr;
            }
            return data;
          },
        }),
      'unexpected_message',
    );
  });

  it('server fails with handshake_failure when no group is shared', () => {
    const ch = clientHelloBytes({ groups: ['x25519'] });
    expectAlert(() => serverReceives(ch, { groups: ['secp256r1'] }), 'handshake_failure');
  });
});

describe('TlsSession failures', { skip: skipWithoutOpenssl }, () => {
  it('wrong ALPN: no_application_protocol', () => {
    const [client, server] = pair({ alpn: ['h3'] }, { alpn: ['hq-interop'] });
    expectAlert(() => runHandshake(client, server), 'no_application_protocol');
  });

  it('unknown CA: unknown_ca', () => {
    const [client, server] = pair({ ca: [testPki().otherCaPem] });
    expectAlert(() => runHandshake(client, server), 'unknown_ca');
  });

  it('wrong server name: bad_certificate', () => {
    const [client, server] = pair({ serverName: 'example.com' });
    expectAlert(() => runHandshake(client, server), 'bad_certificate');
  });

  it('expired certificate: certificate_expired', () => {
    const pki = testPki();
    const [client, server] = pair(
      {},
      {
        certificateChain: nodeCrypto.pemToDer(pki.expiredLeafPem),
        signingKey: nodeCrypto.loadSigningKey(pki.expiredKeyPem),
      },
    );
    expectAlert(() => runHandshake(client, server), 'certificate_expired');
  });

  it('CertificateRequest with a context or without signature_algorithms: alerts', () => {
    const cases: [Uint8Array, TlsAlertName][] = [
      [Uint8Array.of(1, 7, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3), 'illegal_parameter'],
      [Uint8Array.of(0, 0, 4, 0, 10, 0, 0), 'missing_extension'],
      [Uint8Array.of(0, 0, 1), 'decode_error'],
    ];
    for (const [body, alert] of cases) {
      const [client, server] = pair();
      expectAlert(
        () =>
          runHandshake(client, server, {
            tamper: (from, level, data) => {
              if (from !== 'server' || level !== Handshake) return data;
              // Insert the CertificateRequest after EncryptedExtensions.
              const eeEnd = 4 + ((data[1]! << 16) | (data[2]! << 8) | data[3]!);
              const cr = encodeHandshake(HandshakeType.certificate_request, body);
              const out = new Uint8Array(data.length + cr.length);
              out.set(data.subarray(0, eeEnd), 0);
              out.set(cr, eeEnd);
              out.set(data.subarray(eeEnd), eeEnd + cr.length);
              return out;
            },
          }),
        alert,
      );
    }
  });

  it('server refuses a client Certificate it never asked for: unexpected_message', () => {
    const [client, server] = pair();
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) =>
            from === 'client' && level === Handshake
              ? encodeHandshake(HandshakeType.certificate, Uint8Array.of(0, 0, 0, 0))
              : data,
        }),
      'unexpected_message',
    );
  });

  it('bad server Finished: decrypt_error', () => {
    const [client, server] = pair();
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) => {
            if (from !== 'server' || level !== Handshake) return data;
            const copy = data.slice();
            flip(copy, copy.length - 1);
            return copy;
          },
        }),
      'decrypt_error',
    );
  });

  it('bad client Finished: decrypt_error', () => {
    const [client, server] = pair();
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) => {
            if (from !== 'client' || level !== Handshake) return data;
            const copy = data.slice();
            flip(copy, 10);
            return copy;
          },
        }),
      'decrypt_error',
    );
  });

  it('bad CertificateVerify signature: decrypt_error', () => {
    const [client, server] = pair();
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) => {
            if (from !== 'server' || level !== Handshake) return data;
            // The flight ends with CertificateVerify then Finished (4 + 32 bytes); flip a signature byte.
            const copy = data.slice();
            flip(copy, copy.length - 36 - 5);
            return copy;
          },
        }),
      'decrypt_error',
    );
  });

  it('KeyUpdate and EndOfEarlyData: unexpected_message (RFC 9001 §6, §8.3)', () => {
    const [client, server] = pair();
    runHandshake(client, server);
    expectAlert(() => {
      client.receive(OneRtt, encodeHandshake(HandshakeType.key_update, Uint8Array.of(0)));
    }, 'unexpected_message');
    const s = new TlsSession(serverConfig());
    expectAlert(() => {
      s.receive(Initial, encodeHandshake(HandshakeType.end_of_early_data, new Uint8Array(0)));
    }, 'unexpected_message');
  });

  it('a failed session keeps throwing the same error', () => {
    const s = new TlsSession(serverConfig());
    let first: unknown;
    try {
      s.receive(Initial, encodeHandshake(HandshakeType.finished, new Uint8Array(32)));
    } catch (err) {
      first = err;
    }
    assert.ok(first instanceof QuicError);
    assert.throws(
      () => {
        s.receive(Initial, new Uint8Array(1));
      },
      (err) => err === first,
    );
  });

  it('a message at the wrong level: unexpected_message', () => {
    const ch = clientHelloBytes();
    expectAlert(() => {
      new TlsSession(serverConfig()).receive(Handshake, ch);
    }, 'unexpected_message');
    const c = new TlsSession(clientConfig());
    c.start();
    expectAlert(() => {
      c.receive(OneRtt, encodeHandshake(HandshakeType.new_session_ticket, new Uint8Array(12)));
    }, 'unexpected_message');
  });

  it('a message out of order: unexpected_message', () => {
    const c = new TlsSession(clientConfig());
    c.start();
    expectAlert(() => {
      c.receive(Initial, encodeHandshake(HandshakeType.client_hello, new Uint8Array(40)));
    }, 'unexpected_message');
    assert.throws(() => transition(HandshakeState.ServerConnected, HandshakeType.finished), QuicError);
  });

  it('bytes after the ServerHello at the Initial level: unexpected_message (RFC 9001 §4.1.3)', () => {
    const [client, server] = pair();
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) => {
            if (from !== 'server' || level !== Initial) return data;
            const out = new Uint8Array(data.length + 2);
            out.set(data, 0);
            out[data.length] = HandshakeType.server_hello;
            return out;
          },
        }),
      'unexpected_message',
    );
  });

  it('a message above maxHandshakeMessageBytes: CRYPTO_BUFFER_EXCEEDED', () => {
    const s = new TlsSession(serverConfig({ maxHandshakeMessageBytes: 100 }));
    expectTransportError(() => {
      s.receive(Initial, Uint8Array.of(1, 0, 0, 101));
    }, 'CRYPTO_BUFFER_EXCEEDED');
  });

  it('truncated or trailing ClientHello bytes: decode_error', () => {
    const ch = clientHelloBytes();
    const body = ch.subarray(4, ch.length - 3);
    expectAlert(() => serverReceives(encodeHandshake(1, body)), 'decode_error');
    const longer = new Uint8Array(ch.length - 4 + 1);
    longer.set(ch.subarray(4), 0);
    expectAlert(() => serverReceives(encodeHandshake(1, longer)), 'decode_error');
  });

  it('duplicate extension: illegal_parameter', () => {
    const ch = rebuildClientHello(clientHelloBytes(), {
      exts: (e) => [...e, [ExtensionType.server_name, e[0]![1]]],
    });
    expectAlert(() => serverReceives(ch), 'illegal_parameter');
  });

  it('missing quic_transport_parameters: missing_extension', () => {
    const ch = rebuildClientHello(clientHelloBytes(), {
      exts: withoutExt(ExtensionType.quic_transport_parameters),
    });
    expectAlert(() => serverReceives(ch), 'missing_extension');
    const [client, server] = pair({}, { withoutQuic: true });
    expectAlert(() => runHandshake(client, server), 'missing_extension');
  });

  it('missing ALPN: no_application_protocol', () => {
    const ch = rebuildClientHello(clientHelloBytes(), {
      exts: withoutExt(ExtensionType.application_layer_protocol_negotiation),
    });
    expectAlert(() => serverReceives(ch), 'no_application_protocol');
  });

  it('missing signature_algorithms or key_share: missing_extension', () => {
    for (const type of [
      ExtensionType.signature_algorithms,
      ExtensionType.key_share,
      ExtensionType.supported_groups,
    ]) {
      const ch = rebuildClientHello(clientHelloBytes(), { exts: withoutExt(type) });
      expectAlert(() => serverReceives(ch), 'missing_extension');
    }
  });

  it('no supported_versions or no TLS 1.3: protocol_version', () => {
    const ch = rebuildClientHello(clientHelloBytes(), { exts: withoutExt(ExtensionType.supported_versions) });
    expectAlert(() => serverReceives(ch), 'protocol_version');
    const ch12 = rebuildClientHello(clientHelloBytes(), {
      exts: replaceExt(ExtensionType.supported_versions, Uint8Array.of(2, 3, 3)),
    });
    expectAlert(() => serverReceives(ch12), 'protocol_version');
  });

  it('no common cipher suite: handshake_failure', () => {
    const ch = rebuildClientHello(clientHelloBytes(), { suites: [0x1304] });
    expectAlert(() => serverReceives(ch), 'handshake_failure');
  });

  it('non-null compression: illegal_parameter', () => {
    const ch = rebuildClientHello(clientHelloBytes(), { compression: [1, 0] });
    expectAlert(() => serverReceives(ch), 'illegal_parameter');
  });

  it('a key share for a group not in supported_groups: illegal_parameter', () => {
    const ch = rebuildClientHello(clientHelloBytes(), {
      exts: replaceExt(ExtensionType.supported_groups, Uint8Array.of(0, 2, 0, 0x17)),
    });
    expectAlert(() => serverReceives(ch), 'illegal_parameter');
  });

  it('an invalid key share: illegal_parameter', () => {
    const share = Uint8Array.of(0, 36, 0, 0x1d, 0, 32, ...new Uint8Array(32));
    const ch = rebuildClientHello(clientHelloBytes(), { exts: replaceExt(ExtensionType.key_share, share) });
    expectAlert(() => serverReceives(ch), 'illegal_parameter');
  });

  it('pre_shared_key not last: illegal_parameter', () => {
    const ch = rebuildClientHello(clientHelloBytes(), {
      exts: (e) => [[ExtensionType.pre_shared_key, Uint8Array.of(0)], ...e],
    });
    expectAlert(() => serverReceives(ch), 'illegal_parameter');
  });

  it('non-empty legacy_session_id in QUIC: PROTOCOL_VIOLATION (RFC 9001 §8.4)', () => {
    const ch = rebuildClientHello(clientHelloBytes(), { sessionId: new Uint8Array(32).fill(7) });
    expectTransportError(() => serverReceives(ch), 'PROTOCOL_VIOLATION');
  });

  it('client rejects a ServerHello with an extension it did not offer: unsupported_extension', () => {
    const [client, server] = pair();
    expectAlert(
      () =>
        runHandshake(client, server, {
          tamper: (from, level, data) => {
            if (from !== 'server' || level !== Initial) return data;
            // Append an early_data extension (never offered) to the ServerHello's extension block.
            const out = new Uint8Array(data.length + 4);
            out.set(data, 0);
            out.set([0, ExtensionType.early_data, 0, 0], data.length);
            const len = data.length - 4 + 4;
            out[1] = len >>> 16;
            out[2] = (len >>> 8) & 0xff;
            out[3] = len & 0xff;
            const extLenAt = 4 + 2 + 32 + 1 + 2 + 1;
            const extLen = ((data[extLenAt]! << 8) | data[extLenAt + 1]!) + 4;
            out[extLenAt] = extLen >>> 8;
            out[extLenAt + 1] = extLen & 0xff;
            return out;
          },
        }),
      'unsupported_extension',
    );
  });

  it('rejects bad configuration with UsageError', () => {
    assert.throws(() => new TlsSession(clientConfig({ alpn: [] })), { name: 'UsageError' });
    assert.throws(() => new TlsSession(clientConfig({ cipherSuites: [0x1304] })), { name: 'UsageError' });
    assert.throws(
      () => new TlsSession({ ...serverConfig(), signingKey: undefined } as unknown as TlsConfig),
      {
        name: 'UsageError',
      },
    );
  });
});

/** Splits a flight into whole handshake messages. */
function splitMessages(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < data.length;) {
    const len = (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!;
    out.push(data.subarray(pos, pos + 4 + len));
    pos += 4 + len;
  }
  return out;
}

function joinMessages(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs a handshake where the server's Handshake flight message of `type` is replaced by `replacement`. */
function withServerMessage(
  type: number,
  replacement: Uint8Array,
  clientOver: Partial<TlsConfig> = {},
): () => void {
  return () => {
    const [client, server] = pair(clientOver);
    runHandshake(client, server, {
      tamper: (from, level, data) => {
        if (from !== 'server' || level !== Handshake) return data;
        return joinMessages(splitMessages(data).map((m) => (m[0] === type ? replacement : m)));
      },
    });
  };
}

const alpnBody = (...names: string[]): Uint8Array => {
  const parts = names.flatMap((n) => [n.length, ...Buffer.from(n)]);
  return Uint8Array.of(parts.length >> 8, parts.length & 0xff, ...parts);
};

describe('TlsSession client alerts on server messages', { skip: skipWithoutOpenssl }, () => {
  /** A started client and its ClientHello. */
  function startedClient(over: Partial<TlsConfig> = {}): {
    client: TlsSession;
    ch: ReturnType<typeof decodeClientHello>;
  } {
    const client = new TlsSession(clientConfig(over));
    client.start();
    return { client, ch: decodeClientHello(client.nextOutput()!.data.subarray(4)) };
  }

  function serverShare(): Uint8Array {
    const share = nodeCrypto.generateKeyShare('x25519');
    return Uint8Array.of(0, 0x1d, 0, 32, ...share.publicKey);
  }

  const versions = [43, Uint8Array.of(3, 4)] as const;

  const shCases: [string, (sessionId: Uint8Array) => Uint8Array, TlsAlertName][] = [
    [
      'a session id that is not an echo',
      () => encodeServerHello(new Uint8Array(32), Uint8Array.of(1), 0x1301, [versions, [51, serverShare()]]),
      'illegal_parameter',
    ],
    [
      'a suite not offered',
      (id) => encodeServerHello(new Uint8Array(32), id, 0x1304, [versions, [51, serverShare()]]),
      'illegal_parameter',
    ],
    [
      'no key_share',
      (id) => encodeServerHello(new Uint8Array(32), id, 0x1301, [versions]),
      'missing_extension',
    ],
    [
      'no supported_versions',
      (id) => encodeServerHello(new Uint8Array(32), id, 0x1301, [[51, serverShare()]]),
      'protocol_version',
    ],
    [
      'TLS 1.2 selected',
      (id) =>
        encodeServerHello(new Uint8Array(32), id, 0x1301, [
          [43, Uint8Array.of(3, 3)],
          [51, serverShare()],
        ]),
      'illegal_parameter',
    ],
    [
      'a share in another group',
      (id) =>
        encodeServerHello(new Uint8Array(32), id, 0x1301, [
          versions,
          [51, Uint8Array.of(0, 0x17, 0, 65, 4, ...new Uint8Array(64))],
        ]),
      'illegal_parameter',
    ],
    [
      'an invalid share',
      (id) =>
        encodeServerHello(new Uint8Array(32), id, 0x1301, [
          versions,
          [51, Uint8Array.of(0, 0x1d, 0, 32, ...new Uint8Array(32))],
        ]),
      'illegal_parameter',
    ],
    [
      'an extension not offered',
      (id) =>
        encodeServerHello(new Uint8Array(32), id, 0x1301, [
          versions,
          [51, serverShare()],
          [42, new Uint8Array(0)],
        ]),
      'unsupported_extension',
    ],
    [
      'an offered extension not allowed in ServerHello',
      (id) =>
        encodeServerHello(new Uint8Array(32), id, 0x1301, [
          versions,
          [51, serverShare()],
          [16, alpnBody('h3')],
        ]),
      'illegal_parameter',
    ],
    [
      'a HelloRetryRequest that changes nothing',
      (id) => encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, id, 0x1301, [versions]),
      'illegal_parameter',
    ],
    [
      'a HelloRetryRequest for the group already shared',
      (id) =>
        encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, id, 0x1301, [versions, [51, Uint8Array.of(0, 0x1d)]]),
      'illegal_parameter',
    ],
    [
      'a HelloRetryRequest for an unknown group',
      (id) =>
        encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, id, 0x1301, [versions, [51, Uint8Array.of(0, 0x18)]]),
      'illegal_parameter',
    ],
    [
      'a HelloRetryRequest with an empty cookie',
      (id) =>
        encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, id, 0x1301, [versions, [44, Uint8Array.of(0, 0)]]),
      'decode_error',
    ],
  ];
  for (const [name, build, alert] of shCases) {
    it(`ServerHello with ${name}`, () => {
      const { client, ch } = startedClient();
      expectAlert(() => {
        client.receive(Initial, build(ch.sessionId));
      }, alert);
    });
  }

  it('EncryptedExtensions without ALPN: no_application_protocol', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions([[0x39, Uint8Array.of(1)]]),
      ),
      'no_application_protocol',
    );
  });

  it('EncryptedExtensions with an ALPN not offered: illegal_parameter', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions([
          [16, alpnBody('h2')],
          [0x39, Uint8Array.of(1)],
        ]),
      ),
      'illegal_parameter',
    );
  });

  it('EncryptedExtensions with two ALPN names: decode_error', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions([
          [16, alpnBody('h3', 'h3')],
          [0x39, Uint8Array.of(1)],
        ]),
      ),
      'decode_error',
    );
  });

  it('EncryptedExtensions without transport parameters: missing_extension', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions([[16, alpnBody('h3')]]),
      ),
      'missing_extension',
    );
  });

  it('EncryptedExtensions with key_share: illegal_parameter', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions([
          [16, alpnBody('h3')],
          [0x39, Uint8Array.of(1)],
          [51, Uint8Array.of(0, 0x1d)],
        ]),
      ),
      'illegal_parameter',
    );
  });

  it('EncryptedExtensions with a non-empty server_name: decode_error', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions([
          [0, Uint8Array.of(1)],
          [16, alpnBody('h3')],
          [0x39, Uint8Array.of(1)],
        ]),
      ),
      'decode_error',
    );
  });

  it('an empty Certificate: decode_error', () => {
    expectAlert(withServerMessage(HandshakeType.certificate, encodeCertificate([])), 'decode_error');
  });

  it('a Certificate with a context: illegal_parameter', () => {
    expectAlert(
      withServerMessage(
        HandshakeType.certificate,
        encodeHandshake(HandshakeType.certificate, Uint8Array.of(1, 9, 0, 0, 0)),
      ),
      'illegal_parameter',
    );
  });

  it('an unparseable certificate: bad_certificate', () => {
    expectAlert(
      withServerMessage(HandshakeType.certificate, encodeCertificate([Uint8Array.of(0x30, 0)])),
      'bad_certificate',
    );
  });

  it('CertificateVerify with a scheme not offered: illegal_parameter', () => {
    expectAlert(
      withServerMessage(HandshakeType.certificate_verify, encodeCertificateVerify(0x0401, Uint8Array.of(1))),
      'illegal_parameter',
    );
  });

  it('a Finished of the wrong length: decode_error', () => {
    expectAlert(
      withServerMessage(HandshakeType.finished, encodeHandshake(HandshakeType.finished, new Uint8Array(31))),
      'decode_error',
    );
  });
});

describe('releaseHandshakeState (idle memory, issue 14)', () => {
  it('drops the handshake state after completion, keeps ALPN and suite, and later messages still fail', () => {
    const [client, server] = pair();
    runHandshake(client, server);
    assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
    const fields = (s: TlsSession): Record<string, unknown> => s as unknown as Record<string, unknown>;
    for (const s of [client, server]) {
      s.releaseHandshakeState();
      assert.equal(fields(s)['keyShare'], undefined);
      assert.equal((fields(s)['clientApplicationSecret'] as Uint8Array).length, 0);
      assert.equal((fields(s)['expectedClientFinished'] as Uint8Array).length, 0);
      assert.equal(s.alpn, 'h3');
      assert.notEqual(s.cipherSuite, undefined);
    }
    // A late Finished is still refused by the state machine, as before the release.
    expectAlert(() => {
      server.receive(Handshake, encodeHandshake(HandshakeType.finished, new Uint8Array(32)));
    }, 'unexpected_message');
  });

  it('does nothing before the handshake completes', () => {
    const [client] = pair();
    client.start();
    client.releaseHandshakeState();
    assert.notEqual((client as unknown as Record<string, unknown>)['keyShare'], undefined);
  });
});
