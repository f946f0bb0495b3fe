// The same modules under Deno, whose decoders differ from Node's: its
// DecompressionStream rejects multi-member gzip (the backend must switch
// streams between members), and its node:zlib zstd stops after one frame
// and ends quietly on truncated input (the frame splitter must step in).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { ensureCommands } from "../../support/system.ts";
import { concat, tool, wordsText } from "./fixtures.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const deno = join(root, "node_modules/.bin/deno");

const text = (length: number, seed: number) =>
  wordsText(["usr/", "lib/", "\n", "0000644", "ustar", "  ", "libc.so.6", "deno"], length, seed);

// Runs in Deno: decodes every fixture with every backend, in whole and in
// 1-byte-ish chunks, and prints a SHA-256 or the error's class per run.
const SCRIPT = `
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as decompress from ${
  JSON.stringify(new URL("../../../src/layers/decompress/mod.ts", import.meta.url).href)
};

const dir = Deno.args[0];
const streamOf = (bytes, size) => {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  }, { highWaterMark: 0 });
};
async function digest(stream) {
  const hash = createHash("sha256");
  try {
    for await (const chunk of stream) hash.update(chunk);
    return hash.digest("hex");
  } catch (e) {
    return e.name;
  }
}
const out = { gzip: await decompress.gunzipBackends(), zstd: await decompress.zstdBackends(), runs: {} };
for (const name of ["multi.gz", "pigz.gz", "truncated.gz", "trailing.gz"]) {
  const bytes = new Uint8Array(await readFile(dir + "/" + name));
  for (const backend of out.gzip) for (const size of [bytes.length, 3, 1000]) {
    out.runs[name + " " + backend + " " + size] = await digest(decompress.gunzip(streamOf(bytes, size), { backend }));
  }
}
for (const name of ["frames.zst", "pzstd.zst", "truncated.zst", "trailing.zst"]) {
  const bytes = new Uint8Array(await readFile(dir + "/" + name));
  for (const backend of out.zstd) for (const size of [bytes.length, 3, 1000]) {
    out.runs[name + " " + backend + " " + size] = await digest(decompress.zstdDecompress(streamOf(bytes, size), { backend }));
  }
}
for (const name of ["multi.gz", "frames.zst"]) {
  const bytes = new Uint8Array(await readFile(dir + "/" + name));
  out.runs[name + " auto"] = await digest(decompress.decompressedStream(streamOf(bytes, 4096)));
}
console.log(JSON.stringify(out));
`;

it("decodes multi-member gzip and multi-frame zstd with every Deno backend", async () => {
  await ensureCommands({ gzip: "gzip", pigz: "pigz", zstd: "zstd", pzstd: "zstd" });
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-decompress-deno-"));
  try {
    const parts = [text(300_000, 1), new Uint8Array(0), text(20_000, 2), new Uint8Array(100_000)];
    const data = concat(...parts);
    const gz = concat(...await Promise.all(parts.map((p) => tool("gzip", ["-c", "-n"], p))));
    const frames = concat(
      ...await Promise.all(parts.map((p, i) => tool("zstd", ["-c", "-q", `-${1 + 6 * i}`], p))),
    );
    const skippable = Uint8Array.of(0x5e, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7);
    const zst = concat(skippable, frames.subarray(0, 10), frames.subarray(10), skippable);
    const files: Record<string, Uint8Array> = {
      "multi.gz": gz,
      "pigz.gz": await tool("pigz", ["-c", "-b", "128"], data),
      "truncated.gz": gz.subarray(0, gz.length - 5),
      "trailing.gz": concat(gz, new Uint8Array(16)),
      "frames.zst": zst,
      "pzstd.zst": await tool("pzstd", ["-q", "-c", "-p", "2"], data),
      "truncated.zst": frames.subarray(0, frames.length - 30),
      "trailing.zst": concat(frames, new Uint8Array(16)),
    };
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    const script = join(dir, "main.ts");
    await writeFile(script, SCRIPT);
    const { stdout } = await promisify(execFile)(
      deno,
      ["run", "-A", "--config", join(root, "deno.json"), script, dir],
      {
        cwd: dir,
        env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
        maxBuffer: 1 << 24,
      },
    );
    const result = JSON.parse(stdout) as {
      gzip: string[];
      zstd: string[];
      runs: Record<string, string>;
    };
    expect(result.gzip).toEqual(["node-zlib", "decompression-stream", "fflate"]);
    expect(result.zstd).toEqual(["node-zlib", "js"]);
    const sha = Buffer.from(await crypto.subtle.digest("SHA-256", data)).toString("hex");
    for (const [name, outcome] of Object.entries(result.runs)) {
      const bad = /truncated|trailing/.test(name);
      expect(outcome, name).toBe(bad ? "DecompressError" : sha);
    }
    expect(Object.keys(result.runs)).toHaveLength(4 * 3 * 3 + 4 * 2 * 3 + 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
