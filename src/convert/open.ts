/**
 * Opening a parsed source, loading only the code its kind needs: each
 * opener is imported when first used, so a page or an edge function that
 * converts registry images never loads the file-system sources (which import
 * `node:fs`).
 *
 * @module
 */
import type { Image } from "../image/types.ts";
import type { ImageSourceKind, SourceSpec } from "../source/spec.ts";
import type { RegistrySourceOptions } from "../source/registry.ts";
import type { SourceOptions } from "../source/options.ts";
import type { Tree } from "../tree/mod.ts";

type ImageOpener = (location: string, options: RegistrySourceOptions) => Promise<Image>;
type TreeReader = (location: string, options: SourceOptions) => Promise<Tree>;

const IMAGE_OPENERS: Record<ImageSourceKind, () => Promise<ImageOpener>> = {
  docker: async () => (await import("../source/registry.ts")).openRegistrySource,
  oci: async () => (await import("../source/oci_layout.ts")).openOciLayoutSource,
  "oci-archive": async () => (await import("../source/oci_archive.ts")).openOciArchiveSource,
  "docker-archive": async () =>
    (await import("../source/docker_archive.ts")).openDockerArchiveSource,
};

const TREE_READERS: Record<"dir" | "tar", () => Promise<TreeReader>> = {
  dir: async () => (await import("../source/dir.ts")).readDirSource,
  tar: async () => (await import("../source/tar.ts")).readTarSource,
};

/**
 * Opens an image source (`[docker://]REF`, `oci:`, `oci-archive:`,
 * `docker-archive:`): manifest, config and verified layer streams.
 *
 * @example
 * ```ts
 * import { openImage } from "./open.ts";
 * const image = await openImage({ kind: "oci", location: "examples/busybox:latest" }, {});
 * console.log(image.layers.length); // 2
 * ```
 */
export async function openImage(
  spec: SourceSpec & { kind: ImageSourceKind },
  options: RegistrySourceOptions,
): Promise<Image> {
  const open = await IMAGE_OPENERS[spec.kind]();
  return await open(spec.location, options);
}

/**
 * Reads a file-tree source (`dir:`, `tar:`) into a tree.
 *
 * @example
 * ```ts
 * import { readTree } from "./open.ts";
 * const tree = await readTree({ kind: "tar", location: "examples/hello.tar" }, {});
 * ```
 */
export async function readTree(spec: SourceSpec, options: SourceOptions): Promise<Tree> {
  const read = await TREE_READERS[spec.kind as "dir" | "tar"]();
  return await read(spec.location, options);
}
