/**
 * Compiles the AssemblyScript sources in `asm/` into `src/wasm/oci2erofs.wasm`.
 *
 * Usage: `node scripts/build-asm.js [--out PATH]` (`npm run build:asm`).
 * `--out` writes elsewhere; the test suite uses it to rebuild into a temporary
 * file and check that the committed binary is not stale.
 *
 * The binary is committed so `deno run src/cli.ts` works without a build
 * step, which only holds if the output is a pure function of the sources and
 * the pinned compiler: no debug info, no source map, no names section.
 *
 * @module
 */
import asc from "assemblyscript/asc";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Compiler flags. `--runtime stub` and no managed objects in the sources keep
 * the module free of GC and allocator code; `--use abort=` drops the only
 * import AssemblyScript would add, so the module instantiates with `{}`.
 */
const FLAGS = [
  "asm/index.ts",
  "-O3",
  "--converge",
  "--noAssert",
  "--runtime",
  "stub",
  "--use",
  "abort=",
  "--noColors",
];

/**
 * Compiles `asm/` and returns the wasm bytes.
 *
 * @example
 * ```js
 * const bytes = await compile();
 * console.log(bytes.length);
 * ```
 * @returns {Promise<Uint8Array>}
 */
export async function compile() {
  /** @type {Uint8Array | undefined} */
  let binary;
  const { error, stderr } = await asc.main([...FLAGS, "--outFile", "oci2erofs.wasm"], {
    baseDir: root,
    // Capture instead of letting asc write, so the destination is ours to pick.
    writeFile(name, contents) {
      if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
    },
  });
  if (error) throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  if (!binary) throw new Error("asc produced no binary");
  return binary;
}

/**
 * Parses `--out PATH` from the command line.
 *
 * @example
 * ```js
 * outPath(["--out", "/tmp/x.wasm"]); // "/tmp/x.wasm"
 * ```
 * @param {string[]} argv
 * @returns {string}
 */
export function outPath(argv) {
  const at = argv.indexOf("--out");
  if (at >= 0 && argv[at + 1]) return resolve(argv[at + 1]);
  return resolve(root, "src/wasm/oci2erofs.wasm");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = outPath(process.argv.slice(2));
  const bytes = await compile();
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bytes);
  console.log(`wrote ${out} (${bytes.length} bytes)`);
}
