/**
 * The npm package as `npm pack` makes it, built into a scratch directory so
 * tests never touch the repository's `dist/`: `tsc -p tsconfig.build.json`,
 * the WASM copied next to its loader (tsc copies no assets), then
 * `package.json`, `bin/`, `README.md` and `LICENSE` beside it — what the
 * `files` field ships.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "../..");

/**
 * Builds the package into `dir` and packs it into `dir/..`; returns the
 * tarball's path.
 *
 * @example
 * ```ts
 * import { stagePackage } from "./stage.ts";
 * const tgz = stagePackage("/tmp/x/pkg"); // /tmp/x/oci2erofs-0.1.0.tgz
 * ```
 */
export function stagePackage(dir: string): string {
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), [
    "-p",
    join(ROOT, "tsconfig.build.json"),
    "--outDir",
    join(dir, "dist"),
  ]);
  for (const name of readdirSync(join(ROOT, "src/wasm")).filter((n) => n.endsWith(".wasm"))) {
    copyFileSync(join(ROOT, "src/wasm", name), join(dir, "dist/src/wasm", name));
  }
  mkdirSync(join(dir, "bin"), { recursive: true });
  cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
  for (const name of ["package.json", "README.md", "LICENSE"]) {
    copyFileSync(join(ROOT, name), join(dir, name));
  }
  // --ignore-scripts: `prepare` would rebuild in place; the build is done.
  const packed = execFileSync(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", join(dir, "..")],
    { cwd: dir, encoding: "utf8" },
  );
  const [{ filename }] = JSON.parse(packed) as { filename: string }[];
  return join(dir, "..", filename);
}

/**
 * The package's version, from `package.json`.
 *
 * @example
 * ```ts
 * import { packageVersion } from "./stage.ts";
 * console.log(packageVersion()); // 0.1.0
 * ```
 */
export function packageVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
}
