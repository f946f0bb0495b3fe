/**
 * Running host programs from tests: {@link run} wraps `node:child_process`
 * with collected output and an exit code instead of callbacks, and
 * {@link ensureCommands} installs the Debian packages that provide missing
 * tools, so a fresh machine (or CI) needs no manual setup.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";

/** What a finished command printed and how it exited. */
export interface RunResult {
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
  /** Exit code; a process killed by a signal reports 128 + signal number. */
  code: number;
  /** Standard output as raw bytes (file names from tools need not be UTF-8). */
  stdoutBytes: Uint8Array;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Working directory. */
  cwd?: string;
  /** Bytes or text written to standard input (default: none, stdin closed). */
  input?: string | Uint8Array;
  /** Extra environment variables, merged over `process.env`. */
  env?: Record<string, string>;
  /** Throw a {@link CommandError} when the exit code is not 0 (default false). */
  check?: boolean;
}

/** A command that exited unsuccessfully under {@link RunOptions.check}. */
export class CommandError extends Error {
  /** The outcome, for callers that want to inspect it. */
  readonly result: RunResult;
  constructor(cmd: string, args: readonly string[], result: RunResult) {
    super(
      `${[cmd, ...args].join(" ")} exited with ${result.code}\n` +
        `--- stderr ---\n${tail(result.stderr)}\n--- stdout ---\n${tail(result.stdout)}`,
    );
    this.name = "CommandError";
    this.result = result;
  }
}

// Error messages should show what went wrong without drowning the test log.
function tail(text: string, max = 4000): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs `cmd` with `args` (no shell) and collects its output. Output size is
 * unbounded: it is gathered from the stream rather than through `execFile`'s
 * `maxBuffer`, because recursive `getfattr` dumps can be many MiB.
 *
 * Rejects only when the program cannot be started, or with
 * {@link CommandError} when `check` is set and the exit code is not 0.
 *
 * @example
 * ```ts
 * import { run } from "./system.ts";
 * const { stdout } = await run("uname", ["-r"], { check: true });
 * ```
 */
export function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    if (opts.input !== undefined && child.stdin) {
      // A child that exits without reading all input raises EPIPE here; its
      // exit code tells the real story, so the write error is ignored.
      child.stdin.on("error", () => {});
      child.stdin.end(opts.input);
    }
    child.on("close", (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      const result: RunResult = {
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? 128 + (signal ? SIGNALS[signal] ?? 0 : 0),
        stdoutBytes,
      };
      if (opts.check && result.code !== 0) reject(new CommandError(cmd, args, result));
      else resolve(result);
    });
  });
}

/**
 * Finds `cmd` on `PATH` (or checks it directly if it contains `/`);
 * returns its full path or `undefined`.
 */
export async function which(cmd: string): Promise<string | undefined> {
  const candidates = cmd.includes("/")
    ? [cmd]
    // Debian puts mkfs/fsck helpers in /sbin, which a non-login PATH can lack.
    : [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"]
      .filter((dir) => dir !== "")
      .map((dir) => join(dir, cmd));
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}

// `apt-get update` is slow and its result is shared by every later install.
let aptUpdated = false;

/**
 * Makes sure every command in `commands` (command name → Debian package that
 * provides it) is installed, running `apt-get install -y` for the packages of
 * the missing ones. `apt-get update` runs once per process before the first
 * install. Throws if a command is still missing afterwards.
 *
 * @example
 * ```ts
 * import { ensureCommands } from "./system.ts";
 * await ensureCommands({ "mkfs.erofs": "erofs-utils", getfattr: "attr" });
 * ```
 */
export async function ensureCommands(commands: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  for (const cmd of Object.keys(commands)) {
    if (!(await which(cmd))) missing.push(cmd);
  }
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((cmd) => commands[cmd]))];
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], { env });
  if (!aptUpdated) {
    await run("apt-get", ["update"], { env, check: true });
    aptUpdated = true;
  }
  const result = await install();
  if (result.code !== 0) throw new CommandError("apt-get", ["install", "-y", ...packages], result);
  const still: string[] = [];
  for (const cmd of missing) if (!(await which(cmd))) still.push(cmd);
  if (still.length > 0) {
    throw new Error(`installed ${packages.join(", ")} but still missing: ${still.join(", ")}`);
  }
}

/** The tools the kernel-judged tests rely on, with their Debian packages. */
export const TEST_COMMANDS: Readonly<Record<string, string>> = {
  "mkfs.erofs": "erofs-utils",
  "fsck.erofs": "erofs-utils",
  "dump.erofs": "erofs-utils",
  getfattr: "attr",
  setfattr: "attr",
  python3: "python3",
  mount: "mount",
  losetup: "mount",
};
