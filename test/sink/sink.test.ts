// Sinks: the Web stream and the atomic file, with fake images.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeImageFile } from "../../src/sink/file.ts";
import { imageStream } from "../../src/sink/mod.ts";

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-sink-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fake image of `pieces` chunks of `size` bytes that records how far it was pulled. */
function fakeImage(pieces: number, size = 4, announced = pieces * size) {
  const log = { pulled: 0, finished: false };
  return {
    log,
    image: {
      size: announced,
      async *chunks() {
        try {
          for (let i = 0; i < pieces; i++) {
            log.pulled++;
            yield new Uint8Array(size).fill(i);
            if (i === 0) yield new Uint8Array(0); // empty chunks are legal
          }
        } finally {
          log.finished = true;
        }
      },
    },
  };
}

describe("imageStream", () => {
  it("produces nothing until read, then every byte in order", async () => {
    const { image, log } = fakeImage(3);
    const stream = imageStream(image);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.pulled).toBe(0);
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    expect([...bytes]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(log.finished).toBe(true);
  });

  it("pulls one chunk per read, and cancel stops the image's iterator", async () => {
    const { image, log } = fakeImage(100);
    const reader = imageStream(image).getReader();
    await reader.read();
    await reader.read();
    expect(log.pulled).toBe(2);
    await reader.cancel();
    expect(log.finished).toBe(true);
    expect(log.pulled).toBe(2);
  });

  it("errors if the image streams more or less than its size", async () => {
    await expect(new Response(imageStream(fakeImage(3, 4, 11).image)).arrayBuffer()).rejects
      .toThrow(/more than its size/);
    await expect(new Response(imageStream(fakeImage(3, 4, 13).image)).arrayBuffer()).rejects
      .toThrow(
        "image streamed 12 bytes but its size is 13",
      );
  });
});

describe("writeImageFile", () => {
  it("writes the image, or nothing if it is not what it claims", async () => {
    await writeImageFile(fakeImage(2).image, join(work, "ok.img"));
    expect([...readFileSync(join(work, "ok.img"))]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    await expect(writeImageFile(fakeImage(2, 4, 9).image, join(work, "bad.img"))).rejects.toThrow(
      /size is 9/,
    );
    expect(readdirSync(work)).toEqual(["ok.img"]);
  });
});
