/**
 * The compact lcluster index (COMPRESSED_COMPACT) of a compressed file: one
 * entry per logical cluster, bit-packed into 4B packs (2 entries, 16 bits
 * each) and 2B packs (16 entries, 14 bits each), each pack closed by a le32
 * base block address from which readers derive every HEAD's block. The
 * region split (4B packs up to a 32-byte boundary, then 2B packs, then 4B
 * packs) and the base arithmetic follow erofs-format.md §13.5.
 *
 * @module
 */
import {
  D0_CBLKCNT,
  LCLUSTER_HEAD1,
  LCLUSTER_NONHEAD,
  LCLUSTER_PLAIN,
  MAP_HEADER_SIZE,
} from "../format.ts";
import type { Extent } from "./types.ts";

/** Low bits of an entry value (lclusterbits ≤ 12 for every block size we write). */
const LO_BITS = 12;
/** Largest `delta0`/`delta1` an entry can hold (bit 11 is the CBLKCNT flag). */
const MAX_DELTA = 0x7ff;

interface Pack {
  /** First lcluster of the pack. */
  readonly first: number;
  /** Lclusters it holds (2 or 16). */
  readonly count: number;
  /** Bits per entry (16 or 14). */
  readonly bits: number;
  /** Byte offset in the index array. */
  readonly offset: number;
  /** Bytes (8 or 32). */
  readonly bytes: number;
}

/**
 * The packs of a file of `lclusters` lclusters whose inode core plus xattr
 * area is `headSize` bytes (inodes are 32-aligned, so that fixes where the
 * index starts modulo 32, which decides the region split).
 */
function packsOf(lclusters: number, headSize: number, twoB: boolean): Pack[] {
  const start = Math.ceil(headSize / 8) * 8 + MAP_HEADER_SIZE;
  let initial = ((32 - (start % 32)) / 4) % 8;
  if (initial > lclusters) initial = lclusters;
  const middle = twoB && initial < lclusters ? Math.floor((lclusters - initial) / 16) * 16 : 0;
  const packs: Pack[] = [];
  let offset = 0;
  let lcn = 0;
  const add = (count: number, bits: number, bytes: number, end: number) => {
    while (lcn < end) {
      packs.push({ first: lcn, count, bits, offset, bytes });
      offset += bytes;
      lcn += count;
    }
  };
  add(2, 16, 8, initial);
  lcn = initial;
  add(16, 14, 32, initial + middle);
  lcn = initial + middle;
  add(2, 16, 8, lclusters);
  return packs;
}

/**
 * Bytes of the compact index of a file of `size` bytes.
 *
 * @example
 * ```ts
 * import { compactIndexBytes } from "./compact_index.ts";
 * console.log(compactIndexBytes(30000, 4096, 32, true)); // 32: four 4B packs
 * ```
 */
export function compactIndexBytes(
  size: number,
  blockSize: number,
  headSize: number,
  twoB: boolean,
): number {
  const packs = packsOf(Math.ceil(size / blockSize), headSize, twoB);
  const last = packs[packs.length - 1];
  return last ? last.offset + last.bytes : 0;
}

/** Where the compact index starts relative to the inode (after core, xattrs, map header). */
export function indexStart(headSize: number): number {
  return Math.ceil(headSize / 8) * 8 + MAP_HEADER_SIZE;
}

/**
 * Encodes the compact index of a file into `out` at `at` (zeroed bytes, as
 * many as {@link compactIndexBytes} says). `startBlock` is the first block of
 * its pclusters; `big` is whether the map header announces big pclusters
 * (then every HEAD followed by a NONHEAD carries its block count there).
 *
 * @example
 * ```ts
 * import { compactIndexBytes, encodeCompactIndex } from "./compact_index.ts";
 * const extents = [{ start: 0, plain: false, blocks: 1, inline: false }];
 * const out = new Uint8Array(compactIndexBytes(9000, 4096, 32, true));
 * encodeCompactIndex(out, 0, { size: 9000, blockSize: 4096, headSize: 32, twoB: true, big: false, startBlock: 5, extents });
 * ```
 */
export function encodeCompactIndex(
  out: Uint8Array,
  at: number,
  file: {
    size: number;
    blockSize: number;
    headSize: number;
    twoB: boolean;
    big: boolean;
    startBlock: number;
    extents: readonly Extent[];
  },
): void {
  const { size, blockSize, extents, big } = file;
  const lclusters = Math.ceil(size / blockSize);
  const types = new Uint8Array(lclusters).fill(LCLUSTER_NONHEAD);
  const lows = new Uint16Array(lclusters);
  /** Extent whose HEAD is at each lcluster, or -1. */
  const extentAt = new Int32Array(lclusters).fill(-1);
  for (let k = 0; k < extents.length; k++) {
    const lcn = Math.floor(extents[k].start / blockSize);
    types[lcn] = extents[k].plain ? LCLUSTER_PLAIN : LCLUSTER_HEAD1;
    lows[lcn] = extents[k].start % blockSize;
    extentAt[lcn] = k;
  }
  // EOF marker: the last lcluster gets a PLAIN entry at EOF when no extent
  // starts in it, so readers know where the last extent ends.
  if (size % blockSize !== 0 && extentAt[lclusters - 1] < 0) {
    types[lclusters - 1] = LCLUSTER_PLAIN;
    lows[lclusters - 1] = size % blockSize;
  }
  // NONHEAD entries: delta0 back to the HEAD, delta1 forward to the next
  // HEAD/PLAIN entry (or past the end).
  const delta1 = new Uint16Array(lclusters);
  let next = lclusters;
  for (let lcn = lclusters - 1; lcn >= 0; lcn--) {
    if (types[lcn] !== LCLUSTER_NONHEAD) next = lcn;
    else delta1[lcn] = Math.min(next - lcn, MAX_DELTA);
  }
  const cblkcnt = new Uint8Array(lclusters);
  let head = 0;
  for (let lcn = 0; lcn < lclusters; lcn++) {
    if (types[lcn] !== LCLUSTER_NONHEAD) {
      head = lcn;
      continue;
    }
    const delta0 = lcn - head;
    if (delta0 === 1 && big && extentAt[head] >= 0) {
      // A big pcluster's size lives in the first NONHEAD after its HEAD
      // (readers require it there whenever big pclusters are announced).
      const extent = extents[extentAt[head]];
      lows[lcn] = D0_CBLKCNT | Math.max(1, extent.blocks);
      cblkcnt[lcn] = 1;
    } else {
      lows[lcn] = Math.min(delta0, MAX_DELTA);
    }
  }

  // Block arithmetic: pclusters are contiguous from startBlock, in order.
  const blockOf = new Float64Array(extents.length);
  let running = file.startBlock;
  for (let k = 0; k < extents.length; k++) {
    blockOf[k] = running;
    running += extents[k].blocks;
  }
  const end = running;
  /** The lcluster where extent k is "counted" by readers: its CBLKCNT entry, else its HEAD. */
  const markerOf = (k: number): number => {
    const lcn = Math.floor(extents[k].start / blockSize);
    return big && lcn + 1 < lclusters && cblkcnt[lcn + 1] ? lcn + 1 : lcn;
  };

  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let k = 0; // first extent whose marker (big) or HEAD (not big) is at or after the pack
  for (const pack of packsOf(lclusters, file.headSize, file.twoB)) {
    const base = at + pack.offset;
    for (let i = 0; i < pack.count && pack.first + i < lclusters; i++) {
      const lcn = pack.first + i;
      let low = lows[lcn];
      // The last NONHEAD of a pack stores delta1; readers derive its delta0
      // from the entry before it.
      if (i === pack.count - 1 && types[lcn] === LCLUSTER_NONHEAD && !cblkcnt[lcn]) {
        low = delta1[lcn];
      }
      const value = (types[lcn] << LO_BITS) | low;
      writeBits(out, base, i * pack.bits, value);
    }
    while (k < extents.length && (big ? markerOf(k) : extentHead(k)) < pack.first) k++;
    const first = k < extents.length ? blockOf[k] : end;
    view.setUint32(base + pack.bytes - 4, big ? first : Math.max(0, first - 1), true);
  }

  function extentHead(index: number): number {
    return Math.floor(extents[index].start / blockSize);
  }
}

/** ORs `value` into `out` at bit `bit` from `base`, little-endian bit order. */
function writeBits(out: Uint8Array, base: number, bit: number, value: number): void {
  let at = base + (bit >> 3);
  let v = value << (bit & 7);
  while (v !== 0) {
    out[at++] |= v & 0xff;
    v >>>= 8;
  }
}
