import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

// The committed binary is what `deno run src/cli.ts` uses without a build
// step, so a change to asm/ without `npm run build:asm` must fail here.
it("committed oci2erofs.wasm is what asm/ compiles to", async () => {
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-asm-"));
  try {
    const out = join(dir, "oci2erofs.wasm");
    await promisify(execFile)(process.execPath, ["scripts/build-asm.js", "--out", out], {
      cwd: root,
    });
    const fresh = await readFile(out);
    const committed = await readFile(join(root, "src/wasm/oci2erofs.wasm"));
    expect(
      fresh.equals(committed),
      "src/wasm/oci2erofs.wasm is stale: run `npm run build:asm` and commit it",
    ).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
