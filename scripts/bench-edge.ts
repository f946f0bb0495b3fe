/**
 * The edge build handler against the CLI on the same registry image, in one
 * run: wall time and peak RSS of `GET /build` streamed to a file, next to
 * `oci2erofs REF FILE`, both under Deno with the same V8 flags, from a local
 * Debian docker-registry on loopback. Not a test: it prints numbers and
 * ratios (targets: edge peak RSS < 128 MiB, time ≤ 1.3× the CLI).
 *
 *     npm run build && node_modules/.bin/deno run -A scripts/bench-edge.ts [--rounds N]
 *
 * The image (made once, cached under /var/tmp/oci2erofs-bench-edge): three
 * gzip layers, ~230 MB uncompressed — 6,000 small and medium text-like
 * files, 1,500 incompressible binaries, and a top layer of large files that
 * also deletes a tenth of the bottom layer's files. The edge peer calls the
 * handler in-process (`handler(new Request(…))`) and pipes the response body
 * to a file, so its RSS is the handler's, not an HTTP client's. Each peer's
 * output is checked to be the same image (sha256). Node peers run the
 * compiled tree in `dist/` (`npm run build`; `BENCH_EDGE_DIST` points
 * elsewhere) and are skipped without it. `BENCH_EDGE_V8` replaces the V8
 * flags of the Deno peers (default `--max-semi-space-size=4`, as the bin
 * script gives Node).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { writeDirectoryLayout } from "../test/support/oci_index.ts";
import { type Run, timedRun } from "./timed_run.ts";

// Not import.meta.dirname: Deno's types lack it (`deno check` of this file).
const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const args = process.argv.slice(2);
const work = "/var/tmp/oci2erofs-bench-edge";
const V8 = `--v8-flags=${process.env.BENCH_EDGE_V8 ?? "--max-semi-space-size=4"}`;

if (args[0] === "--edge-child") {
  const { createBuildHandler } = await import("../src/edge/mod.ts");
  await edgeChild(args[1], args[2], args[3], createBuildHandler, open);
  process.exit(0);
}

/**
 * The edge peer: one `/build` request through the handler, its body written
 * to `out`. Self-contained (its source is also run by Node on the compiled tree).
 */
async function edgeChild(
  host: string,
  ref: string,
  out: string,
  createBuildHandler: typeof import("../src/edge/mod.ts").createBuildHandler,
  openFile: typeof open,
): Promise<void> {
  const handler = createBuildHandler({
    allowList: { registries: [host], realms: [], blobHosts: [] },
    plainHttp: [host],
    allowPrivateAddresses: true,
  });
  const response = await handler(
    new Request(`http://edge.local/build?image=${encodeURIComponent(ref)}`),
  );
  if (response.status !== 200) {
    throw new Error(`/build: ${response.status} ${await response.text()}`);
  }
  const file = await openFile(out, "w");
  try {
    const reader = response.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) await file.write(r.value);
  } finally {
    await file.close();
  }
}

/** A fast deterministic byte generator (xorshift32). */
function prng(seed: number): (buffer: Uint8Array) => void {
  let x = seed || 1;
  return (buffer) => {
    const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >> 2);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
  };
}

const WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
  "incididunt ut labore et dolore magna aliqua container image layer erofs block inode " +
  "directory xattr superblock registry manifest digest kernel mount\n").split(" ");

/** Writes the three layer trees under `src`. */
function makeTrees(src: string): string[] {
  const random = prng(0x9e3779b9);
  const dirs = [0, 1, 2].map((i) => join(src, `layer${i}`));
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  const pick = new Uint8Array(4096);
  // Layer 0: text-like files, 2 KiB – 40 KiB (~ 80 MB).
  for (let i = 0; i < 6000; i++) {
    const dir = join(dirs[0], `usr/share/d${i % 60}`);
    mkdirSync(dir, { recursive: true });
    random(pick);
    const size = 2048 + (pick[0] | (pick[1] << 8)) % (38 * 1024);
    let text = "";
    for (let j = 2; text.length < size; j = (j + 1) % pick.length) {
      text += WORDS[pick[j] % WORDS.length] + " ";
    }
    writeFileSync(join(dir, `f${i}.txt`), text.slice(0, size));
  }
  // Layer 1: incompressible binaries, 16 KiB – 100 KiB (~ 85 MB).
  for (let i = 0; i < 1500; i++) {
    const dir = join(dirs[1], `usr/lib/b${i % 30}`);
    mkdirSync(dir, { recursive: true });
    random(pick);
    const size = (16 + (pick[0] % 84)) * 1024;
    const data = new Uint8Array(size);
    random(data);
    writeFileSync(join(dir, `lib${i}.so`), data);
  }
  // Layer 2: large files (half compressible), and whiteouts for a tenth of layer 0.
  mkdirSync(join(dirs[2], "opt/big"), { recursive: true });
  for (let i = 0; i < 6; i++) {
    const data = new Uint8Array(11 << 20);
    random(data.subarray(0, data.length / 2));
    writeFileSync(join(dirs[2], `opt/big/blob${i}.bin`), data);
  }
  for (let i = 0; i < 6000; i += 10) {
    const dir = join(dirs[2], `usr/share/d${i % 60}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `.wh.f${i}.txt`), "");
  }
  return dirs;
}

/** Writes an OCI layout whose layers are the given directories, bottom first. */
function makeLayout(dir: string, layerDirs: string[]): number {
  const uncompressed = writeDirectoryLayout(dir, layerDirs, {
    gzipLevel: 1,
    tarFlags: "--mtime=@1700000000",
  });
  writeFileSync(join(dir, "uncompressed"), String(uncompressed));
  return uncompressed;
}

const rounds = Number(args[args.indexOf("--rounds") + 1] || 3);
const layout = join(work, "layout");
if (!existsSync(join(layout, "uncompressed"))) {
  console.log(`making ${layout} (once) …`);
  rmSync(work, { recursive: true, force: true });
  const dirs = makeTrees(join(work, "src"));
  makeLayout(layout, dirs);
  rmSync(join(work, "src"), { recursive: true, force: true });
}
const uncompressedMB = Number(readFileSync(join(layout, "uncompressed"), "utf8")) / 1e6;

const { startRegistry } = await import("../test/support/registry.ts");
const { pushImage } = await import("../test/support/registry_images.ts");
const registry = await startRegistry({ auth: "none" });
try {
  await pushImage(registry, `oci:${layout}:latest`, "bench/edge:latest");
  const ref = `${registry.host}/bench/edge:latest`;
  const out = join(work, "out");
  mkdirSync(out, { recursive: true });
  const deno = join(ROOT, "node_modules/.bin/deno");
  const peers: Record<string, { argv: string[]; file: string }> = {
    "CLI (deno)": {
      argv: [
        deno,
        "run",
        "-A",
        V8,
        "src/cli.ts",
        ref,
        join(out, "cli.erofs"),
        "--plain-http",
        "--quiet",
      ],
      file: join(out, "cli.erofs"),
    },
    "edge /build (deno)": {
      argv: [
        deno,
        "run",
        "-A",
        V8,
        "scripts/bench-edge.ts",
        "--edge-child",
        registry.host,
        ref,
        join(out, "edge.erofs"),
      ],
      file: join(out, "edge.erofs"),
    },
  };
  // Node peers run the compiled tree (`npm run build`); Node 20 does not run TypeScript.
  const dist = process.env.BENCH_EDGE_DIST ?? join(ROOT, "dist");
  if (existsSync(join(dist, "src/edge/mod.js"))) {
    peers["CLI (node)"] = {
      argv: [
        "node",
        "--max-semi-space-size=4",
        "--input-type=module",
        "-e",
        `const { main } = await import(${JSON.stringify(join(dist, "src/cli.js"))});` +
        `process.exitCode = await main(${
          JSON.stringify([ref, join(out, "cli-node.erofs"), "--plain-http", "--quiet"])
        });`,
      ],
      file: join(out, "cli-node.erofs"),
    };
    peers["edge /build (node)"] = {
      argv: [
        "node",
        "--max-semi-space-size=4",
        "--input-type=module",
        "-e",
        `${edgeChild.toString()}\n` +
        `const { createBuildHandler } = await import(${
          JSON.stringify(join(dist, "src/edge/mod.js"))
        });` +
        `const { open } = await import("node:fs/promises");` +
        `await edgeChild(${JSON.stringify(registry.host)}, ${JSON.stringify(ref)}, ${
          JSON.stringify(join(out, "edge-node.erofs"))
        }, createBuildHandler, open);`,
      ],
      file: join(out, "edge-node.erofs"),
    };
  } else {
    console.log(`(no ${dist}/src/edge/mod.js: run npm run build for the Node peers)`);
  }
  const best: Record<string, Run> = {};
  /** Every round's peak RSS per peer: the VM's noise is several MiB. */
  const rss: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, peer] of Object.entries(peers)) {
      const run = timedRun(peer.argv, {
        cwd: ROOT,
        env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      });
      (rss[name] ??= []).push(run.rssMiB);
      best[name] = {
        seconds: Math.min(run.seconds, best[name]?.seconds ?? Infinity),
        rssMiB: Math.max(run.rssMiB, best[name]?.rssMiB ?? 0),
      };
    }
  }
  const hashes = Object.values(peers).map((p) =>
    createHash("sha256").update(readFileSync(p.file)).digest("hex")
  );
  const imageMB = statSync(peers["CLI (deno)"].file).size / 1e6;
  console.log(
    `\n${ref}: 3 gzip layers, ${uncompressedMB.toFixed(0)} MB uncompressed → ${
      imageMB.toFixed(0)
    } MB EROFS; best of ${rounds}; each edge peer against the CLI in the same runtime`,
  );
  console.log(`same image from every peer: ${hashes.every((h) => h === hashes[0]) ? "yes" : "NO"}`);
  console.log("peer                     wall s   ×CLI   peak RSS MiB (max; each round)");
  for (const [name, r] of Object.entries(best)) {
    const cli = best[name.replace(/^edge \/build/, "CLI")];
    console.log(
      `${name.padEnd(22)} ${r.seconds.toFixed(2).padStart(8)}  ${
        (r.seconds / cli.seconds).toFixed(2).padStart(5)
      }  ${r.rssMiB.toFixed(1).padStart(13)}  (${rss[name].map((m) => m.toFixed(0)).join(", ")})`,
    );
  }
  for (const runtime of ["deno", "node"]) {
    const edge = best[`edge /build (${runtime})`];
    const cli = best[`CLI (${runtime})`];
    if (!edge) continue;
    console.log(
      `${runtime}: edge peak RSS < 128 MiB: ${edge.rssMiB < 128 ? "met" : "MISSED"}; ` +
        `edge time ≤ 1.3× CLI: ${edge.seconds <= 1.3 * cli.seconds ? "met" : "MISSED"}`,
    );
  }
  rmSync(out, { recursive: true, force: true });
} finally {
  await registry.stop();
}
