/**
 * Resolving the credentials for a registry the way skopeo and podman do:
 * `anonymous` ignores everything; explicit credentials (from the command
 * line) win; otherwise the auth files are consulted in order (see
 * `auth_files.ts`), each through its `credHelpers`, `auths` and
 * `credsStore`, credential helpers being run as needed.
 *
 * @module
 */
import { homedir } from "node:os";
import process from "node:process";
import { type Credentials, findCredentialSource } from "../registry/auth/credentials.ts";
import { authFilePaths, readAuthFile } from "./auth_files.ts";
import { runCredentialHelper } from "./credential_helper.ts";

/**
 * How to find credentials.
 *
 * @example
 * ```ts
 * import type { CredentialOptions } from "./credentials.ts";
 * const fromCli: CredentialOptions = { credentials: { username: "ci", password: "s3cret" } };
 * const fromFile: CredentialOptions = { authfile: "/run/secrets/auth.json" };
 * ```
 */
export interface CredentialOptions {
  /** Use no credentials at all, whatever is configured. */
  anonymous?: boolean | undefined;
  /** Credentials given explicitly (`--username/--password`, `--creds`); they win over files. */
  credentials?: Credentials | undefined;
  /** `--authfile`: the only auth file consulted. */
  authfile?: string | undefined;
  /** The environment (auth file locations, `PATH` for helpers); the process's by default. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The home directory; the user's by default. */
  homeDir?: string | undefined;
  /** Cancels helper runs. */
  signal?: AbortSignal | undefined;
}

/**
 * The credentials for `registry` (as in a reference: `docker.io`,
 * `localhost:5000`) and optionally `repository` (for Podman's
 * repository-scoped entries), or undefined for anonymous access. Throws
 * `AuthError` for malformed files and failing helpers.
 *
 * @example
 * ```ts
 * import { resolveCredentials } from "./credentials.ts";
 * const credentials = await resolveCredentials("ghcr.io", "owner/app", { authfile: "auth.json" });
 * ```
 */
export async function resolveCredentials(
  registry: string,
  repository: string | undefined,
  options: CredentialOptions = {},
): Promise<Credentials | undefined> {
  if (options.anonymous) return undefined;
  if (options.credentials) return options.credentials;
  const env = options.env ?? process.env;
  const paths = authFilePaths({
    env,
    homeDir: options.homeDir ?? homedir(),
    authfile: options.authfile,
  });
  for (const path of paths) {
    const file = await readAuthFile(path);
    if (!file) continue;
    const source = findCredentialSource(file, registry, repository);
    if (!source) continue;
    if ("credentials" in source) return source.credentials;
    const found = await runCredentialHelper(source.helper, source.serverUrl, {
      env,
      signal: options.signal,
    });
    if (found) return found;
  }
  return undefined;
}

/**
 * A lazy credential lookup for an `Authenticator`: runs
 * {@link resolveCredentials} only if the registry asks for authentication.
 *
 * @example
 * ```ts
 * import { credentialsFor } from "./credentials.ts";
 * import { Authenticator } from "../registry/auth/mod.ts";
 * const auth = new Authenticator({
 *   origin: "https://ghcr.io",
 *   credentials: credentialsFor("ghcr.io", "owner/app"),
 * });
 * ```
 */
export function credentialsFor(
  registry: string,
  repository: string | undefined,
  options: CredentialOptions = {},
): () => Promise<Credentials | undefined> {
  return () => resolveCredentials(registry, repository, options);
}
