/**
 * `--low-memory` (the library's `lowMemory`, which the edge handler sets):
 * smaller layer buffers change how much is held, never the image.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/command.ts";
import { exampleImage, runCli } from "../support/cli.ts";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-lowmem-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it("parses --low-memory into the layer options", () => {
  const command = parseCommand(["oci:x:latest", "out.erofs", "--low-memory"], () => undefined);
  if (command.kind !== "build") throw new Error("not a build");
  expect(command.layers.lowMemory).toBe(true);
});

it("gives the same image as the default buffers", async () => {
  const reference = await exampleImage(join(work, "default.erofs"));
  const layout = new URL("../../examples/busybox", import.meta.url).pathname;
  const out = join(work, "low.erofs");
  const result = await runCli([`oci:${layout}:latest`, out, "--quiet", "--low-memory"]);
  expect(result.status, result.stderr).toBe(0);
  expect(new Uint8Array(await readFile(out))).toEqual(reference);
});
