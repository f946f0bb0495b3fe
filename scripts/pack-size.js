/**
 * Reports what the npm package would hold — packed and unpacked size, and
 * every file — and fails when something that must not ship would (tests,
 * fixtures, examples, sources other than the build) or something the
 * package needs is missing (the build, the WASM, the bin, README, LICENSE).
 *
 * Usage: `npm run build && node scripts/pack-size.js [DIR] [--json]`. DIR is
 * the package directory (default: the repository); the package test runs it
 * on the staged package it packs. Exit status 0 when the package is sound,
 * 1 otherwise.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const json = args.includes("--json");
const dir = resolve(
  args.find((arg) => !arg.startsWith("--")) ??
    resolve(dirname(fileURLToPath(import.meta.url)), ".."),
);

/** Files the package cannot work without. */
const REQUIRED = [
  "package.json",
  "README.md",
  "LICENSE",
  "bin/oci2erofs.js",
  "dist/mod.js",
  "dist/mod.d.ts",
  "dist/src/cli.js",
  "dist/src/entry/browser.js",
  "dist/src/entry/workerd.js",
  "dist/src/wasm/oci2erofs.wasm",
];

/** What must never ship: tests, fixtures, examples, TypeScript sources, tooling. */
const FORBIDDEN = [
  /(^|\/)test(s)?\//,
  /fixture/i,
  /^examples\//,
  /\.test\.[cm]?[jt]s$/,
  /^src\//,
  /^asm\//,
  /^scripts\//,
  /^web\//,
  /\.erofs$/,
];

// --ignore-scripts: `prepare` would rebuild; this reports what is there.
const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
  cwd: dir,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "pipe"],
});
const [pack] = JSON.parse(output);
const paths = pack.files.map((file) => file.path);
const problems = [
  ...REQUIRED.filter((path) => !paths.includes(path)).map((path) => `missing ${path}`),
  ...paths.filter((path) => FORBIDDEN.some((re) => re.test(path))).map((path) =>
    `must not ship ${path}`
  ),
];

if (json) {
  console.log(JSON.stringify(
    {
      name: pack.name,
      version: pack.version,
      size: pack.size,
      unpackedSize: pack.unpackedSize,
      files: pack.files.map(({ path, size }) => ({ path, size })),
      problems,
    },
    null,
    2,
  ));
} else {
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  for (const file of pack.files) console.log(`${kb(file.size).padStart(11)}  ${file.path}`);
  console.log(
    `${pack.name}@${pack.version}: ${pack.files.length} files, ${kb(pack.size)} packed, ` +
      `${kb(pack.unpackedSize)} unpacked`,
  );
  for (const problem of problems) console.error(`pack-size: ${problem}`);
}
process.exitCode = problems.length > 0 ? 1 : 0;
