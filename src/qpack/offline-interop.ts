/**
 * The QPACK Offline Interop framing (qpackers/qifs): a sequence of blocks
 * `stream id (u64 BE) | length (u32 BE) | payload`. Stream 0 carries the encoder stream; any other id
 * carries one complete field section. Also the harness that runs hayate's encoder or decoder over it.
 */
import { ByteBuffer } from '../common/bytes.js';
import { UsageError } from '../common/errors.js';
import type { QpackEncoder } from './encoder.js';
import { QpackEncoder as Encoder } from './encoder.js';
import { qpackError } from './errors.js';
import type { HeaderList } from './header-list.js';
import { QpackDecoder } from './decoder.js';
import type { FieldSection } from './qif.js';

/** One block of an offline interop file. */
export interface InteropBlock {
  readonly streamId: number;
  // Lifetime: a view into the file bytes passed to parseInteropBlocks.
  readonly payload: Uint8Array;
}

/** Splits an offline interop file into blocks. A truncated block is a {@link UsageError}. */
export function parseInteropBlocks(bytes: Uint8Array): InteropBlock[] {
  const blocks: InteropBlock[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 12) {
      throw new UsageError(
        'ERR_QPACK_INTEROP_TRUNCATED',
        `interop file: truncated block header at offset ${pos}`,
      );
    }
    const streamId = view.getUint32(pos) * 0x100000000 + view.getUint32(pos + 4);
    const length = view.getUint32(pos + 8);
    pos += 12;
    if (length > bytes.length - pos) {
      throw new UsageError(
        'ERR_QPACK_INTEROP_TRUNCATED',
        `interop file: block of ${length} bytes at offset ${pos - 12} runs past the end`,
      );
    }
    blocks.push({ streamId, payload: bytes.subarray(pos, pos + length) });
    pos += length;
  }
  return blocks;
}

/** Appends one block to `out`. */
export function writeInteropBlock(out: ByteBuffer, streamId: number, payload: Uint8Array): void {
  out.ensure(12 + payload.length);
  const view = new DataView(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength);
  view.setUint32(out.length, Math.floor(streamId / 0x100000000));
  view.setUint32(out.length + 4, streamId >>> 0);
  view.setUint32(out.length + 8, payload.length);
  out.bytes.set(payload, out.length + 12);
  out.length += 12 + payload.length;
}

/** Settings of an interop run (the `.T.B.A` suffix of the file name). */
export interface InteropSettings {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY. */
  readonly table: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS. */
  readonly blocked: number;
  /** Encoder only: the decoder acknowledges every section at once (1) or never (0). */
  readonly ack?: boolean;
  /** Decoder only: start with capacity 0 as RFC 9204 §3.2.3 says, instead of `table` (the files' convention). */
  readonly strict?: boolean;
}

/** Decoded sections of an interop file, sorted by stream id. */
export interface InteropDecoded {
  readonly streamId: number;
  readonly headers: HeaderList;
}

/**
 * Decodes an offline interop file: encoder stream blocks feed the decoder, other blocks are field
 * sections (blocked ones complete later). Throws the decoder's QpackError on bad input, and
 * QPACK_DECOMPRESSION_FAILED when a section is still blocked at the end of the file.
 */
export function decodeInteropFile(bytes: Uint8Array, settings: InteropSettings): InteropDecoded[] {
  const decoder = new QpackDecoder(
    {
      maxTableCapacity: settings.table,
      maxBlockedStreams: settings.blocked,
      maxFieldSectionSize: Infinity,
      maxBlockedBytes: Infinity,
      maxStringLength: Infinity,
    },
    { initialTableCapacity: settings.strict === true ? 0 : settings.table },
  );
  const out: InteropDecoded[] = [];
  for (const block of parseInteropBlocks(bytes)) {
    if (block.streamId === 0) {
      decoder.receiveEncoderStream(block.payload);
    } else {
      const headers = decoder.decodeFieldSection(block.streamId, block.payload);
      if (headers !== null) out.push({ streamId: block.streamId, headers });
    }
    for (const u of decoder.takeUnblocked()) out.push(u);
  }
  if (decoder.hasPartialInstruction) {
    throw qpackError('ERR_QPACK_ENCODER_STREAM_MALFORMED', 'encoder stream ends inside an instruction', 0);
  }
  if (decoder.blockedStreamCount > 0) {
    throw qpackError(
      'ERR_QPACK_TRUNCATED',
      `${decoder.blockedStreamCount} field section(s) still blocked at the end of the input`,
    );
  }
  out.sort((a, b) => a.streamId - b.streamId);
  return out;
}

/**
 * Encodes field sections as an offline interop file, stream ids 1..N. With `ack`, a hayate decoder
 * plays the peer and its decoder stream is fed back after every section (immediate acknowledgment).
 */
export function encodeInteropFile(
  sets: readonly FieldSection[],
  settings: InteropSettings,
  encoder: QpackEncoder = new Encoder({
    maxTableCapacity: settings.table,
    maxBlockedStreams: settings.blocked,
  }),
): Uint8Array {
  const out = new ByteBuffer(4096);
  const peer =
    settings.ack === true
      ? new QpackDecoder(
          {
            maxTableCapacity: settings.table,
            maxBlockedStreams: settings.blocked,
            maxFieldSectionSize: Infinity,
            maxBlockedBytes: Infinity,
            maxStringLength: Infinity,
          },
          { initialTableCapacity: 0 },
        )
      : undefined;
  for (let i = 0; i < sets.length; i++) {
    const streamId = i + 1;
    const section = encoder.encodeFieldSection(streamId, sets[i]!);
    const stream = encoder.takeEncoderStreamBytes();
    if (stream !== null) writeInteropBlock(out, 0, stream);
    writeInteropBlock(out, streamId, section);
    if (peer !== undefined) {
      if (stream !== null) peer.receiveEncoderStream(stream);
      peer.decodeFieldSection(streamId, section);
      peer.takeUnblocked();
      const feedback = peer.takeDecoderStreamBytes();
      if (feedback !== null) encoder.receiveDecoderStream(feedback);
    }
  }
  return out.bytes.slice(0, out.length);
}
