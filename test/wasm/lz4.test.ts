import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEncoder, type FixedOutputEncoder, levelRange } from "../../src/wasm/mod.ts";
import { randomBytes, textLike } from "./random.ts";

/**
 * Decodes one raw LZ4 block, enforcing the end-of-block rules the reference
 * decoder (`LZ4_decompress_safe`) enforces: the last sequence is literals
 * only, the last 5 bytes are literals, and no match starts within the last
 * 12 bytes.
 */
function decodeBlock(block: Uint8Array, maxLength: number): Uint8Array {
  const out = new Uint8Array(maxLength);
  let length = 0;
  let ip = 0;
  let lastMatchStart = -1;
  let lastMatchEnd = 0;
  const readLength = (nibble: number): number => {
    let value = nibble;
    if (nibble === 15) {
      let b: number;
      do {
        b = block[ip++];
        value += b;
      } while (b === 255 && ip < block.length);
    }
    return value;
  };
  for (;;) {
    if (ip >= block.length) throw new Error("truncated block");
    const token = block[ip++];
    const literals = readLength(token >> 4);
    if (ip + literals > block.length) throw new Error("literals past the end");
    if (length + literals > maxLength) throw new Error("output too long");
    out.set(block.subarray(ip, ip + literals), length);
    ip += literals;
    length += literals;
    if (ip === block.length) break;
    const distance = block[ip] | (block[ip + 1] << 8);
    ip += 2;
    if (distance === 0 || distance > length) throw new Error(`bad distance ${distance}`);
    const matchLength = readLength(token & 15) + 4;
    if (length + matchLength > maxLength) throw new Error("output too long");
    lastMatchStart = length;
    if (distance >= matchLength) {
      out.copyWithin(length, length - distance, length - distance + matchLength);
      length += matchLength;
    } else {
      for (let i = 0; i < matchLength; i++, length++) out[length] = out[length - distance];
    }
    lastMatchEnd = length;
    if (ip >= block.length) throw new Error("block ends with a match");
  }
  if (lastMatchStart >= 0) {
    if (length - lastMatchEnd < 5) throw new Error("fewer than 5 final literals");
    if (length - lastMatchStart < 12) throw new Error("match starts within 12 bytes of end");
  }
  return out.subarray(0, length);
}

const INPUTS: [string, Uint8Array][] = [
  ["text", textLike(3 << 20, 1)],
  ["random", randomBytes(1 << 20, 2)],
  ["zeros", new Uint8Array(3 << 20)],
  [
    "mixed",
    (() => {
      const mixed = textLike(2 << 20, 3);
      mixed.set(randomBytes(300_000, 4), 500_000);
      mixed.fill(7, 1_200_000, 1_500_000);
      return mixed;
    })(),
  ],
  ["tiny", new TextEncoder().encode("hello, hello, hello, hello!")],
];

const CAPACITIES = [16, 17, 31, 100, 4096, 16_384, 65_536 + 3, 1 << 20];

/** Checks one fill() call against the contract; returns its result. */
function checkFill(encoder: FixedOutputEncoder, input: Uint8Array, capacity: number) {
  const output = new Uint8Array(capacity);
  const { consumed, written } = encoder.fill(input, output);
  expect(written).toBeLessThanOrEqual(capacity);
  expect(consumed).toBeGreaterThan(0);
  expect(consumed).toBeLessThanOrEqual(input.length);
  // EROFS finds the start of a right-aligned stream by skipping zero bytes.
  expect(output[0]).not.toBe(0);
  const decoded = decodeBlock(output.subarray(0, written), input.length);
  expect(decoded.length).toBe(consumed);
  expect(Buffer.from(decoded).equals(Buffer.from(input.subarray(0, consumed)))).toBe(true);
  // Maximal-ish: either all input went in, or the output is full (a last
  // literal can need a length byte that no longer fits, hence the 1).
  if (consumed < input.length) expect(written).toBeGreaterThanOrEqual(capacity - 1);
  return { consumed, written, output: output.subarray(0, written) };
}

/** Wraps a raw block in the LZ4 legacy frame, which the `lz4` CLI decodes. */
function legacyFrame(block: Uint8Array): Uint8Array {
  const frame = new Uint8Array(8 + block.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 0x184c2102, true);
  view.setUint32(4, block.length, true);
  frame.set(block, 8);
  return frame;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "oci2erofs-lz4-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const algorithm of ["lz4", "lz4hc"] as const) {
  describe(`${algorithm} fill()`, () => {
    let encoder: FixedOutputEncoder;
    beforeAll(async () => {
      encoder = await createEncoder(algorithm);
    });

    for (const [name, input] of INPUTS) {
      it(`round-trips ${name} input at every capacity`, () => {
        for (const capacity of CAPACITIES) checkFill(encoder, input, capacity);
      });
    }

    it("round-trips every prefix length of a short input", () => {
      const input = textLike(300, 9);
      for (let n = 1; n <= input.length; n += 7) {
        for (const capacity of [16, 40, 400]) checkFill(encoder, input.subarray(0, n), capacity);
      }
    });

    it("is accepted by the lz4 command-line decoder", async () => {
      const input = INPUTS[3][1];
      for (const capacity of [4096, 131_072, 1 << 20]) {
        const { consumed, output } = checkFill(encoder, input, capacity);
        const file = join(dir, `${algorithm}-${capacity}.lz4`);
        await writeFile(file, legacyFrame(output));
        await promisify(execFile)("lz4", ["-d", "-f", "-q", file, `${file}.out`]);
        const decoded = await readFile(`${file}.out`);
        expect(decoded.equals(Buffer.from(input.subarray(0, consumed)))).toBe(true);
      }
    });

    it("is deterministic, across calls and instances", async () => {
      const input = INPUTS[0][1];
      const other = await createEncoder(algorithm);
      for (const capacity of [4096, 65_536]) {
        const a = checkFill(encoder, input, capacity);
        checkFill(encoder, INPUTS[1][1], capacity); // different data in between
        const b = checkFill(encoder, input, capacity);
        const c = checkFill(other, input, capacity);
        expect(b).toEqual(a);
        expect(c).toEqual(a);
      }
    });

    it("returns nothing for empty input and rejects tiny outputs", () => {
      expect(encoder.fill(new Uint8Array(0), new Uint8Array(64))).toEqual({
        consumed: 0,
        written: 0,
      });
      expect(() => encoder.fill(new Uint8Array(10), new Uint8Array(15))).toThrow(RangeError);
    });
  });
}

describe("createEncoder", () => {
  it("knows the levels of each algorithm", async () => {
    expect(levelRange("lz4")).toEqual({ min: 0, max: 0, default: 0 });
    expect(levelRange("lz4hc")).toEqual({ min: 1, max: 12, default: 9 });
    expect((await createEncoder("lz4hc")).level).toBe(9);
    expect((await createEncoder("lz4", 5)).level).toBe(0);
  });

  it("rejects unknown algorithms and levels out of range", async () => {
    // @ts-expect-error: not an algorithm
    expect(() => levelRange("lzma")).toThrow(RangeError);
    await expect(createEncoder("lz4hc", 13)).rejects.toThrow(RangeError);
    await expect(createEncoder("lz4hc", 0)).rejects.toThrow(RangeError);
    await expect(createEncoder("lz4hc", 2.5)).rejects.toThrow(RangeError);
  });
});
