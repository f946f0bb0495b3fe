/**
 * Wall time and peak RSS of one command, as every benchmark script measures
 * its peers: run under GNU `/usr/bin/time -f %M`, output discarded.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";

/** One measured run. */
export interface Run {
  seconds: number;
  /** Peak resident set size of the command and its children, in MiB. */
  rssMiB: number;
}

/**
 * Runs `argv`, throwing with its standard error if it fails.
 *
 * @example
 * ```ts
 * import { timedRun } from "./timed_run.ts";
 * const { seconds, rssMiB } = timedRun(["bash", "-euc", "sleep 0.1"]);
 * ```
 */
export function timedRun(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Run {
  const start = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "%M", ...argv], {
    cwd: options.cwd,
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed:\n${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  return { seconds, rssMiB: Number(lines[lines.length - 1]) / 1024 };
}
