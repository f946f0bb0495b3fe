// The npm package as users get it: packed, installed from the tarball into an
// empty project offline, then used through `import` and `npx oci2erofs`; and
// the sources from Deno. Every image must equal the repository CLI's, byte for
// byte, and the kernel must mount them to the same tree.
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.ts";
import { withMountedImage } from "../support/mount.ts";
import { expectSameTree, snapshotDirectory } from "../support/snapshot.ts";
import { packageVersion, ROOT, stagePackage } from "./stage.ts";

const SOURCE = `oci:${join(ROOT, "examples/busybox")}:latest`;
const DENO = join(ROOT, "node_modules/.bin/deno");
let work: string;
let project: string;
let tgz: string;
let reference: Uint8Array;

const read = (path: string) => new Uint8Array(readFileSync(path));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b);

/** Runs a command in the consumer project, failing with its output. */
function inProject(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: project, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${result.status}\n${result.stderr}`);
  }
  return result.stdout;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-package-"));
  tgz = stagePackage(join(work, "pkg"));
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  // Offline, from the tarball: fflate, the one runtime dependency, comes
  // from the npm cache that `npm ci` filled.
  inProject("npm", ["install", "--offline", "--no-audit", "--no-fund", tgz]);
  const out = join(work, "cli.erofs");
  const status = await main([SOURCE, out, "--quiet"], {
    env: () => undefined,
    writeStdout: async () => {},
    stdoutIsTerminal: false,
    writeStderr: () => {},
  });
  expect(status).toBe(0);
  reference = read(out);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm package", () => {
  it("ships the build, the WASM, the bin and docs, and nothing from test/ or fixtures", () => {
    const report = spawnSync(
      process.execPath,
      [join(ROOT, "scripts/pack-size.js"), join(work, "pkg"), "--json"],
      { encoding: "utf8" },
    );
    const { problems, files, size } = JSON.parse(report.stdout) as {
      problems: string[];
      files: { path: string }[];
      size: number;
    };
    expect(problems).toEqual([]);
    expect(report.status).toBe(0);
    expect(files.some((f) => /(^|\/)test\/|fixture/.test(f.path))).toBe(false);
    expect(size).toBeLessThan(1 << 20);
    const installed = JSON.parse(
      readFileSync(join(project, "node_modules/oci2erofs/package.json"), "utf8"),
    );
    expect(installed.version).toBe(packageVersion());
  });

  it("builds the example via import and via npx oci2erofs, as the repository CLI does", async () => {
    writeFileSync(
      join(project, "build.js"),
      [
        'import process from "node:process";',
        'import { convert } from "oci2erofs";',
        `const conversion = await convert(${JSON.stringify(SOURCE)});`,
        "await conversion.writeTo(process.argv[2]);",
        "console.log(JSON.stringify({ size: conversion.size, layers: conversion.layers.length }));",
      ].join("\n"),
    );
    const summary = JSON.parse(inProject(process.execPath, ["build.js", "import.erofs"]));
    expect(summary).toEqual({ size: reference.length, layers: 2 });
    inProject("npx", ["--offline", "--no", "--", "oci2erofs", SOURCE, "npx.erofs", "--quiet"]);
    expect(inProject("npx", ["--offline", "--no", "--", "oci2erofs", "--version"])).toBe(
      `oci2erofs ${packageVersion()}\n`,
    );
    const viaImport = join(project, "import.erofs");
    const viaNpx = join(project, "npx.erofs");
    expect(same(read(viaImport), reference)).toBe(true);
    expect(same(read(viaNpx), reference)).toBe(true);
    const { value: expected } = await withMountedImage(
      viaImport,
      (root) => snapshotDirectory(root),
    );
    const { value: actual } = await withMountedImage(viaNpx, (root) => snapshotDirectory(root));
    expect(expected.get("bin/busybox")?.type).toBe("file");
    expectSameTree(expected, actual);
  });

  it("resolves the browser condition to an entry that imports no node: module", () => {
    const probe =
      "import('oci2erofs').then((m) => console.log(typeof m.convert, typeof m.readDirSource))";
    expect(inProject(process.execPath, ["--conditions=browser", "-e", probe])).toBe(
      "function undefined\n",
    );
    expect(inProject(process.execPath, ["-e", probe])).toBe("function function\n");
    const dist = join(project, "node_modules/oci2erofs/dist/src/entry");
    for (const entry of ["browser.js", "workerd.js"]) {
      expect(staticNodeImports(join(dist, entry))).toEqual([]);
    }
  });

  it("bundles for workerd: the WASM imported as a module, no bytes compiled, a registry image streamed", async () => {
    // A bundler resolving the workerd condition, as wrangler does; .wasm
    // imports become the WebAssembly.Module the runtime hands over.
    writeFileSync(join(project, "worker.js"), 'export * from "oci2erofs";\n');
    const { build } = await import("vite");
    await build({
      root: project,
      configFile: false,
      logLevel: "silent",
      resolve: { conditions: ["workerd", "worker", "browser", "module", "import", "default"] },
      plugins: [{
        name: "wasm-as-module",
        enforce: "pre",
        load: (id) =>
          id.endsWith(".wasm") ? "export default globalThis.__OCI2EROFS_WASM__;" : undefined,
      }],
      build: {
        outDir: join(project, "bundle"),
        emptyOutDir: true,
        minify: false,
        target: "es2022",
        lib: { entry: join(project, "worker.js"), formats: ["es"], fileName: "worker" },
      },
    });
    const bundled = readdirSync(join(project, "bundle")).map((name) =>
      readFileSync(join(project, "bundle", name), "utf8")
    ).join("\n");
    expect(bundled).toContain("__OCI2EROFS_WASM__");
    copyFileSync(
      join(ROOT, "test/package/layout_registry.js"),
      join(project, "layout_registry.js"),
    );
    writeFileSync(
      join(project, "run_worker.js"),
      [
        'import { readFileSync, writeFileSync } from "node:fs";',
        'import { layoutFetch } from "./layout_registry.js";',
        "globalThis.__OCI2EROFS_WASM__ = new WebAssembly.Module(",
        '  readFileSync("node_modules/oci2erofs/dist/src/wasm/oci2erofs.wasm"),',
        ");",
        "// Node's own fetch compiles its HTTP parser on first use: let it, before the ban.",
        'await fetch("http://127.0.0.1:9/").catch(() => {});',
        "// From here on, as in workerd: no compiling of bytes at run time.",
        "const refuse = (what) => () => { throw new Error(`${what}: compiling bytes is disallowed`); };",
        'WebAssembly.compile = refuse("compile");',
        'WebAssembly.compileStreaming = refuse("compileStreaming");',
        'WebAssembly.instantiateStreaming = refuse("instantiateStreaming");',
        "const instantiate = WebAssembly.instantiate;",
        "WebAssembly.instantiate = (source, imports) => source instanceof WebAssembly.Module",
        '  ? instantiate(source, imports) : refuse("instantiate")();',
        'const { convert, wasmReady } = await import("./bundle/worker.js");',
        "await wasmReady;",
        'const conversion = await convert("registry.test/library/busybox:latest", {',
        `  fetch: layoutFetch(${JSON.stringify(join(ROOT, "examples/busybox"))}),`,
        "  anonymous: true,",
        "});",
        "const bytes = new Uint8Array(await new Response(conversion.stream()).arrayBuffer());",
        'writeFileSync("worker.erofs", bytes);',
      ].join("\n"),
    );
    inProject(process.execPath, ["run_worker.js"]);
    expect(same(read(join(project, "worker.erofs")), reference)).toBe(true);
  });

  it("builds the same image from Deno, importing the installed npm package", () => {
    // Deno resolves "oci2erofs" through the project's package.json and
    // node_modules, taking the package's deno condition.
    inProject(DENO, ["run", "-A", "--no-lock", "build.js", "deno-npm.erofs"]);
    expect(same(read(join(project, "deno-npm.erofs")), reference)).toBe(true);
  });

  it("builds the same image from Deno importing mod.ts, with no build step", async () => {
    const out = join(work, "deno.erofs");
    const script = join(work, "deno_build.ts");
    writeFileSync(
      script,
      [
        `import { convert } from ${JSON.stringify(join(ROOT, "mod.ts"))};`,
        `const conversion = await convert(${JSON.stringify(SOURCE)});`,
        `await conversion.writeTo(${JSON.stringify(out)});`,
      ].join("\n"),
    );
    // The script lives outside the repository: point Deno at its config (bare
    // imports such as fflate resolve through its package.json and node_modules).
    execFileSync(DENO, ["run", "-A", "--no-lock", "--config", join(ROOT, "deno.json"), script], {
      stdio: "pipe",
    });
    expect(same(read(out), reference)).toBe(true);
    const { value } = await withMountedImage(out, (root) => snapshotDirectory(root));
    const { value: expected } = await withMountedImage(
      join(project, "import.erofs"),
      (root) => snapshotDirectory(root),
    );
    expectSameTree(expected, value);
  });
});

/** `node:` modules reachable from `file` through static imports and re-exports. */
function staticNodeImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const found: string[] = [];
  const text = readFileSync(file, "utf8");
  for (const [, specifier] of text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
    if (specifier.startsWith("node:")) found.push(`${file}: ${specifier}`);
    else if (specifier.startsWith(".") && specifier.endsWith(".js")) {
      found.push(...staticNodeImports(join(file, "..", specifier), seen));
    }
  }
  return found;
}
