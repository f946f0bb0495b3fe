/**
 * A one-layer OCI image layout with many small files, for checking that
 * the page's listing stays fast: `dirs` directories `d0000/`… of `files`
 * files `f0000`… each, in a gzip layer written in memory (no tools, fixed
 * metadata, so the digests are the same on every run).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { archive, member } from "../layers/tar/craft.ts";
import { writeOciIndex } from "../support/oci_index.ts";

/**
 * Writes the layout to `dir` (tag `latest`); returns the number of entries
 * the image's tree has, root included.
 *
 * @example
 * ```ts
 * import { writeManyFilesLayout } from "./many_files_image.ts";
 * const entries = await writeManyFilesLayout("/tmp/many", 200, 100); // 20,201
 * ```
 */
export async function writeManyFilesLayout(
  dir: string,
  dirs: number,
  files: number,
): Promise<number> {
  const encoder = new TextEncoder();
  const members: Uint8Array[] = [];
  const name = (prefix: string, n: number) => `${prefix}${String(n).padStart(4, "0")}`;
  for (let d = 0; d < dirs; d++) {
    const path = name("d", d);
    members.push(member({ name: `${path}/`, typeflag: "5", mode: 0o755 }));
    for (let f = 0; f < files; f++) {
      const file = `${path}/${name("f", f)}`;
      members.push(member({ name: file, mode: 0o644 }, encoder.encode(`${file}\n`)));
    }
  }
  const tar = archive(...members);
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const put = async (data: Uint8Array) => {
    const hex = createHash("sha256").update(data).digest("hex");
    await writeFile(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
  const layer = await put(gzipSync(tar));
  writeOciIndex(dir, [{ ...layer, diffId }]);
  return 1 + dirs * (1 + files);
}
