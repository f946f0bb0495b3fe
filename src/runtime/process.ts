/**
 * The process adapter for Node and Deno (both provide `node:process`):
 * arguments, environment, standard output with backpressure, standard error,
 * interrupt signals and the exit status — everything a command-line entry
 * point needs, behind a small interface tests can replace.
 *
 * @module
 */
import process from "node:process";

/**
 * What a command needs from its process; tests pass their own.
 *
 * @example
 * ```ts
 * import type { ProcessIo } from "./process.ts";
 * // A test double that captures everything.
 * let stderr = "";
 * const io: ProcessIo = {
 *   env: () => undefined,
 *   writeStdout: async (chunks) => {
 *     for await (const _ of chunks) continue; // discard
 *   },
 *   stdoutIsTerminal: false,
 *   writeStderr: (text) => void (stderr += text),
 * };
 * ```
 */
export interface ProcessIo {
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Writes bytes to standard output, waiting on backpressure; resolves once flushed. */
  writeStdout(chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** Whether standard output is a terminal (images should not go there). */
  readonly stdoutIsTerminal: boolean;
  /** Whether standard error is a terminal (progress is drawn only there). */
  readonly stderrIsTerminal?: boolean;
  /** Writes text to standard error. */
  writeStderr(text: string): void;
  /** Aborted when the user interrupts (SIGINT, SIGTERM). */
  readonly signal?: AbortSignal;
  /** Reads all of standard input as text (`--password-stdin`); absent where there is none. */
  readStdin?(): Promise<string>;
}

/**
 * Writes `chunks` to the process's standard output, waiting for `drain`
 * whenever the stream's buffer is full, so a slow reader (a pipe into
 * `ssh`, a full disk) never makes the image pile up in memory. Resolves once
 * everything has been handed to the OS; rejects on a write error (`EPIPE`
 * when the reader went away) or when `signal` aborts.
 *
 * @example
 * ```ts
 * import { writeStdout } from "./process.ts";
 * async function* lines() {
 *   yield new TextEncoder().encode("hello\n");
 * }
 * await writeStdout(lines());
 * ```
 */
export async function writeStdout(
  chunks: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<void> {
  const out = process.stdout;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const onError = (error: Error) => {
    failure ??= error;
    wake?.();
  };
  const onDrain = () => wake?.();
  const onAbort = () => {
    failure ??= signal?.reason;
    wake?.();
  };
  out.on("error", onError);
  out.on("drain", onDrain);
  signal?.addEventListener("abort", onAbort);
  try {
    for await (const chunk of chunks) {
      signal?.throwIfAborted();
      if (failure !== undefined) throw failure;
      if (chunk.length === 0) continue;
      if (!out.write(chunk)) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
    // Write callbacks run in order: this one fires once all earlier bytes are out.
    await new Promise<void>((resolve, reject) => {
      out.write(new Uint8Array(0), (error) => (error ? reject(error) : resolve()));
    });
    if (failure !== undefined) throw failure;
  } finally {
    out.off("error", onError);
    out.off("drain", onDrain);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The real process's {@link ProcessIo}.
 *
 * @example
 * ```ts
 * import { processIo } from "./process.ts";
 * const io = processIo();
 * io.writeStderr(`HOME is ${io.env("HOME")}\n`);
 * ```
 */
export function processIo(signal?: AbortSignal): ProcessIo {
  return {
    env: (name) => process.env[name],
    writeStdout: (chunks) => writeStdout(chunks, signal),
    stdoutIsTerminal: process.stdout.isTTY === true,
    stderrIsTerminal: process.stderr.isTTY === true,
    writeStderr: (text) => void process.stderr.write(text),
    signal,
    async readStdin() {
      const parts: Uint8Array[] = [];
      for await (const chunk of process.stdin) parts.push(chunk as Uint8Array);
      return Buffer.concat(parts).toString("utf8");
    },
  };
}

/** Exit statuses for signals, as shells report them (128 + signal number). */
const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs a command's `main` as this process: passes the arguments after the
 * script name, turns the first SIGINT/SIGTERM into an abort (so the command
 * can clean up) and a second one into an immediate exit, and sets the exit
 * status to what `main` returns — without calling `process.exit`, so
 * buffered output is flushed first.
 *
 * @example
 * ```ts
 * import { runMain } from "./process.ts";
 * await runMain(async (args, io) => {
 *   io.writeStderr(`${args.length} arguments\n`);
 *   return 0;
 * });
 * ```
 */
export async function runMain(
  main: (args: string[], io: ProcessIo) => Promise<number>,
): Promise<void> {
  const controller = new AbortController();
  const onSignal = (name: keyof typeof SIGNAL_STATUS) => {
    if (controller.signal.aborted) process.exit(SIGNAL_STATUS[name]);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    process.exitCode = await main(process.argv.slice(2), processIo(controller.signal));
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
