/**
 * `SOURCE_DATE_EPOCH` as mkfs.erofs applies it: timestamps later than the
 * epoch are clamped to it (erofs-utils' TIMESTAMP_CLAMPING), earlier ones are
 * kept. Done on the tree because the writer has only a fixed-time option; the
 * `clampTime` option of `convert`.
 *
 * @module
 */
import type { Tree } from "../tree/mod.ts";

/**
 * Sets every mtime at or after `epoch` seconds to exactly `epoch` (nsec 0);
 * mkfs.erofs compares whole seconds, so `epoch.5` becomes `epoch` too.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { clampTimes } from "./clamp_time.ts";
 * const tree = new Tree();
 * clampTimes(tree, 1700000000);
 * ```
 */
export function clampTimes(tree: Tree, epoch: number): void {
  for (const [, inode] of tree.walk()) {
    if (inode.meta.mtime.sec >= epoch) inode.meta.mtime = { sec: epoch, nsec: 0 };
  }
}
