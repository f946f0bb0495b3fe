// A compressed image as a stream (stdout, HTTP bodies, the edge handler):
// its first block is known only after the data, so the stream compresses
// twice — a sizing run, then the streamed one — instead of holding the image.
// Same bytes as the file path; each file read twice; a source that changes
// between the runs so that block 0 differs is an error (when block 0 is the
// same, the streamed image is the second run's, whole and consistent).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildErofs, type ErofsOptions } from "../../src/erofs/mod.ts";
import { type FileContent, metadata, Tree } from "../../src/tree/mod.ts";

/** Compressible bytes, different per seed. */
function text(size: number, seed: number): Uint8Array {
  const words = ["layer", "image", "erofs", "block", "inode", `w${seed}`];
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; at < size; i++) {
    const word = new TextEncoder().encode(`${words[(i * 7 + seed) % words.length]} `);
    out.set(word.subarray(0, size - at), at);
    at += word.length;
  }
  return out;
}

/** File content that counts its reads and serves `versions[read]` (the last one after). */
function counted(versions: Uint8Array[]): FileContent & { reads: number } {
  const content = {
    size: versions[0].length,
    reads: 0,
    async *stream(start = 0, end = versions[0].length) {
      const bytes = versions[Math.min(content.reads++, versions.length - 1)];
      for (let at = start; at < end; at += 65536) {
        yield bytes.slice(at, Math.min(end, at + 65536));
      }
    },
  };
  return content;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk.slice());
  return new Uint8Array(Buffer.concat(parts));
}

const options: ErofsOptions = {
  fixedTime: 0,
  compression: { algorithm: "lz4hc", pclusterSize: 16384, workers: 0 },
};

describe("compressed images as streams", () => {
  it("compress twice in bounded memory: same bytes as the seekable path, each file read twice", async () => {
    const files = [text(3 << 20, 1), text(9 << 20, 2), text(5000, 3)].map((b) => counted([b]));
    const tree = new Tree();
    files.forEach((content, i) => tree.add(`f${i}`, { kind: "file", meta: metadata(), content }));
    const image = await buildErofs(tree, options);

    const streamed = await collect(image.chunks());
    expect(files.map((f) => f.reads)).toEqual([2, 2, 2]);
    expect(image.size).toBe(streamed.length);

    const seekable = image.seekable!();
    const body = await collect(seekable.chunks);
    body.set(seekable.head(), 0);
    expect(Buffer.from(body).equals(Buffer.from(streamed))).toBe(true);
    expect(files.map((f) => f.reads)).toEqual([3, 3, 3]);
  });

  it("refuses to finish when a source gives other bytes on the second run", async () => {
    const tree = new Tree();
    tree.add("changing", {
      kind: "file",
      meta: metadata(),
      // Compressible, then random: the second run's layout (and block 0) differ.
      content: counted([text(1 << 20, 4), new Uint8Array(randomBytes(1 << 20))]),
    });
    const image = await buildErofs(tree, options);
    await expect(collect(image.chunks())).rejects.toThrow(
      /changed between its sizing and streaming/,
    );
  });
});
