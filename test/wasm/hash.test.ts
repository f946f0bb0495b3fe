import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSha256 } from "../../src/runtime/hash.ts";
import { Sha256 } from "../../src/wasm/sha256.ts";
import { randomBytes, randomChunks } from "./random.ts";

const bytes = randomBytes(300_000, 11);
const expected = createHash("sha256").update(bytes).digest("hex");

describe("createSha256", () => {
  afterEach(() => {
    vi.doUnmock("node:crypto");
    vi.resetModules();
  });

  it("uses node:crypto where it exists", async () => {
    const hash = await createSha256();
    expect(hash).not.toBeInstanceOf(Sha256);
    for (const piece of randomChunks(bytes, 1)) hash.update(piece);
    expect(hash.digestHex()).toBe(expected);
    // Same contract as the wasm Sha256: digests repeat, updates stop.
    expect(Buffer.from(hash.digest()).toString("hex")).toBe(expected);
    expect(() => hash.update(bytes)).toThrow();
  });

  it.each([
    ["cannot be imported", () => Promise.reject(new Error("no node:crypto here"))],
    ["is a stub without createHash", () => ({})],
    [
      "is a stub that throws on access",
      () =>
        new Proxy({}, {
          get(_, key) {
            if (key === "createHash") throw new Error('"node:crypto" has been externalized');
          },
        }),
    ],
  ])("falls back to wasm when node:crypto %s", async (_, factory) => {
    vi.resetModules();
    vi.doMock("node:crypto", factory);
    const { createSha256 } = await import("../../src/runtime/hash.ts");
    const { Sha256 } = await import("../../src/wasm/sha256.ts");
    const hash = await createSha256();
    expect(hash).toBeInstanceOf(Sha256);
    for (const piece of randomChunks(bytes, 2)) hash.update(piece);
    expect(hash.digestHex()).toBe(expected);
  });
});
