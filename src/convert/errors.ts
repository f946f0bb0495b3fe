/**
 * The error the orchestration itself raises: options that contradict the
 * source. Every stage below raises its own classes (`SourceError`,
 * `ImageError`, `RegistryError`, `LayerError`, `ErofsError`, …).
 *
 * @module
 */

/**
 * Options that do not fit the source (e.g. `layer` for a `dir:` source),
 * raised before any work starts.
 *
 * @example
 * ```ts
 * import { ConvertError } from "./errors.ts";
 * import { convert } from "./convert.ts";
 * try {
 *   await convert("dir:.", { layer: 0 });
 * } catch (error) {
 *   if (error instanceof ConvertError) console.error(error.message);
 * }
 * ```
 */
export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConvertError";
  }
}
