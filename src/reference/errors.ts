/**
 * The one error reference parsing throws. It is not the global
 * `ReferenceError` (that one means "unknown variable"), hence the name.
 *
 * @module
 */

/**
 * An image reference that does not follow the distribution grammar. The
 * message names the reference and what is wrong with it; `reason` carries
 * the latter alone for programs that print their own context.
 *
 * @example
 * ```ts
 * import { InvalidReferenceError } from "./errors.ts";
 * const error = new InvalidReferenceError("Alpine", "repository name must be lowercase");
 * console.log(error.message); // 'invalid image reference "Alpine": repository name must be lowercase'
 * ```
 */
export class InvalidReferenceError extends Error {
  /** The reference as the user wrote it. */
  readonly reference: string;
  /** What is wrong, without the reference. */
  readonly reason: string;
  constructor(reference: string, reason: string) {
    super(`invalid image reference ${JSON.stringify(reference)}: ${reason}`);
    this.name = "InvalidReferenceError";
    this.reference = reference;
    this.reason = reason;
  }
}
