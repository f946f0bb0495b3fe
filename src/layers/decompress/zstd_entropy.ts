/**
 * zstd's entropy tables (RFC 8878 §4.1 and §4.2): reading FSE table
 * descriptions and Huffman tree descriptions from a block, and building the
 * decoding tables the block decoder indexes by state or by peeked bits.
 *
 * Tables are flat typed arrays so the hot loops in `zstd_block.ts` do one
 * indexed load per lookup:
 *
 * - a sequence table ({@link SeqTable}) has four `Int32` per state: the next
 *   state's base, how many bits to add to it, the symbol's baseline value
 *   and how many extra bits the value has;
 * - a Huffman table ({@link HuffmanTable}) has one `Uint16` per
 *   `maxBits`-bit prefix: symbol in the low byte, code length above.
 *
 * Malformed descriptions throw `Error`s that the caller turns into a
 * `DecompressError` carrying the input offset.
 *
 * @module
 */

/**
 * An FSE decoding table for sequences, with its accuracy log.
 *
 * @example
 * ```ts
 * import { rleSeqTable, type SeqTable } from "./zstd_entropy.ts";
 * const table: SeqTable = rleSeqTable(0, [3], [0]); // always symbol 0, value 3
 * ```
 */
export interface SeqTable {
  readonly log: number;
  /** Per state: next-state base, state bits, value baseline, value bits. */
  readonly cells: Int32Array;
}

/**
 * A Huffman decoding table for literals.
 *
 * @example
 * ```ts
 * import { type HuffmanTable, readHuffmanTable } from "./zstd_entropy.ts";
 * // Two symbols of weight 1 (the second implied): 1-bit codes.
 * const table: HuffmanTable = readHuffmanTable(Uint8Array.of(128, 0x10), 0, 2).table;
 * table.maxBits; // 1
 * ```
 */
export interface HuffmanTable {
  /** Bits peeked per lookup: the longest code length. */
  readonly maxBits: number;
  /** Per `maxBits`-bit prefix: `symbol | codeLength << 8`. */
  readonly cells: Uint16Array;
}

/** A forward little-endian bit reader, for table descriptions. */
class ForwardBits {
  #bytes: Uint8Array;
  #start: number;
  #end: number;
  /** Bit position from `#start`. */
  position = 0;
  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }
  /** The next `n` (≤ 24) bits without consuming them; zeros past the end. */
  peek(n: number): number {
    const byte = this.#start + (this.position >>> 3);
    let value = 0;
    for (let i = 3; i >= 0; i--) {
      value = value << 8 | (byte + i < this.#end ? this.#bytes[byte + i]! : 0);
    }
    return (value >>> (this.position & 7)) & ((1 << n) - 1);
  }
  /** Bytes used, counting a partly used last byte. */
  get bytesUsed(): number {
    return (this.position + 7) >>> 3;
  }
}

/**
 * Reads an FSE table description (normalized counts, RFC 8878 §4.1.1) at
 * `bytes[start]`. Returns the counts (`-1` for "less than 1"), the accuracy
 * log and the bytes used.
 *
 * @example
 * ```ts
 * import { readNormalizedCounts } from "./zstd_entropy.ts";
 * // Accuracy log 5; symbols 0 and 1 with 16 of the 32 states each.
 * const { counts, log, size } = readNormalizedCounts(Uint8Array.of(0x10, 0x3f), 0, 2, 35, 9);
 * [counts[0], counts[1], log, size]; // [16, 16, 5, 2]
 * ```
 */
export function readNormalizedCounts(
  bytes: Uint8Array,
  start: number,
  end: number,
  maxSymbol: number,
  maxLog: number,
): { counts: Int16Array; log: number; size: number } {
  const bits = new ForwardBits(bytes, start, end);
  const log = bits.peek(4) + 5;
  bits.position += 4;
  if (log > maxLog) throw new Error(`FSE accuracy log ${log} exceeds ${maxLog}`);
  const counts = new Int16Array(maxSymbol + 1);
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let width = log + 1;
  let symbol = 0;
  let previousZero = false;
  while (remaining > 1) {
    if (previousZero) {
      // Runs of zero counts: 2-bit repeat codes, 3 meaning "3 more, go on".
      for (;;) {
        const repeat = bits.peek(2);
        bits.position += 2;
        symbol += repeat;
        if (repeat !== 3) break;
      }
      if (symbol > maxSymbol) throw new Error("FSE table has too many symbols");
    }
    if (symbol > maxSymbol) throw new Error("FSE table has too many symbols");
    const max = 2 * threshold - 1 - remaining;
    let count: number;
    const low = bits.peek(width - 1);
    if (low < max) {
      count = low;
      bits.position += width - 1;
    } else {
      count = bits.peek(width);
      if (count >= threshold) count -= max;
      bits.position += width;
    }
    count--; // the coded value is count + 1, so that -1 fits
    remaining -= count < 0 ? -count : count;
    counts[symbol++] = count;
    previousZero = count === 0;
    if (remaining < threshold) {
      if (remaining <= 1) break;
      width = 32 - Math.clz32(remaining); // highest bit, plus one
      threshold = 1 << (width - 1);
    }
  }
  if (remaining !== 1) throw new Error("FSE counts do not add up");
  if (bits.bytesUsed > end - start) throw new Error("FSE table description overruns its block");
  return { counts, log, size: bits.bytesUsed };
}

/**
 * Spreads normalized `counts` over a table of `1 << log` states (RFC 8878
 * §4.1.1 "FSE table construction"): returns each state's symbol, state bits
 * and next-state base, as parallel arrays.
 *
 * @example
 * ```ts
 * import { buildFse } from "./zstd_entropy.ts";
 * const { symbols, bits } = buildFse(Int16Array.of(16, 16), 5);
 * symbols.length; // 32
 * bits[0]; // 1: each symbol has 16 states, so a state carries 1 bit
 * ```
 */
export function buildFse(
  counts: Int16Array,
  log: number,
): { symbols: Uint8Array; bits: Uint8Array; bases: Uint16Array } {
  const size = 1 << log;
  const symbols = new Uint8Array(size);
  const next = new Uint16Array(counts.length);
  let high = size - 1;
  for (let s = 0; s < counts.length; s++) {
    if (counts[s] === -1) {
      symbols[high--] = s;
      next[s] = 1;
    } else {
      next[s] = counts[s]!;
    }
  }
  const step = (size >>> 1) + (size >>> 3) + 3;
  const mask = size - 1;
  let position = 0;
  for (let s = 0; s < counts.length; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      symbols[position] = s;
      do position = (position + step) & mask; while (position > high);
    }
  }
  if (position !== 0) throw new Error("FSE counts do not fill the table");
  const bits = new Uint8Array(size);
  const bases = new Uint16Array(size);
  for (let u = 0; u < size; u++) {
    const s = symbols[u]!;
    const state = next[s]++;
    const width = log - (31 - Math.clz32(state));
    bits[u] = width;
    bases[u] = (state << width) - size;
  }
  return { symbols, bits, bases };
}

/**
 * A sequence table from normalized counts, with each symbol's value
 * baseline and extra bits looked up once here instead of per sequence.
 *
 * @example
 * ```ts
 * import { buildSeqTable } from "./zstd_entropy.ts";
 * const table = buildSeqTable(Int16Array.of(16, 16), 5, [0, 1], [0, 0]);
 * table.cells.length; // 128: four numbers for each of 32 states
 * ```
 */
export function buildSeqTable(
  counts: Int16Array,
  log: number,
  baselines: ArrayLike<number>,
  extraBits: ArrayLike<number>,
): SeqTable {
  const { symbols, bits, bases } = buildFse(counts, log);
  const cells = new Int32Array(4 << log);
  for (let u = 0; u < 1 << log; u++) {
    const s = symbols[u]!;
    cells[4 * u] = bases[u]!;
    cells[4 * u + 1] = bits[u]!;
    cells[4 * u + 2] = baselines[s]!;
    cells[4 * u + 3] = extraBits[s]!;
  }
  return { log, cells };
}

/**
 * A one-state table that always decodes `symbol` (RLE mode).
 *
 * @example
 * ```ts
 * import { rleSeqTable } from "./zstd_entropy.ts";
 * rleSeqTable(3, [0, 1, 2, 3], [0, 0, 0, 0]).cells; // Int32Array [0, 0, 3, 0]
 * ```
 */
export function rleSeqTable(
  symbol: number,
  baselines: ArrayLike<number>,
  extraBits: ArrayLike<number>,
): SeqTable {
  return { log: 0, cells: Int32Array.of(0, 0, baselines[symbol]!, extraBits[symbol]!) };
}

/**
 * Decodes FSE-compressed Huffman weights (RFC 8878 §4.2.1.2): two states
 * interleaved over one backward bitstream, until it runs out.
 */
function readFseWeights(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const { counts, log, size } = readNormalizedCounts(bytes, start, end, 255, 6);
  const { symbols, bits, bases } = buildFse(counts, log);
  const from = start + size;
  if (from >= end) throw new Error("Huffman weights: empty bitstream");
  const last = bytes[end - 1]!;
  if (last === 0) throw new Error("Huffman weights: bitstream lacks its end mark");
  // Bits are read from the end; `available` counts those not yet read.
  const total = (end - from) * 8 - (Math.clz32(last) - 24) - 1;
  let consumed = 0;
  const read = (n: number): number => {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const bit = total - 1 - consumed++;
      value = value << 1 | (bit < 0 ? 0 : (bytes[from + (bit >>> 3)]! >>> (bit & 7)) & 1);
    }
    return value;
  };
  let state1 = read(log);
  let state2 = read(log);
  const weights: number[] = [];
  for (;;) {
    weights.push(symbols[state1]!);
    state1 = bases[state1]! + read(bits[state1]!);
    if (consumed > total) {
      weights.push(symbols[state2]!);
      break;
    }
    weights.push(symbols[state2]!);
    state2 = bases[state2]! + read(bits[state2]!);
    if (consumed > total) {
      weights.push(symbols[state1]!);
      break;
    }
    if (weights.length > 255) throw new Error("Huffman weights: too many");
  }
  if (weights.length > 255) throw new Error("Huffman weights: too many");
  return Uint8Array.from(weights);
}

/**
 * Reads a Huffman tree description (RFC 8878 §4.2.1) at `bytes[start]` and
 * builds its decoding table. Returns the table and the bytes used.
 *
 * @example
 * ```ts
 * import { readHuffmanTable } from "./zstd_entropy.ts";
 * // One weight given directly (128 = 127 + 1 weights), 1 for symbol 0.
 * const { table, size } = readHuffmanTable(Uint8Array.of(128, 0x10), 0, 2);
 * [table.maxBits, size]; // [1, 2]
 * ```
 */
export function readHuffmanTable(
  bytes: Uint8Array,
  start: number,
  end: number,
): { table: HuffmanTable; size: number } {
  if (start >= end) throw new Error("Huffman tree description missing");
  const header = bytes[start]!;
  let weights: Uint8Array;
  let size: number;
  if (header < 128) {
    size = 1 + header;
    if (start + size > end) throw new Error("Huffman tree description overruns its block");
    weights = readFseWeights(bytes, start + 1, start + size);
  } else {
    const count = header - 127;
    size = 1 + ((count + 1) >>> 1);
    if (start + size > end) throw new Error("Huffman tree description overruns its block");
    weights = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const byte = bytes[start + 1 + (i >>> 1)]!;
      weights[i] = i & 1 ? byte & 15 : byte >>> 4;
    }
  }
  return { table: huffmanTable(weights), size };
}

/** The decoding table for `weights`, the last symbol's weight implied. */
function huffmanTable(weights: Uint8Array): HuffmanTable {
  let sum = 0;
  for (const w of weights) {
    if (w > 11) throw new Error("Huffman weight exceeds 11");
    if (w > 0) sum += 1 << (w - 1);
  }
  if (sum === 0) throw new Error("Huffman weights are all zero");
  const maxBits = 32 - Math.clz32(sum); // highest bit of sum, plus one
  if (maxBits > 11) throw new Error("Huffman codes longer than 11 bits");
  const leftover = (1 << maxBits) - sum;
  if ((leftover & (leftover - 1)) !== 0) throw new Error("Huffman weights do not complete a tree");
  const all = new Uint8Array(weights.length + 1);
  all.set(weights);
  all[weights.length] = 32 - Math.clz32(leftover); // log2(leftover) + 1
  // Codes of one weight occupy consecutive table ranges, lightest first,
  // symbols in order within a weight (RFC 8878 §4.2.1.3).
  const rankStart = new Uint32Array(13);
  for (const w of all) if (w > 0) rankStart[w] += 1 << (w - 1);
  let next = 0;
  for (let w = 1; w <= maxBits; w++) {
    const count = rankStart[w]!;
    rankStart[w] = next;
    next += count;
  }
  const cells = new Uint16Array(1 << maxBits);
  for (let s = 0; s < all.length; s++) {
    const w = all[s]!;
    if (w === 0) continue;
    const length = 1 << (w - 1);
    const cell = s | (maxBits + 1 - w) << 8;
    cells.fill(cell, rankStart[w]!, rankStart[w]! + length);
    rankStart[w]! += length;
  }
  return { maxBits, cells };
}
