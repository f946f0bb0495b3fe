/**
 * Compressed images: oci2erofs against Debian's mkfs.erofs on the same tree,
 * in one run, for `-zlz4` and `-zlz4hc` (default level 9, 4 KiB pclusters,
 * as mkfs.erofs defaults). Not a test: it prints image sizes, wall times and
 * their ratios to mkfs.erofs, and asserts nothing. Targets from issue 5:
 * size ≤ 1.02×, time ≤ 1.0×.
 *
 *     node_modules/.bin/deno run -A scripts/bench-compress.ts [--dir PATH] [--rounds N]
 *
 * Without `--dir` the tree is a copy (made once, under /var/tmp) of
 * `/usr/lib/gcc` and `/usr/lib/python3.11` — compilers, archives, headers,
 * Python sources and bytecode, ~170 MB. oci2erofs runs on Deno from the
 * sources (`src/cli.ts`, Web Workers) and, when `npm run build` has been run,
 * on Node (`bin/oci2erofs.js`, worker_threads). Best wall time of `rounds`
 * (default 2), alternating peers. Every image is checked with fsck.erofs.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(option("--rounds") ?? 2);
const work = "/var/tmp/oci2erofs-bench-compress";
const source = option("--dir") ?? join(work, "tree");

function prepare(root: string): void {
  if (existsSync(join(root, ".complete"))) return;
  console.log(`copying /usr/lib/gcc and /usr/lib/python3.11 to ${root} …`);
  mkdirSync(root, { recursive: true });
  for (const dir of ["/usr/lib/gcc", "/usr/lib/python3.11"]) {
    const copy = spawnSync("cp", ["-a", dir, root], { stdio: "inherit" });
    if (copy.status !== 0) throw new Error(`cp -a ${dir} failed`);
  }
  spawnSync("touch", [join(root, ".complete")]);
}

function du(path: string): { files: number; bytes: number } {
  const out = spawnSync("sh", [
    "-c",
    `find "${path}" -type f | wc -l; du -sb --apparent-size "${path}" | cut -f1`,
  ], { encoding: "utf8" }).stdout.trim().split("\n");
  return { files: Number(out[0]), bytes: Number(out[1]) };
}

function timed(command: string[]): number {
  const start = performance.now();
  const result = spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr}`);
  return (performance.now() - start) / 1000;
}

if (!option("--dir")) prepare(source);
mkdirSync(work, { recursive: true });
const { files, bytes } = du(source);
console.log(
  `source: ${source}: ${files} files, ${(bytes / 1e6).toFixed(1)} MB; best of ${rounds}; ` +
    `${navigator.hardwareConcurrency} cores`,
);

const node = existsSync("dist/src/cli.js") &&
  /-z ALGORITHM/.test(
    spawnSync("node", ["bin/oci2erofs.js", "--help"], { encoding: "utf8" }).stdout,
  );
if (!node) {
  console.log("(dist/ missing or without -z: `npm run build` to include oci2erofs on Node)");
}
const peers: { name: string; algorithm: string; command: string[]; output: string }[] = [];
for (const algorithm of ["lz4", "lz4hc"]) {
  const out = (tool: string) => join(work, `${tool}-${algorithm}.erofs`);
  peers.push({
    name: `mkfs.erofs -z${algorithm}`,
    algorithm,
    command: [
      "mkfs.erofs",
      `-z${algorithm}`,
      "-T0",
      "-U00000000-0000-0000-0000-000000000000",
      "--quiet",
      out("mkfs"),
      source,
    ],
    output: out("mkfs"),
  });
  const ours = [`dir:${source}`, "", `-z${algorithm}`, "-T0", "-Uclear", "--quiet"];
  peers.push({
    name: `oci2erofs deno -z${algorithm}`,
    algorithm,
    command: ["node_modules/.bin/deno", "run", "-A", "src/cli.ts", ...ours].map((a) =>
      a === "" ? out("deno") : a
    ),
    output: out("deno"),
  });
  if (node) {
    peers.push({
      name: `oci2erofs node -z${algorithm}`,
      algorithm,
      command: ["node", "bin/oci2erofs.js", ...ours].map((a) => (a === "" ? out("node") : a)),
      output: out("node"),
    });
  }
}

const best = new Map<string, { seconds: number; size: number }>();
for (let round = 0; round < rounds; round++) {
  // Warm the page cache for everyone alike.
  spawnSync("sh", ["-c", `cat $(find "${source}" -type f) > /dev/null 2>&1`]);
  for (const peer of peers) {
    const seconds = timed(peer.command);
    const size = statSync(peer.output).size;
    const prev = best.get(peer.name);
    best.set(peer.name, { seconds: Math.min(seconds, prev?.seconds ?? Infinity), size });
  }
}

console.log("\ntool                          wall s   ×mkfs    image MB   ×mkfs   fsck");
for (const peer of peers) {
  const r = best.get(peer.name)!;
  const ref = best.get(`mkfs.erofs -z${peer.algorithm}`)!;
  const fsck = spawnSync("fsck.erofs", [peer.output], { encoding: "utf8" });
  const ok = fsck.status === 0 && !/<E>/.test(`${fsck.stdout}${fsck.stderr}`);
  console.log(
    `${peer.name.padEnd(28)} ${r.seconds.toFixed(2).padStart(7)}  ${
      (r.seconds / ref.seconds).toFixed(2).padStart(6)
    }  ${(r.size / 1e6).toFixed(2).padStart(10)}  ${(r.size / ref.size).toFixed(4).padStart(6)}   ${
      ok ? "ok" : "FAILED"
    }`,
  );
}
