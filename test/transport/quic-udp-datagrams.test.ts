/**
 * DATAGRAM frames (RFC 9221) right after the handshake over real loopback UDP on hayate/quic: none may be
 * dropped by the sender when the link loses nothing. Regression: the first DPLPMTUD probe (16,383 bytes on
 * loopback) went out larger than the congestion window's room, so every packet after it waited for its ACK,
 * which the peer delays by up to max_ack_delay; bursts queued meanwhile overflowed `maxPendingDatagrams`
 * and 20–30% of the first 300 datagrams were lost.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuicConnectionHandlers } from '../../src/transport/quic.js';
import { connectHayateQuic, listenHayateQuic } from '../../src/transport/quic-udp.js';
import { selfSignedCert } from '../http3/tls.js';

const quiet: Omit<QuicConnectionHandlers, 'onDatagram' | 'onStreamData'> = {
  onStreamReset: () => {},
  onStopSending: () => {},
  onStreamAcked: () => {},
  onClose: () => {},
};

test('hayate/quic: 300 datagrams sent in bursts just after the handshake all come back (echo)', async () => {
  const tls = selfSignedCert()!;
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    onConnection: (quic) => {
      quic.setHandlers({
        ...quiet,
        onStreamData: () => {},
        onDatagram: (p) => {
          quic.sendDatagram(p);
        },
      });
    },
  });
  try {
    for (let run = 0; run < 3; run++) {
      const quic = await connectHayateQuic({
        host: '127.0.0.1',
        port: listener.port,
        serverName: 'localhost',
        ca: tls.cert,
      });
      const back = new Set<number>();
      quic.setHandlers({
        ...quiet,
        onStreamData: () => {},
        onDatagram: (p) => back.add(new DataView(p.buffer, p.byteOffset).getUint32(0)),
      });
      try {
        // Bursts of 25 every 5 ms: 500 KB/s, far below what loopback carries.
        for (let i = 0; i < 300; i++) {
          const d = new Uint8Array(100);
          new DataView(d.buffer).setUint32(0, i);
          quic.sendDatagram(d);
          if (i % 25 === 0) await new Promise((r) => setTimeout(r, 5));
        }
        for (let waited = 0; back.size < 300 && waited < 2000; waited += 20) {
          await new Promise((r) => setTimeout(r, 20));
        }
        const missing = Array.from({ length: 300 }, (_, i) => i).filter((i) => !back.has(i));
        assert.deepEqual(missing, [], `run ${run}: datagrams that did not come back`);
      } finally {
        await quic.destroy();
      }
    }
  } finally {
    await listener.close();
  }
  assert.equal(listener.connectionCount, 0);
});
