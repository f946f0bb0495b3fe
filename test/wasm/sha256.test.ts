import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { initWasm, Sha256 } from "../../src/wasm/mod.ts";
import { randomBytes, randomChunks, SIZES } from "./random.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const nodeHex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  await initWasm();
});

describe("Sha256", () => {
  it("matches the FIPS 180-4 vectors", () => {
    const hex = (s: string) => new Sha256().update(ascii(s)).digestHex();
    expect(hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    const million = new Sha256();
    const as = ascii("a".repeat(1000));
    for (let i = 0; i < 1000; i++) million.update(as);
    expect(million.digestHex()).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("matches node:crypto at every size", () => {
    for (const size of SIZES) {
      const bytes = randomBytes(size, size + 7);
      expect(new Sha256().update(bytes).digestHex(), `size ${size}`).toBe(nodeHex(bytes));
    }
  });

  it("gives the same digest for any chunking", () => {
    const bytes = randomBytes(700_000, 3);
    const expected = nodeHex(bytes);
    for (let seed = 1; seed <= 12; seed++) {
      const hash = new Sha256();
      for (const piece of randomChunks(bytes, seed)) hash.update(piece);
      expect(hash.digestHex(), `chunking ${seed}`).toBe(expected);
    }
    const byteAtATime = new Sha256();
    const small = bytes.subarray(0, 3000);
    for (let i = 0; i < small.length; i++) byteAtATime.update(small.subarray(i, i + 1));
    expect(byteAtATime.digestHex()).toBe(nodeHex(small));
  });

  it("keeps concurrent instances apart", () => {
    const inputs = [0, 1, 2, 3, 4].map((i) => randomBytes(50_000 + i * 33_333, 100 + i));
    const hashes = inputs.map(() => new Sha256());
    const chunkings = inputs.map((bytes, i) => randomChunks(bytes, 200 + i));
    // Round-robin so every instance's batches interleave with the others'.
    for (let step = 0; chunkings.some((pieces) => step < pieces.length); step++) {
      chunkings.forEach((pieces, i) => {
        if (step < pieces.length) hashes[i]!.update(pieces[step]!);
      });
    }
    hashes.forEach((hash, i) => expect(hash.digestHex()).toBe(nodeHex(inputs[i]!)));
  });

  it("finishes once", () => {
    const hash = new Sha256().update(ascii("abc"));
    const first = hash.digest();
    expect(first).toHaveLength(32);
    first.fill(0); // a returned digest is the caller's to modify
    expect(hash.digestHex()).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(() => hash.update(ascii("d"))).toThrow(/after digest/);
  });
});
