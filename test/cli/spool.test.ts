/**
 * The layer data spool on the command line: by default image layers are
 * read once and their file data waits in an unnamed temporary file beside
 * the output (`--tmpdir` elsewhere); `--no-spool` reads them twice instead.
 * Either way the image is the same and nothing is left on disk.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/command.ts";
import { UsageError } from "../../src/cli/parse_args.ts";
import { runCli } from "../support/cli.ts";

const layout = new URL("../../examples/busybox", import.meta.url).pathname;
let work = "";
beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-spool-cli-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function layersOf(args: string[]) {
  const command = parseCommand(["oci:x:latest", "out.erofs", ...args], () => undefined);
  if (command.kind !== "build") throw new Error("not a build");
  return command.layers;
}

it("parses --no-spool and --tmpdir", () => {
  expect(layersOf([])).toMatchObject({ spool: true, tmpdir: undefined });
  expect(layersOf(["--no-spool"])).toMatchObject({ spool: false });
  expect(layersOf(["--tmpdir", "/scratch"])).toMatchObject({ spool: true, tmpdir: "/scratch" });
  expect(() => layersOf(["--tmpdir=/x", "--no-spool"])).toThrow(UsageError);
  expect(() => layersOf(["--tmpdir="])).toThrow("--tmpdir needs a directory");
});

it("gives the same image with and without the spool, and leaves nothing behind", async () => {
  const out = await mkdtemp(join(work, "out-"));
  const scratch = await mkdtemp(join(work, "scratch-"));
  const twice = await runCli([
    `oci:${layout}:latest`,
    join(out, "twice.erofs"),
    "--quiet",
    "--no-spool",
  ]);
  expect(twice.status, twice.stderr).toBe(0);
  const beside = await runCli([`oci:${layout}:latest`, join(out, "once.erofs"), "--quiet"]);
  expect(beside.status, beside.stderr).toBe(0);
  const elsewhere = await runCli([
    `oci:${layout}:latest`,
    join(out, "elsewhere.erofs"),
    "--quiet",
    `--tmpdir=${scratch}`,
  ]);
  expect(elsewhere.status, elsewhere.stderr).toBe(0);
  const reference = await readFile(join(out, "twice.erofs"));
  for (const name of ["once.erofs", "elsewhere.erofs"]) {
    expect(Buffer.compare(await readFile(join(out, name)), reference), name).toBe(0);
  }
  expect((await readdir(out)).sort()).toEqual(["elsewhere.erofs", "once.erofs", "twice.erofs"]);
  expect(await readdir(scratch)).toEqual([]);
});

it("fails before any work when the spool cannot be created, leaving no output", async () => {
  const out = join(work, "never.erofs");
  const result = await runCli([
    `oci:${layout}:latest`,
    out,
    "--quiet",
    `--tmpdir=${join(work, "no", "such", "dir")}`,
  ]);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(
    /^oci2erofs: cannot create the temporary layer data file: .*ENOENT/,
  );
  expect(existsSync(out)).toBe(false);
  // Sources that are files already need no spool, so --tmpdir does not matter to them.
  await mkdir(join(work, "tree"));
  const dir = await runCli([
    `dir:${join(work, "tree")}`,
    join(work, "dir.erofs"),
    "--quiet",
    `--tmpdir=/nonexistent`,
  ]);
  expect(dir.status, dir.stderr).toBe(0);
});
