/**
 * The `dir:PATH` source: a directory on this machine, read the way
 * `mkfs.erofs IMAGE DIR` reads it.
 *
 * @module
 */
import type { Tree } from "../tree/mod.ts";
import { readDirectoryTree } from "../runtime/fs.ts";
import type { SourceOptions } from "./options.ts";

/**
 * Reads the directory at `path` into a tree (metadata only; file bytes stay
 * on disk until the image is written).
 *
 * @example
 * ```ts
 * import { readDirSource } from "./dir.ts";
 * const tree = await readDirSource("./rootfs");
 * ```
 */
export function readDirSource(path: string, options: SourceOptions = {}): Promise<Tree> {
  return readDirectoryTree(path, { onWarning: options.onWarning, signal: options.signal });
}
