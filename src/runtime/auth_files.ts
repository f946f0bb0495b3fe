/**
 * Finding and reading the auth files Docker and Podman write: which paths,
 * in which order, and their parsed contents. A missing file is normal.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type AuthFile, parseAuthFile } from "../registry/auth/credentials.ts";
import { AuthError } from "../registry/auth/errors.ts";

/**
 * Where to look, as a function of the environment.
 *
 * @example
 * ```ts
 * import type { AuthFileEnvironment } from "./auth_files.ts";
 * const env: AuthFileEnvironment = { env: { DOCKER_CONFIG: "/ci/docker" }, homeDir: "/home/ci" };
 * ```
 */
export interface AuthFileEnvironment {
  /** Environment variables (`REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`, `DOCKER_CONFIG`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory. */
  homeDir: string;
  /** `--authfile`: when given, the only file consulted. */
  authfile?: string | undefined;
}

/**
 * The auth files to consult, first match wins, in containers/image's order:
 * `--authfile` or `$REGISTRY_AUTH_FILE` alone when set; otherwise
 * `${XDG_RUNTIME_DIR}/containers/auth.json`,
 * `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`, then
 * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
 *
 * @example
 * ```ts
 * import { authFilePaths } from "./auth_files.ts";
 * authFilePaths({ env: {}, homeDir: "/home/me" });
 * // ["/home/me/.config/containers/auth.json", "/home/me/.docker/config.json"]
 * ```
 */
export function authFilePaths(where: AuthFileEnvironment): string[] {
  const env = where.env;
  const explicit = where.authfile || env.REGISTRY_AUTH_FILE;
  if (explicit) return [explicit];
  const paths: string[] = [];
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  paths.push(
    join(env.XDG_CONFIG_HOME || join(where.homeDir, ".config"), "containers", "auth.json"),
  );
  paths.push(
    env.DOCKER_CONFIG
      ? join(env.DOCKER_CONFIG, "config.json")
      : join(where.homeDir, ".docker", "config.json"),
  );
  return paths;
}

/**
 * Reads and parses one auth file; undefined when it does not exist. Throws
 * {@link AuthError} when it cannot be read or is malformed.
 *
 * @example
 * ```ts
 * import { readAuthFile } from "./auth_files.ts";
 * const file = await readAuthFile("/home/me/.docker/config.json");
 * console.log(file?.credsStore);
 * ```
 */
export async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new AuthError(`${path}: cannot be read`, { cause: error });
  }
  // Docker leaves empty files behind; they mean "nothing configured".
  if (text.trim() === "") return undefined;
  return parseAuthFile(text, path);
}
