// docker-archive:FILE[:REF] — skopeo's docker-archive, and hand-made
// `docker save` archives in the legacy (ID/layer.tar) and Docker 25
// (blobs/sha256) shapes, with compressed layers, symlinks, several images.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageError, MediaType } from "../../src/image/mod.ts";
import {
  openDockerArchiveSource,
  openImageSource,
  openOciLayoutSource,
  parseSource,
} from "../../src/source/mod.ts";
import { run } from "../support/system.ts";
import {
  blobPath,
  ensureImageTools,
  readStream,
  sha256,
  skopeo,
  tarOf,
  writeUmociLayout,
} from "../image/fixtures.ts";

let work: string;
let umoci: string;
let skopeoTar: string;

beforeAll(async () => {
  await ensureImageTools();
  work = mkdtempSync(join(tmpdir(), "oci2erofs-docker-archive-"));
  umoci = join(work, "umoci");
  await writeUmociLayout(umoci, join(work, "scratch"));
  skopeoTar = join(work, "skopeo.tar");
  await skopeo("copy", `oci:${umoci}:t1`, `docker-archive:${skopeoTar}:foo/bar:baz`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hex = (digest: string) => digest.slice(7);

interface SavedImage {
  tags: string[];
  config: object;
  /** Layer files: path in the archive → bytes. */
  layers: [string, Uint8Array][];
  /** Overrides the config file name (default `HEX.json`). */
  configName?: string;
}

/** Writes a `docker save`-shaped tar from images; `extra` adds files or symlinks. */
async function saveArchive(
  name: string,
  images: SavedImage[],
  extra: (dir: string) => void = () => {},
): Promise<string> {
  const dir = join(work, `${name}.d`);
  mkdirSync(dir, { recursive: true });
  const manifest = images.map((image) => {
    const configBytes = new TextEncoder().encode(JSON.stringify(image.config));
    const configName = image.configName ?? `${hex(sha256(configBytes))}.json`;
    writeFileSync(join(dir, configName), configBytes);
    for (const [path, bytes] of image.layers) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    }
    return { Config: configName, RepoTags: image.tags, Layers: image.layers.map(([path]) => path) };
  });
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  extra(dir);
  const tar = join(work, name);
  await run("tar", ["-C", dir, "-cf", tar, "."], { check: true });
  return tar;
}

function configFor(tars: Uint8Array[], architecture = "amd64") {
  return { architecture, os: "linux", rootfs: { type: "layers", diff_ids: tars.map(sha256) } };
}

describe("docker-archive: from skopeo", () => {
  it("gives the OCI image's config and diff IDs, with uncompressed layers", async () => {
    const oci = await openOciLayoutSource(`${umoci}:t1`);
    for (const ref of ["", ":foo/bar:baz", ":docker.io/foo/bar:baz", ":@0"]) {
      const image = await openImageSource(parseSource(`docker-archive:${skopeoTar}${ref}`));
      expect(image.reference).toBe(`docker-archive:${skopeoTar}${ref}`);
      expect(image.config.rootfs).toEqual(oci.config.rootfs);
      expect(image.platform).toEqual(oci.platform);
      expect(image.layers.map((l) => l.diffId)).toEqual(oci.layers.map((l) => l.diffId));
      // The archive has no registry manifest: the image is known by its config digest.
      expect(image.digest).toBe(
        JSON.parse(readFileSync(blobPath(umoci, oci.digest), "utf8")).config.digest,
      );
    }
    const image = await openDockerArchiveSource(skopeoTar);
    for (const [i, layer] of image.layers.entries()) {
      expect(layer.descriptor.mediaType).toBe(MediaType.OciLayer);
      expect(layer.descriptor.digest).toBe(layer.diffId);
      const bytes = await readStream(layer.open());
      expect(sha256(bytes)).toBe(layer.descriptor.digest);
      expect(bytes.length).toBe(layer.descriptor.size);
      const gzipped = readFileSync(blobPath(umoci, oci.layers[i]!.descriptor.digest));
      // Compared by hash: toEqual walks large arrays element by element.
      expect(sha256(bytes)).toBe(sha256(gunzipSync(gzipped)));
    }
  });

  it("names the images it has when asked for another", async () => {
    await expect(openDockerArchiveSource(`${skopeoTar}:foo/bar:qux`)).rejects.toThrow(
      'no image named "foo/bar:qux" in the archive (it has: docker.io/foo/bar:baz)',
    );
    await expect(openDockerArchiveSource(`${skopeoTar}:@1`)).rejects.toThrow(
      "holds 1 images, so it has no image @1",
    );
  });
});

describe("docker-archive: hand-made docker save archives", () => {
  const base = tarOf("etc/base", "base\n");
  const top = tarOf("etc/top", "top\n");

  it("legacy ID/layer.tar layers, several images, short and full names", async () => {
    const tar = await saveArchive("legacy.tar", [
      {
        tags: ["hello:latest"],
        config: configFor([base, top]),
        layers: [["aaa/layer.tar", base], ["bbb/layer.tar", top]],
      },
      {
        tags: ["example.com/other:1", "other:2"],
        config: configFor([base], "arm64"),
        layers: [["aaa/layer.tar", base]],
      },
    ]);
    await expect(openDockerArchiveSource(tar)).rejects.toThrow(
      "the archive holds 2 images; name one as FILE:NAME:TAG or FILE:@N (hello:latest; example.com/other:1, other:2)",
    );
    for (
      const ref of [
        "hello",
        "hello:latest",
        "docker.io/library/hello",
        "index.docker.io/library/hello:latest",
        "@0",
      ]
    ) {
      const image = await openDockerArchiveSource(`${tar}:${ref}`);
      expect(image.layers.map((l) => l.diffId), ref).toEqual([sha256(base), sha256(top)]);
    }
    const other = await openDockerArchiveSource(`${tar}:other:2`);
    expect(other.platform).toEqual({ os: "linux", architecture: "arm64" });
    expect((await openDockerArchiveSource(`${tar}:example.com/other:1`)).digest).toBe(other.digest);
    await expect(openDockerArchiveSource(`${tar}:other`)).rejects.toThrow('no image named "other"');
    for (const layer of other.layers) {
      expect(sha256(await readStream(layer.open()))).toBe(layer.diffId);
    }
  });

  it("compressed layers: gzip detected from the bytes, digest from the name or by hashing", async () => {
    const gzBase = gzipSync(base);
    const gzTop = gzipSync(top);
    const tar = await saveArchive("compressed.tar", [{
      tags: ["c:1"],
      config: configFor([base, top, top]),
      layers: [
        [`blobs/sha256/${hex(sha256(gzBase))}`, gzBase],
        ["ccc/layer.tar", gzTop],
        // Named by its diff ID, as skopeo names layers: not its digest once compressed.
        [`${hex(sha256(top))}.tar`, gzTop],
      ],
    }]);
    const image = await openDockerArchiveSource(tar);
    expect(image.layers.map((l) => l.descriptor)).toEqual([
      { mediaType: MediaType.OciLayerGzip, digest: sha256(gzBase), size: gzBase.length },
      { mediaType: MediaType.OciLayerGzip, digest: sha256(gzTop), size: gzTop.length },
      { mediaType: MediaType.OciLayerGzip, digest: sha256(gzTop), size: gzTop.length },
    ]);
    expect(image.layers.map((l) => l.diffId)).toEqual([sha256(base), sha256(top), sha256(top)]);
    for (const layer of image.layers) {
      expect(sha256(await readStream(layer.open()))).toBe(layer.descriptor.digest);
    }
  });

  it("follows symlinked legacy layer names to the stored blobs", async () => {
    const tar = await saveArchive("links.tar", [{
      tags: ["l:1"],
      config: configFor([base]),
      layers: [[`${hex(sha256(base))}.tar`, base]],
    }], (dir) => {
      mkdirSync(join(dir, "legacy"));
      symlinkSync(`../${hex(sha256(base))}.tar`, join(dir, "legacy", "layer.tar"));
      const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
      manifest[0].Layers = ["legacy/layer.tar"];
      writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    });
    const image = await openDockerArchiveSource(tar);
    expect(await readStream(image.layers[0]!.open())).toEqual(base);
  });

  it("corrupt layers error their stream; bad configs, missing files and platforms are refused", async () => {
    const good = await saveArchive("good.tar", [{
      tags: ["g:1"],
      config: configFor([base]),
      layers: [["l/layer.tar", base]],
    }]);
    const image = await openDockerArchiveSource(good);
    const archive = readFileSync(good);
    const at = archive.indexOf(base.subarray(512, 512 + 5)); // the data of the layer's member
    archive[at] = archive[at]! ^ 1;
    writeFileSync(good, archive);
    const error = await readStream(image.layers[0]!.open()).catch((e) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toMatch(new RegExp(`blob ${sha256(base)} has digest sha256:`));

    const misnamed = await saveArchive("misnamed.tar", [{
      tags: ["m:1"],
      config: configFor([base]),
      layers: [["l/layer.tar", base]],
      configName: `${"0".repeat(64)}.json`,
    }]);
    await expect(openDockerArchiveSource(misnamed)).rejects.toThrow(
      `config sha256:${"0".repeat(64)} has digest sha256:`,
    );

    const counted = await saveArchive("counted.tar", [{
      tags: ["n:1"],
      config: configFor([base, top]),
      layers: [["l/layer.tar", base]],
    }]);
    await expect(openDockerArchiveSource(counted)).rejects.toThrow(
      "lists 2 diff_ids, but the manifest has 1 layers",
    );

    const missing = await saveArchive("missing.tar", [{
      tags: ["x:1"],
      config: configFor([base]),
      layers: [["l/layer.tar", base]],
    }], (dir) => rmSync(join(dir, "l"), { recursive: true }));
    await expect(openDockerArchiveSource(missing)).rejects.toThrow(
      "layer file l/layer.tar is missing",
    );

    const arm = await saveArchive("arm.tar", [{
      tags: ["a:1"],
      config: configFor([base], "arm64"),
      layers: [["l/layer.tar", base]],
    }]);
    expect((await openDockerArchiveSource(arm)).platform.architecture).toBe("arm64");
    expect(
      (await openDockerArchiveSource(arm, { platform: "linux/aarch64" })).platform.architecture,
    ).toBe("arm64");
    await expect(openDockerArchiveSource(arm, { platform: "linux/amd64" })).rejects.toThrow(
      "is for linux/arm64, not linux/amd64",
    );

    const notSaved = join(work, "plain.tar");
    await run("tar", ["-C", join(work, "scratch"), "-cf", notSaved, "."], { check: true });
    await expect(openDockerArchiveSource(notSaved)).rejects.toThrow(
      "is not a docker save archive (it has no manifest.json)",
    );
    await expect(openDockerArchiveSource(join(work, "absent.tar:x:1"))).rejects.toThrow(
      "no such file",
    );

    const badJson = await saveArchive(
      "badjson.tar",
      [],
      (dir) => writeFileSync(join(dir, "manifest.json"), '{"Config":1}'),
    );
    await expect(openDockerArchiveSource(badJson)).rejects.toThrow(
      "manifest.json must be an array of images",
    );
  });

  it("file names with ':' and references with ':' and '/'", async () => {
    const tar = await saveArchive("we:ird.tar", [{
      tags: ["registry.local:5000/team/app:v2"],
      config: configFor([base]),
      layers: [["l/layer.tar", base]],
    }]);
    expect((await openDockerArchiveSource(tar)).layers).toHaveLength(1);
    expect((await openDockerArchiveSource(`${tar}:registry.local:5000/team/app:v2`)).layers)
      .toHaveLength(1);
    await expect(openDockerArchiveSource(`${tar}:registry.local:5000/team/app`)).rejects.toThrow(
      "no image named",
    );
  });
});
