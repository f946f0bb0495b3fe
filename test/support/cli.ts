/**
 * Runs the oci2erofs command in-process, as a test sees it: arguments in,
 * exit status and standard error out, with an empty environment so the
 * machine user's auth files and SOURCE_DATE_EPOCH never leak into a test.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { main, type ProcessIo } from "../../src/cli.ts";

/** What a {@link runCli} call gives back. */
export interface CliResult {
  status: number;
  stderr: string;
  /** Standard output as text. */
  stdout: string;
}

/** What the command sees of its process. */
export interface CliOptions {
  env?: Record<string, string>;
  /** Standard input, for `--password-stdin`. */
  stdin?: string;
}

/**
 * Runs `oci2erofs ARGS…`, capturing standard output and error.
 *
 * @example
 * ```ts
 * import { runCli } from "./cli.ts";
 * const { status, stderr } = await runCli(["--version"]);
 * ```
 */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  let stderr = "";
  const stdout: Uint8Array[] = [];
  const io: ProcessIo = {
    env: (name) => options.env?.[name],
    async writeStdout(chunks) {
      for await (const chunk of chunks) stdout.push(chunk.slice());
    },
    stdoutIsTerminal: false,
    writeStderr: (text) => void (stderr += text),
    readStdin: options.stdin === undefined ? undefined : () => Promise.resolve(options.stdin!),
  };
  const status = await main(args, io);
  return { status, stderr, stdout: new TextDecoder().decode(Buffer.concat(stdout)) };
}

/**
 * The CLI's image of `repository:latest` pulled from a test registry (with
 * its credentials, if it has any), written to `path` and read back: the
 * reference bytes other pull paths (proxy, edge handler, web page) must equal.
 *
 * @example
 * ```ts
 * import { cliPull } from "./cli.ts";
 * declare const registry: { host: string; credentials?: { username: string; password: string } };
 * const bytes = await cliPull(registry, "library/busybox", "/tmp/direct.erofs");
 * ```
 */
export async function cliPull(
  registry: { host: string; credentials?: { username: string; password: string } },
  repository: string,
  path: string,
): Promise<Uint8Array> {
  const creds = registry.credentials
    ? ["--creds", `${registry.credentials.username}:${registry.credentials.password}`]
    : [];
  const result = await runCli([
    `${registry.host}/${repository}:latest`,
    path,
    "--plain-http",
    "--quiet",
    ...creds,
  ]);
  if (result.status !== 0 || result.stderr !== "") {
    throw new Error(`oci2erofs pull of ${registry.host}/${repository} failed: ${result.stderr}`);
  }
  return new Uint8Array(await readFile(path));
}

/**
 * The CLI's image of the bundled example layout (`examples/busybox`),
 * written to `path` and read back: what every pull of the pushed example
 * must equal byte for byte.
 *
 * @example
 * ```ts
 * import { exampleImage } from "./cli.ts";
 * const reference = await exampleImage("/tmp/reference.erofs");
 * ```
 */
export async function exampleImage(path: string): Promise<Uint8Array> {
  const layout = new URL("../../examples/busybox", import.meta.url).pathname;
  const result = await runCli([`oci:${layout}:latest`, path, "--quiet"]);
  if (result.status !== 0) throw new Error(`oci2erofs of the example failed: ${result.stderr}`);
  return new Uint8Array(await readFile(path));
}
