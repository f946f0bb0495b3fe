/**
 * The `tar:FILE` source: one uncompressed tar archive on this machine,
 * applied as a single layer (no whiteout handling yet).
 *
 * @module
 */
import { Tree } from "../tree/mod.ts";
import { applyTarEntry, readTar } from "../layers/mod.ts";
import { fileRegionContent, openRandomAccessFile } from "../runtime/fs.ts";
import type { SourceOptions } from "./options.ts";

/**
 * Reads the tar archive at `path` into a tree in one pass over its headers:
 * entry data is skipped, not read, and each regular file's content is a
 * reference to its region of the archive, read again only when the image is
 * written. Later entries replace earlier ones; paths are normalised (leading
 * `/` and `./` stripped) and any `..` component is rejected.
 *
 * @example
 * ```ts
 * import { readTarSource } from "./tar.ts";
 * const tree = await readTarSource("rootfs.tar");
 * console.log(tree.get("etc/os-release")?.kind); // "file"
 * ```
 */
export async function readTarSource(path: string, options: SourceOptions = {}): Promise<Tree> {
  const archive = await openRandomAccessFile(path);
  try {
    const tree = new Tree();
    for await (const { entry } of readTar(archive, { signal: options.signal })) {
      const content = entry.type === "file" ? fileRegionContent(path, entry.dataOffset, entry.size) : undefined;
      applyTarEntry(tree, entry, content);
    }
    return tree;
  } finally {
    await archive.close();
  }
}
