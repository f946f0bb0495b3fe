/**
 * The kernel is the judge: seeded random trees (thousands of entries, every
 * file type, odd names, modes, ids, times and xattrs) are built at every
 * block size, mounted with `mount -t erofs -o loop`, and compared attribute
 * by attribute with the tree they came from. fsck.erofs checks each image
 * it can read (Debian's 1.5 reads only 4 KiB blocks, no long prefixes).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildErofs, type ErofsOptions } from "../../src/erofs/mod.ts";
import { writeImageFile } from "../../src/sink/file.ts";
import type { Tree } from "../../src/tree/mod.ts";
import { fsckImageIfSupported, withMountedImage } from "../support/mount.ts";
import { randomTree } from "../support/random-tree.ts";
import { expectSameTree, snapshotDirectory, snapshotTree } from "../support/snapshot.ts";
import { ensureCommands, TEST_COMMANDS } from "../support/system.ts";

let work = "";
beforeAll(async () => {
  await ensureCommands(TEST_COMMANDS);
  work = await mkdtemp(join("/var/tmp", "oci2erofs-kernel-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Builds, mounts, compares; returns which judge looked. */
async function roundTrip(name: string, tree: Tree, options: ErofsOptions = {}): Promise<string> {
  const path = join(work, `${name}.erofs`);
  await writeImageFile(await buildErofs(tree, options), path);
  await fsckImageIfSupported(path, {
    blockSize: options.blockSize ?? 4096,
    xattrPrefixes: options.xattrPrefixes,
  });
  const expected = await snapshotTree(tree);
  const { value: actual, judge } = await withMountedImage(path, (root) => snapshotDirectory(root));
  expectSameTree(expected, actual);
  await rm(path);
  return judge;
}

describe("random trees mounted by the kernel", () => {
  for (const blockSize of [4096, 2048, 1024, 512]) {
    it(`block size ${blockSize}`, async () => {
      const { tree } = randomTree(blockSize, { entries: 3000 });
      const judge = await roundTrip(`random-${blockSize}`, tree, { blockSize });
      expect(judge).toBe("kernel");
    });
  }

  it("another seed, 6,000 entries, with long xattr prefixes", async () => {
    const { tree } = randomTree(7, { entries: 6000 });
    expect(await roundTrip("prefixes", tree, { xattrPrefixes: ["trusted.overlay.", "user.test."] }))
      .toBe("kernel");
  });

  it("without shared xattrs", async () => {
    const { tree } = randomTree(11, { entries: 1500 });
    expect(await roundTrip("unshared", tree, { sharedXattrs: false })).toBe("kernel");
  });
});

describe("options the kernel sees", () => {
  it("-T, --all-root, --force-uid/gid rewrite every inode", async () => {
    const { tree } = randomTree(3, { entries: 800, largeFiles: 0 });
    const path = join(work, "forced.erofs");
    await writeImageFile(
      await buildErofs(tree, { fixedTime: 1234567890, forceUid: 7, forceGid: 70000 }),
      path,
    );
    const { value } = await withMountedImage(
      path,
      (root) => snapshotDirectory(root, { xattrs: false }),
    );
    for (const record of value.values()) {
      expect([record.uid, record.gid, record.mtimeSec, record.mtimeNsec]).toEqual([
        7,
        70000,
        1234567890,
        0,
      ]);
    }
    await writeImageFile(await buildErofs(tree, { allRoot: true }), path);
    const { value: rooted } = await withMountedImage(
      path,
      (root) => snapshotDirectory(root, { xattrs: false }),
    );
    for (const record of rooted.values()) expect([record.uid, record.gid]).toEqual([0, 0]);
  });
});
