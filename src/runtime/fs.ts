/**
 * The file-system adapter for Node and Deno (both provide `node:fs/promises`):
 * reading directory trees and file regions, and writing output files
 * atomically. Everything platform-specific about files lives in this folder;
 * the other stages use Web APIs only.
 *
 * @example
 * ```ts
 * import { readDirectoryTree, writeFileAtomic } from "./fs.ts";
 * const tree = await readDirectoryTree("./rootfs");
 * console.log(tree.root.entries.size);
 * async function* bytes() { yield new Uint8Array([1, 2, 3]); }
 * await writeFileAtomic("out.bin", bytes());
 * ```
 *
 * @module
 */
export { fileRegionContent, openRandomAccessFile, type RandomAccessFile } from "./file_content.ts";
export { writeFileAtomic, type WriteFileOptions } from "./atomic_write.ts";
export { type ReadDirectoryOptions, readDirectoryTree } from "./dir_tree.ts";
