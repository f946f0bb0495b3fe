/**
 * Running one helper program (getfattr, find) and streaming its standard
 * output to a parser, for the file-system facts Node and Deno have no API
 * for. A missing program is a normal outcome, not an error.
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";

const utf8 = new TextDecoder("utf-8");

/**
 * Runs `command args…` in the C locale, handing each stdout chunk to
 * `onData` as it arrives. Resolves `true` on exit status 0 and `false` if the
 * program is not installed; rejects with the first line of its stderr on a
 * non-zero status, with whatever `onData` throws (the program is then
 * killed), or with the abort reason.
 *
 * @example
 * ```ts
 * import { streamCommand } from "./subprocess.ts";
 * let bytes = 0;
 * const found = await streamCommand("find", ["/etc", "-maxdepth", "1"], (chunk) => {
 *   bytes += chunk.length;
 * });
 * console.log(found, bytes);
 * ```
 */
export function streamCommand(
  command: string,
  args: string[],
  onData: (chunk: Uint8Array) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // C locale: output (escaping, number formats) does not depend on the user's.
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
      signal,
    });
    let failure: unknown;
    let missing = false;
    child.stdout.on("data", (chunk: Uint8Array) => {
      if (failure !== undefined) return;
      try {
        onData(chunk);
      } catch (error) {
        failure = error;
        child.kill();
      }
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Uint8Array) => {
      if (stderr.length < 4096) stderr += utf8.decode(chunk);
    });
    child.on("error", (error: Error & { code?: string }) => {
      if (error.code === "ENOENT") missing = true;
      else failure ??= error;
    });
    child.on("close", (code) => {
      if (failure !== undefined) return reject(failure);
      if (missing) return resolve(false);
      if (code !== 0) {
        const first = stderr.trim().split("\n")[0] || `exit status ${code}`;
        return reject(new Error(`${command} failed: ${first}`));
      }
      resolve(true);
    });
  });
}
