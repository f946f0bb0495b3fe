import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { fingerprint } from "./fingerprint.ts";

const deno = fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url));

// Deno loads the binary through the same file: URL path as Node, but with its
// own fs, node:crypto and wasm engine.
it("gives the same results under Deno", async () => {
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-deno-"));
  try {
    const script = join(dir, "main.ts");
    const module = new URL("./fingerprint.ts", import.meta.url).href;
    await writeFile(
      script,
      `import { fingerprint } from ${JSON.stringify(module)};\nconsole.log(await fingerprint());\n`,
    );
    const { stdout } = await promisify(execFile)(deno, ["run", "-A", "--no-config", script], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    const inDeno = JSON.parse(stdout);
    expect(inDeno.wasm).toBe(inDeno.preferred);
    expect(inDeno).toEqual(JSON.parse(await fingerprint()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
