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
import { openRegistrySource } from "./registry.ts";
import { openOciLayoutSource } from "./oci_layout.ts";
import type { SourceOptions } from "./options.ts";
import { readTarSource } from "./tar.ts";
import { type ImageSourceKind, isImageSource, SourceError, type SourceSpec } from "./spec.ts";

export type { SourceOptions } from "./options.ts";
export {
  type ImageSourceKind,
  isImageSource,
  parseSource,
  SOURCE_SYNTAX,
  SourceError,
  type SourceKind,
  type SourceSpec,
} from "./spec.ts";
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
  ImageSourceKind,
  (location: string, options?: ImageSourceOptions) => Promise<Image>
>;

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
