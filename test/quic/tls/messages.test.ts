import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuicError } from '../../../src/common/errors.js';
import { TlsAlert, TransportErrorCode } from '../../../src/quic/errors.js';
import {
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeType,
  TlsReader,
  TlsWriter,
  certificateVerifyContent,
  decodeCertificate,
  decodeCertificateVerify,
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeServerHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeHandshake,
  encodeMessageHash,
  encodeServerHello,
} from '../../../src/quic/tls/messages.js';

function isAlert(alert: keyof typeof TlsAlert): (err: unknown) => boolean {
  return (err) =>
    err instanceof QuicError && err.wireCode === TransportErrorCode.CRYPTO_ERROR + TlsAlert[alert];
}

const random = new Uint8Array(32).fill(0x11);

describe('TLS handshake message codecs', () => {
  it('round-trips a ClientHello', () => {
    const msg = encodeClientHello(
      random,
      Uint8Array.of(9),
      [0x1301, 0x1303],
      [
        [43, Uint8Array.of(2, 3, 4)],
        [0x39, Uint8Array.of(1, 2)],
      ],
    );
    assert.equal(msg[0], HandshakeType.client_hello);
    assert.equal((msg[1]! << 16) | (msg[2]! << 8) | msg[3]!, msg.length - 4);
    const ch = decodeClientHello(msg.subarray(4));
    assert.equal(ch.legacyVersion, 0x0303);
    assert.deepEqual(ch.random, random);
    assert.deepEqual(ch.sessionId, Uint8Array.of(9));
    assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303]);
    assert.deepEqual(ch.compressionMethods, Uint8Array.of(0));
    assert.deepEqual(ch.extensions.types, [43, 0x39]);
    assert.deepEqual(ch.extensions.map.get(0x39), Uint8Array.of(1, 2));
  });

  it('round-trips a ServerHello and recognises a HelloRetryRequest', () => {
    const sh = decodeServerHello(
      encodeServerHello(random, new Uint8Array(0), 0x1302, [[43, Uint8Array.of(3, 4)]]).subarray(4),
    );
    assert.equal(sh.cipherSuite, 0x1302);
    assert.equal(sh.isRetry, false);
    const hrr = decodeServerHello(
      encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, new Uint8Array(0), 0x1301, [
        [43, Uint8Array.of(3, 4)],
      ]).subarray(4),
    );
    assert.equal(hrr.isRetry, true);
  });

  it('round-trips EncryptedExtensions, Certificate and CertificateVerify', () => {
    const ee = decodeEncryptedExtensions(
      encodeEncryptedExtensions([[16, Uint8Array.of(0, 3, 2, 0x68, 0x33)]]).subarray(4),
    );
    assert.deepEqual(ee.map.get(16), Uint8Array.of(0, 3, 2, 0x68, 0x33));
    const chain = [Uint8Array.of(1, 2, 3), Uint8Array.of(4)];
    const cert = decodeCertificate(encodeCertificate(chain).subarray(4));
    assert.deepEqual(cert.context, new Uint8Array(0));
    assert.deepEqual(cert.chain, chain);
    const cv = decodeCertificateVerify(encodeCertificateVerify(0x0403, Uint8Array.of(7, 8)).subarray(4));
    assert.deepEqual(cv, { scheme: 0x0403, signature: Uint8Array.of(7, 8) });
  });

  it('rejects truncation and trailing bytes with decode_error', () => {
    const msg = encodeClientHello(random, new Uint8Array(0), [0x1301], [[43, Uint8Array.of(2, 3, 4)]]);
    for (let cut = 0; cut < msg.length - 4; cut++) {
      assert.throws(
        () => decodeClientHello(msg.subarray(4, 4 + cut)),
        isAlert('decode_error'),
        `cut ${String(cut)}`,
      );
    }
    const longer = new Uint8Array(msg.length - 3);
    longer.set(msg.subarray(4), 0);
    assert.throws(() => decodeClientHello(longer), isAlert('decode_error'));
  });

  it('rejects a duplicate extension with illegal_parameter (RFC 8446 §4.2)', () => {
    const body = encodeEncryptedExtensions([
      [16, new Uint8Array(0)],
      [16, new Uint8Array(0)],
    ]).subarray(4);
    assert.throws(() => decodeEncryptedExtensions(body), isAlert('illegal_parameter'));
  });

  it('rejects odd cipher_suites and empty compression with decode_error', () => {
    const w = new TlsWriter();
    w.u16(0x0303).bytes(random).u8(0);
    w.vector(2, (x) => x.u8(0x13).u8(0x01).u8(0x13));
    w.u8(1).u8(0).u16(0);
    assert.throws(() => decodeClientHello(w.finish()), isAlert('decode_error'));
    const w2 = new TlsWriter();
    w2.u16(0x0303).bytes(random).u8(0).u16(2).u16(0x1301).u8(0).u16(0);
    assert.throws(() => decodeClientHello(w2.finish()), isAlert('decode_error'));
  });

  it('rejects an empty certificate entry with decode_error', () => {
    const body = Uint8Array.of(0, 0, 0, 5, 0, 0, 0, 0, 0);
    assert.throws(() => decodeCertificate(body), isAlert('decode_error'));
  });

  it('TlsReader checks vector bounds', () => {
    const r = new TlsReader(Uint8Array.of(3, 1, 2, 3), 0, 4, 'x');
    assert.throws(() => r.vector(1, 4, 10), isAlert('decode_error'));
    const r2 = new TlsReader(Uint8Array.of(0, 1), 0, 2, 'x');
    assert.equal(r2.u16(), 1);
    assert.throws(() => r2.u8(), isAlert('decode_error'));
    const r3 = new TlsReader(Uint8Array.of(1, 2, 3), 0, 3, 'x');
    assert.equal(r3.u24(), 0x010203);
    r3.expectEnd();
  });

  it('builds the CertificateVerify signed content (RFC 8446 §4.4.3)', () => {
    const hash = new Uint8Array(32).fill(0xab);
    const content = certificateVerifyContent('server', hash);
    assert.equal(content.length, 64 + 33 + 1 + 32);
    assert.ok(content.subarray(0, 64).every((b) => b === 0x20));
    assert.equal(Buffer.from(content.subarray(64, 97)).toString(), 'TLS 1.3, server CertificateVerify');
    assert.equal(content[97], 0);
    assert.deepEqual(content.subarray(98), hash);
  });

  it('builds message_hash and handshake headers', () => {
    assert.deepEqual(encodeMessageHash(Uint8Array.of(1, 2)), Uint8Array.of(254, 0, 0, 2, 1, 2));
    assert.deepEqual(encodeHandshake(20, new Uint8Array(0)), Uint8Array.of(20, 0, 0, 0));
  });
});
