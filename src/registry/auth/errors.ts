/**
 * The one error registry authentication throws. Messages name hosts, realms
 * and HTTP statuses, never a username, password or token: they end up in
 * logs and bug reports.
 *
 * @module
 */

/**
 * Authentication with a registry failed: an unparseable challenge, a token
 * endpoint that refused or answered garbage, a credential helper that
 * failed, a credential file that is malformed.
 *
 * @example
 * ```ts
 * import { AuthError } from "./errors.ts";
 * const error = new AuthError("token endpoint https://auth.example/token answered 500");
 * console.log(error.name); // "AuthError"
 * ```
 */
export class AuthError extends Error {
  /** The HTTP status involved, when there is one. */
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "AuthError";
    this.status = options.status;
  }
}
