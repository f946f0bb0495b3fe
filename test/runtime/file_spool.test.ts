// The file spool (pass 1's store of layer file data) against a real directory.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openFileSpool, spoolDirectoryFor } from "../../src/runtime/file_spool.ts";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-spool-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

/** Byte equality without vitest's slow element-by-element diff of megabytes. */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

/** Deterministic noise, so that misplaced bytes show. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

it("gives back every range of what was appended, across gathered and direct writes", async () => {
  const spool = await openFileSpool(work);
  try {
    // Small pieces (gathered), one that crosses the 1 MiB gather boundary,
    // one bigger than the gather buffer (written directly), and a tail that
    // is still gathered when it is read.
    const pieces = [
      noise(10, 1),
      noise(4096, 2),
      noise(1_100_000, 3),
      noise(3 << 20, 4),
      noise(7, 5),
    ];
    const whole = new Uint8Array(Buffer.concat(pieces));
    const offsets: number[] = [];
    for (const piece of pieces) {
      offsets.push(spool.size);
      spool.append(piece);
    }
    expect(spool.size).toBe(whole.length);
    for (const [i, piece] of pieces.entries()) {
      expectBytes(await readAll(spool.read(offsets[i], piece.length)), piece);
    }
    const ranges = [[0, 0], [5, 20], [1 << 20, (1 << 20) + 3], [9, whole.length], [
      whole.length - 3,
      whole.length,
    ]];
    for (const [start, end] of ranges) {
      expectBytes(await readAll(spool.read(start, end - start)), whole.subarray(start, end));
    }
    // Chunks are at most 1 MiB, and fresh: keeping one does not see later reads.
    const chunks: Uint8Array[] = [];
    for await (const chunk of spool.read(0, whole.length)) chunks.push(chunk);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(1 << 20);
    const first = chunks[0].slice();
    await readAll(spool.read(100, 1000));
    expectBytes(chunks[0], first);
    // Appending after reads goes on where it stopped.
    spool.append(noise(3, 6));
    expectBytes(await readAll(spool.read(whole.length, 3)), noise(3, 6));
  } finally {
    await spool.close();
  }
});

it("leaves no file behind: the spool has no name from the moment it is opened", async () => {
  const dir = await mkdtemp(join(work, "empty-"));
  const spool = await openFileSpool(dir);
  spool.append(noise(2 << 20, 7));
  expect(await readdir(dir)).toEqual([]);
  expect((await readAll(spool.read(0, 2 << 20))).length).toBe(2 << 20);
  await spool.close();
  await spool.close(); // idempotent
  expect(await readdir(dir)).toEqual([]);
});

it("refuses ranges past the end and use after close", async () => {
  const spool = await openFileSpool(work);
  spool.append(noise(100, 8));
  await expect(readAll(spool.read(50, 51))).rejects.toThrow(RangeError);
  await expect(readAll(spool.read(-1, 2))).rejects.toThrow(RangeError);
  await spool.close();
  await expect(readAll(spool.read(0, 1))).rejects.toThrow("the spool is closed");
  expect(() => spool.append(noise(1, 9))).toThrow("the spool is closed");
});

it("fails clearly where no file can be created", async () => {
  await expect(openFileSpool(join(work, "missing", "dir"))).rejects.toThrow(/ENOENT/);
});

it("goes beside the output file, or to the temporary directory for standard output", () => {
  expect(spoolDirectoryFor("/srv/images/app.erofs")).toBe("/srv/images");
  expect(spoolDirectoryFor("app.erofs")).toBe(".");
  expect(spoolDirectoryFor("-")).toMatch(/^\//);
});
