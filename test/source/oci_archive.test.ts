// oci-archive:FILE[:TAG|@DIGEST] — tars of layouts made by GNU tar and by
// skopeo, read in place (also from a Blob, as a browser would), and broken.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ImageError } from "../../src/image/mod.ts";
import { blobRandomAccess } from "../../src/layers/tar/mod.ts";
import {
  archiveFileSet,
  openImageSource,
  openOciArchiveSource,
  openOciLayoutSource,
  parseSource,
  readOciLayout,
} from "../../src/source/mod.ts";
import { run } from "../support/system.ts";
import { blobPath, readStream, sha256, skopeo } from "../image/fixtures.ts";
import { useSourceLayouts } from "./layouts.ts";

const layouts = useSourceLayouts("oci2erofs-oci-archive-");
// Plain names for the shared layouts, once built.
let work: string;
let umoci: string;
let multi: string;
beforeAll(() => ({ work, umoci, multi } = layouts));

describe("oci-archive:", () => {
  it("reads a tar of a layout (GNU tar, ./ names) like the layout itself", async () => {
    const tar = join(work, "umoci.tar");
    await run("tar", ["-C", umoci, "-cf", tar, "."], { check: true });
    const fromDir = await openOciLayoutSource(`${umoci}:t2`);
    const fromTar = await openImageSource(parseSource(`oci-archive:${tar}:t2`));
    expect(fromTar.reference).toBe(`oci-archive:${tar}:t2`);
    expect(fromTar.digest).toBe(fromDir.digest);
    expect(fromTar.config).toEqual(fromDir.config);
    expect(fromTar.layers.map((l) => [l.descriptor, l.diffId])).toEqual(
      fromDir.layers.map((l) => [l.descriptor, l.diffId]),
    );
    for (const layer of fromTar.layers) {
      const bytes = await readStream(layer.open());
      expect(sha256(bytes)).toBe(layer.descriptor.digest);
      expect(Buffer.from(bytes).equals(readFileSync(blobPath(umoci, layer.descriptor.digest))))
        .toBe(true);
    }
  });

  it("reads skopeo's oci-archive, by tag, by digest and alone", async () => {
    const tar = join(work, "skopeo.tar");
    await skopeo("copy", `oci:${umoci}:t1`, `oci-archive:${tar}:nine`);
    const image = await openOciArchiveSource(`${tar}:nine`);
    expect(image.digest).toBe((await openOciLayoutSource(`${umoci}:t1`)).digest);
    expect((await openOciArchiveSource(tar)).digest).toBe(image.digest);
    expect((await openOciArchiveSource(`${tar}@${image.digest}`)).digest).toBe(image.digest);
    await expect(openOciArchiveSource(`${tar}:ten`)).rejects.toThrow('no image tagged "ten"');
    for (const layer of image.layers) {
      expect(sha256(await readStream(layer.open()))).toBe(layer.descriptor.digest);
    }
  });

  it("chooses the platform from a multi-platform archive", async () => {
    const tar = join(work, "multi.tar");
    await run("tar", ["-C", multi, "-cf", tar, "."], { check: true });
    const image = await openOciArchiveSource(`${tar}:multi`, { platform: "linux/arm64" });
    expect(image.platform).toEqual({ os: "linux", architecture: "arm64" });
    await expect(openOciArchiveSource(`${tar}:multi`, { platform: "linux/ppc64le" })).rejects
      .toThrow(
        "available: linux/amd64, linux/arm64/v8, linux/arm/v7",
      );
  });

  it("works on a Blob with Web APIs only (a browser File)", async () => {
    const tar = join(work, "blob.tar");
    await run("tar", ["-C", multi, "-cf", tar, "."], { check: true });
    const blob = new Blob([readFileSync(tar)]);
    const files = await archiveFileSet(
      "blob.tar",
      blobRandomAccess(blob),
      (offset, length) => blob.slice(offset, offset + length).stream(),
    );
    const image = await readOciLayout(files, {
      reference: "upload",
      tag: "multi",
      platform: "linux/arm/v7",
    });
    expect(image.platform).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    for (const layer of image.layers) {
      expect(sha256(await readStream(layer.open()))).toBe(layer.descriptor.digest);
    }
  });

  it("a corrupted blob inside the archive errors its stream; a missing archive or a non-layout is named", async () => {
    const tar = join(work, "corrupt.tar");
    await run("tar", ["-C", umoci, "-cf", tar, "."], { check: true });
    const image = await openOciArchiveSource(`${tar}:t1`);
    const layer = image.layers[1]!;
    const archive = readFileSync(tar);
    const blob = readFileSync(blobPath(umoci, layer.descriptor.digest));
    const at = archive.indexOf(blob);
    expect(at).toBeGreaterThan(0);
    archive[at + 100] = archive[at + 100]! ^ 1;
    writeFileSync(tar, archive);
    const error = await readStream(layer.open()).catch((e) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toMatch(new RegExp(`blob ${layer.descriptor.digest} has digest sha256:`));

    await expect(openOciArchiveSource(join(work, "absent.tar"))).rejects.toThrow(
      "absent.tar: no such file",
    );
    const plain = join(work, "plain.tar");
    await run("tar", ["-C", join(work, "scratch"), "-cf", plain, "."], { check: true });
    await expect(openOciArchiveSource(plain)).rejects.toThrow(
      `${plain} is not an OCI image layout`,
    );
  });

  it("file names with ':' work, with and without a tag", async () => {
    const tar = join(work, "a:b.tar");
    await run("tar", ["-C", umoci, "-cf", tar, "."], { check: true });
    expect((await openOciArchiveSource(`${tar}:t1`)).layers).toHaveLength(2);
    await expect(openOciArchiveSource(tar)).rejects.toThrow("holds 2 images");
  });
});
