/**
 * From a failed conversion to an HTTP status: the client's fault (400),
 * authentication (401/403), something missing (404: repository, tag,
 * platform), the upstream's fault (502), or ours (500). Errors of every
 * stage carry enough context (registry, repository, status) to decide.
 *
 * @module
 */
import { ImageError } from "../image/errors.ts";
import { AuthError } from "../registry/auth/errors.ts";
import { RegistryError } from "../registry/errors.ts";
import { LayerError } from "../layers/apply.ts";
import { BadRequest } from "./params.ts";

/** The first error in `error`'s cause chain that `test` accepts. */
function find<T>(error: unknown, test: (e: unknown) => e is T): T | undefined {
  for (let e = error, depth = 0; e !== undefined && depth < 8; depth++) {
    if (test(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The HTTP status for a conversion error.
 *
 * @example
 * ```ts
 * import { RegistryError } from "../registry/errors.ts";
 * import { errorStatus } from "./errors.ts";
 * console.log(errorStatus(new RegistryError("not found", { registry: "r", status: 404 }))); // 404
 * ```
 */
export function errorStatus(error: unknown): number {
  if (error instanceof BadRequest) return 400;
  const registry = find(error, (e): e is RegistryError => e instanceof RegistryError);
  if (registry) {
    const status = registry.status;
    if (status === 401 || status === 403 || status === 404 || status === 429) return status;
    return 502;
  }
  const auth = find(error, (e): e is AuthError => e instanceof AuthError);
  if (auth) return auth.status === 403 ? 403 : auth.status === 401 ? 401 : 502;
  if (error instanceof ImageError) {
    // The image exists, but not for the platform asked for: not found, like a missing tag.
    return /no image for platform|^(.*: )?image \S+ is for \S+, not /.test(error.message)
      ? 404
      : 502;
  }
  if (error instanceof LayerError) return 502;
  return 500;
}

/**
 * The message a client sees: the error's first line (they name registries,
 * repositories, digests and statuses, never credentials).
 *
 * @example
 * ```ts
 * import { errorMessage } from "./errors.ts";
 * console.log(errorMessage(new Error("boom\nstack"))); // "boom"
 * ```
 */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] || "internal error";
}
