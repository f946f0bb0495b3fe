import { beforeAll, describe, expect, it } from "vitest";
import { crc32c, initWasm } from "../../src/wasm/mod.ts";
import { randomBytes, randomChunks, SIZES } from "./random.ts";

/** Bit-at-a-time CRC-32C straight from the definition: slow, obviously right. */
function referenceCrc32c(bytes: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

beforeAll(async () => {
  await initWasm();
});

describe("crc32c", () => {
  it("matches known vectors", () => {
    const ascii = (s: string) => new TextEncoder().encode(s);
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) appendix B.4.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it("matches the bitwise reference at every size", () => {
    for (const size of SIZES) {
      const bytes = randomBytes(size, size + 1);
      expect(crc32c(bytes), `size ${size}`).toBe(referenceCrc32c(bytes));
    }
  });

  it("honours a seed and chains across any chunking", () => {
    const bytes = randomBytes(400_000, 42);
    const whole = crc32c(bytes);
    for (let seed = 1; seed <= 8; seed++) {
      let crc = 0;
      for (const piece of randomChunks(bytes, seed)) crc = crc32c(piece, crc);
      expect(crc, `chunking ${seed}`).toBe(whole);
    }
    const small = randomBytes(100, 1);
    expect(crc32c(small, 0xdeadbeef)).toBe(referenceCrc32c(small, 0xdeadbeef));
  });

  it("reads a view at an odd offset of its buffer", () => {
    const bytes = randomBytes(10_000, 9);
    const view = bytes.subarray(3, 9_001);
    expect(crc32c(view)).toBe(referenceCrc32c(view));
  });

  it("gives the EROFS superblock checksum by flipping the result", () => {
    // Linux crc32c(~0, p, n) omits the final inversion.
    const block = randomBytes(4096, 5);
    let linux = 0xffffffff;
    for (const byte of block) {
      linux ^= byte;
      for (let k = 0; k < 8; k++) linux = linux & 1 ? (linux >>> 1) ^ 0x82f63b78 : linux >>> 1;
    }
    expect((crc32c(block) ^ 0xffffffff) >>> 0).toBe(linux >>> 0);
  });
});
