// imageTree: multi-layer images (plain, gzip and zstd layers) through both
// passes, built with the EROFS writer and judged by the kernel — flattened,
// per layer with whiteouts kept, and stacked with overlayfs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildErofs } from "../../src/erofs/mod.ts";
import type { Image, LayerBlob } from "../../src/image/types.ts";
import {
  imageTree,
  LayerError,
  type LayerProgress,
  ReplayContent,
  SpooledContent,
} from "../../src/layers/mod.ts";
import { openFileSpool } from "../../src/runtime/file_spool.ts";
import { writeImageFile } from "../../src/sink/file.ts";
import {
  bytesContent,
  type FileContent,
  type Metadata,
  metadata,
  Tree,
} from "../../src/tree/mod.ts";
import { unmount, withMountedImage } from "../support/mount.ts";
import {
  expectSameTree,
  type Snapshot,
  snapshotDirectory,
  snapshotTree,
} from "../support/snapshot.ts";
import { ensureCommands, run, TEST_COMMANDS } from "../support/system.ts";
import { archive, concat, member } from "./tar/craft.ts";

const T = 1_700_000_000;
const text = (s: string) => new TextEncoder().encode(s);
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

let work = "";
beforeAll(async () => {
  await ensureCommands({ ...TEST_COMMANDS, gzip: "gzip", zstd: "zstd", tar: "tar" });
  work = await mkdtemp(join("/var/tmp", "oci2erofs-layers-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- layers

type Compression = "none" | "gzip" | "zstd";

/** How often a layer was opened and how its streams ended. */
interface BlobStats {
  opens: number;
  /** Streams cancelled before their end. */
  cancels: number;
  /** Streams read to their end. */
  ends: number;
  /** Bytes handed out, per opening. */
  served: number[];
}

/** A layer blob over bytes, compressed with the real CLI tools. */
function layerBlob(
  tar: Uint8Array,
  compression: Compression = "none",
  diffId = sha256(tar),
): LayerBlob & { stats: BlobStats } {
  const blob = compression === "none" ? tar : new Uint8Array(
    execFileSync(compression, compression === "gzip" ? ["-c", "-n"] : ["-c", "-q"], {
      input: tar,
    }),
  );
  const stats: BlobStats = { opens: 0, cancels: 0, ends: 0, served: [] };
  const mediaType = `application/vnd.oci.image.layer.v1.tar${
    compression === "none" ? "" : `+${compression}`
  }`;
  return {
    descriptor: { mediaType, digest: sha256(blob), size: blob.length },
    diffId,
    stats,
    open() {
      const index = stats.opens++;
      stats.served[index] = 0;
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= blob.length) {
            stats.ends++;
            return controller.close();
          }
          const piece = blob.slice(at, at + 65536);
          at += piece.length;
          stats.served[index] += piece.length;
          controller.enqueue(piece);
        },
        cancel() {
          stats.cancels++;
        },
      }, { highWaterMark: 0 });
    },
  };
}

function imageOf(layers: LayerBlob[], reference = "test:image"): Image {
  return {
    reference,
    digest: sha256(text(reference)),
    platform: { os: "linux", architecture: "amd64" },
    config: {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      raw: {},
    },
    layers,
  };
}

// Members of hand-made layers.
const dir = (name: string, mode = 0o755, mtime = T) => member({ name, typeflag: "5", mode, mtime });
const file = (name: string, data: string | Uint8Array, mode = 0o644, mtime = T) =>
  member({ name, mode, mtime }, typeof data === "string" ? text(data) : data);
const hardlink = (name: string, target: string) =>
  member({ name, typeflag: "1", linkname: target, mtime: T });
const symlink = (name: string, target: string) =>
  member({ name, typeflag: "2", linkname: target, mtime: T, mode: 0o777 });
const whiteout = (name: string) => member({ name, mtime: T });

// The expected trees, by hand.
const meta = (mode: number, mtime = T, extra: Partial<Metadata> = {}) =>
  metadata({ mode, mtime: { sec: mtime, nsec: 0 }, ...extra });
function put(
  tree: Tree,
  path: string,
  mode: number,
  data: string | Uint8Array | FileContent,
  mtime = T,
): void {
  const content = typeof data === "string"
    ? bytesContent(text(data))
    : data instanceof Uint8Array
    ? bytesContent(data)
    : data;
  tree.add(path, { kind: "file", meta: meta(mode, mtime), content });
}
function putDir(tree: Tree, path: string, mode = 0o755, mtime = T): void {
  tree.add(path, { kind: "directory", meta: meta(mode, mtime), entries: new Map() }, "replace");
}

/** Builds `tree` into an image file; returns its path and size. */
async function writeImage(tree: Tree, name: string): Promise<{ path: string; size: number }> {
  const path = join(work, `${name}.erofs`);
  const image = await buildErofs(tree);
  await writeImageFile(image, path);
  return { path, size: (await stat(path)).size };
}

async function mountedSnapshot(path: string): Promise<Snapshot> {
  const { value, judge } = await withMountedImage(path, (root) => snapshotDirectory(root));
  expect(judge).toBe("kernel");
  return value;
}

async function collect(content: FileContent, start?: number, end?: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of content.stream(start, end)) parts.push(chunk.slice());
  return concat(parts);
}

// ---------------------------------------------------------------- the main image

const SPARSE_SIZE = 3 << 20;

/** Three layers covering the overlay rules; the third ends with a GNU tar --sparse part. */
function mainLayers() {
  const l0 = layerBlob(
    archive(
      dir("./"),
      dir("etc/"),
      file("etc/passwd", "root:x:0:0\n"),
      file("etc/shadow", "secret", 0o600),
      dir("usr/"),
      dir("usr/bin/"),
      file("usr/bin/busybox", "busybox v1", 0o755),
      hardlink("usr/bin/sh", "usr/bin/busybox"),
      dir("docs/"),
      file("docs/a", "a"),
      dir("docs/sub/"),
      file("docs/sub/b", "b"),
      dir("opt/app/"),
      file("opt/app/old1", "o1"),
      file("opt/app/old2", "o2"),
      file("swap1", "was a file"),
      dir("swap2/"),
      file("swap2/child", "c"),
      file("chmod.sh", "#!/bin/sh\n"),
      dir("keep/"),
      file("keep/x", "lower x"),
      file("empty", ""),
    ),
    "gzip",
  );
  const l1 = layerBlob(
    archive(
      whiteout(".wh.docs"),
      whiteout("etc/.wh.shadow"),
      dir("opt/app/", 0o700, T + 1),
      file("opt/app/new", "new"),
      whiteout("opt/app/.wh..wh..opq"), // after an entry of the same layer: must not drop it
      dir("swap1/"),
      file("swap1/inside", "now a dir"),
      file("swap2", "now a file"),
      file("chmod.sh", "#!/bin/sh\n", 0o755),
      hardlink("usr/bin/ls", "usr/bin/busybox"), // to a file of layer 0
      file("keep/x", "upper x"),
      whiteout("keep/.wh.x"), // hides layer 0's x only
    ),
    "zstd",
  );
  // Layer 2: a hand-made member, then what GNU tar writes for a sparse file.
  const src = join(work, "sparse-src");
  mkdirSync(join(src, "sparse"), { recursive: true });
  execFileSync("truncate", ["-s", String(SPARSE_SIZE), join(src, "sparse/holes")]);
  execFileSync("dd", [
    `of=${join(src, "sparse/holes")}`,
    "bs=1",
    `seek=${1 << 20}`,
    "conv=notrunc",
    "status=none",
  ], { input: "DATA" });
  chmodSync(join(src, "sparse"), 0o755);
  chmodSync(join(src, "sparse/holes"), 0o640);
  const gnu = new Uint8Array(execFileSync("tar", [
    "--sparse",
    "--format=posix",
    "--sparse-version=1.0",
    "--numeric-owner",
    "--owner=0",
    "--group=0",
    `--mtime=@${T}`,
    "--pax-option=delete=atime,delete=ctime",
    "-C",
    src,
    "-cf",
    "-",
    "sparse",
  ], { maxBuffer: 1 << 26 }));
  const l2 = layerBlob(concat([file("usr/bin/busybox", "busybox v2", 0o755, T + 2), gnu]), "none");
  return [l0, l1, l2];
}

function mainExpected(): Tree {
  const tree = new Tree(meta(0o755));
  putDir(tree, "etc");
  put(tree, "etc/passwd", 0o644, "root:x:0:0\n");
  putDir(tree, "usr");
  putDir(tree, "usr/bin");
  put(tree, "usr/bin/sh", 0o755, "busybox v1");
  tree.link("usr/bin/ls", "usr/bin/sh");
  put(tree, "usr/bin/busybox", 0o755, "busybox v2", T + 2);
  tree.add("opt", { kind: "directory", meta: metadata(), entries: new Map() }); // implied: 0755, time 0
  putDir(tree, "opt/app", 0o700, T + 1);
  put(tree, "opt/app/new", 0o644, "new");
  putDir(tree, "swap1");
  put(tree, "swap1/inside", 0o644, "now a dir");
  put(tree, "swap2", 0o644, "now a file");
  put(tree, "chmod.sh", 0o755, "#!/bin/sh\n");
  putDir(tree, "keep");
  put(tree, "keep/x", 0o644, "upper x");
  put(tree, "empty", 0o644, "");
  putDir(tree, "sparse");
  const holes = new Uint8Array(SPARSE_SIZE);
  holes.set(text("DATA"), 1 << 20);
  put(tree, "sparse/holes", 0o640, holes);
  return tree;
}

describe("imageTree: a flattened multi-layer image", () => {
  it("applies whiteouts, opaque dirs, swaps, cross-layer links and chmods; the kernel agrees", async () => {
    const layers = mainLayers();
    const tree = await imageTree(imageOf(layers));
    // Pass 1 read each layer once, to its end (the diff_id covers every byte).
    for (const [i, layer] of layers.entries()) {
      expect(layer.stats, `layer ${i}`).toMatchObject({ opens: 1, ends: 1, cancels: 0 });
    }
    const { path } = await writeImage(tree, "main");
    // Pass 2: each layer opened once more; all streams closed afterwards.
    for (const [i, { stats }] of layers.entries()) {
      expect(stats.opens, `layer ${i}`).toBe(2);
      expect(stats.ends + stats.cancels, `layer ${i} streams left open`).toBe(2);
    }
    expectSameTree(await snapshotTree(mainExpected()), await mountedSnapshot(path));
    // The tree can be written again: each layer is opened once more.
    const again = await writeImage(tree, "main-again");
    expect(Buffer.compare(readFileSync(again.path), readFileSync(path))).toBe(0);
    for (const { stats } of layers) expect(stats.opens - stats.ends - stats.cancels).toBe(0);
  });

  it("stops on abort, in pass 1 and in pass 2", async () => {
    const reason = new Error("stop");
    const aborted = AbortSignal.abort(reason);
    await expect(imageTree(imageOf(mainLayers()), { signal: aborted })).rejects.toBe(reason);
    const controller = new AbortController();
    const layers = mainLayers();
    const tree = await imageTree(imageOf(layers), { signal: controller.signal });
    controller.abort(reason);
    const passwd = tree.get("etc/passwd") as { content: FileContent };
    await expect(collect(passwd.content)).rejects.toBe(reason);
    for (const { stats } of layers) expect(stats.opens - stats.ends - stats.cancels).toBe(0);
  });

  it("reports each layer's stored bytes as they arrive, and totals over the layers", async () => {
    const layers = mainLayers();
    const events: LayerProgress[] = [];
    await imageTree(imageOf(layers), { onProgress: (p) => events.push(p) });
    const sizes = layers.map((l) => l.descriptor.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    for (const [index, size] of sizes.entries()) {
      const mine = events.filter((e) => e.index === index);
      expect(mine[0]).toMatchObject({ read: 0, done: false, size, totalSize: total });
      const last = mine.at(-1)!;
      expect(last).toMatchObject({ read: size, done: true });
      expect(last.totalRead).toBe(sizes.slice(0, index + 1).reduce((a, b) => a + b, 0));
      // Reads grow monotonically, and arrive before the layer is done.
      const reads = mine.map((e) => e.read);
      expect(reads).toEqual([...reads].sort((a, b) => a - b));
      expect(mine.filter((e) => !e.done && e.read > 0).length).toBeGreaterThan(0);
    }
  });

  it("numbers file contents in (layer, member) order and serves them out of order too", async () => {
    const layers = mainLayers();
    const tree = await imageTree(imageOf(layers));
    const contents: ReplayContent[] = [];
    for (const [, inode] of tree.walk()) {
      if (inode.kind === "file") {
        expect(inode.content).toBeInstanceOf(ReplayContent);
        contents.push(inode.content as ReplayContent);
      }
    }
    const sorted = [...contents].sort((a, b) => a.sequence - b.sequence);
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1], sorted[i]];
      if (a === b) continue; // a hard link
      expect(a.layer < b.layer || (a.layer === b.layer && a.ordinal < b.ordinal)).toBe(true);
    }
    // snapshotTree reads four files at once, in path order: the fallback path.
    expectSameTree(await snapshotTree(mainExpected()), await snapshotTree(tree));
    // Backwards within a layer, a range, and the same file twice.
    const passwd = tree.get("etc/passwd") as { content: FileContent };
    const busybox1 = tree.get("usr/bin/sh") as { content: FileContent };
    expect(Buffer.from(await collect(busybox1.content)).toString()).toBe("busybox v1");
    expect(Buffer.from(await collect(passwd.content, 5, 9)).toString()).toBe("x:0:");
    expect(Buffer.from(await collect(passwd.content)).toString()).toBe("root:x:0:0\n");
    const holes = tree.get("sparse/holes") as { content: FileContent };
    expect(Buffer.from(await collect(holes.content, (1 << 20) - 2, (1 << 20) + 6))).toEqual(
      Buffer.from("\0\0DATA\0\0"),
    );
  });

  it("never reads again, or writes, data that a later layer deleted (size and bytes read)", async () => {
    // Layer 0: ten 1 MiB files of noise; layer 1 deletes all but the first.
    const noise = (seed: number) => {
      const out = new Uint8Array(1 << 20);
      let x = seed * 2654435761;
      for (let i = 0; i < out.length; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      return out;
    };
    const bottom = layerBlob(
      archive(...Array.from({ length: 10 }, (_, i) => file(`data/f${i}`, noise(i + 1)))),
    );
    const top = layerBlob(
      archive(...Array.from({ length: 9 }, (_, i) => whiteout(`data/.wh.f${i + 1}`))),
      "gzip",
    );
    const tree = await imageTree(imageOf([bottom, top]));
    const { path, size } = await writeImage(tree, "deleted");
    // Surviving data (1 MiB, whole blocks) plus metadata.
    expect(size).toBeLessThanOrEqual((1 << 20) + 64 * 1024);
    // Pass 2 stopped reading the bottom layer after its first member…
    expect(bottom.stats.served[1]).toBeLessThan(2 << 20);
    expect(bottom.stats.cancels).toBe(1);
    // …and never opened the top layer again: no file of it survived.
    expect(top.stats.opens).toBe(1);
    const expected = new Tree(metadata());
    expected.add("data", { kind: "directory", meta: metadata(), entries: new Map() });
    put(expected, "data/f0", 0o644, noise(1));
    expectSameTree(await snapshotTree(expected), await mountedSnapshot(path));
  });

  it("with a spool, reads each layer once and writes the same image", async () => {
    const plain = await writeImage(await imageTree(imageOf(mainLayers())), "unspooled");
    const layers = mainLayers();
    const spool = await openFileSpool(work);
    try {
      const tree = await imageTree(imageOf(layers), { spool });
      const spooled = new Set<SpooledContent>();
      for (const [, inode] of tree.walk()) {
        if (inode.kind !== "file") continue;
        expect(inode.content).toBeInstanceOf(SpooledContent);
        spooled.add(inode.content as SpooledContent);
      }
      // Every regular file of every layer went to the spool, the deleted ones too.
      expect(spool.size).toBeGreaterThan([...spooled].reduce((sum, c) => sum + c.size, 0));
      const { path } = await writeImage(tree, "spooled");
      // Pass 2 read the spool, not the layers: each was opened once, to its end.
      for (const [i, layer] of layers.entries()) {
        expect(layer.stats, `layer ${i}`).toMatchObject({ opens: 1, ends: 1, cancels: 0 });
      }
      expect(Buffer.compare(readFileSync(path), readFileSync(plain.path))).toBe(0);
      // Contents serve ranges and repeated reads, in any order.
      const passwd = tree.get("etc/passwd") as { content: FileContent };
      expect(Buffer.from(await collect(passwd.content, 5, 9)).toString()).toBe("x:0:");
      expect(Buffer.from(await collect(passwd.content)).toString()).toBe("root:x:0:0\n");
      const holes = tree.get("sparse/holes") as { content: FileContent };
      expect(Buffer.from(await collect(holes.content, (1 << 20) - 2, (1 << 20) + 6))).toEqual(
        Buffer.from("\0\0DATA\0\0"),
      );
    } finally {
      await spool.close();
    }
  });

  it("with a spool, stops at a bad diff_id as without one", async () => {
    const good = layerBlob(archive(file("f", "x")), "gzip");
    const wrong = layerBlob(archive(file("f", "x")), "gzip", sha256(text("something else")));
    const spool = await openFileSpool(work);
    try {
      await expect(imageTree(imageOf([good, wrong]), { spool })).rejects.toThrow(
        `layer ${wrong.descriptor.digest}: the uncompressed layer has digest ${good.diffId}`,
      );
    } finally {
      await spool.close();
    }
  });

  it("checks each layer's diff_id, and names the layer in every error", async () => {
    const good = layerBlob(archive(file("f", "x")), "gzip");
    const wrong = layerBlob(archive(file("f", "x")), "gzip", sha256(text("something else")));
    await expect(imageTree(imageOf([good, wrong]))).rejects.toThrow(
      `layer ${wrong.descriptor.digest}: the uncompressed layer has digest ${good.diffId}, but the image config says its diff_id is ${wrong.diffId}`,
    );
    // A truncated gzip stream and a stream that is no tar: LayerErrors naming the digest.
    const gz = layerBlob(archive(file("f", "x".repeat(100_000))), "gzip");
    const gzBytes = new Uint8Array(
      execFileSync("gzip", ["-c", "-n"], { input: archive(file("f", "x".repeat(100_000))) }),
    );
    const cut: LayerBlob = {
      descriptor: {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: sha256(gzBytes.subarray(0, 60)),
        size: 60,
      },
      diffId: gz.diffId,
      open: () => new Blob([gzBytes.slice(0, 60)]).stream(),
    };
    const error = await imageTree(imageOf([cut])).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LayerError);
    expect((error as LayerError).layer).toBe(cut.descriptor.digest);
    expect((error as Error).message).toMatch(new RegExp(`^layer ${cut.descriptor.digest}: `));
    const notTar = layerBlob(
      text("this is not a tar archive, just some text that is long enough ".repeat(20)),
      "zstd",
    );
    await expect(imageTree(imageOf([notTar]))).rejects.toThrow(
      new RegExp(`^layer ${notTar.descriptor.digest}: tar entry .* at byte 0: bad header checksum`),
    );
  });

  it("refuses hostile layers, naming the digest and the entry", async () => {
    const base = layerBlob(
      archive(
        dir("etc/"),
        file("etc/ok", "ok"),
        symlink("lib", "/usr/lib"),
        symlink("up", "../../x"),
      ),
      "gzip",
    );
    const cases: [LayerBlob, string][] = [
      [
        layerBlob(archive(file("lib/libc.so", "evil"))),
        `"lib/libc.so": parent "lib" is a symlink (to "/usr/lib") in a lower layer; refusing to follow it`,
      ],
      [
        layerBlob(archive(file("up/x", "evil")), "zstd"),
        `"up/x": parent "up" is a symlink (to "../../x") in a lower layer; refusing to follow it`,
      ],
      [
        layerBlob(archive(file("../../etc/passwd", "evil"))),
        `"../../etc/passwd": path leaves the root ('..' component)`,
      ],
      [
        layerBlob(archive(hardlink("l", "etc/missing"))),
        `"l": hard link target "etc/missing" does not exist in this layer or below`,
      ],
      [layerBlob(archive(hardlink("l", "etc"))), `"l": hard link target "etc" is a directory`],
      [layerBlob(archive(whiteout("etc/.wh.."))), `"etc/.wh..": whiteout of '.'`],
    ];
    for (const [layer, message] of cases) {
      await expect(imageTree(imageOf([base, layer]))).rejects.toThrow(
        `layer ${layer.descriptor.digest}: ${message}`,
      );
    }
  });
});

// ---------------------------------------------------------------- per-layer images and overlayfs

function overlayLayers() {
  const a = layerBlob(
    archive(
      dir("./"),
      dir("a/"),
      file("a/1", "a1"),
      file("a/2", "a2"),
      dir("b/"),
      dir("b/deep/"),
      file("b/deep/f", "deep"),
      dir("c/"),
      file("c/x", "cx"),
      file("d", "file d"),
      dir("e/"),
      file("e/e1", "e1"),
      file("keep", "keep"),
      dir("h/"),
      file("h/f", "linked"),
      hardlink("h/g", "h/f"),
    ),
    "gzip",
  );
  const b = layerBlob(
    archive(
      dir("a/", 0o750, T + 1),
      file("a/3", "a3"),
      dir("c/"),
      file("c/y", "cy"),
      file("f", "f"),
    ),
    "zstd",
  );
  // The top layer names every parent it uses, as image builders do.
  const c = layerBlob(archive(
    dir("./", 0o755, T + 5),
    dir("a/", 0o755, T + 5),
    whiteout("a/.wh.1"),
    file("a/2", "a2 again"),
    whiteout("a/.wh.2"),
    dir("b/", 0o755, T + 5),
    whiteout("b/.wh.deep"),
    dir("c/", 0o755, T + 5),
    whiteout("c/.wh..wh..opq"),
    file("c/z", "cz"),
    dir("d/"),
    file("d/inside", "d is a dir now"),
    file("e", "e is a file now"),
    whiteout(".wh.f"),
    dir("new/"),
    file("new/n", "n"),
    hardlink("new/n2", "new/n"),
  ));
  return [a, b, c];
}

describe("imageTree: per-layer images with whiteouts kept", () => {
  it("selects a layer by index or digest, and says which exist when out of range", async () => {
    const layers = overlayLayers();
    const image = imageOf(layers, "example:overlay");
    const listing = async (tree: Tree) => [...(await snapshotTree(tree)).keys()];
    const top = await listing(await imageTree(image, { layer: -1 }));
    expect(await listing(await imageTree(image, { layer: 2 }))).toEqual(top);
    expect(await listing(await imageTree(image, { blob: layers[2].descriptor.digest }))).toEqual(
      top,
    );
    expect(await listing(await imageTree(image, { blob: layers[2].diffId }))).toEqual(top);
    expect(top).toContain("f"); // the whiteout, as a device
    // Applied instead of kept, on request: nothing below, so the markers just go.
    expect(await listing(await imageTree(image, { layer: 2, keepWhiteouts: false }))).not.toContain(
      "f",
    );
    await expect(imageTree(image, { layer: 3 })).rejects.toThrow(
      "layer 3 is out of range: image example:overlay has 3 layers (valid: 0…2 from the bottom, or −1…−3 from the top)",
    );
    await expect(imageTree(image, { layer: -4 })).rejects.toThrow(LayerError);
    await expect(imageTree(image, { layer: 1.5 })).rejects.toThrow(/layer 1.5 is out of range/);
    await expect(imageTree(image, { blob: "sha256:00" })).rejects.toThrow(
      `image example:overlay has no layer sha256:00 (layers: 0: ${
        layers[0].descriptor.digest
      }, 1: ${layers[1].descriptor.digest}, 2: ${layers[2].descriptor.digest})`,
    );
    await expect(imageTree(image, { layer: 0, blob: "sha256:00" })).rejects.toThrow(/not both/);
    // Only the chosen layer is read.
    expect(layers[0].stats.opens).toBe(0);
  });

  it("stores whiteouts as 0:0 devices and opaque/origin xattrs; stacked with overlayfs it equals the flattened image", async () => {
    const layers = overlayLayers();
    const image = imageOf(layers);
    const flat = await writeImage(await imageTree(image), "flat");
    const lower = await writeImage(await imageTree(imageOf(layers.slice(0, 2))), "lower");
    const top = await writeImage(await imageTree(image, { layer: -1 }), "top");

    // The per-layer image as the kernel sees it.
    const topView = await mountedSnapshot(top.path);
    const y = Buffer.from("y").toString("base64");
    for (const path of ["a/1", "b/deep", "f"]) {
      expect(topView.get(path), path).toMatchObject({
        type: "char",
        rdevMajor: 0,
        rdevMinor: 0,
        mode: 0,
        nlink: 1,
      });
    }
    expect(topView.get("a/2")).toMatchObject({ type: "file", size: 8 });
    expect(topView.get("c")!.xattrs).toEqual({ "trusted.overlay.opaque": y });
    for (const path of ["", "a", "b"]) {
      expect(topView.get(path)!.xattrs, path).toEqual({ "trusted.overlay.origin": "" });
    }
    expect(topView.get("d")!.xattrs).toEqual({});

    // overlayfs over the two images shows what the flattened image holds.
    const mnt = await mkdtemp(join(work, "mnt-"));
    const mounts: string[] = [];
    try {
      for (const [name, path] of [["top", top.path], ["lower", lower.path]]) {
        const at = join(mnt, name);
        mkdirSync(at);
        await run("mount", ["-t", "erofs", "-o", "loop,ro", path, at], { check: true });
        mounts.push(at);
      }
      const merged = join(mnt, "merged");
      mkdirSync(merged);
      await run("mount", [
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=${mounts[0]}:${mounts[1]}`,
        merged,
      ], { check: true });
      mounts.push(merged);
      const overlayView = await snapshotDirectory(merged);
      const flatView = await mountedSnapshot(flat.path);
      expectSameTree(flatView, overlayView);
      expect([...flatView.keys()].sort()).toEqual([
        "",
        "a",
        "a/2",
        "a/3",
        "b",
        "c",
        "c/z",
        "d",
        "d/inside",
        "e",
        "h",
        "h/f",
        "h/g",
        "keep",
        "new",
        "new/n",
        "new/n2",
      ]);
    } finally {
      for (const at of mounts.reverse()) await unmount(at);
      await rm(mnt, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- memory

describe("imageTree: bounded memory", () => {
  it("streams a 256 MiB file from a gzip layer without holding it", async () => {
    const dirPath = join(work, "big");
    mkdirSync(dirPath);
    writeFileSync(join(dirPath, "small"), "small");
    execFileSync("truncate", ["-s", String(256 << 20), join(dirPath, "huge")]);
    const tarPath = join(work, "big.tar");
    const gzPath = join(work, "big.tar.gz");
    execFileSync("tar", ["--numeric-owner", "-C", dirPath, "-cf", tarPath, "small", "huge"]);
    const diffId = `sha256:${execFileSync("sha256sum", [tarPath]).toString().split(" ")[0]}`;
    execFileSync("sh", ["-c", `gzip -1 -c '${tarPath}' > '${gzPath}' && rm '${tarPath}'`]);
    const { openFileStream } = await import("../../src/runtime/blob_file.ts");
    const gzSize = (await stat(gzPath)).size;
    expect(gzSize).toBeLessThan(4 << 20);
    const blob: LayerBlob = {
      descriptor: {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: "sha256:" + "0".repeat(64),
        size: gzSize,
      },
      diffId,
      open: (signal) => openFileStream(gzPath, { signal }),
    };

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const tree = await imageTree(imageOf([blob]));
      const image = await buildErofs(tree);
      let bytes = 0;
      let zeros = true;
      for await (const chunk of image.chunks()) {
        bytes += chunk.length;
        // Spot-check the data area (the big file comes first, right after the superblock block).
        if (zeros && bytes > 8192 && bytes < (256 << 20) && chunk[chunk.length >> 1] !== 0) {
          zeros = false;
        }
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      expect(bytes).toBe(image.size);
      expect(image.size).toBeGreaterThan(256 << 20);
      expect(zeros).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - baseline) / 2 ** 20;
    console.log(`256 MiB file: RSS grew by ${growth.toFixed(1)} MiB`);
    expect(growth).toBeLessThan(100);
  });
});
