/**
 * Stage "image": what a container image is once its source has been read —
 * typed records for OCI and Docker descriptors, manifests, indexes and
 * configs, and the {@link Image} every source (registry, OCI layout,
 * archives) hands to the layer stage. Parsed and validated once, then
 * trusted.
 *
 * @module
 */

/**
 * `os/architecture[/variant]`, as in OCI image indexes and configs.
 *
 * @example
 * ```ts
 * import type { Platform } from "./types.ts";
 * const armv7: Platform = { os: "linux", architecture: "arm", variant: "v7" };
 * ```
 */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly "os.version"?: string;
  readonly "os.features"?: readonly string[];
}

/**
 * A content descriptor: what a blob is, its digest and size.
 *
 * @example
 * ```ts
 * import type { Descriptor } from "./types.ts";
 * const config: Descriptor = {
 *   mediaType: "application/vnd.oci.image.config.v1+json",
 *   digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
 *   size: 2,
 * };
 * ```
 */
export interface Descriptor {
  readonly mediaType: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  readonly digest: string;
  /** Exact byte length of the blob. */
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly urls?: readonly string[];
}

/**
 * The parts of an image config that building a file system needs.
 *
 * @example
 * ```ts
 * import type { ImageConfig } from "./types.ts";
 * const layers = (config: ImageConfig) => config.rootfs.diff_ids.length;
 * ```
 */
export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  /** Digests of the *uncompressed* layer tars, bottom first. */
  readonly rootfs: { readonly type: "layers"; readonly diff_ids: readonly string[] };
  /** The raw parsed config, for whoever wants more (Env, Entrypoint, history…). */
  readonly raw: unknown;
}

/**
 * One layer blob of an image.
 *
 * @example
 * ```ts
 * import type { LayerBlob } from "./types.ts";
 * async function storedSize(layer: LayerBlob): Promise<number> {
 *   let bytes = 0;
 *   for await (const chunk of layer.open()) bytes += chunk.length; // digest-checked on the way
 *   return bytes;
 * }
 * ```
 */
export interface LayerBlob {
  /** The (usually compressed) blob as the manifest describes it. */
  readonly descriptor: Descriptor;
  /** Digest of the uncompressed tar (config `rootfs.diff_ids[i]`). */
  readonly diffId: string;
  /**
   * Opens the blob's bytes. The stream checks `descriptor.size` and
   * `descriptor.digest` as it goes and errors (naming the digest) on a
   * mismatch instead of ending normally. May be called again: layers are
   * read twice (headers first, then the surviving file data).
   */
  open(signal?: AbortSignal): ReadableStream<Uint8Array>;
}

/**
 * A resolved image: one platform's manifest, config and layers.
 *
 * @example
 * ```ts
 * import type { Image } from "./types.ts";
 * const describe = (image: Image) =>
 *   `${image.reference} ${image.digest}: ${image.layers.length} layers for ${image.platform.architecture}`;
 * ```
 */
export interface Image {
  /** What the user named, e.g. `oci:./layout:1.0`. */
  readonly reference: string;
  /**
   * Digest of the image manifest. (`docker-archive:` stores no manifest; there
   * it is the config's digest, the image ID.)
   */
  readonly digest: string;
  readonly platform: Platform;
  readonly config: ImageConfig;
  /** Bottom layer first. */
  readonly layers: readonly LayerBlob[];
}
