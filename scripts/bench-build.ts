/**
 * oci2erofs against Debian's mkfs.erofs, building the same directory, in one
 * run. Not a test: it prints numbers and ratios and asserts nothing.
 *
 *     npm run build && node_modules/.bin/deno run -A scripts/bench-build.ts [--dir PATH] [--rounds N]
 *
 * Without `--dir` it generates (once, cached under /var/tmp) a tree of
 * 12,000 files and ~130 MB: sizes log-uniform (98% to 64 KiB, 2% to 4 MiB), nested
 * directories, symlinks, pseudo-random bytes. Each tool runs `rounds` times
 * (default 3), alternating, under `/usr/bin/time` for peak RSS; the best wall
 * time counts. Peers: `mkfs.erofs` (C, erofs-utils from Debian), oci2erofs on
 * Node (`bin/oci2erofs.js`, needs `npm run build`) and on Deno (`src/cli.ts`).
 * Both images are then checked with `fsck.erofs`. Targets from the issue:
 * time ≤ 1.5× and size ≤ 1.01× of mkfs.erofs.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type Run, timedRun } from "./timed_run.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(option("--rounds") ?? 3);
const work = "/var/tmp/oci2erofs-bench";
const source = option("--dir") ?? join(work, "tree");

function generate(root: string): void {
  if (existsSync(join(root, ".complete"))) return;
  console.log(`generating ${root} …`);
  let x = 0x2545f491;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const pool = new Uint8Array(8 << 20);
  const words = new Uint32Array(pool.buffer);
  for (let i = 0; i < words.length; i++) words[i] = (next() * 2 ** 32) >>> 0;
  for (let i = 0; i < 12_000; i++) {
    const dir = join(root, `d${i % 40}`, `e${(i >> 3) % 25}`);
    mkdirSync(dir, { recursive: true });
    // Mostly small files (log-uniform to 64 KiB), 2% up to 4 MiB: ~130 MB in all.
    const max = next() < 0.02 ? 4 << 20 : 64 << 10;
    const size = Math.floor(Math.exp(next() * Math.log(max))) - 1;
    const start = Math.floor(next() * (pool.length - size));
    writeFileSync(join(dir, `file-${i}.bin`), pool.subarray(start, start + size));
    if (i % 50 === 0) symlinkSync(`file-${i}.bin`, join(dir, `link-${i}`));
  }
  writeFileSync(join(root, ".complete"), "");
}

function du(path: string): { files: number; bytes: number } {
  const out = spawnSync("sh", [
    "-c",
    `find "${path}" -type f | wc -l; du -sb --apparent-size "${path}" | cut -f1`,
  ], {
    encoding: "utf8",
  }).stdout.trim().split("\n");
  return { files: Number(out[0]), bytes: Number(out[1]) };
}

if (!option("--dir")) generate(source);
mkdirSync(work, { recursive: true });
const { files, bytes } = du(source);
console.log(`source: ${source}: ${files} files, ${(bytes / 1e6).toFixed(1)} MB; best of ${rounds}`);

const peers: Record<string, { command: string[]; output: string }> = {
  "mkfs.erofs": {
    command: [
      "mkfs.erofs",
      "-T0",
      "-U00000000-0000-0000-0000-000000000000",
      "--quiet",
      join(work, "mkfs.erofs"),
      source,
    ],
    output: join(work, "mkfs.erofs"),
  },
  "oci2erofs (node)": {
    command: [
      "node",
      "bin/oci2erofs.js",
      `dir:${source}`,
      join(work, "node.erofs"),
      "-T0",
      "-Uclear",
      "--quiet",
    ],
    output: join(work, "node.erofs"),
  },
  "oci2erofs (deno)": {
    command: [
      "node_modules/.bin/deno",
      "run",
      "-A",
      "src/cli.ts",
      `dir:${source}`,
      join(work, "deno.erofs"),
      "-T0",
      "-Uclear",
      "--quiet",
    ],
    output: join(work, "deno.erofs"),
  },
};

const best: Record<string, Run & { size: number }> = {};
for (let round = 0; round < rounds; round++) {
  // Drop the page cache effect of the first read for everyone alike.
  spawnSync("sh", ["-c", `cat $(find "${source}" -type f) > /dev/null 2>&1`]);
  for (const [name, peer] of Object.entries(peers)) {
    const run = timedRun(peer.command);
    const size = statSync(peer.output).size;
    const prev = best[name];
    best[name] = {
      seconds: Math.min(run.seconds, prev?.seconds ?? Infinity),
      rssMiB: Math.max(run.rssMiB, prev?.rssMiB ?? 0),
      size,
    };
  }
}

const ref = best["mkfs.erofs"];
console.log("\ntool                 wall s   ×mkfs   image MB   ×mkfs   peak RSS MiB   ×mkfs");
for (const [name, r] of Object.entries(best)) {
  console.log(
    `${name.padEnd(20)} ${r.seconds.toFixed(2).padStart(6)}  ${
      (r.seconds / ref.seconds).toFixed(2).padStart(6)
    }` +
      `  ${(r.size / 1e6).toFixed(2).padStart(9)}  ${(r.size / ref.size).toFixed(4).padStart(6)}` +
      `  ${r.rssMiB.toFixed(1).padStart(13)}  ${(r.rssMiB / ref.rssMiB).toFixed(2).padStart(6)}`,
  );
}
for (const [name, peer] of Object.entries(peers)) {
  const fsck = spawnSync("fsck.erofs", [peer.output], { encoding: "utf8" });
  console.log(`fsck.erofs ${name}: ${fsck.status === 0 ? "ok" : `FAILED\n${fsck.stderr}`}`);
}
