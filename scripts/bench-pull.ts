/**
 * Pulling from a registry: oci2erofs against `skopeo copy` + `umoci unpack`
 * + Debian's `mkfs.erofs` (erofs-utils 1.5 has no `--oci`; when an
 * erofs-utils ≥ 1.9 `mkfs.erofs --oci` is on PATH it is measured too), in
 * one run, from a local Debian docker-registry on loopback. Not a test.
 *
 *     npm run build && node_modules/.bin/deno run -A scripts/bench-pull.ts [--rounds N] [--mkfs PATH]
 *
 * `--mkfs` names an erofs-utils ≥ 1.9 `mkfs.erofs` built with `--enable-oci`
 * (Debian bookworm ships 1.5; sid's source package 1.9.4 builds here with
 * `./configure --enable-oci --with-libcurl --with-json-c --disable-fuse`).
 *
 * The image is the one of `scripts/bench-layers.ts` (3 gzip layers, 127 MB
 * uncompressed; run that script once first to make it), pushed with skopeo.
 * Best wall time of `rounds` (default 3); peak RSS from `/usr/bin/time`.
 * oci2erofs runs as users run it (layer file data spooled to a temporary
 * file beside the output, each layer read once) and, on Deno, also with
 * `--no-spool` (every layer downloaded and decompressed twice).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startRegistry } from "../test/support/registry.ts";
import { pushImage } from "../test/support/registry_images.ts";
import { timedRun } from "./timed_run.ts";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] || 3);
const work = "/var/tmp/oci2erofs-bench";
const layout = join(work, "layout");
if (!existsSync(join(layout, "index.json"))) {
  throw new Error(`${layout} missing: run scripts/bench-layers.ts once first`);
}

const registry = await startRegistry({ auth: "none" });
try {
  await pushImage(registry, `oci:${layout}:latest`, "bench/image:latest");
  const ref = `${registry.host}/bench/image:latest`;
  const out = join(work, "pull");
  mkdirSync(out, { recursive: true });
  const peers: Record<string, string> = {
    "skopeo + umoci + mkfs.erofs":
      `rm -rf '${out}/l' '${out}/b'; skopeo copy --quiet --src-tls-verify=false docker://${ref} oci:'${out}/l':latest; ` +
      `umoci unpack --image '${out}/l':latest '${out}/b' >/dev/null; mkfs.erofs -T0 --quiet '${out}/ref.erofs' '${out}/b/rootfs'`,
    // As users run them: the bin script (its shebang sets V8's nursery size)
    // and `deno run` with the same V8 flag.
    "oci2erofs (node)": `./bin/oci2erofs.js ${ref} '${out}/node.erofs' --plain-http -T0 --quiet`,
    "oci2erofs (deno)":
      `node_modules/.bin/deno run -A --v8-flags=--max-semi-space-size=4 src/cli.ts ${ref} '${out}/deno.erofs' --plain-http -T0 --quiet`,
    // Without the spool: every layer downloaded and decompressed twice.
    "oci2erofs (deno, --no-spool)":
      `node_modules/.bin/deno run -A --v8-flags=--max-semi-space-size=4 src/cli.ts ${ref} '${out}/deno-twice.erofs' --plain-http -T0 --quiet --no-spool`,
  };
  // erofs-utils ≥ 1.9 built with --enable-oci: `--mkfs PATH`, else the one on PATH.
  const mkfs = args.includes("--mkfs") ? args[args.indexOf("--mkfs") + 1] : "mkfs.erofs";
  const help = spawnSync(mkfs, ["--help"], { encoding: "utf8" });
  if (`${help.stdout}${help.stderr}`.includes("--oci")) {
    peers["mkfs.erofs --oci"] = `${mkfs} --oci=f,insecure -T0 --quiet '${out}/oci.erofs' ${ref}`;
  }
  const best: Record<string, { seconds: number; rssMiB: number }> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, script] of Object.entries(peers)) {
      const run = timedRun(["bash", "-euc", script]);
      best[name] = {
        seconds: Math.min(run.seconds, best[name]?.seconds ?? Infinity),
        rssMiB: Math.max(run.rssMiB, best[name]?.rssMiB ?? 0),
      };
    }
  }
  const refName = peers["mkfs.erofs --oci"] ? "mkfs.erofs --oci" : "skopeo + umoci + mkfs.erofs";
  console.log(
    `\npull of ${ref} (3 gzip layers, 127 MB uncompressed), best of ${rounds}; ratios against ${refName}`,
  );
  console.log("tool                            wall s   ×ref   peak RSS MiB");
  for (const [name, r] of Object.entries(best)) {
    console.log(
      `${name.padEnd(30)} ${r.seconds.toFixed(2).padStart(7)}  ${
        (r.seconds / best[refName].seconds).toFixed(2).padStart(5)
      }  ${r.rssMiB.toFixed(1).padStart(13)}`,
    );
  }
  for (const name of ["ref", "oci", "node", "deno", "deno-twice"]) {
    const path = join(out, `${name}.erofs`);
    if (existsSync(path)) console.log(`image ${name}.erofs: ${statSync(path).size} bytes`);
  }
  rmSync(out, { recursive: true, force: true });
} finally {
  await registry.stop();
}
