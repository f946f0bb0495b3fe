/**
 * The error the EROFS writer throws for input it cannot represent.
 *
 * @module
 */

/**
 * Something in the tree or the options cannot be written as EROFS.
 *
 * @example
 * ```ts
 * import { ErofsError } from "./errors.ts";
 * try {
 *   throw new ErofsError("label is 20 bytes; at most 15 allowed");
 * } catch (e) {
 *   if (e instanceof ErofsError) console.error(e.message);
 * }
 * ```
 */
export class ErofsError extends Error {
  /** The tree path the problem is about, when there is one. */
  readonly path?: string;
  constructor(message: string, path?: string) {
    super(path === undefined ? message : `${JSON.stringify(path === "" ? "/" : path)}: ${message}`);
    this.name = "ErofsError";
    this.path = path;
  }
}
