import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { createEncoder, wasmModule } from "../../src/wasm/mod.ts";

const deno = fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url));
const mod = new URL("../../src/wasm/mod.ts", import.meta.url).href;

/**
 * Compresses a fixed pseudo-random text with every algorithm at a few
 * capacities and returns one SHA-256 over all streams. Self-contained, so its
 * source can be shipped to Deno as is.
 */
async function digest(
  create: typeof createEncoder,
  sha256: (parts: Uint8Array[]) => string,
): Promise<string> {
  let x = 7;
  const words = ["erofs", "cluster", "lz4", "deflate", "image", "layer", "0x1f", "\n"];
  const parts: string[] = [];
  for (let i = 0; i < 60000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    parts.push(words[(x >>> 0) % words.length]);
  }
  const input = new TextEncoder().encode(parts.join(" "));
  const streams: Uint8Array[] = [];
  const runs = [["lz4", 0], ["lz4hc", 9], ["lz4hc", 12], ["deflate", 1], ["deflate", 9]] as const;
  for (const [algorithm, level] of runs) {
    const encoder = await create(algorithm, level);
    for (const capacity of [4096, 65536]) {
      const out = new Uint8Array(capacity);
      const { consumed, written } = encoder.fill(input, out);
      streams.push(out.slice(0, written), new TextEncoder().encode(String(consumed)));
    }
  }
  return sha256(streams);
}

function sha256(parts: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

it("gives byte-identical streams in Node and Deno", async () => {
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-compress-"));
  try {
    const inNode = await digest(createEncoder, sha256);
    const script = join(dir, "main.ts");
    await writeFile(
      script,
      `import { createHash } from "node:crypto";\n` +
        `import { createEncoder } from ${JSON.stringify(mod)};\n` +
        `const digest = ${digest.toString()};\n` +
        "const sha256 = (parts) => {\n" +
        '  const hash = createHash("sha256");\n' +
        "  for (const part of parts) hash.update(part);\n" +
        '  return hash.digest("hex");\n' +
        "};\n" +
        "console.log(await digest(createEncoder, sha256));\n",
    );
    const { stdout } = await promisify(execFile)(deno, ["run", "-A", "--no-config", script], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    expect(stdout.trim()).toBe(inNode);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it("takes an already compiled module, as a worker would receive it", async () => {
  const bytes = await readFile(new URL("../../src/wasm/oci2erofs.wasm", import.meta.url));
  const compiled = await WebAssembly.compile(bytes);
  expect(await wasmModule(compiled)).toBeInstanceOf(WebAssembly.Module);
  const input = new TextEncoder().encode("worker ".repeat(1000));
  const results = await Promise.all(
    [undefined, compiled].map(async (source) => {
      const encoder = await createEncoder("lz4hc", 9, source);
      const out = new Uint8Array(256);
      const { consumed, written } = encoder.fill(input, out);
      return createHash("sha256").update(out.subarray(0, written)).update(String(consumed))
        .digest("hex");
    }),
  );
  expect(results[1]).toBe(results[0]);
});
