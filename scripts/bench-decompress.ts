/**
 * Throughput of every layer decompression backend against the CLI tools, on
 * the same ~50 MB layers, in one process.
 *
 * Run with Deno, or with a Node that strips types (≥ 22.18; Node 20 cannot
 * run TypeScript, use Deno there):
 *
 *     node_modules/.bin/deno run -A scripts/bench-decompress.ts [rounds] [tar]
 *     node scripts/bench-decompress.ts [rounds] [tar]
 *
 * The layer is `tar` if given, else the first 160 MiB of a tar of
 * `node_modules` (cached in the temp directory), compressed once with
 * `gzip -6` and `zstd -3`. Each backend decodes it from memory in 64 KiB
 * chunks, best of `rounds` (default 3), backends interleaved so that a noisy
 * neighbour on the machine penalises all alike; `gzip -dc`, `pigz -dc` and
 * `zstd -dc` run from the file to /dev/null. Prints output MB/s (10^6 bytes
 * per second) and each backend's time relative to the CLI's.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  gunzip,
  gunzipBackends,
  zstdBackends,
  zstdDecompress,
} from "../src/layers/decompress/mod.ts";

const rounds = Number(process.argv[2] ?? 3);
const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(tmpdir(), "oci2erofs-bench-decompress");
mkdirSync(dir, { recursive: true });

const sh = (command: string): void => {
  execFileSync("sh", ["-c", command], { stdio: "inherit" });
};
const has = (command: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

let tar = process.argv[3];
if (tar === undefined) {
  tar = join(dir, "layer.tar");
  if (!existsSync(tar)) {
    sh(`tar -cf - -C '${root}' node_modules 2>/dev/null | head -c ${160 << 20} > '${tar}'`);
  }
}
const gzPath = join(dir, "layer.tar.gz");
const zstPath = join(dir, "layer.tar.zst");
if (!existsSync(gzPath) || statSync(gzPath).mtimeMs < statSync(tar).mtimeMs) {
  sh(`gzip -6 -c '${tar}' > '${gzPath}'`);
}
if (!existsSync(zstPath) || statSync(zstPath).mtimeMs < statSync(tar).mtimeMs) {
  sh(`zstd -3 -q -f -c '${tar}' > '${zstPath}'`);
}
const size = statSync(tar).size;
const gz = new Uint8Array(readFileSync(gzPath));
const zst = new Uint8Array(readFileSync(zstPath));

const CHUNK = 64 * 1024;
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + CHUNK));
      at += CHUNK;
    },
  }, { highWaterMark: 0 });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  let total = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    total += next.value.length;
  }
  if (total !== size) throw new Error(`decoded ${total} bytes, expected ${size}`);
}

type Run = () => Promise<void> | void;
const gzipRuns: Record<string, Run> = {};
for (const backend of await gunzipBackends()) {
  gzipRuns[`gzip ${backend}`] = () => drain(gunzip(streamOf(gz), { backend }));
}
gzipRuns["gzip -dc (CLI)"] = () => sh(`gzip -dc '${gzPath}' > /dev/null`);
if (has("pigz")) gzipRuns["pigz -dc (CLI)"] = () => sh(`pigz -dc '${gzPath}' > /dev/null`);
const zstdRuns: Record<string, Run> = {};
for (const backend of await zstdBackends()) {
  zstdRuns[`zstd ${backend}`] = () => drain(zstdDecompress(streamOf(zst), { backend }));
}
zstdRuns["zstd js, no checksum"] = () =>
  drain(zstdDecompress(streamOf(zst), { backend: "js", verifyChecksum: false }));
zstdRuns["zstd -dc (CLI)"] = () => sh(`zstd -dc -q '${zstPath}' > /dev/null`);

const best: Record<string, number> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries({ ...gzipRuns, ...zstdRuns })) {
    const start = performance.now();
    await run();
    const seconds = (performance.now() - start) / 1000;
    best[name] = Math.min(best[name] ?? Infinity, seconds);
  }
}

const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
const runtime = deno ? `Deno ${deno.version.deno}` : `Node ${process.version}`;
const mb = (n: number) => (n / 1e6).toFixed(1);
console.log(
  `${runtime}: ${mb(size)} MB tar; gzip ${mb(gz.length)} MB, zstd ${
    mb(zst.length)
  } MB; best of ${rounds}`,
);
for (const [group, cli] of [[gzipRuns, "gzip -dc (CLI)"], [zstdRuns, "zstd -dc (CLI)"]] as const) {
  for (const name of Object.keys(group)) {
    const seconds = best[name]!;
    const rate = (size / seconds / 1e6).toFixed(0).padStart(5);
    const ratio = (seconds / best[cli]!).toFixed(2);
    console.log(
      `  ${name.padEnd(24)} ${seconds.toFixed(2)} s ${rate} MB/s  ${ratio}× the CLI's time`,
    );
  }
}
