/**
 * The `oci-archive:FILE[:TAG|@DIGEST]` source: a tar of an OCI image layout
 * (`skopeo copy … oci-archive:FILE:TAG`, `tar -C layout -cf FILE .`), read
 * in place: the archive's headers are indexed once and every blob is served
 * as a region of the archive, so nothing is extracted to disk.
 *
 * @module
 */
import { ImageError } from "../image/errors.ts";
import type { Image } from "../image/types.ts";
import { fileSize } from "../runtime/blob_file.ts";
import { tarFileSet } from "./file_set.ts";
import { type ImageSourceOptions, locate } from "./image_source.ts";
import { readOciLayout } from "./oci_layout.ts";

/**
 * Opens `oci-archive:LOCATION`: `FILE`, `FILE:TAG` or `FILE@DIGEST`, with
 * the same selection rules as `oci:` and the same handling of `:` in
 * paths (see {@link locate}) (see {@link readOciLayout}). For an
 * archive that is not on disk (a browser `File`), pass
 * `archiveFileSet(…)` to {@link readOciLayout} instead.
 *
 * @example
 * ```ts
 * import { openOciArchiveSource } from "./oci_archive.ts";
 * const image = await openOciArchiveSource("image.tar:1.0", { platform: "linux/arm64" });
 * console.log(image.platform, image.layers.length);
 * ```
 */
export async function openOciArchiveSource(
  location: string,
  options: ImageSourceOptions = {},
): Promise<Image> {
  const { path, tag, digest } = await locate(
    location,
    async (path) => (await fileSize(path)) !== undefined,
  );
  const reference = options.reference ?? `oci-archive:${location}`;
  if ((await fileSize(path)) === undefined) {
    throw new ImageError(`${path}: no such file`, { reference });
  }
  const files = await tarFileSet(path, options.signal);
  return readOciLayout(files, { ...options, reference, tag, digest });
}
