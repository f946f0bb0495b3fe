/**
 * Image configs (OCI `application/vnd.oci.image.config.v1+json`, Docker
 * `application/vnd.docker.container.image.v1+json`) into {@link ImageConfig}:
 * the platform and the `rootfs.diff_ids` that tie each layer blob to the
 * uncompressed tar it must decompress to.
 *
 * @module
 */
import { parseDigest } from "./digest.ts";
import { failWith, type JsonSource, parseJsonObject } from "./json.ts";
import type { ImageConfig } from "./types.ts";

/**
 * What is known about a config before parsing it.
 *
 * @example
 * ```ts
 * import type { ConfigSource } from "./config.ts";
 * const source: ConfigSource = { digest: "sha256:…", layerCount: 3 };
 * ```
 */
export interface ConfigSource {
  /** The config's digest, for messages. */
  digest?: string;
  /** The image, for the error's context. */
  reference?: string;
  /** When given, `rootfs.diff_ids` must have exactly this many entries (the manifest's layers). */
  layerCount?: number;
}

/**
 * Parses an image config. `architecture` and `os` must be strings,
 * `rootfs.type` must be `"layers"`, every `rootfs.diff_ids` entry a valid
 * digest, and their count `layerCount` when given. Throws
 * {@link ImageError} naming the config otherwise.
 *
 * @example
 * ```ts
 * import { parseImageConfig } from "./config.ts";
 * const bytes = new TextEncoder().encode(JSON.stringify({
 *   architecture: "arm64",
 *   os: "linux",
 *   rootfs: { type: "layers", diff_ids: [] },
 * }));
 * const config = parseImageConfig(bytes, { layerCount: 0 });
 * console.log(config.architecture, config.rootfs.diff_ids.length); // arm64 0
 * ```
 */
export function parseImageConfig(bytes: Uint8Array, source: ConfigSource = {}): ImageConfig {
  const json: JsonSource = {
    what: source.digest ? `config ${source.digest}` : "config",
    digest: source.digest,
    reference: source.reference,
  };
  const fields = parseJsonObject(bytes, json);
  const architecture = fields.string("architecture");
  const os = fields.string("os");
  const variant = fields.optionalString("variant");
  const rootfs = fields.object("rootfs");
  const type = rootfs.string("type");
  if (type !== "layers") {
    rootfs.fail("type", `is ${JSON.stringify(type)}; only "layers" is supported`);
  }
  const diffIds = rootfs.array("diff_ids", (value, path) => {
    if (typeof value !== "string") {
      return rootfs.fail("diff_ids", `has a non-string entry at ${path}`);
    }
    try {
      return parseDigest(value).digest;
    } catch (error) {
      return rootfs.fail(
        "diff_ids",
        `has an invalid entry at ${path}: ${(error as Error).message}`,
      );
    }
  });
  if (source.layerCount !== undefined && diffIds.length !== source.layerCount) {
    failWith(json)(
      `lists ${diffIds.length} diff_ids, but the manifest has ${source.layerCount} layers`,
    );
  }
  return {
    architecture,
    os,
    ...(variant !== undefined && variant !== "" && { variant }),
    rootfs: { type: "layers", diff_ids: diffIds },
    raw: fields.value,
  };
}
