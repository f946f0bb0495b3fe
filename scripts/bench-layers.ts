/**
 * Converting a layered OCI image: oci2erofs against `umoci unpack` followed
 * by Debian's `mkfs.erofs` on the unpacked tree, in one run. Not a test: it
 * prints numbers and ratios and asserts nothing.
 *
 *     npm run build && node_modules/.bin/deno run -A scripts/bench-layers.ts [--rounds N] [--big]
 *
 * The image (made once, cached under /var/tmp): the tree of
 * `scripts/bench-build.ts` (12,000 files, ~130 MB) split into two gzip
 * layers, plus a third layer that deletes a tenth of the files. `--big` adds
 * a run on an image with one 1 GiB layer (a single incompressible file) to
 * show that peak RSS does not grow with layer size. Peers run alternately,
 * best wall time of `rounds` (default 3), peak RSS from `/usr/bin/time`.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { writeDirectoryLayout } from "../test/support/oci_index.ts";
import { type Run, timedRun } from "./timed_run.ts";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] || 3);
const work = "/var/tmp/oci2erofs-bench";

function sh(script: string): string {
  const result = spawnSync("sh", ["-euc", script], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${script}\n${result.stderr}`);
  return result.stdout.trim();
}

/** Writes an OCI layout whose layers are the given directories, bottom first. */
function layout(dir: string, layerDirs: string[], gzipLevel = 6): void {
  if (existsSync(join(dir, "index.json"))) return;
  console.log(`making ${dir} …`);
  writeDirectoryLayout(dir, layerDirs, { gzipLevel });
}

function compare(title: string, image: string): void {
  const out = join(work, "out");
  mkdirSync(out, { recursive: true });
  const peers: Record<string, string> = {
    "umoci unpack + mkfs.erofs":
      `rm -rf '${out}/bundle'; umoci unpack --image '${image}:latest' '${out}/bundle' >/dev/null; ` +
      `mkfs.erofs -T0 --quiet '${out}/ref.erofs' '${out}/bundle/rootfs'`,
    "oci2erofs (node)":
      `node bin/oci2erofs.js 'oci:${image}:latest' '${out}/node.erofs' -T0 --quiet`,
    "oci2erofs (deno)":
      `node_modules/.bin/deno run -A src/cli.ts 'oci:${image}:latest' '${out}/deno.erofs' -T0 --quiet`,
  };
  const best: Record<string, Run> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, script] of Object.entries(peers)) {
      const run = timedRun(["bash", "-euc", script]);
      best[name] = {
        seconds: Math.min(run.seconds, best[name]?.seconds ?? Infinity),
        rssMiB: Math.max(run.rssMiB, best[name]?.rssMiB ?? 0),
      };
    }
  }
  const ref = best["umoci unpack + mkfs.erofs"];
  console.log(`\n${title}`);
  console.log("tool                          wall s   ×ref   peak RSS MiB   image MB");
  const sizes: Record<string, string> = {
    "umoci unpack + mkfs.erofs": "ref.erofs",
    "oci2erofs (node)": "node.erofs",
    "oci2erofs (deno)": "deno.erofs",
  };
  for (const [name, r] of Object.entries(best)) {
    const size = statSync(join(out, sizes[name])).size / 1e6;
    console.log(
      `${name.padEnd(28)} ${r.seconds.toFixed(2).padStart(7)}  ${
        (r.seconds / ref.seconds).toFixed(2).padStart(5)
      }` +
        `  ${r.rssMiB.toFixed(1).padStart(13)}  ${size.toFixed(2).padStart(9)}`,
    );
  }
  rmSync(out, { recursive: true, force: true });
}

// The tree of bench-build.ts, made by running it if missing.
const tree = join(work, "tree");
if (!existsSync(join(tree, ".complete"))) {
  throw new Error(`${tree} missing: run scripts/bench-build.ts once first (it generates the tree)`);
}
const parts = readdirSync(tree).filter((n) => n.startsWith("d")).sort();
const split = join(work, "split");
if (!existsSync(join(split, ".complete"))) {
  rmSync(split, { recursive: true, force: true });
  const half = Math.ceil(parts.length / 2);
  sh(`mkdir -p '${split}/l1' '${split}/l2' '${split}/l3'`);
  for (const [i, part] of parts.entries()) {
    sh(`cp -a '${tree}/${part}' '${split}/${i < half ? "l1" : "l2"}/'`);
  }
  // Layer 3 deletes every tenth directory of layer 1.
  for (const [i, part] of parts.slice(0, half).entries()) {
    if (i % 10 === 0) sh(`touch '${split}/l3/.wh.${part}'`);
  }
  writeFileSync(join(split, ".complete"), "");
}
const image = join(work, "layout");
layout(image, [join(split, "l1"), join(split, "l2"), join(split, "l3")]);
compare(
  `3 gzip layers, ${(Number(sh(`du -sb '${split}' | cut -f1`)) / 1e6).toFixed(0)} MB uncompressed`,
  image,
);

if (args.includes("--big")) {
  const big = join(work, "big-src");
  if (!existsSync(join(big, "blob"))) {
    sh(`mkdir -p '${big}' && head -c 1073741824 /dev/urandom > '${big}/blob'`);
  }
  const bigImage = join(work, "big-layout");
  layout(bigImage, [big], 1);
  compare("one 1 GiB gzip layer (peak RSS must not grow with layer size)", bigImage);
}
