// oci:DIR[:TAG|@DIGEST] — layouts written by umoci and skopeo, a hand-written
// multi-platform layout (platform choice cross-checked with skopeo), and
// every way a layout can be broken.
import {
  appendFileSync,
  cpSync,
  readFileSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Image, ImageError, MediaType } from "../../src/image/mod.ts";
import { openImageSource, openOciLayoutSource, parseSource } from "../../src/source/mod.ts";
import {
  blobPath,
  flipByte,
  indexEntry,
  initLayout,
  MULTI_PLATFORMS,
  readStream,
  sha256,
  skopeo,
  writeBlob,
  writeImage,
  writeIndex,
  writeJsonBlob,
} from "../image/fixtures.ts";
import { type SourceLayouts, useSourceLayouts } from "./layouts.ts";

const layouts = useSourceLayouts("oci2erofs-oci-");
// Plain names for the shared layouts, once built.
let work: string;
let umoci: string;
let multi: string;
let multiImages: SourceLayouts["multiImages"];
beforeAll(() => ({ work, umoci, multi, multiImages } = layouts));

/** A fresh copy of a layout to break. */
let copies = 0;
function copyOf(layout: string): string {
  const dir = join(work, `copy-${copies++}`);
  cpSync(layout, dir, { recursive: true });
  return dir;
}

async function expectLayersVerify(image: Image): Promise<void> {
  for (const layer of image.layers) {
    const bytes = await readStream(layer.open());
    expect(bytes.length).toBe(layer.descriptor.size);
    expect(sha256(bytes)).toBe(layer.descriptor.digest);
  }
}

describe("oci: layouts written by umoci", () => {
  it("opens a tag: manifest, config and verified layers, as skopeo sees them", async () => {
    const image = await openImageSource(parseSource(`oci:${umoci}:t1`));
    expect(image.reference).toBe(`oci:${umoci}:t1`);
    const { stdout } = await skopeo(
      "manifest-digest",
      blobPath(umoci, indexEntry(umoci, "t1").digest),
    );
    expect(image.digest).toBe(stdout.trim());
    expect(image.platform).toEqual({ os: "linux", architecture: "amd64" });
    expect(image.layers).toHaveLength(2);
    const manifest = JSON.parse(readFileSync(blobPath(umoci, image.digest), "utf8"));
    expect(image.layers.map((l) => l.descriptor.digest)).toEqual(
      manifest.layers.map((l: { digest: string }) => l.digest),
    );
    const config = JSON.parse(readFileSync(blobPath(umoci, manifest.config.digest), "utf8"));
    expect(image.layers.map((l) => l.diffId)).toEqual(config.rootfs.diff_ids);
    expect(image.config.rootfs.diff_ids).toEqual(config.rootfs.diff_ids);
    expect(image.layers[0]!.descriptor.mediaType).toBe(MediaType.OciLayerGzip);
    await expectLayersVerify(image);
    await expectLayersVerify(image); // open() again: read twice
  });

  it("selects by tag or digest, and asks for one when several images are tagged", async () => {
    const t1 = await openOciLayoutSource(`${umoci}:t1`);
    const t2 = await openOciLayoutSource(`${umoci}:t2`);
    expect(t2.digest).toBe(t1.digest);
    const byDigest = await openOciLayoutSource(`${umoci}@${t1.digest}`);
    expect(byDigest.digest).toBe(t1.digest);
    expect(byDigest.reference).toBe(`oci:${umoci}@${t1.digest}`);
    await expect(openOciLayoutSource(umoci)).rejects.toThrow(
      `holds 2 images; name one as PATH:TAG or PATH@DIGEST (images: t1, t2)`,
    );
    await expect(openOciLayoutSource(`${umoci}:t3`)).rejects.toThrow(
      `no image tagged "t3" in ${umoci}; images: t1, t2`,
    );
    const missing = `sha256:${"0".repeat(64)}`;
    await expect(openOciLayoutSource(`${umoci}@${missing}`)).rejects.toThrow(
      `no manifest ${missing} in ${umoci}`,
    );
    await expect(openOciLayoutSource(`${umoci}@sha256:abc`)).rejects.toThrow(
      "sha256 needs 64 lowercase hex digits",
    );
  });

  it("takes the only image when no tag is given (skopeo's layout)", async () => {
    const single = join(work, "skopeo-single");
    await skopeo("copy", `oci:${umoci}:t1`, `oci:${single}:only`);
    const image = await openOciLayoutSource(single);
    expect(image.digest).toBe((await openOciLayoutSource(`${umoci}:t1`)).digest);
    await expectLayersVerify(image);
  });

  it("handles paths containing ':'", async () => {
    const colon = join(work, "a:b");
    cpSync(umoci, colon, { recursive: true });
    const t1 = await openOciLayoutSource(`${colon}:t1`);
    expect(t1.reference).toBe(`oci:${colon}:t1`);
    // "b" looks like a tag, but WORK/a is no layout while WORK/a:b is.
    await expect(openOciLayoutSource(colon)).rejects.toThrow("holds 2 images");
  });
});

describe("oci: multi-platform index", () => {
  it("chooses the platform: arm64 takes arm64/v8, amd64 by default, arm/v7, attestation skipped", async () => {
    const [amd64, arm64, armv7] = multiImages.images;
    const pick = async (platform?: string) =>
      (await openOciLayoutSource(`${multi}:multi`, platform === undefined ? {} : { platform }))
        .digest;
    expect(await pick()).toBe(amd64!.manifest.digest);
    expect(await pick("linux/arm64")).toBe(arm64!.manifest.digest);
    expect(await pick("linux/aarch64")).toBe(arm64!.manifest.digest);
    expect(await pick("linux/arm/v7")).toBe(armv7!.manifest.digest);
    expect(await pick("linux/arm/v8")).toBe(armv7!.manifest.digest);
    const image = await openOciLayoutSource(`${multi}:multi`, { platform: "linux/arm64/v8" });
    expect(image.platform).toEqual({ os: "linux", architecture: "arm64" });
    expect(image.config.variant).toBe("v8");
    expect(image.layers.map((l) => l.diffId)).toEqual(arm64!.diffIds);
    await expectLayersVerify(image);
  });

  it("agrees with skopeo's choice", async () => {
    const [amd64, arm64, armv7] = multiImages.images;
    const cases: [string[], string][] = [
      [["--override-arch", "arm64"], arm64!.manifest.digest],
      [["--override-arch", "amd64"], amd64!.manifest.digest],
      [["--override-arch", "arm", "--override-variant", "v7"], armv7!.manifest.digest],
    ];
    for (const [flags, digest] of cases) {
      const out = join(work, `skopeo-choice-${flags.join("")}`);
      await skopeo(...flags, "copy", `oci:${multi}:multi`, `oci:${out}:x`);
      expect(indexEntry(out, "x").digest).toBe(digest);
      const platform = `linux/${flags[1]}${flags[3] ? `/${flags[3]}` : ""}`;
      expect((await openOciLayoutSource(`${multi}:multi`, { platform })).digest).toBe(digest);
    }
  });

  it("lists the platforms it has when none fits", async () => {
    const error = await openOciLayoutSource(`${multi}:multi`, { platform: "linux/s390x" }).catch((
      e,
    ) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toBe(
      `oci:${multi}:multi: no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8, linux/arm/v7`,
    );
    expect(error.digest).toBe(multiImages.index.digest);
    await expect(openOciLayoutSource(`${multi}:multi`, { platform: "linux/arm/v6" })).rejects
      .toThrow(
        "no image for platform linux/arm/v6",
      );
  });

  it("selects a platform's manifest by digest, though index.json does not list it", async () => {
    const arm = multiImages.images[2]!.manifest.digest;
    const image = await openOciLayoutSource(`${multi}@${arm}`);
    expect(image.digest).toBe(arm);
    expect(image.platform).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
  });

  it("an index.json listing one manifest per platform, unnamed, is itself the index", async () => {
    const flat = join(work, "flat");
    initLayout(flat);
    const images = MULTI_PLATFORMS.map((platform) => writeImage(flat, platform));
    writeIndex(flat, images.map((image) => image.manifest));
    expect((await openOciLayoutSource(flat, { platform: "linux/arm64" })).digest).toBe(
      images[1]!.manifest.digest,
    );
    expect((await openOciLayoutSource(flat)).digest).toBe(images[0]!.manifest.digest);
    // Tagged the same per platform (as containerd exports do): the tag, then the platform.
    const tag = { "org.opencontainers.image.ref.name": "v1" };
    writeIndex(flat, images.map((image) => ({ ...image.manifest, annotations: tag })));
    expect((await openOciLayoutSource(`${flat}:v1`, { platform: "linux/arm/v7" })).digest).toBe(
      images[2]!.manifest.digest,
    );
  });
});

describe("oci: broken layouts", () => {
  it("a flipped byte in a layer blob errors the layer's stream, naming the digest", async () => {
    const dir = copyOf(multi);
    const image = await openOciLayoutSource(`${dir}:multi`);
    const layer = image.layers[1]!;
    flipByte(blobPath(dir, layer.descriptor.digest));
    const error = await readStream(layer.open()).catch((e) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toMatch(
      new RegExp(`^oci:.*: blob ${layer.descriptor.digest} has digest sha256:[0-9a-f]{64}$`),
    );
    expect(error.digest).toBe(layer.descriptor.digest);
    // The untouched layer still reads.
    await expectLayersVerify({ ...image, layers: [image.layers[0]!] });
  });

  it("a truncated or extended layer blob is refused on opening, and errors a stream opened before", async () => {
    const dir = copyOf(multi);
    const image = await openOciLayoutSource(`${dir}:multi`);
    const { digest, size } = image.layers[0]!.descriptor;
    truncateSync(blobPath(dir, digest), size - 10);
    await expect(readStream(image.layers[0]!.open())).rejects.toThrow(
      `blob ${digest} is ${size - 10} bytes, expected ${size}`,
    );
    await expect(openOciLayoutSource(`${dir}:multi`)).rejects.toThrow(
      `blob ${digest} is ${size - 10} bytes, expected ${size}`,
    );
    const other = image.layers[1]!.descriptor;
    appendFileSync(blobPath(dir, other.digest), "trailing");
    await expect(readStream(image.layers[1]!.open())).rejects.toThrow(
      `blob ${other.digest} is at least`,
    );
  });

  it("a missing layer, config or manifest blob is named", async () => {
    const dir = copyOf(multi);
    const [amd64] = multiImages.images;
    unlinkSync(blobPath(dir, amd64!.layers[0]!.digest));
    await expect(openOciLayoutSource(`${dir}:multi`)).rejects.toThrow(
      `layer blob ${amd64!.layers[0]!.digest} is missing`,
    );
    unlinkSync(blobPath(dir, amd64!.config.digest));
    await expect(openOciLayoutSource(`${dir}:multi`)).rejects.toThrow(
      `config ${amd64!.config.digest} is missing`,
    );
    unlinkSync(blobPath(dir, amd64!.manifest.digest));
    await expect(openOciLayoutSource(`${dir}:multi`)).rejects.toThrow(
      `manifest ${amd64!.manifest.digest} is missing`,
    );
  });

  it("a manifest or config whose bytes do not match its digest is refused", async () => {
    const dir = copyOf(multi);
    const [amd64] = multiImages.images;
    flipByte(blobPath(dir, amd64!.config.digest), 0);
    await expect(openOciLayoutSource(`${dir}:multi`)).rejects.toThrow(
      new RegExp(`config ${amd64!.config.digest} has digest sha256:[0-9a-f]{64}$`),
    );
    flipByte(blobPath(dir, multiImages.index.digest), 3);
    await expect(openOciLayoutSource(`${dir}:multi`)).rejects.toThrow(
      new RegExp(`manifest ${multiImages.index.digest} has digest sha256:`),
    );
  });

  it("bad JSON, an oversized manifest and schema 1 are refused with clear messages", async () => {
    const dir = join(work, "bad");
    initLayout(dir);
    const bad = writeBlob(
      dir,
      MediaType.OciManifest,
      new TextEncoder().encode('{"schemaVersion": 2, "layers": ['),
    );
    writeIndex(dir, [{ ...bad, annotations: { "org.opencontainers.image.ref.name": "bad" } }]);
    await expect(openOciLayoutSource(`${dir}:bad`)).rejects.toThrow(
      `oci:${dir}:bad: manifest ${bad.digest} is not valid JSON`,
    );

    const huge = writeBlob(
      dir,
      MediaType.OciManifest,
      new TextEncoder().encode(`{"schemaVersion":2${" ".repeat(5 << 20)}}`),
    );
    writeIndex(dir, [huge]);
    await expect(openOciLayoutSource(dir)).rejects.toThrow(
      `manifest ${huge.digest} is ${huge.size} bytes, more than the 4194304-byte limit`,
    );

    const v1 = writeJsonBlob(dir, MediaType.DockerManifestV1Signed, {
      schemaVersion: 1,
      name: "library/hello",
      tag: "latest",
      architecture: "amd64",
      fsLayers: [],
      history: [],
      signatures: [],
    });
    writeIndex(dir, [v1]);
    await expect(openOciLayoutSource(dir)).rejects.toThrow("schema 1 manifests are not supported");

    writeFileSync(join(dir, "index.json"), "{ not json");
    await expect(openOciLayoutSource(dir)).rejects.toThrow(
      `oci:${dir}: index.json is not valid JSON`,
    );
    writeIndex(dir, []);
    await expect(openOciLayoutSource(dir)).rejects.toThrow("holds no images");
  });

  it("refuses directories that are not layouts, and unknown layout versions", async () => {
    const dir = join(work, "not-a-layout");
    cpSync(multi, dir, { recursive: true });
    unlinkSync(join(dir, "oci-layout"));
    await expect(openOciLayoutSource(dir)).rejects.toThrow(
      `${dir} is not an OCI image layout (it has no oci-layout file)`,
    );
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}');
    await expect(openOciLayoutSource(dir)).rejects.toThrow(
      'unsupported OCI layout version "2.0.0"',
    );
    await expect(openOciLayoutSource(join(work, "nowhere"))).rejects.toThrow(
      "is not an OCI image layout",
    );
  });
});
