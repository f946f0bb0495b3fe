/**
 * Run by compressed.test.ts under Deno (whose Web Workers run TypeScript
 * sources; Node's worker_threads need the built `.js`): builds the seeded
 * random corpus compressed with 0, 1 and 3 worker threads, from memory and
 * from a directory (whose files the workers read themselves), and prints
 * each image's SHA-256 and size as JSON.
 *
 *     deno run -A test/erofs/compressed_workers_script.ts ALGORITHM LEVEL PCLUSTER ZTAIL
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { buildErofs } from "../../src/erofs/mod.ts";
import { readDirectoryTree } from "../../src/runtime/fs.ts";
import { generatedContent, metadata, type Tree } from "../../src/tree/mod.ts";
import { materializeTree } from "../support/materialize.ts";
import { randomTree } from "../support/random-tree.ts";

const [algorithm, level, pclusterSize, ztail] = process.argv.slice(2);
const { tree } = randomTree(23, { entries: 1500, largeFiles: 1 });
// A file past the whole-file limit, so the segmented path is compared too.
const words = new TextEncoder().encode("lorem ipsum dolor sit amet consectetur ");
tree.add(
  "segmented",
  {
    kind: "file",
    meta: metadata({ mode: 0o644 }),
    content: generatedContent(9_700_001, (offset, out) => {
      for (let i = 0; i < out.length; i++) {
        const at = offset + i;
        out[i] = (at >> 16) % 4 === 3 ? (at * 2654435761) >>> 24 : words[at % words.length];
      }
    }),
  },
);
const results: Record<string, { sha256: string; size: number }> = {};
// The same tree on disk, read as a dir: source: its contents are file
// regions, which workers read themselves (the calling thread sends paths).
const dir = mkdtempSync(join("/var/tmp", "oci2erofs-workers-"));
try {
  await materializeTree(tree, dir);
  const onDisk = await readDirectoryTree(dir);
  for (const workers of [0, 1, 3]) results[`dir:${workers}`] = await build(onDisk, workers);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const workers of [0, 1, 3]) results[workers] = await build(tree, workers);
console.log(JSON.stringify(results));

async function build(tree: Tree, workers: number): Promise<{ sha256: string; size: number }> {
  const image = await buildErofs(tree, {
    compression: {
      algorithm: algorithm as "lz4" | "lz4hc" | "deflate",
      level: algorithm === "lz4" ? undefined : Number(level),
      pclusterSize: Number(pclusterSize),
      ztailpacking: ztail === "1",
      workers,
    },
  });
  const hash = createHash("sha256");
  for await (const chunk of image.chunks()) hash.update(chunk);
  return { sha256: hash.digest("hex"), size: image.size! };
}
