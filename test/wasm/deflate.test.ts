import { inflateRawSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { createEncoder, type FixedOutputEncoder, levelRange } from "../../src/wasm/mod.ts";
import { randomBytes, textLike } from "./random.ts";

const INPUTS: [string, Uint8Array][] = [
  ["text", textLike(1 << 20, 1)],
  [
    "mixed",
    (() => {
      const mixed = textLike(1 << 20, 3);
      mixed.set(randomBytes(100_000, 4), 200_000);
      mixed.fill(7, 400_000, 600_000);
      return mixed;
    })(),
  ],
  ["random", randomBytes(300_000, 2)],
  ["zeros", new Uint8Array(3 << 20)],
  ["tiny", new TextEncoder().encode("hello, hello, hello, hello!")],
];

function checkFill(encoder: FixedOutputEncoder, input: Uint8Array, capacity: number) {
  const output = new Uint8Array(capacity);
  const { consumed, written } = encoder.fill(input, output);
  expect(written).toBeLessThanOrEqual(capacity);
  expect(consumed).toBeGreaterThan(0);
  expect(consumed).toBeLessThanOrEqual(input.length);
  // EROFS finds the start of a right-aligned stream by skipping zero bytes.
  expect(output[0]).not.toBe(0);
  const decoded = inflateRawSync(output.subarray(0, written));
  expect(decoded.equals(Buffer.from(input.subarray(0, consumed)))).toBe(true);
  // Near-maximal: all input went in, or the search got within 1/256 of the
  // longest fitting prefix, so the output is nearly full or the next bytes
  // cannot be added.
  if (consumed < input.length) {
    const more = new Uint8Array(capacity);
    const longer = Math.min(input.length, Math.ceil(consumed * 1.01) + 64);
    const bigger = encoder.fill(input.subarray(0, longer), more);
    expect(bigger.consumed).toBeLessThan(longer);
  }
  return { consumed, written, output: output.subarray(0, written) };
}

describe("deflate fill()", () => {
  let encoder: FixedOutputEncoder;
  beforeAll(async () => {
    encoder = await createEncoder("deflate");
  });

  it("defaults to mkfs.erofs's level", () => {
    expect(levelRange("deflate")).toEqual({ min: 1, max: 9, default: 1 });
    expect(encoder.level).toBe(1);
  });

  for (const [name, input] of INPUTS) {
    it(`round-trips ${name} input through zlib at several capacities`, () => {
      for (const capacity of [16, 17, 31, 100, 4096, 65_536 + 3, 1 << 20]) {
        checkFill(encoder, input, capacity);
      }
    });
  }

  it("round-trips every prefix length of a short input", () => {
    const input = textLike(300, 9);
    for (let n = 1; n <= input.length; n += 7) {
      for (const capacity of [16, 40, 400]) checkFill(encoder, input.subarray(0, n), capacity);
    }
  });

  it("rejects levels out of range", async () => {
    await expect(createEncoder("deflate", 0)).rejects.toThrow(RangeError);
    await expect(createEncoder("deflate", 10)).rejects.toThrow(RangeError);
  });

  it("works at every level and is deterministic", async () => {
    const input = INPUTS[0][1];
    for (const level of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const a = checkFill(await createEncoder("deflate", level), input, 16_384);
      const b = checkFill(await createEncoder("deflate", level), input, 16_384);
      expect(b).toEqual(a);
    }
  });

  it("fills large clusters with incompressible input", () => {
    // Larger than a stored block (65535 bytes): the encoder never uses them.
    const { consumed, written } = checkFill(encoder, randomBytes(200_000, 5), 150_000);
    expect(written).toBeGreaterThan(150_000 - 8);
    expect(consumed).toBeGreaterThan(140_000);
  });
});
