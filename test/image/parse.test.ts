// The image stage's parsers: digests, manifests (OCI and Docker, schema 1
// refused), configs, and the limits and messages around them.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  digestBytes,
  ImageError,
  MAX_MANIFEST_SIZE,
  MediaType,
  parseDigest,
  parseImageConfig,
  parseImageIndex,
  parseManifest,
  verifyDigest,
} from "../../src/image/mod.ts";

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const D = (c: string) => `sha256:${c.repeat(64)}`;
const layer = (c: string, size = 10) => ({ mediaType: MediaType.OciLayerGzip, digest: D(c), size });

describe("parseDigest", () => {
  it("accepts sha256 and sha512 with the right number of lowercase hex digits", () => {
    expect(parseDigest(D("a"))).toEqual({
      algorithm: "sha256",
      hex: "a".repeat(64),
      digest: D("a"),
    });
    expect(parseDigest(`sha512:${"0".repeat(128)}`).algorithm).toBe("sha512");
  });

  it("refuses everything else, saying why", () => {
    const bad: [string, string][] = [
      ["sha256:abc", "sha256 needs 64 lowercase hex digits"],
      [`sha256:${"A".repeat(64)}`, "sha256 needs 64 lowercase hex digits"],
      [`sha512:${"0".repeat(64)}`, "sha512 needs 128 lowercase hex digits"],
      [`sha256:${"g".repeat(64)}`, "sha256 needs 64"],
      [`md5:${"0".repeat(32)}`, 'unsupported digest algorithm "md5"'],
      ["0".repeat(64), "expected algorithm:hex"],
      [`:${"0".repeat(64)}`, "expected algorithm:hex"],
      [`sha256:../../${"0".repeat(58)}`, "sha256 needs 64"],
    ];
    for (const [text, message] of bad) {
      expect(() => parseDigest(text)).toThrow(ImageError);
      expect(() => parseDigest(text)).toThrow(message);
    }
  });
});

describe("digestBytes / verifyDigest", () => {
  const bytes = new TextEncoder().encode("hello");
  const hex = (algorithm: string) => createHash(algorithm).update(bytes).digest("hex");

  it("computes sha256 and sha512", async () => {
    expect(await digestBytes(bytes)).toBe(`sha256:${hex("sha256")}`);
    expect(await digestBytes(bytes, "sha512")).toBe(`sha512:${hex("sha512")}`);
  });

  it("accepts matching bytes and names both digests otherwise", async () => {
    await verifyDigest(bytes, `sha256:${hex("sha256")}`);
    await verifyDigest(bytes, `sha512:${hex("sha512")}`);
    const error = await verifyDigest(bytes, D("0"), { what: "manifest", reference: "oci:x" }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toBe(`oci:x: manifest ${D("0")} has digest sha256:${hex("sha256")}`);
    expect(error.digest).toBe(D("0"));
    expect(error.reference).toBe("oci:x");
  });
});

describe("parseManifest", () => {
  const ociManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: D("c"), size: 100 },
    layers: [layer("1"), { ...layer("2"), annotations: { a: "b" }, urls: ["https://x"] }],
    annotations: { "org.opencontainers.image.created": "2024" },
  };

  it("reads OCI manifests into typed records, dropping unknown fields", () => {
    const parsed = parseManifest(
      json({ ...ociManifest, extra: 1, config: { ...ociManifest.config, data: "e30=" } }),
    );
    expect(parsed).toEqual({
      kind: "manifest",
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: D("c"), size: 100 },
      layers: [layer("1"), { ...layer("2"), annotations: { a: "b" }, urls: ["https://x"] }],
      annotations: { "org.opencontainers.image.created": "2024" },
    });
  });

  it("reads OCI indexes and Docker manifest lists, with platforms", () => {
    const entry = {
      mediaType: MediaType.DockerManifest,
      digest: D("a"),
      size: 500,
      platform: { architecture: "arm", os: "linux", variant: "v7", "os.features": ["x"] },
    };
    const list = parseManifest(
      json({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [entry] }),
    );
    expect(list).toEqual({
      kind: "index",
      mediaType: MediaType.DockerManifestList,
      manifests: [entry],
    });
    const index = parseManifest(
      json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }),
    );
    expect(index.kind).toBe("index");
  });

  it("reads Docker schema 2 manifests", () => {
    const docker = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, digest: D("c"), size: 7 },
      layers: [{ mediaType: MediaType.DockerLayerGzip, digest: D("1"), size: 3 }],
    };
    const parsed = parseManifest(json(docker), { mediaType: MediaType.DockerManifest });
    expect(parsed.kind === "manifest" && parsed.layers[0]!.mediaType).toBe(
      MediaType.DockerLayerGzip,
    );
    expect(parsed.mediaType).toBe(MediaType.DockerManifest);
  });

  it("infers the kind of a document without mediaType from the referring type, then its shape", () => {
    const { mediaType: _, ...bare } = ociManifest;
    expect(parseManifest(json(bare)).kind).toBe("manifest");
    expect(parseManifest(json({ schemaVersion: 2, manifests: [] })).kind).toBe("index");
    expect(
      parseManifest(json({ schemaVersion: 2, manifests: [] }), { mediaType: MediaType.OciIndex })
        .mediaType,
    )
      .toBe(MediaType.OciIndex);
    expect(parseManifest(json(bare), { mediaType: `${MediaType.OciManifest}; charset=utf-8` }).kind)
      .toBe("manifest");
  });

  it("refuses schema 1 however it is recognised", () => {
    const v1 = {
      schemaVersion: 1,
      name: "library/alpine",
      tag: "latest",
      fsLayers: [],
      signatures: [],
    };
    expect(() => parseManifest(json(v1))).toThrow("schema 1 manifests are not supported");
    expect(() =>
      parseManifest(json({ ...v1, schemaVersion: 2, mediaType: MediaType.DockerManifestV1 }))
    )
      .toThrow("schema 1 manifests are not supported");
    expect(() =>
      parseManifest(json(v1), { mediaType: MediaType.DockerManifestV1Signed, digest: D("9") })
    )
      .toThrow(`manifest ${D("9")} schema 1 manifests are not supported`);
  });

  it("refuses a document that contradicts its descriptor's media type", () => {
    expect(() =>
      parseManifest(json(ociManifest), { mediaType: MediaType.OciIndex, digest: D("1") })
    ).toThrow(
      `manifest ${
        D("1")
      } says its mediaType is ${MediaType.OciManifest}, but was referred to as ${MediaType.OciIndex}`,
    );
  });

  it("refuses unknown media types, bad versions, bad JSON and oversized documents", () => {
    expect(() =>
      parseManifest(json({ ...ociManifest, mediaType: "application/vnd.cncf.helm.chart" }))
    )
      .toThrow(
        "has media type application/vnd.cncf.helm.chart, which is not an image manifest or index",
      );
    expect(() => parseManifest(json({ ...ociManifest, schemaVersion: 3 }))).toThrow(
      "has schemaVersion 3; only 2",
    );
    expect(() => parseManifest(json({ ...ociManifest, schemaVersion: undefined }))).toThrow(
      "has schemaVersion null",
    );
    expect(() => parseManifest(new TextEncoder().encode("{ nope"), { digest: D("b") }))
      .toThrow(`manifest ${D("b")} is not valid JSON`);
    expect(() => parseManifest(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow("is not valid JSON");
    expect(() => parseManifest(json([1, 2]))).toThrow("manifest must be an object, not an array");
    const padded = new TextEncoder().encode(
      JSON.stringify(ociManifest) + " ".repeat(MAX_MANIFEST_SIZE),
    );
    expect(() => parseManifest(padded)).toThrow(
      `is ${padded.length} bytes, more than the 4194304-byte limit`,
    );
  });

  it("names the JSON path of a malformed field", () => {
    const cases: [unknown, string][] = [
      [
        { ...ociManifest, layers: [layer("1"), { ...layer("2"), size: -1 }] },
        'field "layers[1].size" must be a non-negative integer',
      ],
      [
        { ...ociManifest, layers: [{ ...layer("1"), size: 1.5 }] },
        'field "layers[0].size" must be a non-negative integer',
      ],
      [
        { ...ociManifest, layers: [{ ...layer("1"), digest: "sha256:zz" }] },
        'field "layers[0].digest" is invalid',
      ],
      [
        { ...ociManifest, layers: [{ ...layer("1"), mediaType: undefined }] },
        'field "layers[0].mediaType" is missing',
      ],
      [{ ...ociManifest, config: undefined }, 'field "config" is missing'],
      [{ ...ociManifest, layers: {} }, 'field "layers" must be an array, not an object'],
      [{ ...ociManifest, layers: ["x"] }, 'field "layers[0]" must be an object, not string "x"'],
      [
        { ...ociManifest, annotations: { a: 1 } },
        'field "annotations.a" must be a string, not number 1',
      ],
      [
        { schemaVersion: 2, manifests: [{ ...layer("1"), platform: { os: "linux" } }] },
        'field "manifests[0].platform.architecture" is missing',
      ],
    ];
    for (const [value, message] of cases) expect(() => parseManifest(json(value))).toThrow(message);
  });

  it("parseImageIndex refuses a single manifest", () => {
    expect(() => parseImageIndex(json(ociManifest), { what: "index.json" }))
      .toThrow("index.json is an image manifest, not an index");
  });
});

describe("parseImageConfig", () => {
  const config = {
    architecture: "arm",
    os: "linux",
    variant: "v7",
    config: { Env: ["A=1"] },
    rootfs: { type: "layers", diff_ids: [D("1"), D("2")] },
  };

  it("keeps platform, diff_ids and the raw document", () => {
    const parsed = parseImageConfig(json(config), { layerCount: 2 });
    expect(parsed.architecture).toBe("arm");
    expect(parsed.variant).toBe("v7");
    expect(parsed.rootfs).toEqual({ type: "layers", diff_ids: [D("1"), D("2")] });
    expect((parsed.raw as typeof config).config.Env).toEqual(["A=1"]);
  });

  it("insists on rootfs.diff_ids, one per layer", () => {
    const digest = D("c");
    expect(() => parseImageConfig(json(config), { layerCount: 3, digest }))
      .toThrow(`config ${digest} lists 2 diff_ids, but the manifest has 3 layers`);
    expect(() => parseImageConfig(json({ ...config, rootfs: undefined }))).toThrow(
      'field "rootfs" is missing',
    );
    expect(() => parseImageConfig(json({ ...config, rootfs: { type: "layers" } })))
      .toThrow('field "rootfs.diff_ids" is missing');
    expect(() => parseImageConfig(json({ ...config, rootfs: { type: "zfs", diff_ids: [] } })))
      .toThrow('field "rootfs.type" is "zfs"; only "layers" is supported');
    expect(() =>
      parseImageConfig(json({ ...config, rootfs: { type: "layers", diff_ids: ["sha256:1"] } }))
    )
      .toThrow('field "rootfs.diff_ids" has an invalid entry at rootfs.diff_ids[0]');
    expect(() => parseImageConfig(json({ ...config, architecture: 64 }))).toThrow(
      'field "architecture" must be a string',
    );
    expect(() => parseImageConfig(json({ ...config, os: undefined }))).toThrow(
      'field "os" is missing',
    );
  });
});
