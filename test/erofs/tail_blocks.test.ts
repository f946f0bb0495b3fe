import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/erofs/options.ts";
import { carriesTail, planImage, type PlannedInode } from "../../src/erofs/plan.ts";
import { OPEN_TAIL_BLOCKS, TailBlockPacker } from "../../src/erofs/tail_blocks.ts";
import { bytesContent, metadata, Tree } from "../../src/tree/mod.ts";

/** A tree of `count` files whose sizes leave tails of every length. */
function manyTails(count: number): Tree {
  const tree = new Tree();
  let seed = 7;
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const size = 1 + (seed >>> 8) % 12000;
    tree.add(`d${i % 50}/f${i}`, {
      kind: "file",
      meta: metadata({ mode: 0o644 }),
      content: bytesContent(new Uint8Array(size).fill(i & 0xff)),
    });
  }
  return tree;
}

describe("TailBlockPacker", () => {
  it("fills the fullest open block with room and closes the fullest when none has room", () => {
    const packer = new TailBlockPacker(4096, 2);
    let cursor = 100;
    const next = () => cursor++;
    expect(packer.add(0, 3000, next)).toEqual([]); // block A: 3008 used
    expect(packer.add(1, 2000, next)).toEqual([]); // no room in A: block B, 2016 used
    expect(packer.add(2, 1000, next)).toEqual([]); // fits A: 4032 used
    // Fits neither: A, the fullest, is closed at the next block.
    expect(packer.add(3, 2500, next)).toEqual([
      { block: 100, records: [{ index: 0, at: 0 }, { index: 2, at: 3008 }] },
    ]);
    expect(packer.closeAll(next)).toEqual([
      { block: 101, records: [{ index: 1, at: 0 }] },
      { block: 102, records: [{ index: 3, at: 0 }] },
    ]);
  });
});

describe("plain image layout", () => {
  const plan = planImage(manyTails(3000), resolveOptions({ fixedTime: 0 }));

  it("writes each tail block after the data of every file it holds, holding few tails at once", () => {
    const streamed = new Set<PlannedInode>();
    let waiting = 0;
    let mostWaiting = 0;
    let tailBlocks = 0;
    for (const item of plan.stream!) {
      if (item.kind === "data") {
        streamed.add(item.node);
        if (carriesTail(item.node)) mostWaiting = Math.max(mostWaiting, ++waiting);
        continue;
      }
      tailBlocks++;
      for (const { index } of item.block.records) {
        expect(streamed.has(plan.inodes[index])).toBe(true);
        waiting--;
      }
    }
    expect(waiting).toBe(0);
    // At most the open blocks' worth of records (each at least two slots).
    expect(mostWaiting).toBeLessThanOrEqual(OPEN_TAIL_BLOCKS * (4096 / 64));
    // Packed nearly as tightly as the records allow.
    const recordBytes = plan.inodes.filter(carriesTail).reduce(
      (n, node) => n + Math.ceil((32 + node.tail) / 32) * 32,
      0,
    );
    expect(tailBlocks).toBeLessThanOrEqual(Math.ceil(recordBytes / 4096 * 1.05) + OPEN_TAIL_BLOCKS);
  });

  it("places every inode in a block of its own kind and every block once", () => {
    const owner = new Map<number, string>();
    const claim = (block: number, what: string) => {
      expect(owner.get(block) ?? what).toBe(what);
      owner.set(block, what);
    };
    for (let block = 0; block < plan.headBlocks; block++) claim(block, "head");
    for (const node of plan.inodes) {
      const block = Math.floor(node.offset / 4096);
      if (carriesTail(node)) {
        expect(block).toBeGreaterThanOrEqual(plan.headBlocks);
        claim(block, "tails");
        // The inode and its tail end within the block.
        expect(node.offset % 4096 + 32 + node.tail).toBeLessThanOrEqual(4096);
      } else expect(block).toBeLessThan(plan.headBlocks);
      for (let b = 0; b < node.dataBlocks; b++) claim(node.startBlock + b, "data");
    }
    expect(owner.size).toBe(plan.blocks);
    expect(plan.inodes[0].offset / 32).toBe(36);
  });
});
