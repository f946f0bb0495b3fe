/**
 * The `docker-archive:FILE[:REF]` source: what `docker save` and
 * `skopeo copy … docker-archive:FILE:NAME:TAG` write. `manifest.json` lists
 * each image's config file, tags and layer files (`ID/layer.tar`,
 * `HEX.tar`, or `blobs/sha256/HEX` since Docker 25); there is no registry
 * manifest, so each layer's descriptor is made from the file as stored:
 * its size, its compression (from its first bytes), and its digest — the
 * diff ID for an uncompressed layer, the digest in a `blobs/sha256/HEX`
 * name, or else the hash of the file. Layers are read in place from the archive.
 *
 * @module
 */
import { verifiedBlobStream } from "../image/blob_stream.ts";
import { parseImageConfig } from "../image/config.ts";
import { digestBytes } from "../image/digest.ts";
import { ImageError } from "../image/errors.ts";
import { failWith, JsonFields, MAX_MANIFEST_SIZE, parseJson } from "../image/json.ts";
import { MediaType } from "../image/media_types.ts";
import {
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  platformRuns,
} from "../image/platform.ts";
import type { Descriptor, Image, LayerBlob } from "../image/types.ts";
import { detectCompression, MAGIC_LENGTH } from "../layers/decompress/detect.ts";
import { fileSize } from "../runtime/blob_file.ts";
import { createSha256 } from "../runtime/hash.ts";
import { type FileSet, tarFileSet } from "./file_set.ts";
import type { ImageSourceOptions } from "./image_source.ts";

/**
 * Options of {@link readDockerArchive}.
 *
 * @example
 * ```ts
 * import type { DockerArchiveOptions } from "./docker_archive.ts";
 * const options: DockerArchiveOptions = { reference: "docker-archive:x.tar:alpine:3.20", image: "alpine:3.20" };
 * ```
 */
export interface DockerArchiveOptions extends ImageSourceOptions {
  /** What the user named, for messages and `Image.reference`. */
  reference: string;
  /**
   * Which image of the archive: a name from its `RepoTags` (`alpine`,
   * `alpine:3.20`, `docker.io/library/alpine:3.20` are the same) or `@N`,
   * the N-th entry of manifest.json (0-based, as skopeo counts). Optional
   * when the archive holds one image.
   */
  image?: string;
}

/** One entry of manifest.json, validated. */
interface ArchiveEntry {
  readonly config: string;
  readonly repoTags: readonly string[];
  readonly layers: readonly string[];
}

/**
 * A Docker image name in its full form (`alpine` → `docker.io/library/alpine:latest`),
 * so that the names `docker save` writes (short) and skopeo writes (full) match.
 */
function normalizeName(reference: string): string {
  let name = reference;
  let tag = "latest";
  const colon = reference.lastIndexOf(":");
  if (colon > reference.lastIndexOf("/")) {
    name = reference.slice(0, colon);
    tag = reference.slice(colon + 1);
  }
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const hasHost = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasHost) name = `docker.io/${name}`;
  else if (first === "index.docker.io") name = `docker.io${name.slice(slash)}`;
  if (name.startsWith("docker.io/") && !name.slice(10).includes("/")) {
    name = `docker.io/library/${name.slice(10)}`;
  }
  return `${name}:${tag}`;
}

function parseEntries(bytes: Uint8Array, reference: string): ArchiveEntry[] {
  const source = { what: "manifest.json", reference };
  const value = parseJson(bytes, source);
  const fail = failWith(source);
  if (!Array.isArray(value)) fail("must be an array of images");
  return (value as unknown[]).map((element, i) => {
    const fields = JsonFields.of(element, `[${i}]`, fail);
    return {
      config: fields.string("Config"),
      repoTags: fields.optionalStrings("RepoTags") ?? [],
      layers: fields.array("Layers", (layer, path) => {
        if (typeof layer !== "string") return fail(`field "${path}" must be a string`);
        return layer;
      }),
    };
  });
}

function chooseEntry(
  entries: readonly ArchiveEntry[],
  wanted: string | undefined,
  fail: (m: string) => ImageError,
) {
  const names = entries.map((entry, i) => entry.repoTags.join(", ") || `@${i} (untagged)`).join(
    "; ",
  );
  if (wanted === undefined) {
    if (entries.length === 1) return entries[0]!;
    throw fail(
      entries.length === 0
        ? "the archive holds no images (manifest.json is empty)"
        : `the archive holds ${entries.length} images; name one as FILE:NAME:TAG or FILE:@N (${names})`,
    );
  }
  if (/^@\d+$/.test(wanted)) {
    const entry = entries[Number(wanted.slice(1))];
    if (entry) return entry;
    throw fail(`the archive holds ${entries.length} images, so it has no image ${wanted}`);
  }
  const target = normalizeName(wanted);
  const entry = entries.find((e) => e.repoTags.some((tag) => normalizeName(tag) === target));
  if (entry) return entry;
  throw fail(`no image named ${JSON.stringify(wanted)} in the archive (it has: ${names})`);
}

/**
 * The digest a stored file's name promises: `blobs/sha256/HEX` (Docker 25
 * writes an OCI layout alongside) names its content; so does a config's
 * `HEX.json` (the image ID). Layers' `HEX.tar` is not trusted: skopeo names
 * them by diff ID, which for a compressed file is not its digest.
 */
function digestInName(path: string, config: boolean): string | undefined {
  const pattern = config
    ? /(?:^|\/)(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json)?$/
    : /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/;
  const match = pattern.exec(path);
  return match ? `sha256:${match[1]}` : undefined;
}

/** A (short) stream's bytes. */
async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function hashStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = await createSha256();
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) return `sha256:${hash.digestHex()}`;
    hash.update(value);
  }
}

/**
 * Reads an image from a `docker save` archive's files. `Image.digest` is the
 * config's digest (the image ID): the archive stores no registry manifest.
 * Throws {@link ImageError} for a missing or malformed manifest.json, an
 * unknown image name, a missing file, a config that does not match its name
 * or lists a different number of layers, and a config for another platform
 * when `options.platform` is given.
 *
 * @example
 * ```ts
 * import { tarFileSet } from "./file_set.ts";
 * import { readDockerArchive } from "./docker_archive.ts";
 * const image = await readDockerArchive(await tarFileSet("saved.tar"), {
 *   reference: "docker-archive:saved.tar",
 * });
 * console.log(image.config.rootfs.diff_ids);
 * ```
 */
export async function readDockerArchive(
  files: FileSet,
  options: DockerArchiveOptions,
): Promise<Image> {
  const { reference, signal } = options;
  const fail = (message: string, digest?: string) => new ImageError(message, { reference, digest });
  const manifestBytes = await files.read("manifest.json", MAX_MANIFEST_SIZE);
  if (manifestBytes === undefined) {
    throw fail(`${files.name} is not a docker save archive (it has no manifest.json)`);
  }
  const entry = chooseEntry(parseEntries(manifestBytes, reference), options.image, fail);

  const configBytes = await files.read(entry.config, MAX_MANIFEST_SIZE);
  if (configBytes === undefined) throw fail(`config file ${entry.config} is missing`);
  const digest = await digestBytes(configBytes);
  const named = digestInName(entry.config, true);
  if (named !== undefined && named !== digest) {
    throw fail(`config ${named} has digest ${digest}`, named);
  }
  const config = parseImageConfig(configBytes, {
    digest,
    reference,
    layerCount: entry.layers.length,
  });
  const platform = normalizePlatform(config);
  if (options.platform !== undefined) {
    const wanted = typeof options.platform === "string"
      ? parsePlatform(options.platform)
      : options.platform;
    if (!platformRuns(wanted, platform)) {
      throw fail(
        `image ${digest} is for ${formatPlatform(platform)}, not ${
          formatPlatform(normalizePlatform(wanted))
        }`,
        digest,
      );
    }
  }

  const layers = await Promise.all(entry.layers.map(async (path, i): Promise<LayerBlob> => {
    const diffId = config.rootfs.diff_ids[i]!;
    const size = await files.size(path);
    if (size === undefined) throw fail(`layer file ${path} is missing`, diffId);
    const magic = await readStream(
      files.open(path, { signal, length: Math.min(size, MAGIC_LENGTH) }),
    );
    const compression = detectCompression(magic);
    // An uncompressed layer is its own diff: its digest is the diff ID, and
    // verifying the stream checks it. Compressed ones need their own digest.
    const layerDigest = compression === "none"
      ? diffId
      : digestInName(path, false) ?? await hashStream(files.open(path, { signal }));
    const mediaType = compression === "gzip"
      ? MediaType.OciLayerGzip
      : compression === "zstd"
      ? MediaType.OciLayerZstd
      : MediaType.OciLayer;
    const descriptor: Descriptor = { mediaType, digest: layerDigest, size };
    return {
      descriptor,
      diffId,
      open: (streamSignal) =>
        verifiedBlobStream(files.open(path, { signal: streamSignal }), descriptor, {
          reference,
          signal: streamSignal,
        }),
    };
  }));
  return { reference, digest, platform, config, layers };
}

/**
 * Opens `docker-archive:LOCATION`: `FILE` or `FILE:REF`, REF being a name
 * from the archive's `RepoTags` (`NAME[:TAG]`, itself containing `:` and
 * `/`) or `@N`. The file is the longest prefix of the location that is a
 * file on disk, so paths with `:` work too.
 *
 * @example
 * ```ts
 * import { openDockerArchiveSource } from "./docker_archive.ts";
 * const image = await openDockerArchiveSource("saved.tar:docker.io/library/alpine:3.20");
 * for (const layer of image.layers) console.log(layer.descriptor.mediaType, layer.diffId);
 * ```
 */
export async function openDockerArchiveSource(
  location: string,
  options: ImageSourceOptions = {},
): Promise<Image> {
  const reference = options.reference ?? `docker-archive:${location}`;
  // Longest first: the whole location, then the prefixes before each `:`.
  let path: string | undefined;
  let colon = location.length;
  while (colon > 0 && path === undefined) {
    if ((await fileSize(location.slice(0, colon))) !== undefined) path = location.slice(0, colon);
    else colon = location.lastIndexOf(":", colon - 1);
  }
  if (path === undefined) throw new ImageError(`no such file: ${location}`, { reference });
  const image = location.slice(colon + 1) || undefined;
  const files = await tarFileSet(path, options.signal);
  return readDockerArchive(files, { ...options, reference, image });
}
