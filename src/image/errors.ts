/**
 * The one error the image stage throws: a manifest, config or blob that is
 * malformed, missing, too large or not what its descriptor promised, or an
 * image that has nothing for the wanted platform.
 *
 * @module
 */

/**
 * Where an {@link ImageError} happened.
 *
 * @example
 * ```ts
 * import type { ImageErrorContext } from "./errors.ts";
 * const context: ImageErrorContext = { reference: "oci:./layout:1.0", digest: "sha256:…" };
 * ```
 */
export interface ImageErrorContext {
  /** The image as the user named it (e.g. `oci:./layout:1.0`). */
  reference?: string;
  /** The manifest, config or blob concerned. */
  digest?: string;
  /** The underlying failure (an I/O error, a `SyntaxError` from JSON). */
  cause?: unknown;
}

/**
 * Something about an image is wrong. The message starts with the reference
 * when one is known, so that a CLI can print it as is; `reference` and
 * `digest` carry the same facts for programs.
 *
 * @example
 * ```ts
 * import { ImageError } from "./errors.ts";
 * const error = new ImageError("blob sha256:ab… is missing", {
 *   reference: "oci:./layout",
 *   digest: "sha256:ab…",
 * });
 * console.log(error.message); // "oci:./layout: blob sha256:ab… is missing"
 * console.log(error.digest); // "sha256:ab…"
 * ```
 */
export class ImageError extends Error {
  readonly reference: string | undefined;
  readonly digest: string | undefined;
  constructor(message: string, context: ImageErrorContext = {}) {
    super(context.reference ? `${context.reference}: ${message}` : message, {
      cause: context.cause,
    });
    this.name = "ImageError";
    this.reference = context.reference;
    this.digest = context.digest;
  }
}
