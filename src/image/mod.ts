/**
 * Stage "image": what a container image is once its source has been read.
 * Manifests, indexes and configs are parsed once into typed, validated
 * records; digests and sizes are checked for every manifest and config, and
 * layer blobs stream through a verifier; indexes are narrowed to one
 * platform. Sources (OCI layouts, archives, registries) provide a
 * {@link BlobStore} and get an {@link Image} back.
 *
 * @example
 * ```ts
 * import { parsePlatform, resolveImage, type BlobStore } from "./mod.ts";
 * declare const store: BlobStore;
 * const image = await resolveImage(store, {
 *   mediaType: "application/vnd.oci.image.index.v1+json",
 *   digest: "sha256:…",
 *   size: 1234,
 * }, { reference: "oci:./layout", platform: parsePlatform("linux/arm64") });
 * for (const layer of image.layers) {
 *   const bytes = await new Response(layer.open()).arrayBuffer(); // verified as it streams
 * }
 * ```
 *
 * @module
 */
export type { Descriptor, Image, ImageConfig, LayerBlob, Platform } from "./types.ts";
export { ImageError, type ImageErrorContext } from "./errors.ts";
export {
  essence,
  isConfigMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  MediaType,
} from "./media_types.ts";
export {
  type DigestAlgorithm,
  digestBytes,
  type ParsedDigest,
  parseDigest,
  verifyDigest,
  type VerifyOptions,
} from "./digest.ts";
export { type VerifiedBlobOptions, verifiedBlobStream } from "./blob_stream.ts";
export {
  JsonFields,
  type JsonSource,
  MAX_MANIFEST_SIZE,
  parseJson,
  parseJsonObject,
} from "./json.ts";
export {
  type ImageIndex,
  type ImageManifest,
  type ManifestSource,
  parseDescriptor,
  type ParsedManifest,
  parseImageIndex,
  parseManifest,
} from "./manifest.ts";
export { type ConfigSource, parseImageConfig } from "./config.ts";
export {
  DEFAULT_PLATFORM,
  formatPlatform,
  isAttestation,
  normalizePlatform,
  parsePlatform,
  platformRuns,
  selectPlatform,
  type SelectPlatformOptions,
} from "./platform.ts";
export {
  type BlobStore,
  readVerifiedBlob,
  resolveImage,
  resolveIndex,
  type ResolveOptions,
} from "./resolve.ts";
