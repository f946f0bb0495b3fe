/**
 * Runs the oci2erofs command in-process, as a test sees it: arguments in,
 * exit status and standard error out, with an empty environment so the
 * machine user's auth files and SOURCE_DATE_EPOCH never leak into a test.
 *
 * @module
 */
import { main, type ProcessIo } from "../../src/cli.ts";

/** What a {@link runCli} call gives back. */
export interface CliResult {
  status: number;
  stderr: string;
}

/**
 * Runs `oci2erofs ARGS…`; standard output is discarded.
 *
 * @example
 * ```ts
 * import { runCli } from "./cli.ts";
 * const { status, stderr } = await runCli(["--version"]);
 * ```
 */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  let stderr = "";
  const io: ProcessIo = {
    env: (name) => env[name],
    writeStdout: async () => {},
    stdoutIsTerminal: false,
    writeStderr: (text) => void (stderr += text),
  };
  return { status: await main(args, io), stderr };
}
