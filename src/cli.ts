/**
 * The `oci2erofs` command: `oci2erofs SOURCE OUTPUT [options]`. Reads the
 * source into a tree, builds the EROFS image and sends it to a file
 * (atomically) or to standard output. Process access goes through the runtime
 * adapter, so this module runs under Node (`bin/oci2erofs.js`) and Deno
 * (`deno run -A src/cli.ts`) alike, and tests call {@link main} in-process.
 *
 * @module
 */
import { buildErofs } from "./erofs/mod.ts";
import { type ProcessIo, processIo, runMain } from "./runtime/process.ts";
import { checkedChunks } from "./sink/checked.ts";
import { coalesce } from "./sink/coalesce.ts";
import { writeImageFile } from "./sink/file.ts";
import { imageTree } from "./layers/mod.ts";
import { isImageSource, openImageSource, readSource } from "./source/mod.ts";
import type { Tree } from "./tree/mod.ts";
import type { Image } from "./image/types.ts";
import { clampTimes } from "./cli/clamp_time.ts";
import { counted, ProgressLine } from "./cli/progress.ts";
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

async function build(command: BuildCommand, io: ProcessIo): Promise<void> {
  const started = performance.now();
  const seconds: Record<string, number> = {};
  let mark = started;
  const stage = (name: string) => {
    const now = performance.now();
    seconds[name] = Math.round(now - mark) / 1000;
    mark = now;
  };
  let registry = command.registry;
  if (command.passwordStdin) {
    if (!io.readStdin) throw new UsageError("--password-stdin: no standard input here");
    const password = (await io.readStdin()).replace(/\r?\n$/, "");
    registry = { ...registry, credentials: { username: registry.credentials!.username, password } };
  }
  const progress = io.stderrIsTerminal && !command.quiet
    ? new ProgressLine((t) => io.writeStderr(t))
    : undefined;
  try {
    await convert(command, io, registry, progress, stage, seconds, started);
  } finally {
    progress?.finish();
  }
}

async function convert(
  command: BuildCommand,
  io: ProcessIo,
  registry: BuildCommand["registry"],
  progress: ProgressLine | undefined,
  stage: (name: string) => void,
  seconds: Record<string, number>,
  started: number,
): Promise<void> {
  const { signal } = io;
  const { layers } = command;
  const onWarning = (message: string) => io.writeStderr(`oci2erofs: warning: ${message}\n`);
  let tree: Tree;
  let image: Image | undefined;
  if (isImageSource(command.source)) {
    image = await openImageSource(command.source, {
      signal,
      onWarning,
      platform: layers.platform,
      ...registry,
    });
    stage("resolve");
    tree = await imageTree(image, {
      signal,
      keepWhiteouts: layers.keepWhiteouts,
      layer: layers.layer,
      blob: layers.blob,
      onProgress: progress && ((p) => progress.layer(p)),
    });
  } else {
    if (layers.layer !== undefined || layers.blob !== undefined || layers.platform !== undefined) {
      throw new UsageError(
        `--layer, --blob and --platform apply to image sources, not ${command.source.kind}:`,
      );
    }
    tree = await readSource(command.source, {
      signal,
      onWarning,
      keepWhiteouts: layers.keepWhiteouts,
    });
  }
  stage("tree");
  if (command.clampTime !== undefined) clampTimes(tree, command.clampTime);
  signal?.throwIfAborted();
  const built = await buildErofs(tree, command.erofs);
  stage("plan");
  // Pass 2 (layer data read again) happens while the image is written.
  const erofs = progress
    ? { ...built, chunks: () => counted(built.chunks(), (n) => progress.writing(n, built.size)) }
    : built;
  if (command.output === "-") await io.writeStdout(coalesce(checkedChunks(erofs)));
  else await writeImageFile(erofs, command.output, { signal });
  stage("write");
  seconds.total = Math.round(performance.now() - started) / 1000;
  progress?.finish();
  if (!command.quiet) {
    const where = command.output === "-" ? "standard output" : command.output;
    io.writeStderr(`oci2erofs: wrote ${erofs.size} bytes to ${where}\n`);
  }
  if (command.json) {
    const summary = {
      source: `${command.source.kind}:${command.source.location}`,
      image: image && {
        reference: image.reference,
        digest: image.digest,
        platform: [image.platform.os, image.platform.architecture, image.platform.variant].filter(
          Boolean,
        ).join("/"),
        layers: image.layers.map((layer) => ({
          digest: layer.descriptor.digest,
          size: layer.descriptor.size,
          mediaType: layer.descriptor.mediaType,
          diffId: layer.diffId,
        })),
      },
      output: command.output,
      bytes: erofs.size,
      blockSize: erofs.blockSize,
      inodes: erofs.inodes,
      seconds,
    };
    await io.writeStdout(text(`${JSON.stringify(summary, null, 2)}\n`));
  }
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
