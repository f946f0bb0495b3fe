/**
 * `-z`, `-C` and `-E ztailpacking`: spelled as mkfs.erofs spells them, and
 * every bad value or combination refused with exit status 2 and one line
 * before any work starts (the source below does not even exist).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/command.ts";
import { runCli } from "../support/cli.ts";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-zargs-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function erofsOf(args: string[]) {
  const command = parseCommand(["tar:x.tar", "out.erofs", ...args], () => undefined);
  if (command.kind !== "build") throw new Error("not a build");
  return command.erofs;
}

describe("compression options", () => {
  it("parses mkfs.erofs spellings", () => {
    expect(erofsOf(["-zlz4"]).compression).toEqual({ algorithm: "lz4" });
    expect(erofsOf(["-z", "lz4hc,12"]).compression).toEqual({ algorithm: "lz4hc", level: 12 });
    expect(erofsOf(["-zlz4hc,level=3"]).compression).toEqual({ algorithm: "lz4hc", level: 3 });
    expect(erofsOf(["-zdeflate,9", "-C65536", "-Eztailpacking"]).compression).toEqual({
      algorithm: "deflate",
      level: 9,
      pclusterSize: 65536,
      ztailpacking: true,
    });
    expect(erofsOf(["-b1024", "-zlz4", "-C", "3072"]).compression).toEqual({
      algorithm: "lz4",
      pclusterSize: 3072,
    });
    expect(erofsOf(["-zlz4", "--workers=3"]).compression).toEqual({
      algorithm: "lz4",
      workers: 3,
    });
    expect(erofsOf([]).compression).toBeUndefined();
  });

  const cases: [string, string[], RegExp][] = [
    ["unknown algorithm", ["-zzstd"], /unknown compression algorithm \(-z\) "zstd"/],
    ["lz4hc level too high", ["-zlz4hc,13"], /lz4hc level must be from 1 to 12, got 13/],
    ["lz4hc level zero", ["-zlz4hc,0"], /lz4hc level must be from 1 to 12, got 0/],
    ["deflate level too high", ["-zdeflate,10"], /deflate level must be from 1 to 9, got 10/],
    ["level not a number", ["-zlz4hc,max"], /lz4hc level \(-z\) must be a whole number/],
    ["a level for lz4", ["-zlz4,5"], /lz4 takes no level/],
    ["-C not a block multiple", ["-zlz4", "-C5000"], /multiple of the block size 4096, got 5000/],
    ["-C below a block", ["-zlz4", "-C2048"], /multiple of the block size 4096, got 2048/],
    ["-C over 1 MiB", ["-zlz4", "-C2097152"], /at most 1 MiB/],
    [
      "-C more blocks than an index records",
      ["-b512", "-zlz4", "-C1048576"],
      /2048 blocks; EROFS indexes record at most 2047/,
    ],
    ["-C without -z", ["-C65536"], /-C needs compression \(-z\)/],
    ["ztailpacking without -z", ["-Eztailpacking"], /-E ztailpacking needs compression/],
    ["unknown -E", ["-zlz4", "-Efragments"], /unknown extended option \(-E\) "fragments"/],
    ["--workers without -z", ["--workers=2"], /--workers needs compression \(-z\)/],
    ["--workers not a number", ["-zlz4", "--workers=many"], /--workers must be a whole number/],
  ];
  it.each(cases)("%s: exit 2, one line, nothing written", async (_, args, message) => {
    const out = join(work, "out.erofs");
    const { status, stdout, stderr } = await runCli([
      "tar:/nonexistent/never-read.tar",
      out,
      ...args,
    ]);
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^oci2erofs: [^\n]+ \(see oci2erofs --help\)\n$/);
    expect(stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it("--help documents them", async () => {
    const { stdout } = await runCli(["--help"]);
    expect(stdout).toMatch(/-z ALGORITHM\[,LEVEL\]/);
    expect(stdout).toMatch(/-C BYTES/);
    expect(stdout).toMatch(/-E ztailpacking/);
  });
});
