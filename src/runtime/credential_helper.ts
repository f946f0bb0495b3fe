/**
 * Running a Docker credential helper (`docker-credential-<name> get`): the
 * server URL goes to its standard input, `{ServerURL, Username, Secret}`
 * comes back on standard output. Its "credentials not found" answer is a
 * normal outcome (no credentials), not an error.
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { AuthError } from "../registry/auth/errors.ts";
import { type Credentials, parseHelperOutput } from "../registry/auth/credentials.ts";

/** How long a helper may take; some prompt for a keychain password, so this is generous. */
export const HELPER_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1 << 16;
const utf8 = new TextDecoder();

/**
 * Options for {@link runCredentialHelper}.
 *
 * @example
 * ```ts
 * import type { CredentialHelperOptions } from "./credential_helper.ts";
 * const options: CredentialHelperOptions = { timeoutMs: 5_000 };
 * ```
 */
export interface CredentialHelperOptions {
  /** The environment the helper runs in (its `PATH` finds it); the process's by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Stops waiting and kills the helper. */
  signal?: AbortSignal;
  /** Kills the helper after this long; {@link HELPER_TIMEOUT_MS} by default. */
  timeoutMs?: number;
}

/**
 * Asks `docker-credential-<helper>` for the credentials of `serverUrl`.
 * Resolves undefined when the helper has none; throws {@link AuthError} when
 * it is not installed, fails, or prints garbage. Neither errors nor logs
 * carry what the helper printed on success.
 *
 * @example
 * ```ts
 * import { runCredentialHelper } from "./credential_helper.ts";
 * const credentials = await runCredentialHelper("pass", "ghcr.io");
 * if (credentials && "username" in credentials) console.log(`logged in as ${credentials.username}`);
 * ```
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: CredentialHelperOptions = {},
): Promise<Credentials | undefined> {
  // The name becomes part of a program name: no paths, no options.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(helper)) {
    return Promise.reject(
      new AuthError(`invalid credential helper name ${JSON.stringify(helper)}`),
    );
  }
  const program = `docker-credential-${helper}`;
  const signals = [AbortSignal.timeout(options.timeoutMs ?? HELPER_TIMEOUT_MS)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  return new Promise((resolve, reject) => {
    const child = spawn(program, ["get"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...(options.env ?? process.env) } as NodeJS.ProcessEnv,
      signal,
    });
    let stdout = "";
    let stderr = "";
    let failure: Error | undefined;
    child.stdout.on("data", (chunk: Uint8Array) => {
      if (stdout.length < MAX_OUTPUT) stdout += utf8.decode(chunk);
    });
    child.stderr.on("data", (chunk: Uint8Array) => {
      if (stderr.length < 4096) stderr += utf8.decode(chunk);
    });
    // A helper that exits without reading its input must not crash us with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(serverUrl);
    child.on("error", (error: Error & { code?: string }) => {
      if (error.code === "ENOENT") {
        failure ??= new AuthError(`${program} is not installed (or not on PATH)`);
      } else if (signal.aborted) {
        failure ??= options.signal?.aborted ? (options.signal.reason as Error) : new AuthError(
          `${program} did not answer within ${options.timeoutMs ?? HELPER_TIMEOUT_MS} ms`,
        );
      } else failure ??= new AuthError(`${program} could not be run`, { cause: error });
    });
    child.on("close", (code) => {
      if (failure) return reject(failure);
      if (code !== 0) {
        // The message docker-credential-helpers prints for an unknown server.
        if (/credentials not found/i.test(stdout + stderr)) return resolve(undefined);
        const first = (stderr.trim() || stdout.trim()).split("\n")[0]?.slice(0, 200) ||
          `exit status ${code}`;
        return reject(new AuthError(`${program} get failed: ${first}`));
      }
      try {
        const credentials = parseHelperOutput(stdout, helper);
        const empty = "username" in credentials
          ? credentials.username === "" && credentials.password === ""
          : credentials.identityToken === "";
        resolve(empty ? undefined : credentials);
      } catch (error) {
        reject(error);
      }
    });
  });
}
