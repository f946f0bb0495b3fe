/**
 * Stage "sources": turning a SOURCE argument (`dir:PATH`, `tar:FILE`, and
 * registries and OCI layouts later) into a {@link Tree}.
 *
 * @module
 */
import type { Tree } from "../tree/mod.ts";
import { readDirSource } from "./dir.ts";
import type { SourceOptions } from "./options.ts";
import { readTarSource } from "./tar.ts";

export type { SourceOptions } from "./options.ts";
export { readDirSource } from "./dir.ts";
export { readTarSource } from "./tar.ts";

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

/**
 * The kinds of source understood.
 *
 * @example
 * ```ts
 * import type { SourceKind } from "./mod.ts";
 * const kinds: SourceKind[] = ["dir", "tar"];
 * ```
 */
export type SourceKind = keyof typeof READERS;

/**
 * How each kind is written, for messages and `--help`.
 *
 * @example
 * ```ts
 * import { SOURCE_SYNTAX } from "./mod.ts";
 * console.log(Object.values(SOURCE_SYNTAX).join(", ")); // dir:PATH, tar:FILE
 * ```
 */
export const SOURCE_SYNTAX: Readonly<Record<SourceKind, string>> = {
  dir: "dir:PATH",
  tar: "tar:FILE",
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
  if (!Object.hasOwn(READERS, kind)) {
    throw new SourceError(`unsupported source ${JSON.stringify(source)}; supported: ${supported}`);
  }
  const location = source.slice(colon + 1);
  if (location === "") {
    throw new SourceError(`source ${JSON.stringify(source)} names no ${kind === "dir" ? "directory" : "file"}; expected ${SOURCE_SYNTAX[kind as SourceKind]}`);
  }
  return { kind: kind as SourceKind, location };
}

/**
 * Reads a parsed source into a tree.
 *
 * @example
 * ```ts
 * import { parseSource, readSource } from "./mod.ts";
 * const tree = await readSource(parseSource("dir:./rootfs"));
 * ```
 */
export function readSource(spec: SourceSpec, options: SourceOptions = {}): Promise<Tree> {
  return READERS[spec.kind](spec.location, options);
}
