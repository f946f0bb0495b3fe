// gzip decoding, every backend against the reference tools: random data and
// real tars, multi-member input, header fields, input in awkward chunk sizes,
// and each way a gzip stream can be broken.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { crc32 } from "../../../src/layers/decompress/crc32.ts";
import { gunzip, type GunzipBackend, gunzipBackends } from "../../../src/layers/decompress/gzip.ts";
import { decompressionStreamTraits } from "../../../src/layers/decompress/gzip_decompression_stream.ts";
import { SMALL_BUFFERS } from "../../../src/runtime/node_zlib.ts";
import { ensureCommands } from "../../support/system.ts";
import {
  collect,
  concat,
  expectBytes,
  expectDecompressErrorOf,
  random,
  streamOf,
  tool,
  wordsText,
} from "./fixtures.ts";

const ALL: GunzipBackend[] = ["node-zlib", "decompression-stream", "fflate"];
// Node's DecompressionStream can be helped through members only where it
// decodes them itself (Node 20); the switching between streams that spec
// streams need is tested under Deno (deno.test.ts).
const MEMBERS = (await decompressionStreamTraits()).concatenates;
const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Compressible but varied: words from a small vocabulary. */
const text = (length: number, seed: number) =>
  wordsText(["layer", "tar", "gzip", "usr/bin/", "\n", "0000644", "root", "  "], length, seed);

const expectDecompressError = (promise: Promise<unknown>) =>
  expectDecompressErrorOf("gzip", promise);

let tar: Uint8Array;
beforeAll(async () => {
  await ensureCommands({ gzip: "gzip", pigz: "pigz", tar: "tar" });
  tar = await tool("tar", ["-cf", "-", "-C", `${root}node_modules`, "fflate", "hash-wasm"]);
});

it("offers every backend on Node, node:zlib first", async () => {
  expect(await gunzipBackends()).toEqual(ALL);
});

it("computes CRC-32 like zlib", async () => {
  expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  const data = random(100_003, 9);
  const gz = await tool("gzip", ["-c"], data);
  const trailer = new DataView(gz.buffer, gz.byteOffset + gz.length - 8);
  expect(crc32(data)).toBe(trailer.getUint32(0, true));
  expect(crc32(data.subarray(5000), crc32(data.subarray(0, 5000)))).toBe(crc32(data));
});

it("node:zlib with small buffers (lowMemory): the same bytes in chunks of at most 64 KiB", async () => {
  const data = text(1_000_000, 11);
  const gz = await tool("gzip", ["-c", "-n"], data);
  const chunks: Uint8Array[] = [];
  const reader = gunzip(streamOf(gz), { backend: "node-zlib", buffers: SMALL_BUFFERS }).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SMALL_BUFFERS.chunkSize);
  expectBytes(concat(...chunks), data);
});

describe.each(ALL)("backend %s", (backend) => {
  const multi = backend !== "decompression-stream" || MEMBERS ? it : it.skip;
  const decode = (bytes: Uint8Array, sizes?: number[]) =>
    collect(gunzip(streamOf(bytes, sizes), { backend }));

  it("decodes random and compressible data like gzip -d", async () => {
    for (
      const [i, data] of [random(0, 1), random(1, 2), random(70_000, 3), text(300_000, 4)].entries()
    ) {
      for (const level of ["-1", "-9"]) {
        const gz = await tool("gzip", ["-c", "-n", level], data);
        expectBytes(await decode(gz), data, `input ${i} ${level}`);
        expectBytes(await tool("gzip", ["-dc"], gz), data, "gzip -d");
      }
    }
  });

  it("decodes a real tar, whole and in small odd chunks", async () => {
    const gz = await tool("gzip", ["-c"], tar);
    expectBytes(await decode(gz), tar);
    expectBytes(await decode(gz, [1, 7, 4093, 65536, 2]), tar);
  });

  it("decodes pigz output", async () => {
    const gz = await tool("pigz", ["-c", "-p", "2", "-b", "128"], tar);
    expectBytes(await decode(gz, [10_000]), tar);
  });

  multi("decodes concatenated members, at any chunking", async () => {
    const parts = [text(50_000, 5), random(0, 6), random(3000, 7), text(200_000, 8)];
    const members = await Promise.all(parts.map((p) => tool("gzip", ["-c", "-n"], p)));
    const gz = concat(...members);
    const expected = concat(...parts);
    expectBytes(await tool("gzip", ["-dc"], gz), expected, "gzip -d");
    for (const sizes of [undefined, [1], [2, 3], [members[0]!.length - 1, 2, 1], [4096]]) {
      expectBytes(await decode(gz, sizes), expected, `chunks ${sizes}`);
    }
  });

  multi("decodes members split exactly at chunk boundaries", async () => {
    const a = text(10_000, 10), b = text(20_000, 11);
    const ga = await tool("gzip", ["-c", "-n"], a), gb = await tool("gzip", ["-c", "-n"], b);
    const gz = concat(ga, gb, ga);
    for (const cut of [0, 1, 2, 3, 8, 9]) {
      expectBytes(await decode(gz, [ga.length - 8 + cut, 1_000_000]), concat(a, b, a));
    }
  });

  it("skips header fields: name, comment, extra, header CRC", async () => {
    const data = text(5000, 12);
    const deflated = (await tool("gzip", ["-c", "-n"], data)).subarray(10);
    const name = new TextEncoder().encode("layer.tar\0");
    const comment = new TextEncoder().encode("a comment\0");
    const extra = Uint8Array.of(6, 0, 0x41, 0x42, 2, 0, 1, 2);
    const header = concat(
      Uint8Array.of(0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3),
      extra,
      name,
      comment,
    );
    const hcrc = crc32(header) & 0xffff;
    const gz = concat(header, Uint8Array.of(hcrc & 0xff, hcrc >> 8), deflated);
    expectBytes(await tool("gzip", ["-dc"], gz), data, "gzip -d");
    expectBytes(await decode(gz), data);
    if (backend !== "decompression-stream" || MEMBERS) {
      expectBytes(await decode(concat(gz, gz), [3]), concat(data, data));
    }
  });

  it("rejects truncation anywhere", async () => {
    const gz = concat(
      await tool("gzip", ["-c", "-n"], text(40_000, 13)),
      await tool("gzip", ["-c", "-n"], text(40_000, 14)),
    );
    for (
      const keep of [1, 5, 10, 200, gz.length / 2, gz.length - 9, gz.length - 4, gz.length - 1]
    ) {
      const error = await expectDecompressError(decode(gz.subarray(0, Math.floor(keep))));
      expect(error.message).toMatch(/^gzip: /);
    }
  });

  it("rejects corrupt data and a wrong CRC", async () => {
    const data = text(100_000, 15);
    const gz = await tool("gzip", ["-c", "-n"], data);
    const badCrc = gz.slice();
    badCrc[gz.length - 8]! ^= 1;
    await expectDecompressError(decode(badCrc));
    const badSize = gz.slice();
    badSize[gz.length - 1]! ^= 1;
    await expectDecompressError(decode(badSize));
    // Flip bytes in the deflate data: an error either way (bad code or CRC).
    for (const at of [20, Math.floor(gz.length / 2), gz.length - 20]) {
      const bad = gz.slice();
      bad[at]! ^= 0x55;
      await expectDecompressError(decode(bad));
    }
    const notGzip = concat(Uint8Array.of(0x1f, 0x8b, 7), gz.subarray(3));
    await expectDecompressError(decode(notGzip));
  });

  it("rejects bytes after the last member: garbage, zeros, a partial member", async () => {
    const gz = await tool("gzip", ["-c", "-n"], text(30_000, 16));
    for (
      const tail of [[0x41], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0x41, 0x42], [0x1f, 0x8b]]
    ) {
      const error = await expectDecompressError(decode(concat(gz, Uint8Array.from(tail))));
      expect(error.offset).toBeTypeOf("number");
      await expectDecompressError(decode(concat(gz, Uint8Array.from(tail)), [gz.length]));
    }
  });

  it("rejects empty input", async () => {
    await expectDecompressError(decode(new Uint8Array(0)));
  });

  it("passes errors of the input stream through unchanged", async () => {
    const failure = new Error("network down");
    const gz = await tool("gzip", ["-c"], text(10_000, 17));
    let sent = false;
    const input = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(failure);
        sent = true;
        controller.enqueue(gz.slice(0, 100));
      },
    });
    await expect(collect(gunzip(input, { backend }))).rejects.toBe(failure);
  });
});
