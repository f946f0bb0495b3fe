// tar:FILE through the layer pipeline: plain, gzip and zstd archives give
// the same tree (whiteouts applied, or kept on request), sparse members read
// back from file regions and from a compressed stream, errors name the entry.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildErofs } from "../../src/erofs/mod.ts";
import { LayerError, OVERLAY_OPAQUE } from "../../src/layers/mod.ts";
import { writeImageFile } from "../../src/sink/file.ts";
import { readTarSource } from "../../src/source/tar.ts";
import { bytesContent, metadata, Tree } from "../../src/tree/mod.ts";
import { withMountedImage } from "../support/mount.ts";
import { expectSameTree, snapshotDirectory, snapshotTree } from "../support/snapshot.ts";
import { ensureCommands, TEST_COMMANDS } from "../support/system.ts";
import { archive, concat, member } from "./tar/craft.ts";

const T = 1_700_000_000;
const text = (s: string) => new TextEncoder().encode(s);
const SPARSE = 2 << 20;
let work = "";
const paths: Record<string, string> = {};

beforeAll(async () => {
  await ensureCommands({ ...TEST_COMMANDS, gzip: "gzip", zstd: "zstd", tar: "tar" });
  work = await mkdtemp(join("/var/tmp", "oci2erofs-tar-source-"));
  // A sparse file as GNU tar archives it, after some hand-made members.
  const src = join(work, "src");
  mkdirSync(src);
  execFileSync("truncate", ["-s", String(SPARSE), join(src, "holes")]);
  execFileSync("dd", [
    `of=${join(src, "holes")}`,
    "bs=1",
    "seek=1000000",
    "conv=notrunc",
    "status=none",
  ], { input: "mid" });
  chmodSync(join(src, "holes"), 0o600);
  const sparse = new Uint8Array(execFileSync("tar", [
    "--sparse",
    "--format=gnu",
    "--numeric-owner",
    "--owner=0",
    "--group=0",
    `--mtime=@${T}`,
    "-C",
    src,
    "-cf",
    "-",
    "holes",
  ]));
  const crafted = archive(
    member({ name: "./", typeflag: "5", mode: 0o755, mtime: T }),
    member({ name: "etc/", typeflag: "5", mode: 0o755, mtime: T }),
    member({ name: "etc/hostname", mtime: T }, text("box\n")),
    member({ name: "etc/.wh.gone", mtime: T }),
    member({ name: "var/", typeflag: "5", mode: 0o711, mtime: T }),
    member({ name: "var/.wh..wh..opq", mtime: T }),
    member({ name: "var/log", mtime: T }, text("log")),
  );
  // Concatenated: the crafted members, then GNU tar's (its end marker ends both).
  const plain = concat([crafted.subarray(0, crafted.length - 1024), sparse]);
  paths.plain = join(work, "layer.tar");
  writeFileSync(paths.plain, plain);
  paths.gzip = join(work, "layer.tar.gz");
  writeFileSync(paths.gzip, execFileSync("gzip", ["-c", "-n"], { input: plain }));
  paths.zstd = join(work, "layer.tar.zst");
  writeFileSync(paths.zstd, execFileSync("zstd", ["-c", "-q"], { input: plain }));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function expected(keepWhiteouts: boolean): Tree {
  const meta = (mode: number) => metadata({ mode, mtime: { sec: T, nsec: 0 } });
  const tree = new Tree(meta(0o755));
  tree.add("etc", { kind: "directory", meta: meta(0o755), entries: new Map() });
  tree.add("etc/hostname", {
    kind: "file",
    meta: meta(0o644),
    content: bytesContent(text("box\n")),
  });
  tree.add("var", { kind: "directory", meta: meta(0o711), entries: new Map() });
  tree.add("var/log", { kind: "file", meta: meta(0o644), content: bytesContent(text("log")) });
  const holes = new Uint8Array(SPARSE);
  holes.set(text("mid"), 1_000_000);
  tree.add("holes", { kind: "file", meta: meta(0o600), content: bytesContent(holes) });
  if (keepWhiteouts) {
    tree.add("etc/gone", {
      kind: "char",
      meta: { ...meta(0), xattrs: new Map() },
      major: 0,
      minor: 0,
    });
    tree.get("etc")!.meta.xattrs.set("trusted.overlay.origin", new Uint8Array());
    tree.get("var")!.meta.xattrs.set(OVERLAY_OPAQUE, text("y"));
  }
  return tree;
}

describe("tar: sources, plain and compressed", () => {
  for (const kind of ["plain", "gzip", "zstd"]) {
    it(`reads a ${kind} archive as a flattened single layer, and with whiteouts kept`, async () => {
      expectSameTree(
        await snapshotTree(expected(false)),
        await snapshotTree(await readTarSource(paths[kind])),
      );
      expectSameTree(
        await snapshotTree(expected(true)),
        await snapshotTree(await readTarSource(paths[kind], { keepWhiteouts: true })),
      );
    });
  }

  it("builds an image from a zstd archive that the kernel reads back", async () => {
    const tree = await readTarSource(paths.zstd);
    const image = join(work, "zstd.erofs");
    await writeImageFile(await buildErofs(tree), image);
    const { value, judge } = await withMountedImage(image, (root) => snapshotDirectory(root));
    expect(judge).toBe("kernel");
    expectSameTree(await snapshotTree(expected(false)), value);
  });

  it("names the entry (not a layer) when an archive is hostile, compressed or not", async () => {
    const evil = archive(
      member({ name: "lib", typeflag: "2", linkname: "/usr/lib" }),
      member({ name: "lib/evil.so" }, text("x")),
    );
    const plain = join(work, "evil.tar");
    writeFileSync(plain, evil);
    const gz = join(work, "evil.tar.gz");
    writeFileSync(gz, execFileSync("gzip", ["-c"], { input: evil }));
    for (const path of [plain, gz]) {
      const error = await readTarSource(path).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(LayerError);
      expect((error as Error).message).toBe(
        `"lib/evil.so": parent "lib" is a symlink (to "/usr/lib") in the same layer; refusing to go through it`,
      );
    }
    const broken = join(work, "broken.tar.gz");
    writeFileSync(broken, execFileSync("gzip", ["-c"], { input: evil }).subarray(0, 30));
    await expect(readTarSource(broken)).rejects.toThrow(LayerError);
  });
});
