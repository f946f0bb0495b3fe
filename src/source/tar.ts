/**
 * The `tar:FILE` source: one tar archive on this machine — plain, gzip or
 * zstd (told apart by their first bytes) — read as a single-layer image.
 *
 * Whiteouts: the archive is treated exactly like an image with this one
 * layer. By default that is the flattened file system, so OCI whiteout
 * entries (`.wh.NAME`, `.wh..wh..opq`) are applied — there is nothing below
 * them to delete — and do not appear in the result; a rootfs tarball
 * (`docker export`) has none anyway. With `keepWhiteouts` they become
 * overlayfs metadata instead, which is what a layer blob saved as a file
 * needs in order to be mounted as one overlayfs layer. (`mkfs.erofs --tar`
 * instead keeps `.wh.` files as plain files unless told `--aufs`; a file
 * named `.wh.*` has no business in a root file system, so we do not.)
 *
 * Data: a plain tar is read once, its headers only; each regular file's
 * content is a reference to its region of the archive (sparse files: their
 * stored segments, holes as zeros), read when the image is written. A
 * compressed tar cannot be read by offset, so it goes through the two-pass
 * layer pipeline ({@link layersTree}): headers now, and the archive
 * decompressed a second time, front to back, while the image is written.
 *
 * @module
 */
import { LayerError } from "../layers/apply.ts";
import { detectCompression, MAGIC_LENGTH } from "../layers/decompress/detect.ts";
import { LayerStack } from "../layers/layer_stack.ts";
import { readTar, sparseContent, type TarEntry } from "../layers/tar/mod.ts";
import { openFileStream } from "../runtime/blob_file.ts";
import { fileRegionContent, openRandomAccessFile } from "../runtime/fs.ts";
import type { FileContent, Tree } from "../tree/mod.ts";
import type { SourceOptions } from "./options.ts";

/**
 * Options of {@link readTarSource}.
 *
 * @example
 * ```ts
 * import type { TarSourceOptions } from "./tar.ts";
 * const asOverlayLayer: TarSourceOptions = { keepWhiteouts: true };
 * ```
 */
export interface TarSourceOptions extends SourceOptions {
  /**
   * Keep OCI whiteouts as overlayfs metadata (0:0 character devices,
   * `trusted.overlay.opaque`) instead of applying them (default false).
   */
  keepWhiteouts?: boolean;
}

/**
 * Reads the tar archive at `path` (plain, gzip or zstd) into a tree. Later
 * entries replace earlier ones; paths are normalised (leading `/` and `./`
 * stripped), `..` components and paths through symlinks are rejected with a
 * `LayerError` naming the file and the entry.
 *
 * @example
 * ```ts
 * import { readTarSource } from "./tar.ts";
 * const tree = await readTarSource("rootfs.tar.gz");
 * console.log(tree.get("etc/os-release")?.kind); // "file"
 * ```
 */
export async function readTarSource(path: string, options: TarSourceOptions = {}): Promise<Tree> {
  const archive = await openRandomAccessFile(path);
  try {
    const compression = detectCompression(await archive.read(0, MAGIC_LENGTH));
    if (compression === "none") {
      const stack = new LayerStack({ keepWhiteouts: options.keepWhiteouts });
      // Errors name the entry only: the user named the one file there is.
      const changes = stack.begin();
      for await (const { entry } of readTar(archive, { signal: options.signal })) {
        changes.apply(entry, entry.type === "file" ? regionContent(path, entry) : undefined);
      }
      stack.commit(changes);
      return stack.finish();
    }
  } finally {
    await archive.close();
  }
  // Loaded only for compressed archives: plain ones need no decompressor.
  const { layersTree } = await import("../layers/image_tree.ts");
  try {
    return await layersTree(
      [{ name: path, open: (signal) => openFileStream(path, { signal }) }],
      { keepWhiteouts: options.keepWhiteouts, signal: options.signal },
    );
  } catch (error) {
    // As for a plain archive: the entry (or the problem) without a layer name.
    if (!(error instanceof LayerError) || error.layer !== path) throw error;
    throw new LayerError(error.path, error.reason, { cause: error.cause });
  }
}

/** Where a member's bytes are in a plain archive. */
function regionContent(path: string, entry: TarEntry): FileContent {
  if (!entry.sparse) return fileRegionContent(path, entry.dataOffset, entry.size);
  const stored = entry.sparse.reduce((sum, segment) => sum + segment.length, 0);
  return sparseContent(entry.size, entry.sparse, fileRegionContent(path, entry.dataOffset, stored));
}
