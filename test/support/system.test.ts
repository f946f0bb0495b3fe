/**
 * Tests of the process helpers the kernel-judged tests are built on.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { CommandError, ensureCommands, run, which } from "./system.ts";

describe("run", () => {
  it("collects output, exit code and raw bytes, and feeds input", async () => {
    const result = await run("sh", ["-c", "cat; printf 'err' >&2; exit 3"], { input: "héllo" });
    expect(result).toMatchObject({ stdout: "héllo", stderr: "err", code: 3 });
    expect(Buffer.from(result.stdoutBytes).toString("utf8")).toBe("héllo");
  });

  it("throws CommandError with the output only when asked to check", async () => {
    await expect(run("sh", ["-c", "echo oops >&2; exit 2"], { check: true })).rejects.toThrow(
      CommandError,
    );
    await expect(run("sh", ["-c", "echo oops >&2; exit 2"], { check: true })).rejects.toThrow(
      /exited with 2[\s\S]*oops/,
    );
    await expect(run("definitely-not-a-command-xyz", [])).rejects.toThrow(/ENOENT/);
  });

  it("has no output size limit", async () => {
    const result = await run("head", ["-c", String(20 * 2 ** 20), "/dev/zero"], { check: true });
    expect(result.stdoutBytes.length).toBe(20 * 2 ** 20);
  });

  it("passes extra environment variables", async () => {
    const result = await run("sh", ["-c", 'printf %s "$X_TEST"'], { env: { X_TEST: "42" } });
    expect(result.stdout).toBe("42");
  });
});

describe("which / ensureCommands", () => {
  it("finds installed tools, including ones in /sbin", async () => {
    expect(await which("sh")).toMatch(/\/sh$/);
    expect(await which("definitely-not-a-command-xyz")).toBeUndefined();
    // Present already, so this must not run apt-get at all.
    await ensureCommands({ sh: "dash", getfattr: "attr" });
  });
});
