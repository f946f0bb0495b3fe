// The README's examples, run as written: every fenced block preceded by a
// `<!-- test -->` line. Shell blocks run in bash in a scratch directory
// (with the repository's examples/ linked in) where `npx oci2erofs` is the
// repository CLI under Deno; TypeScript blocks run in Deno with
// `"oci2erofs"` resolved to the repository's mod.ts. No build step.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withMountedImage } from "../support/mount.ts";
import { ROOT } from "./stage.ts";

const DENO = join(ROOT, "node_modules/.bin/deno");

/** One runnable example: its language, its code, and where it starts in the README. */
interface Example {
  language: "sh" | "ts";
  code: string;
  line: number;
}

/** The fenced blocks right after a `<!-- test -->` line. */
function runnableExamples(markdown: string): Example[] {
  const lines = markdown.split("\n");
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "<!-- test -->") continue;
    let start = i + 1;
    while (lines[start]?.trim() === "") start++; // deno fmt puts a blank line here
    const fence = /^```(sh|ts)\s*$/.exec(lines[start] ?? "");
    if (!fence) throw new Error(`README.md:${i + 1}: <!-- test --> must precede a sh or ts block`);
    const end = lines.indexOf("```", start + 1);
    if (end < 0) throw new Error(`README.md:${start + 1}: unclosed block`);
    examples.push({
      language: fence[1] as Example["language"],
      code: lines.slice(start + 1, end).join("\n"),
      line: start + 2,
    });
    i = end;
  }
  return examples;
}

const examples = runnableExamples(readFileSync(join(ROOT, "README.md"), "utf8"));
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-readme-"));
  symlinkSync(join(ROOT, "examples"), join(work, "examples"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(example: Example, index: number) {
  if (example.language === "sh") {
    const prelude = [
      "set -euo pipefail",
      // `npx oci2erofs …` is the repository's CLI, run from source.
      `npx() { if [ "$1" = oci2erofs ]; then shift; ${JSON.stringify(DENO)} run -A --no-lock ` +
      `--config ${JSON.stringify(join(ROOT, "deno.json"))} ${
        JSON.stringify(join(ROOT, "src/cli.ts"))
      } "$@"; else command npx "$@"; fi; }`,
    ].join("\n");
    return spawnSync("bash", ["-c", `${prelude}\n${example.code}`], {
      cwd: work,
      encoding: "utf8",
    });
  }
  const script = join(work, `example-${index}.ts`);
  const mod = pathToFileURL(join(ROOT, "mod.ts")).href;
  const url = (path: string) => pathToFileURL(join(ROOT, path)).href;
  writeFileSync(
    script,
    example.code
      .replaceAll(`from "oci2erofs"`, `from "${mod}"`)
      .replaceAll(`from "oci2erofs/proxy"`, `from "${url("src/proxy/mod.ts")}"`)
      .replaceAll(`from "oci2erofs/edge"`, `from "${url("src/edge/mod.ts")}"`),
  );
  return spawnSync(
    DENO,
    ["run", "-A", "--no-lock", "--config", join(ROOT, "deno.json"), script],
    { cwd: work, encoding: "utf8" },
  );
}

describe("README examples", () => {
  it("has runnable examples of the CLI and of the library", () => {
    expect(examples.filter((e) => e.language === "sh").length).toBeGreaterThanOrEqual(1);
    expect(examples.filter((e) => e.language === "ts").length).toBeGreaterThanOrEqual(3);
  });

  for (const [index, example] of examples.entries()) {
    it(`README.md:${example.line} (${example.language}) runs`, () => {
      const result = run(example, index);
      if (result.status !== 0) {
        throw new Error(
          `README.md:${example.line} exited ${result.status}\n${result.stderr}${result.stdout}`,
        );
      }
    });
  }

  it("leaves the images the examples promise; the kernel mounts the custom tree's", async () => {
    for (const name of ["busybox.erofs", "hello.erofs", "top.erofs", "mine.erofs"]) {
      // EROFS superblock magic at offset 1024.
      expect(readFileSync(join(work, name)).readUInt32LE(1024)).toBe(0xe0f5e1e2);
    }
    const { value } = await withMountedImage(join(work, "mine.erofs"), (root) =>
      Promise.resolve({
        text: readFileSync(join(root, "etc/hostname"), "utf8"),
        links: statSync(join(root, "etc/hostname.bak")).nlink,
      }));
    expect(value).toEqual({ text: "box\n", links: 2 });
  });
});
