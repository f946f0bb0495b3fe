/**
 * Speed and ratio of the wasm LZ4/LZ4HC encoders against the `lz4`
 * command-line tool (Debian's liblz4 1.9), on the same file in one run.
 *
 * Run with Deno (or Node ≥ 22.6 with `--experimental-strip-types`):
 *
 *     node_modules/.bin/deno run -A scripts/bench-lz4.ts [FILE] [MiB]
 *
 * FILE defaults to a tar of `/usr` cut to `MiB` (default 128) MiB. DEFLATE
 * is compared with node:zlib (the zlib the kernel's inflate descends from)
 * on the same 64 KiB blocks. Two modes are timed for our encoders:
 * - `64K blocks`: every 64 KiB block compressed whole (output capacity
 *   1 MiB), exactly what `lz4 -B4 -BI` does, so sizes compare like for like;
 * - `4K fill`: the EROFS way — 4 KiB clusters filled with as much input as
 *   fits, one after another (MB/s of input consumed).
 * The CLI is timed as a whole process (`lz4 -1|-9|-12 -B4 -BI FILE OUT`),
 * which reads from the page cache. Prints MB/s (10^6 bytes per second),
 * output bytes, and ours/peer ratios.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { deflateRawSync } from "node:zlib";
import { type CompressionAlgorithm, createEncoder } from "../src/wasm/mod.ts";

const dir = mkdtempSync(join(tmpdir(), "bench-lz4-"));
const mib = Number(process.argv[3] ?? 128);
let file = process.argv[2];
if (!file) {
  file = join(dir, "usr.tar");
  execFileSync("sh", ["-c", `tar cf - -C / usr 2>/dev/null | head -c ${mib << 20} > ${file}`]);
}
const data = new Uint8Array(readFileSync(file));
const mb = data.length / 1e6;
console.log(`${file}: ${data.length} bytes`);

/** Seconds and output bytes of compressing `data` in independent 64 KiB blocks. */
async function blocks(algorithm: CompressionAlgorithm, level: number): Promise<[number, number]> {
  const encoder = await createEncoder(algorithm, level);
  const out = new Uint8Array(1 << 20);
  let bytes = 0;
  const start = performance.now();
  for (let at = 0; at < data.length; at += 65_536) {
    const block = data.subarray(at, at + 65_536);
    const { consumed, written } = encoder.fill(block, out);
    if (consumed !== block.length) throw new Error("a 64 KiB block did not fit in 1 MiB");
    bytes += written;
  }
  return [(performance.now() - start) / 1000, bytes];
}

/** Seconds and output bytes of filling 4 KiB clusters from the whole of `data`. */
async function clusters(algorithm: CompressionAlgorithm, level: number): Promise<[number, number]> {
  const encoder = await createEncoder(algorithm, level);
  const out = new Uint8Array(4096);
  let bytes = 0;
  const start = performance.now();
  for (let at = 0; at < data.length;) {
    const { consumed, written } = encoder.fill(data.subarray(at), out);
    at += consumed;
    bytes += written;
  }
  return [(performance.now() - start) / 1000, bytes];
}

/** Seconds and output bytes of node:zlib raw DEFLATE at `level`, 64 KiB independent blocks. */
function zlib(level: number): [number, number] {
  let bytes = 0;
  const start = performance.now();
  for (let at = 0; at < data.length; at += 65_536) {
    bytes += deflateRawSync(data.subarray(at, at + 65_536), { level }).length;
  }
  return [(performance.now() - start) / 1000, bytes];
}

/** Seconds and output bytes of the `lz4` CLI with `flag`, 64 KiB independent blocks. */
function cli(flag: string): [number, number] {
  const out = join(dir, "out.lz4");
  const start = performance.now();
  execFileSync("lz4", [flag, "-B4", "-BI", "-q", "-f", file!, out], { stdio: "ignore" });
  return [(performance.now() - start) / 1000, statSync(out).size];
}

// Warm-up: V8 first runs wasm with its baseline compiler and swaps in
// optimised code later; time only the optimised code.
for (
  const [algorithm, level] of [["lz4", 0], ["lz4hc", 9], ["lz4hc", 12], ["deflate", 1]] as const
) {
  const encoder = await createEncoder(algorithm, level);
  const out = new Uint8Array(4096);
  for (let at = 0; at < Math.min(data.length, 8 << 20); at += 65_536) {
    encoder.fill(data.subarray(at, at + 65_536), out);
  }
}

const rows: string[][] = [];
const runs: [CompressionAlgorithm, number, string, () => [number, number]][] = [
  ["lz4", 0, "lz4 -1", () => cli("-1")],
  ["lz4hc", 9, "lz4 -9", () => cli("-9")],
  ["lz4hc", 12, "lz4 -12", () => cli("-12")],
  ["deflate", 1, "zlib 1", () => zlib(1)],
  ["deflate", 6, "zlib 6", () => zlib(6)],
  ["deflate", 9, "zlib 9", () => zlib(9)],
];
for (const [algorithm, level, peerName, peer] of runs) {
  const [peerTime, peerBytes] = peer();
  const [ourTime, ourBytes] = await blocks(algorithm, level);
  const [fillTime, fillBytes] = await clusters(algorithm, level);
  rows.push([
    `${algorithm} ${level} vs ${peerName}`,
    (mb / ourTime).toFixed(1),
    (mb / peerTime).toFixed(1),
    (peerTime / ourTime).toFixed(2),
    String(ourBytes),
    String(peerBytes),
    (ourBytes / peerBytes).toFixed(4),
    (mb / fillTime).toFixed(1),
    String(fillBytes),
  ]);
}
rmSync(dir, { recursive: true, force: true });

const header = [
  "encoder",
  "ours MB/s",
  "peer MB/s",
  "speed ours/peer",
  "ours bytes",
  "peer bytes",
  "size ours/peer",
  "4K fill MB/s",
  "4K fill bytes",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const row of [header, ...rows]) {
  console.log(
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join("  "),
  );
}
