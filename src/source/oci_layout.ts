/**
 * The `oci:DIR[:TAG|@DIGEST]` source: an OCI image layout (the directory
 * `skopeo copy … oci:DIR:TAG`, `umoci` and BuildKit's OCI exporter write):
 * `oci-layout`, `index.json`, and blobs under `blobs/<alg>/<hex>`. The
 * reading works on any {@link FileSet}, so `oci-archive:` reuses it for a
 * tar of a layout.
 *
 * @module
 */
import { parseDigest } from "../image/digest.ts";
import { ImageError } from "../image/errors.ts";
import { MAX_MANIFEST_SIZE, parseJsonObject } from "../image/json.ts";
import { type ImageIndex, parseImageIndex } from "../image/manifest.ts";
import { isAttestation } from "../image/platform.ts";
import { type BlobStore, resolveImage, resolveIndex } from "../image/resolve.ts";
import type { Descriptor, Image } from "../image/types.ts";
import { fileSize } from "../runtime/blob_file.ts";
import { directoryFileSet, type FileSet } from "./file_set.ts";
import { type ImageSourceOptions, locate } from "./image_source.ts";

/** The annotation that names an image in a layout's index.json. */
const REF_NAME = "org.opencontainers.image.ref.name";

/**
 * Options of {@link readOciLayout}: which image of the layout, and how.
 *
 * @example
 * ```ts
 * import type { OciLayoutOptions } from "./oci_layout.ts";
 * const options: OciLayoutOptions = { reference: "oci:./layout:1.0", tag: "1.0", platform: "linux/arm64" };
 * ```
 */
export interface OciLayoutOptions extends ImageSourceOptions {
  /** What the user named, for messages and `Image.reference`. */
  reference: string;
  /** Matched against the `org.opencontainers.image.ref.name` annotations. */
  tag?: string;
  /** A manifest or index in the layout, listed in index.json or not. */
  digest?: string;
}

/**
 * The blobs of a layout: `blobs/<algorithm>/<hex>`. Digests were validated
 * when their descriptors were parsed, so the path cannot escape.
 *
 * @example
 * ```ts
 * import { directoryFileSet } from "./file_set.ts";
 * import { layoutBlobStore } from "./oci_layout.ts";
 * const store = layoutBlobStore(directoryFileSet("./layout"));
 * ```
 */
export function layoutBlobStore(files: FileSet): Required<BlobStore> {
  const pathOf = (descriptor: Descriptor) => {
    const { algorithm, hex } = parseDigest(descriptor.digest);
    return `blobs/${algorithm}/${hex}`;
  };
  return {
    open: (descriptor, signal) => files.open(pathOf(descriptor), { signal }),
    stat: (descriptor) => files.size(pathOf(descriptor)),
  };
}

/**
 * Reads the image the options select from the layout in `files`:
 *
 * - `digest`: that manifest or index (from index.json, or any blob of the layout);
 * - `tag`: the index.json entry whose `org.opencontainers.image.ref.name` is
 *   the tag (several entries with platforms: the platform's);
 * - neither: the only image in index.json, or — when no entry is named —
 *   the platform's entry; otherwise an error listing the names.
 *
 * An index (multi-platform image) is narrowed to `options.platform`. Throws
 * {@link ImageError} for a directory that is not a layout, an unsupported
 * layout version, and everything {@link resolveImage} refuses.
 *
 * @example
 * ```ts
 * import { directoryFileSet } from "./file_set.ts";
 * import { readOciLayout } from "./oci_layout.ts";
 * const image = await readOciLayout(directoryFileSet("./layout"), {
 *   reference: "oci:./layout:1.0",
 *   tag: "1.0",
 * });
 * console.log(image.digest, image.layers.length);
 * ```
 */
export async function readOciLayout(files: FileSet, options: OciLayoutOptions): Promise<Image> {
  const { reference } = options;
  const fail = (message: string, digest?: string) => new ImageError(message, { reference, digest });
  const layoutFile = await files.read("oci-layout", MAX_MANIFEST_SIZE);
  if (layoutFile === undefined) {
    throw fail(`${files.name} is not an OCI image layout (it has no oci-layout file)`);
  }
  const version = parseJsonObject(layoutFile, { what: "oci-layout", reference }).string(
    "imageLayoutVersion",
  );
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw fail(`unsupported OCI layout version ${JSON.stringify(version)}`);
  }
  const indexBytes = await files.read("index.json", MAX_MANIFEST_SIZE);
  if (indexBytes === undefined) {
    throw fail(`${files.name} is not an OCI image layout (it has no index.json)`);
  }
  const index = parseImageIndex(indexBytes, { what: "index.json", reference });
  const store = layoutBlobStore(files);
  const resolveOptions = { reference, platform: options.platform, signal: options.signal };

  if (options.digest !== undefined) {
    const listed = index.manifests.find((entry) => entry.digest === options.digest);
    if (listed) return resolveImage(store, listed, resolveOptions);
    // Not in index.json, but perhaps a blob of it (a platform's manifest of
    // a listed index): its media type then comes from the document itself.
    const size = await store.stat({ mediaType: "", digest: options.digest, size: 0 });
    if (size === undefined) {
      throw fail(`no manifest ${options.digest} in ${files.name}`, options.digest);
    }
    return resolveImage(store, { mediaType: "", digest: options.digest, size }, resolveOptions);
  }

  const images = index.manifests.filter((entry) => !isAttestation(entry));
  if (options.tag !== undefined) {
    const tagged = images.filter((entry) => entry.annotations?.[REF_NAME] === options.tag);
    if (tagged.length === 0) {
      throw fail(
        `no image tagged ${JSON.stringify(options.tag)} in ${files.name}; ${listNames(images)}`,
      );
    }
    return choose(
      store,
      tagged,
      index,
      resolveOptions,
      fail,
      `tagged ${JSON.stringify(options.tag)}`,
    );
  }
  if (images.length === 0) throw fail(`${files.name} holds no images (index.json lists none)`);
  if (images.length === 1 || images.every((entry) => entry.annotations?.[REF_NAME] === undefined)) {
    return choose(store, images, index, resolveOptions, fail, "in index.json");
  }
  throw fail(
    `${files.name} holds ${images.length} images; name one as PATH:TAG or PATH@DIGEST (${
      listNames(images)
    })`,
  );
}

/** One entry is the image; several with platforms are the platforms of one image. */
function choose(
  store: BlobStore,
  entries: Descriptor[],
  index: ImageIndex,
  options: { reference: string; platform?: ImageSourceOptions["platform"]; signal?: AbortSignal },
  fail: (message: string) => ImageError,
  what: string,
): Promise<Image> {
  if (entries.length === 1) return resolveImage(store, entries[0]!, options);
  if (entries.some((entry) => entry.platform === undefined)) {
    throw fail(
      `${entries.length} images are ${what}, not all with a platform; name one by digest (${
        entries.map((e) => e.digest).join(", ")
      })`,
    );
  }
  return resolveIndex(store, { ...index, manifests: entries }, options);
}

function listNames(entries: readonly Descriptor[]): string {
  const names = entries.map((entry) => entry.annotations?.[REF_NAME] ?? `@${entry.digest}`);
  return names.length === 0 ? "it has no images" : `images: ${names.join(", ")}`;
}

/**
 * Opens `oci:LOCATION`: `DIR`, `DIR:TAG` or `DIR@DIGEST` (see
 * {@link locate} for paths containing `:`).
 *
 * @example
 * ```ts
 * import { openOciLayoutSource } from "./oci_layout.ts";
 * const image = await openOciLayoutSource("./layout:1.0", { platform: "linux/arm64" });
 * for (const layer of image.layers) console.log(layer.descriptor.digest);
 * ```
 */
export async function openOciLayoutSource(
  location: string,
  options: ImageSourceOptions = {},
): Promise<Image> {
  const isLayout = async (path: string) => (await fileSize(`${path}/oci-layout`)) !== undefined;
  const { path, tag, digest } = await locate(location, isLayout);
  return readOciLayout(directoryFileSet(path), {
    ...options,
    reference: options.reference ?? `oci:${location}`,
    tag,
    digest,
  });
}
