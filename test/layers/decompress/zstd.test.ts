// zstd decoding against the zstd CLI: levels, long windows, several frames,
// skippable frames, pzstd output, odd chunking, and each way a stream can be
// broken; plus the frame splitter the native backend relies on, and XXH64.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { DecompressError } from "../../../src/layers/decompress/errors.ts";
import { Xxh64 } from "../../../src/layers/decompress/xxhash64.ts";
import {
  type ZstdBackend,
  zstdBackends,
  zstdDecompress,
} from "../../../src/layers/decompress/zstd.ts";
import { type FrameEvent, ZstdFrameSplitter } from "../../../src/layers/decompress/zstd_frames.ts";
import { ensureCommands } from "../../support/system.ts";
import {
  collect,
  concat,
  expectBytes,
  expectDecompressErrorOf,
  join,
  random,
  streamOf,
  tool,
  wordsText,
} from "./fixtures.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
// Node 20 has no native zstd; Node ≥ 22.15 and Deno do (see deno.test.ts).
const BACKENDS: ZstdBackend[] = await zstdBackends();

const zstd = (args: string[], input: Uint8Array) => tool("zstd", ["-q", "-c", ...args], input);

const text = (length: number, seed: number) =>
  wordsText(["layer", "tar", "zstd", "usr/lib/", "\n", "0000755", "root", "  ", "x"], length, seed);

/** A skippable frame (magic nibble `n`) with `content`. */
function skippable(content: Uint8Array, n = 0): Uint8Array {
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x184d2a50 + n, true);
  view.setUint32(4, content.length, true);
  return concat(header, content);
}

const expectDecompressError = (promise: Promise<unknown>) =>
  expectDecompressErrorOf("zstd", promise);

let tar: Uint8Array;
beforeAll(async () => {
  await ensureCommands({ zstd: "zstd", pzstd: "zstd", tar: "tar" });
  tar = await tool("tar", ["-cf", "-", "-C", `${root}node_modules`, "fflate", "hash-wasm"]);
});

it("hashes XXH64 like xxhsum", () => {
  const digest = (bytes: Uint8Array, sizes: number[]) => {
    const hash = new Xxh64();
    for (let at = 0, i = 0; at < bytes.length; at += sizes[i++ % sizes.length]!) {
      hash.update(bytes.subarray(at, at + sizes[i % sizes.length]!));
    }
    return hash.digestHex();
  };
  expect(digest(new Uint8Array(0), [1])).toBe("ef46db3751d8e999");
  expect(digest(new TextEncoder().encode("abc"), [1])).toBe("44bc2cf5ad770999");
  // Values from xxhsum -H1 over the same bytes.
  const data = random(1000, 1);
  const whole = digest(data, [1000]);
  for (const sizes of [[1], [7, 31], [32], [33, 1]]) expect(digest(data, sizes)).toBe(whole);
});

describe.each(BACKENDS)("backend %s", (backend) => {
  const decode = (bytes: Uint8Array, sizes?: number[], maxWindowSize?: number) =>
    collect(zstdDecompress(streamOf(bytes, sizes), { backend, maxWindowSize }));

  it("decodes random, compressible and empty data at several levels like zstd -d", async () => {
    const inputs = [
      random(0, 2),
      random(1, 3),
      random(200_000, 4),
      text(500_000, 5),
      new Uint8Array(300_000),
    ];
    for (const [i, data] of inputs.entries()) {
      for (const level of ["-1", "-3", "-19"]) {
        const zst = await zstd([level], data);
        expectBytes(await decode(zst), data, `input ${i} ${level}`);
      }
    }
  });

  it("decodes a real tar, whole and in small odd chunks", async () => {
    const zst = await zstd(["-9"], tar);
    expectBytes(await tool("zstd", ["-dc"], zst), tar, "zstd -d");
    expectBytes(await decode(zst), tar);
    expectBytes(await decode(zst, [1, 7, 4093, 65536, 2, 131075]), tar);
  });

  it("decodes frames with and without checksum and content size", async () => {
    const data = text(300_000, 6);
    for (
      const flags of [["--no-check"], ["--check"], [`--stream-size=${data.length}`], [
        "--no-content-size",
      ]]
    ) {
      expectBytes(await decode(await zstd(flags, data)), data, flags.join(" "));
    }
  });

  it("decodes matches reaching far back through a long window", async () => {
    // 3 MiB of noise, twice: the second copy is one match 3 MiB back,
    // beyond the buffer's first slide.
    const noise = random(3 << 20, 7);
    const data = concat(noise, text(100_000, 8), noise);
    const zst = await zstd(["--long=27", "-1"], data);
    expect(zst.length).toBeLessThan(data.length * 0.6);
    expectBytes(await decode(zst, [1 << 16]), data);
  });

  it("decodes several frames and skippable frames in between", async () => {
    const parts = [text(100_000, 9), random(0, 10), random(5000, 11), new Uint8Array(200_000)];
    const frames = await Promise.all(parts.map((p, i) => zstd([`-${1 + 5 * i}`], p)));
    const zst = concat(
      skippable(Uint8Array.of(1, 2, 3)),
      frames[0]!,
      skippable(new Uint8Array(0), 15),
      frames[1]!,
      frames[2]!,
      skippable(random(100_000, 12), 7),
      frames[3]!,
      skippable(new Uint8Array(10)),
    );
    expectBytes(await tool("zstd", ["-dc"], zst), concat(...parts), "zstd -d");
    for (const sizes of [undefined, [1], [3, 5], [4096]]) {
      expectBytes(await decode(zst, sizes), concat(...parts), `chunks ${sizes}`);
    }
  });

  it("decodes pzstd output (many frames, skippable headers)", async () => {
    const data = concat(tar, text(3 << 20, 13));
    const zst = await tool("pzstd", ["-q", "-c", "-p", "2", "-3"], data);
    expectBytes(await decode(zst, [100_000]), data);
  });

  it("rejects truncation anywhere", async () => {
    const zst = concat(await zstd(["-3"], text(200_000, 14)), skippable(new Uint8Array(20)));
    const frame = zst.length - 28;
    for (
      const keep of [1, 3, 4, 5, 8, 100, frame / 2, frame - 4, frame - 1, frame + 3, zst.length - 1]
    ) {
      const error = await expectDecompressError(decode(zst.subarray(0, Math.floor(keep))));
      expect(error.message).toMatch(/^zstd: /);
    }
  });

  it("rejects corrupt data and a wrong checksum", async () => {
    const data = text(200_000, 15);
    const zst = await zstd(["-3"], data);
    const badChecksum = zst.slice();
    badChecksum[zst.length - 1]! ^= 1;
    await expectDecompressError(decode(badChecksum));
    for (const at of [10, 50, Math.floor(zst.length / 2), zst.length - 20]) {
      const bad = zst.slice();
      bad[at]! ^= 0x5a;
      await expectDecompressError(decode(bad));
    }
  });

  it("rejects a content size the output does not match", async () => {
    const data = text(300, 16);
    const zst = await zstd(["--no-check", `--stream-size=${data.length}`], data);
    const descriptor = zst[4]!;
    expect(descriptor & 0x20).toBe(0x20); // single segment: no window byte
    expect(descriptor >> 6).toBe(1); // 2-byte content size, minus 256
    const bad = zst.slice();
    bad[5]! += 1;
    const error = await expectDecompressError(decode(bad));
    expect(error.message).toMatch(/declares|size|corrupt/);
  });

  it("rejects trailing bytes, a dictionary, a window over the limit", async () => {
    const zst = await zstd(["-3"], text(20_000, 17));
    for (const tail of [[0x41], new Array(12).fill(0), [0x28, 0xb5, 0x2f]]) {
      await expectDecompressError(decode(concat(zst, Uint8Array.from(tail))));
    }
    const error = await expectDecompressError(decode(concat(zst, Uint8Array.of(0x41, 0, 0, 0))));
    expect(error.offset).toBe(zst.length);
    // Dictionary ID 7 spliced into the header: needs the dictionary.
    const withDict = concat(
      zst.subarray(0, 4),
      Uint8Array.of(zst[4]! | 1, zst[5]!, 7),
      zst.subarray(6),
    );
    await expectDecompressError(decode(withDict));
    // The default window for level 3 here is far above 64 KiB.
    await expectDecompressError(decode(await zstd(["-3"], text(300_000, 18)), undefined, 64 << 10));
    await expectDecompressError(decode(Uint8Array.of(1, 2, 3, 4, 5)));
    await expectDecompressError(decode(new Uint8Array(0)));
  });
});

it.skipIf(BACKENDS.includes("node-zlib"))(
  "fails, cancelling the input, when asked for a missing backend",
  async () => {
    let cancelled: unknown;
    const input = new ReadableStream<Uint8Array>({
      cancel(reason) {
        cancelled = reason;
      },
    });
    const error = await collect(zstdDecompress(input, { backend: "node-zlib" })).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(cancelled).toBe(error);
  },
);

describe("frame splitter", () => {
  const split = (bytes: Uint8Array, sizes: number[]) => {
    const splitter = new ZstdFrameSplitter();
    const frames: { offset: number; bytes: Uint8Array }[] = [];
    let current: Uint8Array[] = [];
    let offset = -1;
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = sizes[i % sizes.length]!;
      for (const event of splitter.push(bytes.slice(at, at + n)) as FrameEvent[]) {
        if (event.type === "start") {
          offset = event.offset;
          current = [];
        } else if (event.type === "data") current.push(event.bytes.slice());
        else {
          const frame = join(current);
          expect(frame.length).toBe(event.size);
          frames.push({ offset, bytes: frame });
        }
      }
      at += n;
    }
    splitter.finish();
    return frames;
  };

  it("cuts a stream into its frames, dropping skippable ones", async () => {
    const a = await zstd(["-3"], text(100_000, 19));
    const b = await zstd(["-1", "--no-check"], new Uint8Array(0));
    const c = await zstd(["-19"], random(150_000, 20));
    const skip = skippable(random(1000, 21), 3);
    const stream = concat(skip, a, b, skip, c);
    for (const sizes of [[stream.length], [1], [2, 7], [13, 4096]]) {
      const frames = split(stream, sizes);
      expect(frames.map((f) => f.offset)).toEqual([
        skip.length,
        skip.length + a.length,
        2 * skip.length + a.length + b.length,
      ]);
      expectBytes(frames[0]!.bytes, a);
      expectBytes(frames[1]!.bytes, b);
      expectBytes(frames[2]!.bytes, c);
    }
  });

  it("reports truncation and trailing bytes", async () => {
    const a = await zstd(["-3"], text(10_000, 22));
    expect(() => split(a.subarray(0, a.length - 1), [1000])).toThrow(DecompressError);
    expect(() => split(concat(a, Uint8Array.of(0, 0, 0, 0)), [1000])).toThrow(/trailing data/);
    expect(() => split(concat(a, skippable(new Uint8Array(9))).subarray(0, a.length + 12), [5]))
      .toThrow(
        /truncated skippable/,
      );
  });
});
