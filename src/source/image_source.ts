/**
 * What the image sources (`oci:`, `oci-archive:`, `docker-archive:`) share:
 * their options, and splitting `PATH[:TAG|@DIGEST]` where the path itself
 * may contain `:`.
 *
 * @module
 */
import { ImageError } from "../image/errors.ts";
import { parseDigest } from "../image/digest.ts";
import type { Platform } from "../image/types.ts";
import type { SourceOptions } from "./options.ts";

/**
 * Options of the image sources.
 *
 * @example
 * ```ts
 * import type { ImageSourceOptions } from "./image_source.ts";
 * const options: ImageSourceOptions = { platform: "linux/arm64", signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface ImageSourceOptions extends SourceOptions {
  /**
   * The platform to take from a multi-platform image (`"linux/arm64"` or a
   * record); default `linux/amd64`. When given, a single-platform image for
   * another platform is refused.
   */
  platform?: string | Platform;
  /** What the user named, for messages and `Image.reference` (default `KIND:LOCATION`). */
  reference?: string;
}

/**
 * A location split into the path and what it selects.
 *
 * @example
 * ```ts
 * import { splitLocation, type Location } from "./image_source.ts";
 * const location: Location = splitLocation("./layout:1.0"); // { path: "./layout", tag: "1.0" }
 * ```
 */
export interface Location {
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** The tag grammar of the distribution spec. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** An `algorithm:` prefix, to tell `@sha256:…` from an `@` inside a path. */
const DIGEST_PREFIX = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/;

/**
 * Splits `PATH[:TAG|@DIGEST]`. A digest follows the last `@` and must be
 * valid once it looks like one (`@sha256:…`); otherwise the text after the
 * last `:` is a tag only if it matches the tag grammar (so no `/`): paths
 * with colons (`/mnt/a:b/layout`) stay whole.
 *
 * @example
 * ```ts
 * import { splitLocation } from "./image_source.ts";
 * splitLocation("layout"); // { path: "layout" }
 * splitLocation("/srv/a:b/layout:v1"); // { path: "/srv/a:b/layout", tag: "v1" }
 * splitLocation("/srv/a:b/layout"); // { path: "/srv/a:b/layout" }
 * splitLocation("layout@sha256:" + "a".repeat(64)); // { path: "layout", digest: "sha256:aaa…" }
 * ```
 */
export function splitLocation(location: string): Location {
  let split: Location = { path: location };
  const at = location.lastIndexOf("@");
  const colon = location.lastIndexOf(":");
  if (at >= 0 && DIGEST_PREFIX.test(location.slice(at + 1))) {
    split = { path: location.slice(0, at), digest: parseDigest(location.slice(at + 1)).digest };
  } else if (colon >= 0 && TAG.test(location.slice(colon + 1))) {
    split = { path: location.slice(0, colon), tag: location.slice(colon + 1) };
  }
  if (split.path === "") throw new ImageError(`${JSON.stringify(location)} names no path`);
  return split;
}

/**
 * {@link splitLocation}, second-guessed by the file system: when the split
 * path does not exist but the whole location does (a file named `a:b.tar`),
 * the whole location is the path. `exists` says whether a path names the
 * kind of thing the source reads.
 *
 * @example
 * ```ts
 * import { locate } from "./image_source.ts";
 * const exists = async (path: string) => path === "/srv/a:b.tar";
 * await locate("/srv/a:b.tar", exists); // { path: "/srv/a:b.tar" }
 * await locate("/srv/a:b.tar:v1", exists); // { path: "/srv/a:b.tar", tag: "v1" }
 * ```
 */
export async function locate(
  location: string,
  exists: (path: string) => Promise<boolean>,
): Promise<Location> {
  const split = splitLocation(location);
  if (split.path === location || (await exists(split.path)) || !(await exists(location))) {
    return split;
  }
  return { path: location };
}
