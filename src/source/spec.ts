/**
 * SOURCE arguments as text: the kinds there are, how each is written, and
 * parsing `KIND:LOCATION` (or a bare registry reference) into a
 * {@link SourceSpec}. Kept apart from the openers so that code which only
 * parses (the CLI's argument checks, browsers, edge handlers) loads no file
 * system code.
 *
 * @module
 */
import { InvalidReferenceError, parseReference } from "../reference/mod.ts";

/** The kinds that are container images, opened into an `Image`. */
const IMAGE_KINDS = ["docker", "oci", "oci-archive", "docker-archive"] as const;
/** The kinds that are file trees, read straight into a `Tree`. */
const TREE_KINDS = ["dir", "tar"] as const;

/**
 * The kinds of source that are container images (read with `openImageSource`).
 *
 * @example
 * ```ts
 * import type { ImageSourceKind } from "./spec.ts";
 * const kinds: ImageSourceKind[] = ["oci", "oci-archive", "docker-archive"];
 * ```
 */
export type ImageSourceKind = typeof IMAGE_KINDS[number];

/**
 * The kinds of source understood.
 *
 * @example
 * ```ts
 * import type { SourceKind } from "./spec.ts";
 * const kinds: SourceKind[] = ["dir", "tar", "oci"];
 * ```
 */
export type SourceKind = typeof TREE_KINDS[number] | ImageSourceKind;

/**
 * A SOURCE argument, parsed.
 *
 * @example
 * ```ts
 * import { parseSource, type SourceSpec } from "./spec.ts";
 * const spec: SourceSpec = parseSource("tar:rootfs.tar");
 * console.log(spec.kind, spec.location); // tar rootfs.tar
 * ```
 */
export interface SourceSpec {
  readonly kind: SourceKind;
  /** Everything after `kind:`. */
  readonly location: string;
}

/**
 * How each kind is written, for messages and `--help`.
 *
 * @example
 * ```ts
 * import { SOURCE_SYNTAX } from "./spec.ts";
 * console.log(Object.values(SOURCE_SYNTAX).join(", ")); // [docker://]REF, dir:PATH, tar:FILE, …
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
 * import { parseSource, SourceError } from "./spec.ts";
 * try {
 *   parseSource("docker://");
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
 * Parses `KIND:LOCATION`, or a bare registry reference (`alpine`,
 * `localhost:5000/x:1`). Throws {@link SourceError} listing the supported
 * kinds for anything else.
 *
 * @example
 * ```ts
 * import { parseSource } from "./spec.ts";
 * parseSource("tar:rootfs.tar"); // { kind: "tar", location: "rootfs.tar" }
 * parseSource("alpine"); // { kind: "docker", location: "alpine" }
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
  if (!Object.hasOwn(SOURCE_SYNTAX, kind)) {
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
 * Whether a parsed source is a container image (a registry reference,
 * `oci:`, `oci-archive:`, `docker-archive:`) rather than a file tree.
 *
 * @example
 * ```ts
 * import { isImageSource, parseSource } from "./spec.ts";
 * isImageSource(parseSource("oci:./layout")); // true
 * isImageSource(parseSource("tar:rootfs.tar")); // false
 * ```
 */
export function isImageSource(spec: SourceSpec): spec is SourceSpec & { kind: ImageSourceKind } {
  return (IMAGE_KINDS as readonly string[]).includes(spec.kind);
}
