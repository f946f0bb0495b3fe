/**
 * The `oci2erofs` command: `oci2erofs SOURCE OUTPUT [options]`. Turns the
 * command line into a library `convert` call and sends the image to a file
 * (atomically) or to standard output, with the progress line, the summary
 * and `--json` around it. Process access goes through the runtime
 * adapter, so this module runs under Node (`bin/oci2erofs.js`) and Deno
 * (`deno run -A src/cli.ts`) alike, and tests call {@link main} in-process.
 *
 * @module
 */
import { openFileSpool, spoolDirectoryFor } from "./runtime/file_spool.ts";
import { type ProcessIo, processIo, runMain } from "./runtime/process.ts";
import { coalesce } from "./sink/coalesce.ts";
import { isImageSource } from "./source/spec.ts";
import { type Conversion, convert } from "./convert/mod.ts";
import { ProgressLine } from "./cli/progress.ts";
import { type BuildCommand, HELP, parseCommand } from "./cli/command.ts";
import { UsageError } from "./cli/parse_args.ts";
import { VERSION } from "./version.ts";

export type { ProcessIo } from "./runtime/process.ts";

const encoder = new TextEncoder();

async function* text(value: string): AsyncGenerator<Uint8Array> {
  yield encoder.encode(value);
}

/** One line, whatever the error: the first line of its message. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] || (error instanceof Error ? error.name : "unknown error");
}

/**
 * Runs the command with `args` (without the program name) and returns the
 * exit status: 0 success, 1 failure, 2 usage error, 130 interrupted. Errors
 * are reported as one `oci2erofs: …` line on standard error; a failed run
 * leaves no output file behind.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const status = await main(["tar:examples/hello.tar", "hello.erofs", "--quiet"]);
 * console.log(status); // 0
 * ```
 */
export async function main(args: string[], io: ProcessIo = processIo()): Promise<number> {
  const fail = (message: string, status: number) => {
    io.writeStderr(`oci2erofs: ${message}\n`);
    return status;
  };
  let command;
  try {
    command = parseCommand(args, (name) => io.env(name));
    if (command.kind === "build" && command.output === "-" && io.stdoutIsTerminal) {
      throw new UsageError("refusing to write an image to a terminal; redirect standard output");
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(`${error.message} (see oci2erofs --help)`, 2);
    throw error;
  }
  try {
    switch (command.kind) {
      case "help":
        await io.writeStdout(text(HELP));
        return 0;
      case "version":
        await io.writeStdout(text(`oci2erofs ${VERSION}\n`));
        return 0;
      case "build":
        await build(command, io);
        return 0;
    }
  } catch (error) {
    if (io.signal?.aborted) return fail("interrupted", 130);
    return fail(describe(error), 1);
  }
}

/** What credential lookup may read of the environment: only what `io` gives. */
function credentialEnvironment(io: ProcessIo): Record<string, string | undefined> {
  const names = [
    "HOME",
    "PATH",
    "DOCKER_CONFIG",
    "REGISTRY_AUTH_FILE",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
  ];
  return Object.fromEntries(names.map((name) => [name, io.env(name)]));
}

async function build(command: BuildCommand, io: ProcessIo): Promise<void> {
  let registry = command.registry;
  if (command.passwordStdin) {
    if (!io.readStdin) throw new UsageError("--password-stdin: no standard input here");
    const password = (await io.readStdin()).replace(/\r?\n$/, "");
    registry = { ...registry, credentials: { username: registry.credentials!.username, password } };
  }
  const { layers } = command;
  if (
    !isImageSource(command.source) &&
    (layers.layer !== undefined || layers.blob !== undefined || layers.platform !== undefined)
  ) {
    throw new UsageError(
      `--layer, --blob and --platform apply to image sources, not ${command.source.kind}:`,
    );
  }
  const progress = io.stderrIsTerminal && !command.quiet
    ? new ProgressLine((t) => io.writeStderr(t))
    : undefined;
  const started = performance.now();
  let written = 0;
  const { spool: spooling, tmpdir: spoolDir, ...layerOptions } = layers;
  // Only image layers are read twice without it; other sources are files already.
  const spool = spooling && isImageSource(command.source)
    ? await openFileSpool(spoolDir ?? spoolDirectoryFor(command.output)).catch((error) => {
      throw new Error(`cannot create the temporary layer data file: ${describe(error)}`);
    })
    : undefined;
  try {
    const conversion = await convert(command.source, {
      ...command.erofs,
      ...layerOptions,
      spool,
      ...registry,
      clampTime: command.clampTime,
      env: credentialEnvironment(io),
      signal: io.signal,
      onWarning: (message) => io.writeStderr(`oci2erofs: warning: ${message}\n`),
      onProgress: (event) => {
        if (event.type === "write") written = event.bytes;
        if (!progress) return;
        if (event.type === "layer") progress.layer(event);
        // Pass 2 (layer data read again) happens while the image is written.
        else if (event.type === "write") progress.writing(event.bytes, event.total);
      },
    });
    const writing = performance.now();
    if (command.output === "-") await io.writeStdout(coalesce(conversion.chunks()));
    else await conversion.writeTo(command.output);
    const now = performance.now();
    progress?.finish();
    if (!command.quiet) {
      const where = command.output === "-" ? "standard output" : command.output;
      io.writeStderr(`oci2erofs: wrote ${written} bytes to ${where}\n`);
    }
    if (command.json) {
      const seconds = {
        ...conversion.seconds,
        write: Math.round(now - writing) / 1000,
        total: Math.round(now - started) / 1000,
      };
      await io.writeStdout(
        text(`${JSON.stringify(summary(command, conversion, written, seconds), null, 2)}\n`),
      );
    }
  } finally {
    progress?.finish();
    await spool?.close();
  }
}

/** The `--json` summary. */
function summary(
  command: BuildCommand,
  conversion: Conversion,
  bytes: number,
  seconds: Record<string, number>,
): unknown {
  const image = conversion.image;
  return {
    source: `${command.source.kind}:${command.source.location}`,
    image: image && {
      reference: image.reference,
      digest: conversion.digest,
      platform: conversion.platform,
      layers: conversion.layers,
    },
    output: command.output,
    bytes,
    blockSize: conversion.blockSize,
    inodes: conversion.inodes,
    seconds,
  };
}

/**
 * Runs {@link main} as this process (arguments, signals, exit status): what
 * `bin/oci2erofs.js` and `deno run src/cli.ts` do.
 *
 * @example
 * ```ts
 * import { run } from "./cli.ts";
 * await run();
 * ```
 */
export function run(): Promise<void> {
  return runMain(main);
}

// Deno sets import.meta.main for the entry module (Node from 24.2). The cast
// keeps type checkers whose lib lacks the field (deno check under this
// tsconfig) quiet; under Node 20 it is undefined, and bin/ calls run().
if ((import.meta as ImportMeta & { main?: boolean }).main) await run();
