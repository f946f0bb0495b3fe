/**
 * From a manifest descriptor to an {@link Image}, whatever holds the blobs
 * (an OCI layout directory, an archive, a registry): read the manifest,
 * descend through indexes to the wanted platform, read the config, and wrap
 * each layer so that every read of it is verified. Every manifest and config
 * is checked against its descriptor's size and digest before it is parsed.
 *
 * @module
 */
import { verifiedBlobStream } from "./blob_stream.ts";
import { parseImageConfig } from "./config.ts";
import { parseDigest, verifyDigest } from "./digest.ts";
import { ImageError } from "./errors.ts";
import { MAX_MANIFEST_SIZE } from "./json.ts";
import { type ImageIndex, type ImageManifest, parseManifest } from "./manifest.ts";
import { isConfigMediaType, isLayerMediaType } from "./media_types.ts";
import {
  DEFAULT_PLATFORM,
  formatPlatform,
  isAttestation,
  normalizePlatform,
  parsePlatform,
  platformRuns,
  selectPlatform,
} from "./platform.ts";
import type { Descriptor, Image, LayerBlob, Platform } from "./types.ts";

/**
 * Where the blobs of an image are. Implementations hand out raw bytes;
 * checking them is the resolver's job.
 *
 * @example
 * ```ts
 * import type { BlobStore } from "./resolve.ts";
 * const blobs = new Map<string, Uint8Array<ArrayBuffer>>();
 * const store: BlobStore = {
 *   open: (descriptor) => new Blob([blobs.get(descriptor.digest) ?? new Uint8Array()]).stream(),
 *   stat: async (descriptor) => blobs.get(descriptor.digest)?.length,
 * };
 * ```
 */
export interface BlobStore {
  /**
   * The blob's bytes, unverified. A missing blob errors the stream (with a
   * message saying so). May be called any number of times.
   */
  open(descriptor: Descriptor, signal?: AbortSignal): ReadableStream<Uint8Array>;
  /**
   * The stored size of the blob, or `undefined` when it is absent. Local
   * stores provide it so that a missing or wrongly sized layer is reported
   * when the image is opened, not minutes into a conversion.
   */
  stat?(descriptor: Descriptor): Promise<number | undefined>;
}

/**
 * Options of {@link resolveImage}.
 *
 * @example
 * ```ts
 * import type { ResolveOptions } from "./resolve.ts";
 * const options: ResolveOptions = { reference: "oci:./layout:1.0", platform: "linux/arm64" };
 * ```
 */
export interface ResolveOptions {
  /** What the user named, for {@link Image.reference} and error messages. */
  reference: string;
  /**
   * The platform to choose from indexes (`"linux/arm64"` or a record).
   * Default {@link DEFAULT_PLATFORM}. When given explicitly, a
   * single-platform image for another platform is refused too.
   */
  platform?: string | Platform;
  /** Stops reading. */
  signal?: AbortSignal;
}

/** Indexes nested deeper than this are refused (a loop, or a hostile image). */
const MAX_DEPTH = 4;

/**
 * Resolves the manifest or index `descriptor` in `store` to an image for
 * the wanted platform. Throws {@link ImageError} for a missing, oversized,
 * corrupt or malformed manifest or config, a config whose `diff_ids` do not
 * match the layers, a layer that is missing or is not a file-system layer,
 * and an index with nothing for the platform (listing what it has).
 *
 * @example
 * ```ts
 * import { resolveImage, type BlobStore } from "./resolve.ts";
 * declare const store: BlobStore;
 * const image = await resolveImage(store, {
 *   mediaType: "application/vnd.oci.image.index.v1+json",
 *   digest: "sha256:…",
 *   size: 1234,
 * }, { reference: "oci:./layout", platform: "linux/arm64" });
 * for (const layer of image.layers) console.log(layer.descriptor.digest, layer.diffId);
 * ```
 */
export function resolveImage(
  store: BlobStore,
  descriptor: Descriptor,
  options: ResolveOptions,
): Promise<Image> {
  return new Resolver(store, options).resolve(descriptor, 0);
}

/**
 * Resolves an index that is already parsed (an OCI layout's `index.json`
 * listing one manifest per platform): chooses the platform, then proceeds as
 * {@link resolveImage}.
 *
 * @example
 * ```ts
 * import { resolveIndex, type BlobStore } from "./resolve.ts";
 * declare const store: BlobStore;
 * const image = await resolveIndex(store, { kind: "index", mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }, {
 *   reference: "oci:./layout",
 * });
 * ```
 */
export function resolveIndex(
  store: BlobStore,
  index: ImageIndex,
  options: ResolveOptions,
): Promise<Image> {
  const resolver = new Resolver(store, options);
  return resolver.resolve(resolver.choose(index, undefined), 1);
}

/**
 * Reads a small blob (manifest, config) whole and checks it against its
 * descriptor: at most {@link MAX_MANIFEST_SIZE} bytes, exactly
 * `descriptor.size` of them, hashing to `descriptor.digest` (sha256 or
 * sha512). `what` names it in errors.
 *
 * @example
 * ```ts
 * import { readVerifiedBlob, type BlobStore } from "./resolve.ts";
 * declare const store: BlobStore;
 * const bytes = await readVerifiedBlob(store, { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:…", size: 321 }, {
 *   what: "config",
 *   reference: "oci:./layout",
 * });
 * ```
 */
export async function readVerifiedBlob(
  store: BlobStore,
  descriptor: Descriptor,
  options: { what: string; reference?: string; signal?: AbortSignal },
): Promise<Uint8Array> {
  const { digest, size } = descriptor;
  const fail = (message: string, cause?: unknown) =>
    new ImageError(`${options.what} ${digest} ${message}`, {
      reference: options.reference,
      digest,
      cause,
    });
  parseDigest(digest);
  if (size > MAX_MANIFEST_SIZE) {
    throw fail(`is ${size} bytes, more than the ${MAX_MANIFEST_SIZE}-byte limit`);
  }
  if (store.stat) {
    const stored = await store.stat(descriptor);
    if (stored === undefined) throw fail("is missing");
    if (stored !== size) throw fail(`is ${stored} bytes, expected ${size}`);
  }
  const bytes = new Uint8Array(size);
  let filled = 0;
  const reader = store.open(descriptor, options.signal).getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > size) {
        throw fail(`is at least ${filled + value.length} bytes, expected ${size}`);
      }
      bytes.set(value, filled);
      filled += value.length;
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    // An abort is not a fault of the blob: pass the caller's reason through.
    if (error instanceof ImageError || options.signal?.aborted) throw error;
    throw fail(`cannot be read: ${(error as Error).message}`, error);
  } finally {
    reader.releaseLock();
  }
  if (filled < size) throw fail(`is ${filled} bytes, expected ${size}`);
  await verifyDigest(bytes, digest, options);
  return bytes;
}

class Resolver {
  readonly #store: BlobStore;
  readonly #reference: string;
  readonly #platform: Platform;
  readonly #explicit: boolean;
  readonly #signal: AbortSignal | undefined;

  constructor(store: BlobStore, options: ResolveOptions) {
    this.#store = store;
    this.#reference = options.reference;
    const platform = options.platform ?? DEFAULT_PLATFORM;
    this.#platform = typeof platform === "string"
      ? parsePlatform(platform)
      : normalizePlatform(platform);
    this.#explicit = options.platform !== undefined;
    this.#signal = options.signal;
  }

  #error(message: string, digest?: string): ImageError {
    return new ImageError(message, { reference: this.#reference, digest });
  }

  choose(index: ImageIndex, digest: string | undefined): Descriptor {
    // A lone entry without a platform wraps the real choice (an index.json
    // naming one multi-platform index, BuildKit's OCI export): follow it, and
    // let the config's platform be checked at the end.
    const images = index.manifests.filter((entry) => !isAttestation(entry));
    if (images.length === 1 && images[0]!.platform === undefined) return images[0]!;
    return selectPlatform(index.manifests, this.#platform, { reference: this.#reference, digest });
  }

  async resolve(descriptor: Descriptor, depth: number): Promise<Image> {
    this.#signal?.throwIfAborted();
    if (depth > MAX_DEPTH) {
      throw this.#error(`indexes nest more than ${MAX_DEPTH} deep`, descriptor.digest);
    }
    const bytes = await readVerifiedBlob(this.#store, descriptor, {
      what: "manifest",
      reference: this.#reference,
      signal: this.#signal,
    });
    const parsed = parseManifest(bytes, {
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      reference: this.#reference,
    });
    if (parsed.kind === "index") {
      return this.resolve(this.choose(parsed, descriptor.digest), depth + 1);
    }
    return this.#image(descriptor, parsed);
  }

  async #image(descriptor: Descriptor, manifest: ImageManifest): Promise<Image> {
    const { digest } = descriptor;
    if (!isConfigMediaType(manifest.config.mediaType)) {
      throw this.#error(
        `manifest ${digest} is not a container image: its config is ${manifest.config.mediaType}`,
        digest,
      );
    }
    const configBytes = await readVerifiedBlob(this.#store, manifest.config, {
      what: "config",
      reference: this.#reference,
      signal: this.#signal,
    });
    const config = parseImageConfig(configBytes, {
      digest: manifest.config.digest,
      reference: this.#reference,
      layerCount: manifest.layers.length,
    });
    const platform = normalizePlatform(config);
    if (this.#explicit && !platformRuns(this.#platform, platform)) {
      throw this.#error(
        `image ${digest} is for ${formatPlatform(platform)}, not ${formatPlatform(this.#platform)}`,
        digest,
      );
    }
    const layers = await Promise.all(
      manifest.layers.map((layer, i) => this.#layer(layer, config.rootfs.diff_ids[i]!)),
    );
    return { reference: this.#reference, digest, platform, config, layers };
  }

  async #layer(descriptor: Descriptor, diffId: string): Promise<LayerBlob> {
    const { digest, mediaType, size } = descriptor;
    if (!isLayerMediaType(mediaType)) {
      throw this.#error(
        `layer ${digest} has media type ${mediaType}, which is not a file-system layer`,
        digest,
      );
    }
    const { algorithm } = parseDigest(digest);
    if (algorithm !== "sha256") {
      throw this.#error(`layer ${digest}: ${algorithm} layers are not supported yet`, digest);
    }
    if (this.#store.stat) {
      const stored = await this.#store.stat(descriptor);
      if (stored === undefined) throw this.#error(`layer blob ${digest} is missing`, digest);
      if (stored !== size) {
        throw this.#error(`blob ${digest} is ${stored} bytes, expected ${size}`, digest);
      }
    }
    const store = this.#store;
    const reference = this.#reference;
    return {
      descriptor,
      diffId,
      open: (signal) =>
        verifiedBlobStream(store.open(descriptor, signal), descriptor, { reference, signal }),
    };
  }
}
