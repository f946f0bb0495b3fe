/**
 * Stage "erofs": the on-disk format. Plans the layout of a {@link Tree}
 * (nids, blocks, inline tails, shared xattrs) and encodes it as an ordered
 * stream of image bytes.
 *
 * @module
 */
export { buildErofs, type ErofsImage } from "./image.ts";
export {
  type CompressionOptions,
  type ErofsOptions,
  parseUuid,
  resolveCompression,
} from "./options.ts";
export { ErofsError } from "./errors.ts";
