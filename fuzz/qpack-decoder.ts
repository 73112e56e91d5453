/**
 * jsfuzz target: the QPACK decoder fed an encoder stream and field sections in any order.
 *
 * Input layout:
 *   byte 0: bits 0-2 table capacity [0, 64, 220, 256, 512, 1024, 4096, 4096]; bits 3-4 blocked streams
 *           [0, 1, 2, 100]; bit 5 strict start (capacity 0); bit 6 small section and blocked-bytes limits
 *   then records: kind (1 byte) | length (u16 BE) | payload
 *     kind & 3 = 0: encoder stream bytes; 1: field section on stream (kind >> 2);
 *                2: cancel stream (kind >> 2); 3: drain decoder stream and unblocked sections
 * Only QpackError is acceptable; a broken invariant (blocked streams above the limit, table over capacity)
 * throws a plain Error, which jsfuzz reports as a crash.
 */
import { QpackError } from '../src/common/errors';
import { QpackDecoder } from '../src/qpack/decoder';

const TABLES = [0, 64, 220, 256, 512, 1024, 4096, 4096];
const BLOCKED = [0, 1, 2, 100];

export function fuzz(buf: Buffer): void {
  if (buf.length < 1) return;
  const opts = buf[0]!;
  const table = TABLES[opts & 7]!;
  const blocked = BLOCKED[(opts >> 3) & 3]!;
  const small = (opts & 0x40) !== 0;
  const decoder = new QpackDecoder(
    {
      maxTableCapacity: table,
      maxBlockedStreams: blocked,
      maxFieldSectionSize: small ? 256 : 65536,
      maxBlockedBytes: small ? 512 : 1 << 20,
      maxStringLength: small ? 128 : 65536,
    },
    { initialTableCapacity: (opts & 0x20) !== 0 ? 0 : table },
  );
  let pos = 1;
  try {
    while (pos + 3 <= buf.length) {
      const kind = buf[pos]!;
      const len = (buf[pos + 1]! << 8) | buf[pos + 2]!;
      pos += 3;
      const payload = buf.subarray(pos, Math.min(buf.length, pos + len));
      pos += len;
      const streamId = kind >> 2;
      switch (kind & 3) {
        case 0:
          decoder.receiveEncoderStream(payload);
          break;
        case 1: {
          const headers = decoder.decodeFieldSection(streamId, payload);
          if (headers !== null) {
            for (let i = 0; i < headers.length; i++) {
              headers.name(i);
              headers.value(i);
            }
          }
          break;
        }
        case 2:
          decoder.cancelStream(streamId);
          break;
        default:
          decoder.takeDecoderStreamBytes();
          for (const u of decoder.takeUnblocked()) u.headers.toArray();
      }
      if (decoder.blockedStreamCount > blocked) throw new Error('blocked streams above the limit');
      if (decoder.tableSize > decoder.tableCapacity) throw new Error('table size above capacity');
      if (decoder.tableCapacity > table) throw new Error('capacity above the advertised maximum');
    }
  } catch (e) {
    if (!(e instanceof QpackError)) throw e;
  }
}
