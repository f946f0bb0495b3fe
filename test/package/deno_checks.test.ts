// The Deno module as JSR would take it: the sources type-check as they are
// (no build step), every export of mod.ts has JSDoc with an example and the
// examples type-check too, and the tree is lint- and format-clean.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./stage.ts";

const DENO = join(ROOT, "node_modules/.bin/deno");

function deno(args: string[]): { status: number | null; output: string; stdout: string } {
  const result = spawnSync(DENO, args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 1 << 28,
  });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    stdout: result.stdout,
  };
}

/** What `deno doc --json` says of one exported symbol. */
interface DocSymbol {
  name: string;
  declarations: {
    location: { filename: string };
    jsDoc?: { doc?: string; tags?: { kind: string }[] };
  }[];
}

describe("Deno module", () => {
  it("every export of mod.ts has JSDoc with an example, and everything type-checks", () => {
    const doc = deno(["doc", "--json", "mod.ts"]);
    expect(doc.status, doc.output).toBe(0);
    const nodes = JSON.parse(doc.stdout).nodes as Record<
      string,
      { symbols: DocSymbol[] }
    >;
    const symbols = Object.entries(nodes).find(([url]) => url.endsWith("/mod.ts"))![1].symbols;
    expect(symbols.map((s) => s.name)).toContain("convert");
    const withoutExample = symbols
      .filter((s) => !s.declarations.some((d) => d.jsDoc?.tags?.some((t) => t.kind === "example")))
      .map((s) => s.name);
    expect(withoutExample).toEqual([]);
    // --doc also type-checks the examples in the JSDoc of every declaring file.
    const files = [
      ...new Set(
        symbols.flatMap((s) => s.declarations.map((d) => new URL(d.location.filename).pathname)),
      ),
    ];
    const check = deno(["check", "--doc", "mod.ts", "src/cli.ts", ...files]);
    expect(check.status, check.output).toBe(0);
  });

  it("deno lint is clean", () => {
    const lint = deno(["lint"]);
    expect(lint.status, lint.output).toBe(0);
  });

  it("deno fmt --check is clean", () => {
    const fmt = deno(["fmt", "--check"]);
    expect(fmt.status, fmt.output).toBe(0);
  });

  it("deno.json is ready for JSR: name, version, exports, published files", () => {
    // --no-check: the first test type-checked already; slow types are still checked.
    const publish = deno(["publish", "--dry-run", "--allow-dirty", "--no-check"]);
    expect(publish.status, publish.output).toBe(0);
    expect(publish.output).toContain("mod.ts");
    expect(publish.output).not.toMatch(/\/test\/|\.test\.ts/);
  });
});
