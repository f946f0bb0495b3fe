/**
 * The compact lcluster index, decoded the way Linux's `fs/erofs/zmap.c`
 * decodes it (region split, 4B/2B packs, the last entry of a pack holding
 * delta1, HEAD block numbers counted from each pack's base, CBLKCNT for big
 * pclusters): for many random extent layouts, every HEAD must resolve to
 * the block its pcluster was written to. Fast; the kernel tests in
 * compressed.test.ts are the final judge.
 */
import { describe, expect, it } from "vitest";
import {
  compactIndexBytes,
  encodeCompactIndex,
  indexStart,
} from "../../src/erofs/compress/compact_index.ts";
import type { Extent } from "../../src/erofs/compress/types.ts";
import { mulberry32 } from "../support/random.ts";

const NONHEAD = 2;
const CBLKCNT = 0x800;

/** An lcluster as the kernel reads it: type, low bits, and for HEADs the block. */
function loadLcluster(
  meta: Uint8Array,
  ebase: number,
  lclusters: number,
  lcn: number,
  twoB: boolean,
  big: boolean,
): { type: number; lo: number; pblk?: number } {
  let initial = (32 - (ebase % 32)) / 4;
  if (initial === 8) initial = 0;
  const c2b = twoB && initial < lclusters ? Math.floor((lclusters - initial) / 16) * 16 : 0;
  let pos = ebase;
  let shift: number;
  let rel = lcn;
  if (rel < initial) shift = 2;
  else {
    pos += initial * 4;
    rel -= initial;
    if (rel < c2b) shift = 1;
    else {
      pos += c2b * 2;
      rel -= c2b;
      shift = 2;
    }
  }
  pos += rel << shift;
  const vcnt = shift === 2 ? 2 : 16;
  const packBytes = vcnt << shift;
  const bits = ((packBytes - 4) * 8) / vcnt;
  const base = Math.floor(pos / packBytes) * packBytes;
  let i = (pos - base) >> shift;
  const decode = (bit: number) => {
    const at = base + (bit >> 3);
    const v = (meta[at] | (meta[at + 1] << 8) | (meta[at + 2] << 16) | (meta[at + 3] << 24)) >>>
      (bit & 7);
    return { lo: v & 0xfff, type: (v >>> 12) & 3 };
  };
  const { lo, type } = decode(bits * i);
  if (type === NONHEAD) return { type, lo };
  let nblk = big ? 0 : 1;
  while (i > 0) {
    --i;
    const entry = decode(bits * i);
    if (!big) {
      if (entry.type === NONHEAD) i -= entry.lo;
      if (i >= 0) ++nblk;
      continue;
    }
    if (entry.type === NONHEAD) {
      if (entry.lo & CBLKCNT) {
        --i;
        nblk += entry.lo & ~CBLKCNT;
        continue;
      }
      if (entry.lo <= 1) throw new Error(`plain delta0 ${entry.lo} with big pclusters at ${lcn}`);
      i -= entry.lo - 2;
      continue;
    }
    ++nblk;
  }
  const view = new DataView(meta.buffer);
  return { type, lo, pblk: view.getUint32(base + packBytes - 4, true) + nblk };
}

/** Random extents obeying the writer's rules (see file_compressor.ts). */
function randomExtents(random: () => number, size: number, maxBlocks: number): Extent[] {
  const B = 4096;
  const extents: Extent[] = [];
  let pos = 0;
  while (pos < size) {
    const rest = size - pos;
    if (random() < 0.3) {
      extents.push({ start: pos, plain: true, blocks: 1, inline: false });
      pos += Math.min(B, rest);
      continue;
    }
    const blocks = 1 + Math.floor(random() * maxBlocks);
    const consumed = Math.min(rest, blocks * B + 1 + Math.floor(random() * blocks * B * 3));
    if (consumed <= blocks * B && consumed < rest) continue;
    const inline = consumed === rest && random() < 0.3;
    extents.push({
      start: pos,
      plain: false,
      blocks: inline ? 0 : consumed <= blocks * B ? 1 : blocks,
      inline,
    });
    pos += consumed;
  }
  return extents;
}

describe("compact indexes decode as the kernel decodes them", () => {
  for (const [name, maxBlocks] of [["one-block pclusters", 1], ["big pclusters", 16]] as const) {
    it(name, () => {
      const random = mulberry32(maxBlocks);
      const B = 4096;
      for (let trial = 0; trial < 40; trial++) {
        const size = 1 + Math.floor(random() * 1_500_000);
        const extents = randomExtents(random, size, maxBlocks);
        const big = maxBlocks > 1;
        for (const headSize of [32, 44, 64, 96, 128]) {
          for (const twoB of [true, false]) {
            const ebase = indexStart(headSize);
            const meta = new Uint8Array(ebase + compactIndexBytes(size, B, headSize, twoB) + 8);
            encodeCompactIndex(meta, ebase, {
              size,
              blockSize: B,
              headSize,
              twoB,
              big,
              startBlock: 100,
              extents,
            });
            const lclusters = Math.ceil(size / B);
            let block = 100;
            for (const extent of extents) {
              const lcn = Math.floor(extent.start / B);
              const entry = loadLcluster(meta, ebase, lclusters, lcn, twoB, big);
              expect(entry.type).toBe(extent.plain ? 0 : 1);
              expect(entry.lo).toBe(extent.start % B);
              if (!extent.inline) expect(entry.pblk).toBe(block);
              block += extent.blocks;
            }
            // Every lcluster decodes (no bogus deltas), the EOF marker included.
            for (let lcn = 0; lcn < lclusters; lcn++) {
              loadLcluster(meta, ebase, lclusters, lcn, twoB, big);
            }
          }
        }
      }
    });
  }
});
