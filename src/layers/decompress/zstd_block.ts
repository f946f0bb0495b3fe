/**
 * Decodes one compressed zstd block (RFC 8878 §3.1.1.3): its literals
 * section (raw, RLE or Huffman-coded in 1 or 4 streams) and its sequences
 * section, executing each sequence — copy literals, then copy a match from
 * earlier output — straight into the caller's window buffer as it is
 * decoded, so no sequence list is ever stored.
 *
 * Backward bitstreams are read through a 32-bit accumulator refilled a byte
 * at a time from the end; all of it lives in locals of the hot loops (V8
 * keeps those in registers). Bits "read" before a stream's first byte are
 * zeros and still counted, so over-reading shows up in the final check that
 * each stream was consumed exactly, as zstd requires.
 *
 * Corrupt input throws `Error`s; the frame decoder adds the input offset.
 *
 * @module
 */
import {
  buildSeqTable,
  type HuffmanTable,
  readHuffmanTable,
  readNormalizedCounts,
  rleSeqTable,
  type SeqTable,
} from "./zstd_entropy.ts";

/**
 * Largest block output and literals section, by the format.
 *
 * @example
 * ```ts
 * import { MAX_BLOCK_SIZE } from "./zstd_block.ts";
 * const literals = new Uint8Array(MAX_BLOCK_SIZE); // always big enough
 * ```
 */
export const MAX_BLOCK_SIZE = 128 * 1024;

/**
 * Room an output buffer needs past the end of any block: copies may write
 * a few bytes beyond what they produce.
 *
 * @example
 * ```ts
 * import { MAX_BLOCK_SIZE, OUT_PADDING } from "./zstd_block.ts";
 * const out = new Uint8Array((8 << 20) + MAX_BLOCK_SIZE + OUT_PADDING);
 * ```
 */
export const OUT_PADDING = 8;

const LL_BASE = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
  18,
  20,
  22,
  24,
  28,
  32,
  40,
  48,
  64,
  128,
  256,
  512,
  1024,
  2048,
  4096,
  8192,
  16384,
  32768,
  65536,
];
const LL_BITS = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
];
const ML_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
  17,
  18,
  19,
  20,
  21,
  22,
  23,
  24,
  25,
  26,
  27,
  28,
  29,
  30,
  31,
  32,
  33,
  34,
  35,
  37,
  39,
  41,
  43,
  47,
  51,
  59,
  67,
  83,
  99,
  131,
  259,
  515,
  1027,
  2051,
  4099,
  8195,
  16387,
  32771,
  65539,
];
const ML_BITS = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
];
/** Offset codes: value = 2^code + `code` extra bits. Code 31 would pass 2^31. */
const OF_BITS = Array.from({ length: 31 }, (_, code) => code);
const OF_BASE = OF_BITS.map((code) => 2 ** code);

const LL_DEFAULT = [
  4,
  3,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  2,
  3,
  2,
  1,
  1,
  1,
  1,
  1,
  -1,
  -1,
  -1,
  -1,
];
const ML_DEFAULT = [
  1,
  4,
  3,
  2,
  2,
  2,
  2,
  2,
  2,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  -1,
  -1,
  -1,
  -1,
  -1,
  -1,
  -1,
];
const OF_DEFAULT = [
  1,
  1,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  -1,
  -1,
  -1,
  -1,
  -1,
];

interface SeqKind {
  readonly maxSymbol: number;
  readonly maxLog: number;
  readonly base: readonly number[];
  readonly bits: readonly number[];
  readonly defaults: readonly number[];
  readonly defaultLog: number;
  predefined?: SeqTable;
}

const LL: SeqKind = {
  maxSymbol: 35,
  maxLog: 9,
  base: LL_BASE,
  bits: LL_BITS,
  defaults: LL_DEFAULT,
  defaultLog: 6,
};
const OF: SeqKind = {
  maxSymbol: 30,
  maxLog: 8,
  base: OF_BASE,
  bits: OF_BITS,
  defaults: OF_DEFAULT,
  defaultLog: 5,
};
const ML: SeqKind = {
  maxSymbol: 52,
  maxLog: 9,
  base: ML_BASE,
  bits: ML_BITS,
  defaults: ML_DEFAULT,
  defaultLog: 6,
};

/**
 * What blocks of one frame carry over to the next: repeat offsets, the last
 * Huffman table ("treeless" literals reuse it) and the last sequence tables
 * ("repeat" mode reuses them). Reset at each frame.
 *
 * @example
 * ```ts
 * import { BlockState } from "./zstd_block.ts";
 * const state = new BlockState();
 * state.reset(); // at the start of every frame
 * ```
 */
export class BlockState {
  /** Repeat offsets 1, 2, 3. */
  readonly repeats = new Int32Array(3);
  huffman: HuffmanTable | undefined;
  ll: SeqTable | undefined;
  of: SeqTable | undefined;
  ml: SeqTable | undefined;
  /** Decoded literals of the current block. */
  readonly literals = new Uint8Array(MAX_BLOCK_SIZE);

  constructor() {
    this.reset();
  }

  /** The state at the start of a frame. */
  reset(): void {
    this.repeats[0] = 1;
    this.repeats[1] = 4;
    this.repeats[2] = 8;
    this.huffman =
      this.ll =
      this.of =
      this.ml =
        undefined;
  }
}

/** Where a block's literals are: a buffer and a range in it. */
let litBytes: Uint8Array = new Uint8Array(0);
let litStart = 0;
let litEnd = 0;

/**
 * Decodes the compressed block `src[start, end)` into `out` at `op` and
 * returns the new end of output. Matches may reach back to `historyStart`;
 * output may not pass `limit`.
 *
 * @example
 * ```ts
 * import { BlockState, decodeCompressedBlock } from "./zstd_block.ts";
 * const out = new Uint8Array(1 << 20);
 * const state = new BlockState();
 * // A block of 3 raw literals "abc" and no sequences:
 * const block = Uint8Array.of(0x18, 0x61, 0x62, 0x63, 0x00);
 * const end = decodeCompressedBlock(block, 0, block.length, state, out, 0, 0, 1 << 17);
 * new TextDecoder().decode(out.subarray(0, end)); // "abc"
 * ```
 */
export function decodeCompressedBlock(
  src: Uint8Array,
  start: number,
  end: number,
  state: BlockState,
  out: Uint8Array,
  op: number,
  historyStart: number,
  limit: number,
): number {
  const p = decodeLiterals(src, start, end, state);
  return decodeSequences(src, p, end, state, out, op, historyStart, limit);
}

/** Decodes the literals section; leaves them in `lit*`, returns its end. */
function decodeLiterals(src: Uint8Array, start: number, end: number, state: BlockState): number {
  if (start >= end) throw new Error("empty compressed block");
  const b0 = src[start]!;
  const type = b0 & 3;
  const format = (b0 >>> 2) & 3;
  if (type <= 1) {
    let regenerated: number, header: number;
    if (format === 1) {
      regenerated = (b0 >>> 4) | src[start + 1]! << 4;
      header = 2;
    } else if (format === 3) {
      regenerated = (b0 >>> 4) | src[start + 1]! << 4 | src[start + 2]! << 12;
      header = 3;
    } else {
      regenerated = b0 >>> 3;
      header = 1;
    }
    if (regenerated > MAX_BLOCK_SIZE) throw new Error("literals exceed the block size");
    const from = start + header;
    if (type === 0) {
      if (from + regenerated > end) throw new Error("raw literals overrun the block");
      litBytes = src, litStart = from, litEnd = from + regenerated;
      return from + regenerated;
    }
    if (from >= end) throw new Error("RLE literals overrun the block");
    state.literals.fill(src[from]!, 0, regenerated);
    litBytes = state.literals, litStart = 0, litEnd = regenerated;
    return from + 1;
  }
  let regenerated: number, compressed: number, header: number;
  if (format <= 1) {
    const h = b0 | src[start + 1]! << 8 | src[start + 2]! << 16;
    regenerated = (h >>> 4) & 0x3ff;
    compressed = (h >>> 14) & 0x3ff;
    header = 3;
  } else if (format === 2) {
    const h = (b0 | src[start + 1]! << 8 | src[start + 2]! << 16 | src[start + 3]! << 24) >>> 0;
    regenerated = (h >>> 4) & 0x3fff;
    compressed = h >>> 18;
    header = 4;
  } else {
    const h = (b0 | src[start + 1]! << 8 | src[start + 2]! << 16 | src[start + 3]! << 24) >>> 0;
    regenerated = (h >>> 4) & 0x3ffff;
    compressed = (h >>> 22) | src[start + 4]! << 10;
    header = 5;
  }
  if (regenerated > MAX_BLOCK_SIZE) throw new Error("literals exceed the block size");
  const from = start + header;
  const to = from + compressed;
  if (to > end) throw new Error("compressed literals overrun the block");
  let p = from;
  let table = state.huffman;
  if (type === 2) {
    const read = readHuffmanTable(src, p, to);
    table = state.huffman = read.table;
    p += read.size;
  } else if (!table) {
    throw new Error("treeless literals without an earlier Huffman table");
  }
  const lit = state.literals;
  if (format === 0) {
    huffmanStream(src, p, to, table, lit, 0, regenerated);
  } else {
    if (p + 6 > to) throw new Error("Huffman jump table overruns the literals");
    const s1 = src[p]! | src[p + 1]! << 8;
    const s2 = src[p + 2]! | src[p + 3]! << 8;
    const s3 = src[p + 4]! | src[p + 5]! << 8;
    const a = p + 6, b = a + s1, c = b + s2, d = c + s3;
    if (d >= to) throw new Error("Huffman streams overrun the literals");
    const segment = (regenerated + 3) >>> 2;
    const last = regenerated - 3 * segment;
    if (last < 0) throw new Error("too few literals for 4 streams");
    huffmanStream(src, a, b, table, lit, 0, segment);
    huffmanStream(src, b, c, table, lit, segment, segment);
    huffmanStream(src, c, d, table, lit, 2 * segment, segment);
    huffmanStream(src, d, to, table, lit, 3 * segment, last);
  }
  litBytes = lit, litStart = 0, litEnd = regenerated;
  return to;
}

/** Decodes `count` Huffman symbols from the backward stream `src[from, to)`. */
function huffmanStream(
  src: Uint8Array,
  from: number,
  to: number,
  table: HuffmanTable,
  out: Uint8Array,
  op: number,
  count: number,
): void {
  if (to <= from) throw new Error("empty Huffman stream");
  const lastByte = src[to - 1]!;
  if (lastByte === 0) throw new Error("Huffman stream lacks its end mark");
  const cells = table.cells;
  const maxBits = table.maxBits;
  const mask = (1 << maxBits) - 1;
  let pos = to - 1;
  let acc = lastByte;
  let bits = 31 - Math.clz32(lastByte); // the bits below the end mark
  const end = op + count;
  // Two symbols per refill: 25+ bits hold two codes of at most 11.
  for (const pairsEnd = end - 1; op < pairsEnd; op += 2) {
    if (bits <= 24) {
      if (pos >= from + 4) {
        do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
      } else {
        do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
          bits <= 24
        );
      }
    }
    const c1 = cells[(acc >>> (bits - maxBits)) & mask]!;
    bits -= c1 >>> 8;
    const c2 = cells[(acc >>> (bits - maxBits)) & mask]!;
    bits -= c2 >>> 8;
    out[op] = c1;
    out[op + 1] = c2;
  }
  if (op < end) {
    if (bits <= 24) {
      if (pos >= from + 4) {
        do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
      } else {
        do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
          bits <= 24
        );
      }
    }
    const c = cells[(acc >>> (bits - maxBits)) & mask]!;
    bits -= c >>> 8;
    out[op] = c;
  }
  if ((pos - from) * 8 + bits !== 0) throw new Error("Huffman stream not consumed exactly");
}

/** The table for one sequence symbol type in `mode`; returns it and the bytes used. */
function seqTable(
  kind: SeqKind,
  mode: number,
  previous: SeqTable | undefined,
  src: Uint8Array,
  p: number,
  end: number,
): [SeqTable, number] {
  switch (mode) {
    case 0:
      return [
        kind.predefined ??= buildSeqTable(
          Int16Array.from(kind.defaults),
          kind.defaultLog,
          kind.base,
          kind.bits,
        ),
        0,
      ];
    case 1: {
      if (p >= end) throw new Error("RLE sequence table overruns the block");
      const symbol = src[p]!;
      if (symbol > kind.maxSymbol) throw new Error("RLE sequence symbol out of range");
      return [rleSeqTable(symbol, kind.base, kind.bits), 1];
    }
    case 2: {
      const { counts, log, size } = readNormalizedCounts(src, p, end, kind.maxSymbol, kind.maxLog);
      return [buildSeqTable(counts, log, kind.base, kind.bits), size];
    }
    default:
      if (!previous) throw new Error("repeated sequence table without an earlier one");
      return [previous, 0];
  }
}

/** Decodes and executes the sequences section; returns the new output end. */
function decodeSequences(
  src: Uint8Array,
  start: number,
  end: number,
  state: BlockState,
  out: Uint8Array,
  op: number,
  historyStart: number,
  limit: number,
): number {
  const lit = litBytes;
  let lp = litStart;
  const litStop = litEnd;
  // Short copies go 4 bytes at a time through DataViews (V8 inlines their
  // unaligned accesses): twice as fast as bytewise loops, which took a third
  // of the sequence loop. They may write up to 3 bytes past the copy's end,
  // into output not yet produced (`out` has room: see OUT_PADDING).
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const litView = new DataView(lit.buffer, lit.byteOffset, lit.byteLength);
  const litFastEnd = lit.length - 4;
  if (start >= end) throw new Error("missing sequences section");
  let p = start;
  const b0 = src[p++]!;
  let count: number;
  if (b0 < 128) count = b0;
  else if (b0 < 255) count = ((b0 - 128) << 8) + src[p++]!;
  else count = src[p]! + (src[p + 1]! << 8) + 0x7f00, p += 2;
  if (count === 0) {
    if (p !== end) throw new Error("bytes after an empty sequences section");
    return copyLiterals(lit, lp, litStop, out, op, limit);
  }
  if (p >= end) throw new Error("sequences section overruns the block");
  const modes = src[p++]!;
  if (modes & 3) throw new Error("reserved bits set in sequence modes");
  let used: number;
  [state.ll, used] = seqTable(LL, modes >>> 6, state.ll, src, p, end);
  p += used;
  [state.of, used] = seqTable(OF, (modes >>> 4) & 3, state.of, src, p, end);
  p += used;
  [state.ml, used] = seqTable(ML, (modes >>> 2) & 3, state.ml, src, p, end);
  p += used;
  if (p >= end) throw new Error("sequences bitstream missing");
  const lastByte = src[end - 1]!;
  if (lastByte === 0) throw new Error("sequences bitstream lacks its end mark");

  const llCells = state.ll.cells, ofCells = state.of.cells, mlCells = state.ml.cells;
  const from = p;
  let pos = end - 1;
  let acc = lastByte;
  let bits = 31 - Math.clz32(lastByte);
  const reps = state.repeats;
  let rep0 = reps[0]!, rep1 = reps[1]!, rep2 = reps[2]!;

  while (bits <= 24) {
    acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0));
    bits += 8;
  }
  let llState = (acc >>> (bits -= state.ll.log)) & ((1 << state.ll.log) - 1);
  let ofState = (acc >>> (bits -= state.of.log)) & ((1 << state.of.log) - 1);
  while (bits <= 24) {
    acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0));
    bits += 8;
  }
  let mlState = (acc >>> (bits -= state.ml.log)) & ((1 << state.ml.log) - 1);

  for (let i = count - 1; i >= 0; i--) {
    const ofCell = ofState << 2, mlCell = mlState << 2, llCell = llState << 2;
    // Offset value: its extra bits come first, and may be up to 30.
    const ofBits = ofCells[ofCell + 3]!;
    if (bits <= 24) {
      if (pos >= from + 4) {
        do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
      } else {
        do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
          bits <= 24
        );
      }
    }
    let offsetValue: number;
    if (ofBits <= 24) {
      offsetValue = ofCells[ofCell + 2]! + ((acc >>> (bits -= ofBits)) & ((1 << ofBits) - 1));
    } else {
      const high = ofBits - 16;
      offsetValue = ofCells[ofCell + 2]! + ((acc >>> (bits -= high)) & ((1 << high) - 1)) * 65536;
      if (bits <= 24) {
        if (pos >= from + 4) {
          do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
        } else {
          do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
            bits <= 24
          );
        }
      }
      offsetValue += (acc >>> (bits -= 16)) & 0xffff;
    }
    if (bits <= 24) {
      if (pos >= from + 4) {
        do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
      } else {
        do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
          bits <= 24
        );
      }
    }
    const mlBits = mlCells[mlCell + 3]!;
    const matchLength = mlCells[mlCell + 2]! + ((acc >>> (bits -= mlBits)) & ((1 << mlBits) - 1));
    if (bits <= 24) {
      if (pos >= from + 4) {
        do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
      } else {
        do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
          bits <= 24
        );
      }
    }
    const llBits = llCells[llCell + 3]!;
    const literalLength = llCells[llCell + 2]! +
      ((acc >>> (bits -= llBits)) & ((1 << llBits) - 1));
    if (i > 0) {
      // State updates (not after the last sequence): LL, ML, then OF.
      if (bits <= 24) {
        if (pos >= from + 4) {
          do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
        } else {
          do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
            bits <= 24
          );
        }
      }
      let n = llCells[llCell + 1]!;
      llState = llCells[llCell]! + ((acc >>> (bits -= n)) & ((1 << n) - 1));
      n = mlCells[mlCell + 1]!;
      mlState = mlCells[mlCell]! + ((acc >>> (bits -= n)) & ((1 << n) - 1));
      if (bits <= 24) {
        if (pos >= from + 4) {
          do acc = (acc << 8) | src[--pos]!, bits += 8; while (bits <= 24);
        } else {
          do acc = (acc << 8) | (pos > from ? src[--pos]! : (pos--, 0)), bits += 8; while (
            bits <= 24
          );
        }
      }
      n = ofCells[ofCell + 1]!;
      ofState = ofCells[ofCell]! + ((acc >>> (bits -= n)) & ((1 << n) - 1));
    }

    let offset: number;
    if (offsetValue > 3) {
      offset = offsetValue - 3;
      rep2 = rep1, rep1 = rep0, rep0 = offset;
    } else {
      // Repeat offsets; with no literals before the match they shift by one.
      const index = literalLength === 0 ? offsetValue : offsetValue - 1;
      if (index === 0) {
        offset = rep0;
      } else if (index === 1) {
        offset = rep1, rep1 = rep0, rep0 = offset;
      } else if (index === 2) {
        offset = rep2, rep2 = rep1, rep1 = rep0, rep0 = offset;
      } else {
        offset = rep0 - 1, rep2 = rep1, rep1 = rep0, rep0 = offset;
      }
    }

    if (op + literalLength + matchLength > limit) throw new Error("block output too large");
    if (literalLength > 0) {
      if (lp + literalLength > litStop) throw new Error("sequences use more literals than exist");
      if (literalLength <= 32 && lp + literalLength <= litFastEnd) {
        for (let k = 0; k < literalLength; k += 4) {
          outView.setUint32(op + k, litView.getUint32(lp + k));
        }
      } else if (literalLength <= 16) {
        for (let k = 0; k < literalLength; k++) out[op + k] = lit[lp + k]!;
      } else {
        out.set(lit.subarray(lp, lp + literalLength), op);
      }
      op += literalLength;
      lp += literalLength;
    }
    if (offset > op - historyStart || offset <= 0) throw new Error("match offset out of range");
    const ref = op - offset;
    if (matchLength <= 64 && offset >= 4) {
      // Overlap is fine: each 4 bytes read were written before (offset ≥ 4).
      for (let k = 0; k < matchLength; k += 4) {
        outView.setUint32(op + k, outView.getUint32(ref + k));
      }
    } else if (offset >= matchLength) {
      out.copyWithin(op, ref, ref + matchLength);
    } else if (matchLength <= 64) {
      for (let k = 0; k < matchLength; k++) out[op + k] = out[ref + k]!;
    } else {
      // Overlapping: the bytes from `ref` repeat with period `offset`, and
      // each copy doubles the run that later copies may read from.
      let done = 0;
      while (done < matchLength) {
        const n = Math.min(offset + done, matchLength - done);
        out.copyWithin(op + done, ref, ref + n);
        done += n;
      }
    }
    op += matchLength;
  }
  reps[0] = rep0, reps[1] = rep1, reps[2] = rep2;
  if ((pos - from) * 8 + bits !== 0) throw new Error("sequences bitstream not consumed exactly");
  return copyLiterals(lit, lp, litStop, out, op, limit);
}

/** Copies the literals left after the last sequence. */
function copyLiterals(
  lit: Uint8Array,
  lp: number,
  stop: number,
  out: Uint8Array,
  op: number,
  limit: number,
): number {
  const n = stop - lp;
  if (op + n > limit) throw new Error("block output too large");
  out.set(lit.subarray(lp, stop), op);
  return op + n;
}
