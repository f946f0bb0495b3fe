/**
 * Turning the library's errors into what the page shows: a short title
 * naming the kind of failure (authentication needed, credentials refused,
 * not found, digest mismatch, no such platform, …) and the library's own
 * one-line message, which names the registry, repository and digest.
 * Runs in the worker, where the error classes are still intact.
 *
 * @module
 */
import { ImageError } from "../../src/image/errors.ts";
import { DecompressError } from "../../src/layers/decompress/errors.ts";
import { LayerError } from "../../src/layers/apply.ts";
import { InvalidReferenceError } from "../../src/reference/errors.ts";
import { AuthError } from "../../src/registry/auth/errors.ts";
import { RegistryError } from "../../src/registry/errors.ts";
import type { ErrorReport } from "./protocol.ts";

/**
 * Describes `error` for the page.
 *
 * @example
 * ```ts
 * import { describeError } from "./describe_error.ts";
 * describeError(new TypeError("Failed to fetch")).title; // "Cannot reach the registry proxy"
 * ```
 */
export function describeError(error: unknown): ErrorReport {
  const detail = firstLine(error);
  return { title: title(error, detail), detail };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] || (error instanceof Error ? error.name : "unknown error");
}

function title(error: unknown, detail: string): string {
  if (error instanceof InvalidReferenceError) return "Not a valid image reference";
  if (error instanceof AuthError) {
    return /refused|denied|invalid|incorrect/i.test(detail)
      ? "Credentials refused"
      : "Authentication failed";
  }
  if (error instanceof RegistryError) {
    if (/credentials refused/i.test(detail)) return "Credentials refused";
    if (error.status === 401 || error.status === 403 || error.code === "UNAUTHORIZED") {
      return "Authentication needed";
    }
    if (error.status === 404) return "Not found";
    if (/digest/i.test(detail) && /mismatch|has digest|does not match/i.test(detail)) {
      return "Digest mismatch";
    }
    if (error.status === 429) return "Rate limited by the registry";
    return "Registry error";
  }
  if (error instanceof ImageError) {
    if (/no image for platform|invalid platform/i.test(detail)) return "No such platform";
    if (/digest|size/i.test(detail)) return "Digest mismatch";
    return "Unusable image";
  }
  if (error instanceof LayerError || error instanceof DecompressError) return "Broken layer";
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled";
  if (error instanceof TypeError && /fetch|network/i.test(detail)) {
    return "Cannot reach the registry proxy";
  }
  return "Conversion failed";
}
