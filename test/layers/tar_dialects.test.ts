/**
 * Every tar dialect a layer may come in, through the kernel: a random tree
 * is written to disk, archived by GNU tar (gnu, posix, ustar, v7, with
 * --sparse and --xattrs), bsdtar and Python's tarfile, converted with
 * `tar:FILE`, mounted, and compared with the directory that was archived.
 * Each dialect's tree holds only what the dialect can express.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.ts";
import { materializeTree } from "../support/materialize.ts";
import { withMountedImage } from "../support/mount.ts";
import { randomTree, type RandomTreeOptions } from "../support/random-tree.ts";
import { expectSameTree, snapshotDirectory } from "../support/snapshot.ts";
import { ensureCommands, run, TEST_COMMANDS } from "../support/system.ts";

let work = "";
beforeAll(async () => {
  await ensureCommands({ ...TEST_COMMANDS, tar: "tar", bsdtar: "libarchive-tools" });
  work = await mkdtemp(join("/var/tmp", "oci2erofs-dialects-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** What no tar dialect stores: sockets; ACLs travel as text (SCHILY.acl), not as xattrs. */
const COMMON: RandomTreeOptions = {
  entries: 600,
  sockets: false,
  acls: false,
  largeFiles: 1,
  largeFileMaxSize: 2 << 20,
};
/** Old formats: 100-byte names, 7-digit octal ids, whole non-negative seconds, no xattrs. */
const OLD: RandomTreeOptions = {
  ...COMMON,
  longNames: false,
  maxNameBytes: 40,
  maxDepth: 4,
  largeIds: false,
  extremeTimes: false,
  nanoseconds: false,
  xattrs: false,
  unicodeNames: false,
  maxSymlinkLength: 90,
};

interface Dialect {
  name: string;
  tree: RandomTreeOptions;
  /** The dialect stores whole seconds only. */
  seconds?: boolean;
  archive: (dir: string, out: string) => [string, string[]];
  sparse?: boolean;
}

const DIALECTS: Dialect[] = [
  {
    name: "GNU tar --format=posix --xattrs --sparse",
    tree: COMMON,
    sparse: true,
    archive: (
      dir,
      out,
    ) => ["tar", [
      "--format=posix",
      "--xattrs",
      "--xattrs-include=*",
      "--sparse",
      "-C",
      dir,
      "-cf",
      out,
      ".",
    ]],
  },
  {
    name: "GNU tar --format=gnu --sparse",
    tree: { ...COMMON, nanoseconds: false, xattrs: false },
    seconds: true,
    sparse: true,
    archive: (dir, out) => ["tar", ["--format=gnu", "--sparse", "-C", dir, "-cf", out, "."]],
  },
  {
    name: "GNU tar --format=ustar",
    tree: OLD,
    seconds: true,
    archive: (dir, out) => ["tar", ["--format=ustar", "-C", dir, "-cf", out, "."]],
  },
  {
    name: "GNU tar --format=v7",
    tree: { ...OLD, devices: false, fifos: false, hardLinks: false },
    seconds: true,
    archive: (dir, out) => ["tar", ["--format=v7", "-C", dir, "-cf", out, "."]],
  },
  {
    // libarchive writes a negative time with a fraction as "-S.F" meaning -S + F
    // (−1.5 s as "-2.5"); POSIX, GNU tar, Go and we read -S.F as −(S.F), so
    // such times would differ by a second: none here.
    name: "bsdtar (pax, xattrs)",
    tree: { ...COMMON, extremeTimes: false },
    archive: (dir, out) => ["bsdtar", ["--format", "pax", "--xattrs", "-C", dir, "-cf", out, "."]],
  },
  {
    name: "Python tarfile (pax)",
    tree: { ...COMMON, xattrs: false, nanoseconds: false },
    seconds: true,
    archive: (dir, out) => [
      "python3",
      [
        "-c",
        "import sys, tarfile\nwith tarfile.open(sys.argv[2], 'w', format=tarfile.PAX_FORMAT) as t: t.add(sys.argv[1], arcname='.')",
        dir,
        out,
      ],
    ],
  },
];

describe("tar dialects mounted by the kernel", () => {
  for (const [index, dialect] of DIALECTS.entries()) {
    it(dialect.name, async () => {
      const dir = join(work, `src-${index}`);
      await mkdir(dir);
      const { tree } = randomTree(100 + index, dialect.tree);
      await materializeTree(tree, dir, { skipSockets: true });
      // GNU tar records hard links of regular files only: give the other
      // kinds' extra names inodes of their own, as the archive will.
      await run("sh", [
        "-c",
        `find "$1" ! -type f ! -type d -links +1 -exec sh -c 'cp -a "$1" "$1.tmp" && mv "$1.tmp" "$1"' _ {} \\;`,
        "_",
        dir,
      ]);
      if (dialect.sparse) {
        // Holes at the start, middle and end: data must land at the right offsets.
        await mkdir(join(dir, "sparse"));
        const path = join(dir, "sparse/holes");
        await writeFile(path, "");
        await truncate(path, 8 << 20);
        await run("dd", [
          "if=/dev/urandom",
          `of=${path}`,
          "bs=4096",
          "seek=700",
          "count=3",
          "conv=notrunc",
        ]);
        await run("dd", [
          "if=/dev/urandom",
          `of=${path}`,
          "bs=1",
          "seek=5000000",
          "count=77",
          "conv=notrunc",
        ]);
      }
      if (dialect.seconds) {
        // The edits above gave some directories sub-second times again.
        await run("python3", [
          "-c",
          "import os, sys\nfor d, dirs, files in os.walk(sys.argv[1]):\n  for p in [d] + [os.path.join(d, n) for n in dirs + files]:\n    s = os.lstat(p)\n    t = s.st_mtime_ns - s.st_mtime_ns % 1000000000\n    os.utime(p, ns=(t, t), follow_symlinks=False)",
          dir,
        ]);
      }
      const tar = join(work, `layer-${index}.tar`);
      const [command, args] = dialect.archive(dir, tar);
      const archived = await run(command, args);
      expect(archived.stderr).toBe("");
      const image = join(work, `image-${index}.erofs`);
      expect(await main([`tar:${tar}`, image, "--quiet"])).toBe(0);
      const expected = await snapshotDirectory(dir);
      // A layer may not plant overlayfs metadata: trusted.overlay.* is dropped on purpose.
      for (const record of expected.values()) {
        for (const name of Object.keys(record.xattrs)) {
          if (name.startsWith("trusted.overlay.")) delete record.xattrs[name];
        }
      }
      const { value: actual, judge } = await withMountedImage(
        image,
        (root) => snapshotDirectory(root),
      );
      expect(judge).toBe("kernel");
      expectSameTree(expected, actual);
      await rm(dir, { recursive: true, force: true });
    });
  }
});
