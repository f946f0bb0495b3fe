/**
 * `convert`: one call from a source to a {@link Conversion}. Parses the
 * source, opens it (image sources: manifest, config, layers), runs pass 1
 * (the tree from the layers' tar headers), clamps times, and plans the EROFS
 * layout; the caller then picks the sink.
 *
 * @module
 */
import { clampTimes } from "./clamp_time.ts";
import { buildErofs, type ErofsOptions } from "../erofs/mod.ts";
import type { Image } from "../image/types.ts";
import { imageTree } from "../layers/mod.ts";
import { isImageSource, parseSource, type SourceSpec } from "../source/spec.ts";
import type { Tree } from "../tree/mod.ts";
import { Conversion } from "./conversion.ts";
import { ConvertError } from "./errors.ts";
import type { ConvertOptions } from "./options.ts";
import { openImage, readTree } from "./open.ts";

/** The option names that are not the EROFS writer's. */
const NOT_EROFS = new Set<string>(
  [
    "platform",
    "keepWhiteouts",
    "layer",
    "blob",
    "clampTime",
    "plainHttp",
    "credentials",
    "anonymous",
    "authfile",
    "env",
    "proxy",
    "lowMemory",
    "spool",
    "fetch",
    "signal",
    "onProgress",
    "onWarning",
  ] satisfies (keyof ConvertOptions)[],
);

/** The writer's share of the options (whatever fields the writer grows). */
function erofsOptions(options: ConvertOptions): ErofsOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([key, value]) => !NOT_EROFS.has(key) && value !== undefined),
  ) as ErofsOptions;
}

/**
 * Converts a container image (or a directory or tar) into an EROFS image:
 * resolves the source, reads every layer's headers (pass 1) and lays out the
 * image. The returned {@link Conversion} then streams or writes the bytes
 * (pass 2, reading surviving file data again). `source` is written as on the
 * command line: `alpine`, `docker://ghcr.io/o/app:1`, `oci:DIR[:TAG]`,
 * `oci-archive:FILE`, `docker-archive:FILE`, `tar:FILE`, `dir:PATH`.
 *
 * @example
 * ```ts
 * import { convert } from "./convert.ts";
 * const conversion = await convert("oci:examples/busybox:latest", {
 *   fixedTime: 0,
 *   onProgress: (event) => {
 *     if (event.type === "layer" && event.done) console.log(`layer ${event.index + 1}/${event.count}`);
 *   },
 * });
 * await conversion.writeTo("busybox.erofs");
 * ```
 */
export async function convert(
  source: string | SourceSpec,
  options: ConvertOptions = {},
): Promise<Conversion> {
  const spec = typeof source === "string" ? parseSource(source) : source;
  const { signal, onProgress } = options;
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message));
  const erofsChoice = erofsOptions(options);
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const seconds = Math.round(now - mark) / 1000;
    mark = now;
    return seconds;
  };

  let image: Image | undefined;
  let tree: Tree;
  let resolve: number | undefined;
  if (isImageSource(spec)) {
    image = await openImage(spec, {
      signal,
      onWarning,
      platform: options.platform,
      plainHttp: options.plainHttp,
      credentials: options.credentials,
      anonymous: options.anonymous,
      authfile: options.authfile,
      proxy: options.proxy,
      env: options.env,
      fetch: options.fetch,
    });
    resolve = lap();
    if (onProgress) {
      const { os, architecture, variant } = image.platform;
      onProgress({
        type: "resolve",
        reference: image.reference,
        digest: image.digest,
        platform: [os, architecture, variant].filter(Boolean).join("/"),
        layers: image.layers.length,
      });
    }
    tree = await imageTree(image, {
      signal,
      keepWhiteouts: options.keepWhiteouts,
      layer: options.layer,
      blob: options.blob,
      lowMemory: options.lowMemory,
      spool: options.spool,
      onProgress: onProgress && ((p) => onProgress({ type: "layer", digest: p.name, ...p })),
    });
  } else {
    if (
      options.layer !== undefined || options.blob !== undefined || options.platform !== undefined
    ) {
      throw new ConvertError(
        `layer, blob and platform apply to image sources, not ${spec.kind}:`,
      );
    }
    tree = await readTree(spec, { signal, onWarning, keepWhiteouts: options.keepWhiteouts });
  }
  const treeSeconds = lap();
  if (options.clampTime !== undefined && options.fixedTime === undefined) {
    clampTimes(tree, options.clampTime);
  }
  signal?.throwIfAborted();
  const erofs = await buildErofs(tree, erofsChoice);
  const seconds = { ...(resolve === undefined ? {} : { resolve }), tree: treeSeconds, plan: lap() };
  onProgress?.({
    type: "plan",
    inodes: erofs.inodes,
    blockSize: erofs.blockSize,
    size: erofs.size,
  });
  return new Conversion({ source: spec, image, tree, erofs, seconds, signal, onProgress });
}
