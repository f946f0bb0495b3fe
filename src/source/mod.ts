/**
 * Stage "sources": turning a SOURCE argument (`dir:PATH`, `tar:FILE`) into a
 * {@link Tree}, or an image source (`oci:`, `oci-archive:`,
 * `docker-archive:`; registries later) into an {@link Image}.
 *
 * @module
 */
import type { Image } from "../image/types.ts";
import type { Tree } from "../tree/mod.ts";
import { readDirSource } from "./dir.ts";
import { openDockerArchiveSource } from "./docker_archive.ts";
import type { ImageSourceOptions } from "./image_source.ts";
import { openOciArchiveSource } from "./oci_archive.ts";
import { InvalidReferenceError, parseReference } from "../reference/mod.ts";
import { openRegistrySource } from "./registry.ts";
import { openOciLayoutSource } from "./oci_layout.ts";
import type { SourceOptions } from "./options.ts";
import { readTarSource } from "./tar.ts";

export type { SourceOptions } from "./options.ts";
export { readDirSource } from "./dir.ts";
export { readTarSource } from "./tar.ts";
export { openRegistrySource, type RegistrySourceOptions } from "./registry.ts";
export type { ImageSourceOptions } from "./image_source.ts";
export { type OciLayoutOptions, openOciLayoutSource, readOciLayout } from "./oci_layout.ts";
export { openOciArchiveSource } from "./oci_archive.ts";
export {
  type DockerArchiveOptions,
  openDockerArchiveSource,
  readDockerArchive,
} from "./docker_archive.ts";
export {
  archiveFileSet,
  directoryFileSet,
  type FileSet,
  type OpenRegion,
  tarFileSet,
} from "./file_set.ts";

/**
 * A SOURCE argument, parsed.
 *
 * @example
 * ```ts
 * import { parseSource, type SourceSpec } from "./mod.ts";
 * const spec: SourceSpec = parseSource("tar:rootfs.tar");
 * console.log(spec.kind, spec.location); // tar rootfs.tar
 * ```
 */
export interface SourceSpec {
  readonly kind: SourceKind;
  /** Everything after `kind:`. */
  readonly location: string;
}

const READERS = {
  dir: readDirSource,
  tar: readTarSource,
} as const satisfies Record<string, (location: string, options?: SourceOptions) => Promise<Tree>>;

const IMAGE_OPENERS = {
  docker: openRegistrySource,
  oci: openOciLayoutSource,
  "oci-archive": openOciArchiveSource,
  "docker-archive": openDockerArchiveSource,
} as const satisfies Record<
  string,
  (location: string, options?: ImageSourceOptions) => Promise<Image>
>;

/**
 * The kinds of source that are container images (read with {@link openImageSource}).
 *
 * @example
 * ```ts
 * import type { ImageSourceKind } from "./mod.ts";
 * const kinds: ImageSourceKind[] = ["oci", "oci-archive", "docker-archive"];
 * ```
 */
export type ImageSourceKind = keyof typeof IMAGE_OPENERS;

/**
 * The kinds of source understood.
 *
 * @example
 * ```ts
 * import type { SourceKind } from "./mod.ts";
 * const kinds: SourceKind[] = ["dir", "tar", "oci"];
 * ```
 */
export type SourceKind = keyof typeof READERS | ImageSourceKind;

/**
 * How each kind is written, for messages and `--help`.
 *
 * @example
 * ```ts
 * import { SOURCE_SYNTAX } from "./mod.ts";
 * console.log(Object.values(SOURCE_SYNTAX).join(", ")); // dir:PATH, tar:FILE, oci:DIR[:TAG|@DIGEST], …
 * ```
 */
export const SOURCE_SYNTAX: Readonly<Record<SourceKind, string>> = {
  docker: "[docker://]REF",
  dir: "dir:PATH",
  tar: "tar:FILE",
  oci: "oci:DIR[:TAG|@DIGEST]",
  "oci-archive": "oci-archive:FILE[:TAG|@DIGEST]",
  "docker-archive": "docker-archive:FILE[:NAME[:TAG]|:@N]",
};

/**
 * A SOURCE argument that names no supported kind, or nothing after the kind.
 *
 * @example
 * ```ts
 * import { parseSource, SourceError } from "./mod.ts";
 * try {
 *   parseSource("docker://alpine");
 * } catch (e) {
 *   if (e instanceof SourceError) console.error(e.message);
 * }
 * ```
 */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceError";
  }
}

/**
 * Parses `KIND:LOCATION`. Throws {@link SourceError} listing the supported
 * kinds for anything else.
 *
 * @example
 * ```ts
 * import { parseSource } from "./mod.ts";
 * parseSource("tar:rootfs.tar"); // { kind: "tar", location: "rootfs.tar" }
 * ```
 */
export function parseSource(source: string): SourceSpec {
  const colon = source.indexOf(":");
  const kind = colon < 0 ? "" : source.slice(0, colon);
  const supported = Object.values(SOURCE_SYNTAX).join(", ");
  if (kind === "docker") {
    if (!source.startsWith("docker://") || source.length === "docker://".length) {
      throw new SourceError(
        `source ${JSON.stringify(source)} names no image; expected ${SOURCE_SYNTAX.docker}`,
      );
    }
    return { kind: "docker", location: source.slice("docker://".length) };
  }
  if (!Object.hasOwn(READERS, kind) && !Object.hasOwn(IMAGE_OPENERS, kind)) {
    // No known kind: a registry reference (`alpine`, `localhost:5000/x:1`).
    try {
      parseReference(source);
      return { kind: "docker", location: source };
    } catch (error) {
      const why = error instanceof InvalidReferenceError
        ? ` (as an image reference: ${error.reason})`
        : "";
      throw new SourceError(
        `unsupported source ${JSON.stringify(source)}${why}; supported: ${supported}`,
      );
    }
  }
  const location = source.slice(colon + 1);
  if (location === "") {
    throw new SourceError(
      `source ${JSON.stringify(source)} names no ${
        kind === "dir" || kind === "oci" ? "directory" : "file"
      }; expected ${SOURCE_SYNTAX[kind as SourceKind]}`,
    );
  }
  return { kind: kind as SourceKind, location };
}

/**
 * Whether a parsed source is a container image (`oci:`, `oci-archive:`,
 * `docker-archive:`) rather than a file tree.
 *
 * @example
 * ```ts
 * import { isImageSource, parseSource } from "./mod.ts";
 * isImageSource(parseSource("oci:./layout")); // true
 * isImageSource(parseSource("tar:rootfs.tar")); // false
 * ```
 */
export function isImageSource(spec: SourceSpec): spec is SourceSpec & { kind: ImageSourceKind } {
  return Object.hasOwn(IMAGE_OPENERS, spec.kind);
}

/**
 * Opens an image source: its manifest (for the wanted platform), config
 * and verified layer streams. Rejects with {@link SourceError} for a
 * file-tree kind (`dir:`, `tar:`).
 *
 * @example
 * ```ts
 * import { openImageSource, parseSource } from "./mod.ts";
 * const image = await openImageSource(parseSource("oci:./layout:1.0"), { platform: "linux/arm64" });
 * console.log(image.layers.length);
 * ```
 */
export function openImageSource(
  spec: SourceSpec,
  options: ImageSourceOptions = {},
): Promise<Image> {
  if (!isImageSource(spec)) {
    return Promise.reject(new SourceError(`${spec.kind}: sources are file trees, not images`));
  }
  return IMAGE_OPENERS[spec.kind](spec.location, options);
}

/**
 * Reads a parsed file-tree source (`dir:`, `tar:`) into a tree. Image
 * sources are opened with {@link openImageSource}; turning their layers into
 * a tree is the layer stage's job.
 *
 * @example
 * ```ts
 * import { parseSource, readSource } from "./mod.ts";
 * const tree = await readSource(parseSource("dir:./rootfs"));
 * ```
 */
export function readSource(spec: SourceSpec, options: SourceOptions = {}): Promise<Tree> {
  if (isImageSource(spec)) {
    return Promise.reject(
      new SourceError(
        `${spec.kind}: sources cannot be converted yet (applying image layers is not wired up)`,
      ),
    );
  }
  return READERS[spec.kind as keyof typeof READERS](spec.location, options);
}
