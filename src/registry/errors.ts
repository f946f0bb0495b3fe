/**
 * The error every registry operation throws: it names the registry, the
 * repository, the HTTP status and the registry's own error code and
 * message, so a user can tell a wrong password from a missing tag.
 *
 * @module
 */

/** What a {@link RegistryError} is about. */
export interface RegistryErrorContext {
  /** Registry host (`host[:port]`). */
  registry: string;
  repository?: string;
  /** HTTP status, when the registry answered. */
  status?: number;
  /** The registry's error code (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`, …). */
  code?: string;
  /** The blob or manifest digest involved. */
  digest?: string;
  cause?: unknown;
}

/**
 * A failed registry request, with context.
 *
 * @example
 * ```ts
 * import { RegistryError } from "./errors.ts";
 * const e = new RegistryError("manifest unknown", { registry: "localhost:5000", repository: "x", status: 404, code: "MANIFEST_UNKNOWN" });
 * console.log(e.message); // "localhost:5000/x: manifest unknown (HTTP 404 MANIFEST_UNKNOWN)"
 * ```
 */
export class RegistryError extends Error {
  readonly registry: string;
  readonly repository?: string;
  readonly status?: number;
  readonly code?: string;
  readonly digest?: string;

  constructor(message: string, context: RegistryErrorContext) {
    const where = context.repository
      ? `${context.registry}/${context.repository}`
      : context.registry;
    const http = context.status === undefined
      ? ""
      : ` (HTTP ${context.status}${context.code ? ` ${context.code}` : ""})`;
    super(
      `${where}: ${message}${http}`,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = "RegistryError";
    this.registry = context.registry;
    this.repository = context.repository;
    this.status = context.status;
    this.code = context.code;
    this.digest = context.digest;
  }
}

/**
 * Reads the registry's error body (`{"errors":[{"code","message"}]}`) if
 * there is one; never throws.
 */
export async function registryErrorDetail(
  response: Response,
): Promise<{ code?: string; message?: string }> {
  try {
    const text = (await response.text()).slice(0, 64 * 1024);
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = body.errors?.[0];
    return {
      code: typeof first?.code === "string" ? first.code : undefined,
      message: typeof first?.message === "string" ? first.message : undefined,
    };
  } catch {
    return {};
  }
}
