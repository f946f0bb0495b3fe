/**
 * `dir:` of a real tree on this machine (≥ 10,000 entries: man pages, with
 * their symlinks and hard links) through the CLI, mounted by the kernel and
 * compared with `diff -r` plus the full attribute listing (owner, mode,
 * xattrs, nanosecond mtimes, link identity).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.ts";
import { withMountedImage } from "../support/mount.ts";
import { expectSameTree, snapshotDirectory } from "../support/snapshot.ts";
import { ensureCommands, run, TEST_COMMANDS } from "../support/system.ts";

/** The first candidate big enough; /usr/share/man on Debian has ~24,000 entries. */
const CANDIDATES = ["/usr/share/man", "/usr/share", "/usr"];

let work = "";
beforeAll(async () => {
  await ensureCommands({ ...TEST_COMMANDS, diff: "diffutils" });
  work = await mkdtemp(join("/var/tmp", "oci2erofs-realdir-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("dir: of a real tree", () => {
  it("mounts and matches diff -r and the attribute listing", async () => {
    let source = "";
    let entries = 0;
    for (const candidate of CANDIDATES) {
      if (!existsSync(candidate)) continue;
      entries = Number((await run("sh", ["-c", `find ${candidate} | wc -l`])).stdout.trim());
      source = candidate;
      if (entries >= 10_000) break;
    }
    expect(entries).toBeGreaterThanOrEqual(10_000);

    const image = join(work, "real.erofs");
    expect(await main([`dir:${source}`, image, "--quiet"])).toBe(0);
    const expected = await snapshotDirectory(source);
    const { value, judge } = await withMountedImage(image, async (root) => {
      const diff = await run("diff", ["-r", "--no-dereference", source, root]);
      return { diff, actual: await snapshotDirectory(root) };
    });
    expect(judge).toBe("kernel");
    expect(value.diff.stdout + value.diff.stderr).toBe("");
    expect(value.diff.code).toBe(0);
    // The root's own times are the source directory's, which a mount does not change.
    expectSameTree(expected, value.actual);
    console.log(`dir:${source}: ${entries} entries, identical through the kernel`);
  });
});
