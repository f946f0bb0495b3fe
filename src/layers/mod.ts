/**
 * Stage "layers": decoding layer blobs (tar archives today; compressed and
 * OCI whiteout-carrying layers later) into typed entries, and applying those
 * entries to a {@link Tree}.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { applyTarEntry, readTar } from "./mod.ts";
 *
 * const tree = new Tree();
 * for await (const { entry } of readTar(new Blob([]))) {
 *   if (entry.type !== "file") applyTarEntry(tree, entry);
 * }
 * ```
 *
 * @module
 */
export * from "./tar/mod.ts";
export { applyTarEntry, LayerError, normalizeEntryPath } from "./apply.ts";
