/**
 * The media types of OCI and Docker images, and the questions asked of them
 * ("is this an index?", "is this a file-system layer?"), in one place so that
 * no module compares against a string literal of its own.
 *
 * @module
 */

/**
 * Media types this toolkit knows by name.
 *
 * @example
 * ```ts
 * import { MediaType } from "./media_types.ts";
 * const accept = [MediaType.OciIndex, MediaType.OciManifest].join(", ");
 * ```
 */
export const MediaType = {
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  OciLayerNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  OciLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  OciLayerNondistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestV1: "application/vnd.docker.distribution.manifest.v1+json",
  DockerManifestV1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

const INDEX_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciIndex,
  MediaType.DockerManifestList,
]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciManifest,
  MediaType.DockerManifest,
]);
const SCHEMA1_TYPES: ReadonlySet<string> = new Set([
  MediaType.DockerManifestV1,
  MediaType.DockerManifestV1Signed,
]);
const CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);
const LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciLayer,
  MediaType.OciLayerGzip,
  MediaType.OciLayerZstd,
  MediaType.OciLayerNondistributable,
  MediaType.OciLayerNondistributableGzip,
  MediaType.OciLayerNondistributableZstd,
  MediaType.DockerLayer,
  MediaType.DockerLayerGzip,
  MediaType.DockerForeignLayerGzip,
]);

/**
 * The bare type: parameters after `;` dropped, lowercased (HTTP
 * `Content-Type` values carry `; charset=…` at times).
 *
 * @example
 * ```ts
 * import { essence } from "./media_types.ts";
 * essence("Application/JSON; charset=utf-8"); // "application/json"
 * ```
 */
export function essence(mediaType: string): string {
  return mediaType.split(";", 1)[0]!.trim().toLowerCase();
}

/**
 * An OCI image index or a Docker manifest list (a list of per-platform manifests).
 *
 * @example
 * ```ts
 * import { isIndexMediaType } from "./media_types.ts";
 * isIndexMediaType("application/vnd.docker.distribution.manifest.list.v2+json"); // true
 * ```
 */
export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(essence(mediaType));
}

/**
 * An OCI image manifest or a Docker schema 2 manifest (one image).
 *
 * @example
 * ```ts
 * import { isManifestMediaType } from "./media_types.ts";
 * isManifestMediaType("application/vnd.oci.image.manifest.v1+json"); // true
 * ```
 */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_TYPES.has(essence(mediaType));
}

/**
 * A Docker schema 1 manifest, signed or not: obsolete, and refused.
 *
 * @example
 * ```ts
 * import { isSchema1MediaType } from "./media_types.ts";
 * isSchema1MediaType("application/vnd.docker.distribution.manifest.v1+prettyjws"); // true
 * ```
 */
export function isSchema1MediaType(mediaType: string): boolean {
  return SCHEMA1_TYPES.has(essence(mediaType));
}

/**
 * A container image config (OCI or Docker); anything else in a manifest's
 * `config` means the manifest describes an artifact (a Helm chart, a
 * signature…), not a file system.
 *
 * @example
 * ```ts
 * import { isConfigMediaType } from "./media_types.ts";
 * isConfigMediaType("application/vnd.docker.container.image.v1+json"); // true
 * isConfigMediaType("application/vnd.cncf.helm.config.v1+json"); // false
 * ```
 */
export function isConfigMediaType(mediaType: string): boolean {
  return CONFIG_TYPES.has(essence(mediaType));
}

/**
 * A file-system layer: a tar, plain or gzip/zstd compressed, OCI or Docker,
 * distributable or not.
 *
 * @example
 * ```ts
 * import { isLayerMediaType } from "./media_types.ts";
 * isLayerMediaType("application/vnd.oci.image.layer.v1.tar+zstd"); // true
 * isLayerMediaType("application/vnd.in-toto+json"); // false
 * ```
 */
export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_TYPES.has(essence(mediaType));
}
