/**
 * Stage "layers": decoding layer blobs (compressed or not) into typed tar
 * entries, and stacking layers into a {@link Tree} with OCI whiteout
 * semantics — flattened, or kept as overlayfs metadata for per-layer images.
 * {@link imageTree} is the entry point for container images: two passes
 * (headers now, file data when the image is written) in bounded memory.
 *
 * @example
 * ```ts
 * import type { Image } from "../image/types.ts";
 * import { buildErofs } from "../erofs/mod.ts";
 * import { imageTree } from "./mod.ts";
 *
 * declare const image: Image;
 * const erofs = await buildErofs(await imageTree(image));
 * ```
 *
 * @module
 */
export * from "./tar/mod.ts";
export { applyTarEntry, LayerError, type LayerErrorOptions, normalizeEntryPath } from "./apply.ts";
export {
  isOverlayXattr,
  isWhiteoutDevice,
  LayerChanges,
  type LayerDirectory,
  type LayerNode,
  type LeafInode,
  OPAQUE_WHITEOUT,
  WHITEOUT_PREFIX,
} from "./layer_changes.ts";
export {
  LayerStack,
  type LayerStackOptions,
  OVERLAY_OPAQUE,
  OVERLAY_ORIGIN,
} from "./layer_stack.ts";
export { type LayerInput, LayerReplay, ReplayContent } from "./layer_replay.ts";
export { type ContentSpool, SpooledContent } from "./spool.ts";
export {
  imageTree,
  type ImageTreeOptions,
  type LayerProgress,
  layersTree,
  type LayersTreeOptions,
} from "./image_tree.ts";
