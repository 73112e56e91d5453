import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuicError } from '../../../src/common/errors.js';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import { TlsAlert, TransportErrorCode } from '../../../src/quic/errors.js';
import { EncryptionLevel } from '../../../src/quic/packet/levels.js';
import {
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeServerHello,
} from '../../../src/quic/tls/messages.js';
import { TlsSession } from '../../../src/quic/tls/session.js';
import { serverConfig } from './harness.js';
import { skipWithoutOpenssl } from './pki.js';
import {
  cipherSuiteInfo,
  deriveApplicationSecrets,
  deriveHandshakeSecrets,
  finishedVerifyData,
  hkdfExpandLabel,
  updateTrafficSecret,
} from '../../../src/quic/tls/key-schedule.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 8448 §3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256, x25519).
const SHARED_SECRET = '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d';
const HELLO_HASH = '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8';
const SERVER_FINISHED_HASH = '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13';
const CERT_VERIFY_HASH = 'edb7725fa7a3473b031ec8ef65a2485493900138a2b91291407d7951a06110ed';

// RFC 8448 §3 handshake messages (headers included).
const RFC8448_CLIENT_HELLO =
  '010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b' +
  '0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d0020' +
  '99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e04030503060302030804' +
  '0805080604010501060102010402050206020202002d00020101001c00024001';
const RFC8448_SERVER_HELLO =
  '020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c982' +
  '8876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304';
const RFC8448_ENCRYPTED_EXTENSIONS =
  '080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000';

describe('RFC 8448 §3 messages through the codecs', () => {
  it('decodes the trace ClientHello, ServerHello and EncryptedExtensions', () => {
    const ch = decodeClientHello(hex(RFC8448_CLIENT_HELLO).subarray(4));
    assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
    assert.equal(ch.sessionId.length, 0);
    assert.deepEqual(ch.extensions.types, [0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);
    const sh = decodeServerHello(hex(RFC8448_SERVER_HELLO).subarray(4));
    assert.equal(sh.cipherSuite, 0x1301);
    assert.equal(sh.isRetry, false);
    assert.deepEqual(sh.extensions.types, [51, 43]);
    const ee = decodeEncryptedExtensions(hex(RFC8448_ENCRYPTED_EXTENSIONS).subarray(4));
    assert.deepEqual(ee.types, [10, 28, 0]);
  });

  it('hashes ClientHello..ServerHello to the trace transcript hash', () => {
    const t = nodeCrypto.createTranscript('sha256');
    t.update(hex(RFC8448_CLIENT_HELLO));
    t.update(hex(RFC8448_SERVER_HELLO));
    assert.equal(toHex(t.digest()), HELLO_HASH);
  });

  it(
    'a server parses the trace ClientHello and stops only for the missing ALPN (RFC 9001 §8.1)',
    { skip: skipWithoutOpenssl },
    () => {
      const server = new TlsSession(serverConfig({ withoutQuic: true }));
      assert.throws(
        () => {
          server.receive(EncryptionLevel.Initial, hex(RFC8448_CLIENT_HELLO));
        },
        (err: unknown) =>
          err instanceof QuicError &&
          err.wireCode === TransportErrorCode.CRYPTO_ERROR + TlsAlert.no_application_protocol,
      );
    },
  );
});

describe('TLS 1.3 key schedule (RFC 8446 §7.1, RFC 8448 §3)', () => {
  const hs = deriveHandshakeSecrets(nodeCrypto, 'sha256', hex(SHARED_SECRET), hex(HELLO_HASH));

  it('derives the handshake secret and handshake traffic secrets', () => {
    assert.equal(
      toHex(hs.handshakeSecret),
      '1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac',
    );
    assert.equal(
      toHex(hs.clientHandshakeTrafficSecret),
      'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
    );
    assert.equal(
      toHex(hs.serverHandshakeTrafficSecret),
      'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
    );
  });

  it('derives the server handshake write key and iv', () => {
    const key = hkdfExpandLabel(
      nodeCrypto,
      'sha256',
      hs.serverHandshakeTrafficSecret,
      'key',
      new Uint8Array(0),
      16,
    );
    const iv = hkdfExpandLabel(
      nodeCrypto,
      'sha256',
      hs.serverHandshakeTrafficSecret,
      'iv',
      new Uint8Array(0),
      12,
    );
    assert.equal(toHex(key), '3fce516009c21727d0f2e4e86ee403bc');
    assert.equal(toHex(iv), '5d313eb2671276ee13000b30');
  });

  it('derives the server Finished verify_data', () => {
    const verify = finishedVerifyData(
      nodeCrypto,
      'sha256',
      hs.serverHandshakeTrafficSecret,
      hex(CERT_VERIFY_HASH),
    );
    assert.equal(toHex(verify), '9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718');
  });

  it('derives the client Finished verify_data', () => {
    const verify = finishedVerifyData(
      nodeCrypto,
      'sha256',
      hs.clientHandshakeTrafficSecret,
      hex(SERVER_FINISHED_HASH),
    );
    assert.equal(toHex(verify), 'a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61');
  });

  it('derives the master secret and application traffic secrets', () => {
    const app = deriveApplicationSecrets(nodeCrypto, 'sha256', hs.handshakeSecret, hex(SERVER_FINISHED_HASH));
    assert.equal(toHex(app.masterSecret), '18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919');
    assert.equal(
      toHex(app.clientApplicationTrafficSecret),
      '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
    );
    assert.equal(
      toHex(app.serverApplicationTrafficSecret),
      'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
    );
  });
});

describe('QUIC labels (RFC 9001)', () => {
  it('derives the RFC 9001 A.1 client Initial packet key from its secret', () => {
    const secret = hex('c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea');
    assert.equal(
      toHex(hkdfExpandLabel(nodeCrypto, 'sha256', secret, 'quic key', new Uint8Array(0), 16)),
      '1f369613dd76d5467730efcbe3b1a22d',
    );
    assert.equal(
      toHex(hkdfExpandLabel(nodeCrypto, 'sha256', secret, 'quic iv', new Uint8Array(0), 12)),
      'fa044b2f42a3fd3b46fb255c',
    );
  });

  it('derives the RFC 9001 A.5 ChaCha20 key update secret ("quic ku")', () => {
    const secret = hex('9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b');
    assert.equal(
      toHex(updateTrafficSecret(nodeCrypto, 'sha256', secret)),
      '1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9',
    );
  });

  it('maps cipher suites to AEAD and hash', () => {
    assert.deepEqual(cipherSuiteInfo(0x1302), {
      id: 0x1302,
      aead: 'aes-256-gcm',
      hash: 'sha384',
      hashLength: 48,
    });
    assert.equal(cipherSuiteInfo(0x1304), undefined);
  });
});
