/**
 * QPACK: hayate's encoder and decoder over the fb-req-hq and fb-resp-hq QIF sets of the shared qifs
 * vectors (383 sections each), table 4096, blocked streams 100, in one run.
 *
 * - `qpack/encode`: encodes every section of both files (a fresh encoder per file, as a connection would),
 *   with the peer's decoder stream replayed after each section (immediate acknowledgment, recorded once).
 * - `qpack/decode`: decodes hayate's encoding of the same files (encoder stream and sections in file
 *   order) and reads every name and value as a string.
 * hz counts field lines per second. Peer rows: hayate's own HPACK on the same field lists (4096 table),
 * the comparison the QPACK issue sets (decode at least 70% of HPACK decode).
 * - `qpack/size-T-B-A`: total encoded bytes (sections + encoder stream, without interop framing) of
 *   hayate vs the ls-qpack encodings in the vectors, for every table/blocked/ack setting of the vectors.
 *   `qpack/size-4096-100` repeats the ack=1 figure as the headline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HpackDecoder, HpackEncoder } from '../src/hpack/index.js';
import { QpackDecoder } from '../src/qpack/decoder.js';
import { QpackEncoder } from '../src/qpack/encoder.js';
import { encodeInteropFile, parseInteropBlocks, type InteropBlock } from '../src/qpack/offline-interop.js';
import { parseQif, type FieldSection } from '../src/qpack/qif.js';
import { vectorPath } from '../test/support/vectors.js';
import { runTinyCases, type BenchOptions, type BenchRecord } from './lib/report.js';

export const area = 'qpack';

const FILES = ['fb-req-hq', 'fb-resp-hq'];
const TABLE = 4096;
const BLOCKED = 100;

let sink = 0;

function payloadBytes(blocks: readonly InteropBlock[]): number {
  let n = 0;
  for (const b of blocks) n += b.payload.length;
  return n;
}

/** Encodes `sets` with immediate acknowledgment and records the decoder stream bytes after each section. */
function recordFeedback(sets: readonly FieldSection[]): Array<Uint8Array | null> {
  const enc = new QpackEncoder({ maxTableCapacity: TABLE, maxBlockedStreams: BLOCKED });
  const dec = new QpackDecoder({ maxTableCapacity: TABLE, maxBlockedStreams: BLOCKED });
  const feedback: Array<Uint8Array | null> = [];
  for (let i = 0; i < sets.length; i++) {
    const section = enc.encodeFieldSection(i + 1, sets[i]!);
    const stream = enc.takeEncoderStreamBytes();
    if (stream !== null) dec.receiveEncoderStream(stream);
    dec.decodeFieldSection(i + 1, section);
    const fb = dec.takeDecoderStreamBytes();
    if (fb !== null) enc.receiveDecoderStream(fb);
    feedback.push(fb);
  }
  return feedback;
}

export async function run(options: BenchOptions): Promise<BenchRecord[]> {
  const root = vectorPath('qpack');
  if (root === undefined) return [];
  const inputs = FILES.map((f) => parseQif(readFileSync(join(root, 'qifs', `${f}.qif`), 'latin1')));
  const fieldCount = inputs.reduce((n, sets) => n + sets.reduce((m, s) => m + s.length, 0), 0);
  const feedback = inputs.map(recordFeedback);
  const encoded = inputs.map((sets) =>
    parseInteropBlocks(encodeInteropFile(sets, { table: TABLE, blocked: BLOCKED, ack: true })),
  );
  // The HPACK comparison rows are skipped (with a note) if hayate's HPACK layer fails on these fields.
  let hpackWires: Uint8Array[][] | undefined;
  try {
    hpackWires = inputs.map((sets) => {
      const e = new HpackEncoder();
      return sets.map((fields) => e.encode(fields).slice());
    });
  } catch (e) {
    console.error(`qpack bench: HPACK comparison skipped: ${String(e)}`);
  }
  const hpackEncode = {
    subject: 'hpack encode (hayate)',
    peer: true,
    fn: () => {
      for (const sets of inputs) {
        const e = new HpackEncoder();
        for (const fields of sets) sink += e.encode(fields).length;
      }
    },
  };
  const hpackDecode = {
    subject: 'hpack decode (hayate)',
    peer: true,
    fn: () => {
      for (const wires of hpackWires ?? []) {
        const d = new HpackDecoder();
        for (const wire of wires) {
          const list = d.decode(wire);
          for (let i = 0; i < list.length; i++) sink += list.name(i).length + list.value(i).length;
        }
      }
    },
  };

  const records = await runTinyCases(
    area,
    [
      {
        name: 'encode',
        opsPerCall: fieldCount,
        subjects: [
          {
            subject: 'hayate',
            peer: false,
            fn: () => {
              for (let f = 0; f < inputs.length; f++) {
                const sets = inputs[f]!;
                const fb = feedback[f]!;
                const e = new QpackEncoder({ maxTableCapacity: TABLE, maxBlockedStreams: BLOCKED });
                for (let i = 0; i < sets.length; i++) {
                  sink += e.encodeFieldSection(i + 1, sets[i]!).length;
                  sink += e.takeEncoderStreamBytes()?.length ?? 0;
                  const bytes = fb[i];
                  if (bytes !== null && bytes !== undefined) e.receiveDecoderStream(bytes);
                }
              }
            },
          },
          ...(hpackWires === undefined ? [] : [hpackEncode]),
        ],
      },
      {
        name: 'decode',
        opsPerCall: fieldCount,
        subjects: [
          {
            subject: 'hayate',
            peer: false,
            fn: () => {
              for (const blocks of encoded) {
                const d = new QpackDecoder({ maxTableCapacity: TABLE, maxBlockedStreams: BLOCKED });
                for (const b of blocks) {
                  if (b.streamId === 0) {
                    d.receiveEncoderStream(b.payload);
                    continue;
                  }
                  const list = d.decodeFieldSection(b.streamId, b.payload)!;
                  for (let i = 0; i < list.length; i++) sink += list.name(i).length + list.value(i).length;
                }
                sink += d.takeDecoderStreamBytes()?.length ?? 0;
              }
            },
          },
          ...(hpackWires === undefined ? [] : [hpackDecode]),
        ],
      },
    ],
    options,
  );

  // Sizes: hayate vs ls-qpack for every setting the vectors use (table 0 is identical by construction).
  for (const table of [256, 512, 4096]) {
    for (const blocked of [0, 100]) {
      for (const ack of [0, 1]) {
        let hayate = 0;
        let lsqpack = 0;
        for (let f = 0; f < FILES.length; f++) {
          hayate += payloadBytes(
            parseInteropBlocks(encodeInteropFile(inputs[f]!, { table, blocked, ack: ack === 1 })),
          );
          const ls = join(
            root,
            'encoded',
            'qpack-05',
            'ls-qpack',
            `${FILES[f]!}.out.${table}.${blocked}.${ack}`,
          );
          lsqpack += payloadBytes(parseInteropBlocks(readFileSync(ls)));
        }
        const names = [`size-${table}-${blocked}-${ack}`];
        if (table === 4096 && blocked === 100 && ack === 1) names.push('size-4096-100');
        for (const name of names) {
          records.push({ bench: `${area}/${name}`, subject: 'hayate', peer: false, bytes: hayate });
          records.push({ bench: `${area}/${name}`, subject: 'ls-qpack', peer: true, bytes: lsqpack });
        }
      }
    }
  }
  if (sink === -1) console.log(sink);
  return records;
}
