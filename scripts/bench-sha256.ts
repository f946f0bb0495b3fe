/**
 * Throughput of the wasm hot path against the alternatives, in one process.
 *
 * Run with Deno (Node 20 cannot run TypeScript directly):
 *
 *     node_modules/.bin/deno run -A scripts/bench-sha256.ts [MiB] [rounds]
 *
 * Hashes `MiB` (default 64) of pseudo-random bytes fed in 1 MiB chunks with
 * our wasm `Sha256`, hash-wasm's `createSHA256` and `node:crypto`, best of
 * `rounds` (default 5) each, interleaved so that a noisy neighbour on the
 * machine penalises all three alike; then CRC-32C over the same buffer.
 * Prints MB/s (10^6 bytes per second) and the ratios.
 *
 * @module
 */
import { createHash } from "node:crypto";
import process from "node:process";
import { createSHA256 } from "hash-wasm";
import { crc32c, initWasm, Sha256 } from "../src/wasm/mod.ts";

const mib = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 5);
const CHUNK = 1 << 20;

const data = new Uint8Array(mib * CHUNK);
// xorshift32: incompressible-looking input without a slow crypto RNG.
let x = 0x9e3779b9;
const words = new Uint32Array(data.buffer);
for (let i = 0; i < words.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  words[i] = x;
}

await initWasm();
const hashWasm = await createSHA256();

type Hasher = () => string;
const candidates: Record<string, Hasher> = {
  "oci2erofs wasm": () => {
    const hash = new Sha256();
    for (let at = 0; at < data.length; at += CHUNK) hash.update(data.subarray(at, at + CHUNK));
    return hash.digestHex();
  },
  "hash-wasm": () => {
    hashWasm.init();
    for (let at = 0; at < data.length; at += CHUNK) hashWasm.update(data.subarray(at, at + CHUNK));
    return hashWasm.digest("hex");
  },
  "node:crypto": () => {
    const hash = createHash("sha256");
    for (let at = 0; at < data.length; at += CHUNK) hash.update(data.subarray(at, at + CHUNK));
    return hash.digest("hex");
  },
  "crc32c wasm": () => {
    let crc = 0;
    for (let at = 0; at < data.length; at += CHUNK) {
      crc = crc32c(data.subarray(at, at + CHUNK), crc);
    }
    return crc.toString(16);
  },
};

const best: Record<string, number> = {};
const results = new Set<string>();
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(candidates)) {
    const start = performance.now();
    const result = run();
    const seconds = (performance.now() - start) / 1000;
    if (!name.startsWith("crc")) results.add(result);
    best[name] = Math.max(best[name] ?? 0, data.length / seconds / 1e6);
  }
}
if (results.size !== 1) throw new Error(`sha256 implementations disagree: ${[...results]}`);

console.log(`${mib} MiB in 1 MiB chunks, best of ${rounds}:`);
for (const [name, rate] of Object.entries(best)) {
  console.log(`  ${name.padEnd(16)} ${rate.toFixed(0).padStart(6)} MB/s`);
}
const ours = best["oci2erofs wasm"]!;
console.log(`  ours / hash-wasm   ${(ours / best["hash-wasm"]!).toFixed(2)}×`);
console.log(`  ours / node:crypto ${(ours / best["node:crypto"]!).toFixed(2)}×`);
