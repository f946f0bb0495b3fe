/**
 * oci2erofs: container images (registries, OCI layouts, OCI and Docker
 * archives, tars, directories) converted into EROFS file-system images that
 * Linux mounts with `mount -t erofs`, in Node, Deno, browsers and edge
 * functions.
 *
 * Most programs need only {@link convert}: it takes a source written as on
 * the command line and an options object (named after mkfs.erofs's
 * options), and returns a {@link Conversion} to stream, pipe or write.
 * Progress arrives as typed {@link ProgressEvent}s. For your own file trees,
 * build a {@link Tree} and pass it to {@link buildErofs}. On Node and Deno,
 * `spool: await openFileSpool(dir)` makes image layers download and
 * decompress once instead of twice, for as much temporary disk space as the
 * layers' files take (close it after writing).
 *
 * @example
 * ```ts
 * import { convert } from "./mod.ts";
 * const conversion = await convert("oci:examples/busybox:latest", {
 *   onProgress: (event) => {
 *     if (event.type === "layer" && event.done) console.log(`layer ${event.index + 1} read`);
 *   },
 * });
 * await conversion.writeTo("busybox.erofs");
 * console.log(`${conversion.digest}: ${conversion.inodes} inodes, ${conversion.size} bytes`);
 * ```
 *
 * @module
 */
export * from "./src/entry/browser.ts";
export {
  type DockerArchiveOptions,
  type ImageSourceOptions,
  openDockerArchiveSource,
  openImageSource,
  openOciArchiveSource,
  openOciLayoutSource,
  readDirSource,
  readSource,
  readTarSource,
  type SourceOptions,
} from "./src/source/mod.ts";
export { writeImageFile, type WriteImageOptions } from "./src/sink/file.ts";
export { openFileSpool, spoolDirectoryFor } from "./src/runtime/file_spool.ts";
