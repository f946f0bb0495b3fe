// Verified blob streams, and resolving manifests to images over an in-memory
// blob store: every way a blob can fail to be what its descriptor says.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type BlobStore,
  type Descriptor,
  ImageError,
  MediaType,
  readVerifiedBlob,
  resolveImage,
  verifiedBlobStream,
} from "../../src/image/mod.ts";
import { streamOf } from "../layers/tar/craft.ts";

const encoder = new TextEncoder();
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** `bytes` as a stream of 3-byte chunks (digest checks across chunk edges). */
const chunks = (bytes: Uint8Array, size = 3) => streamOf(bytes, size);

/** Reads a stream, collecting the chunks received before it ended or failed. */
async function drain(
  stream: ReadableStream<Uint8Array>,
): Promise<{ received: number; error?: ImageError }> {
  const reader = stream.getReader();
  let received = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return { received };
      received += value.length;
    }
  } catch (error) {
    return { received, error: error as ImageError };
  }
}

describe("verifiedBlobStream", () => {
  const bytes = encoder.encode("0123456789");
  const descriptor: Descriptor = { mediaType: MediaType.OciLayer, digest: sha256(bytes), size: 10 };

  it("passes a correct blob through unchanged, in any chunking", async () => {
    for (const size of [1, 3, 10, 64]) {
      const out = new Uint8Array(
        await new Response(verifiedBlobStream(chunks(bytes, size), descriptor)).arrayBuffer(),
      );
      expect(out).toEqual(bytes);
    }
  });

  it("errors at the end for a digest mismatch, naming both digests", async () => {
    const other = encoder.encode("0123456780");
    const { received, error } = await drain(
      verifiedBlobStream(chunks(other), descriptor, { reference: "oci:x" }),
    );
    expect(received).toBe(10);
    expect(error).toBeInstanceOf(ImageError);
    expect(error!.message).toBe(`oci:x: blob ${descriptor.digest} has digest ${sha256(other)}`);
    expect(error!.digest).toBe(descriptor.digest);
  });

  it("errors for a short blob", async () => {
    const { error } = await drain(verifiedBlobStream(chunks(bytes.slice(0, 7)), descriptor));
    expect(error!.message).toBe(`blob ${descriptor.digest} is 7 bytes, expected 10`);
  });

  it("errors as soon as a long blob passes its size, without passing the excess on", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(4));
      },
    });
    const { received, error } = await drain(verifiedBlobStream(endless, descriptor));
    expect(received).toBe(8);
    expect(error!.message).toBe(`blob ${descriptor.digest} is at least 12 bytes, expected 10`);
    expect(pulled).toBeLessThan(10);
  });

  it("refuses sha512 blobs, and invalid digests, at once", () => {
    expect(() =>
      verifiedBlobStream(chunks(bytes), { ...descriptor, digest: `sha512:${"0".repeat(128)}` })
    )
      .toThrow("verifying sha512 blobs while streaming is not supported yet");
    expect(() => verifiedBlobStream(chunks(bytes), { ...descriptor, digest: "sha256:0" })).toThrow(
      ImageError,
    );
  });

  it("stops on abort", async () => {
    const controller = new AbortController();
    const stream = verifiedBlobStream(
      new ReadableStream({ pull: () => new Promise(() => {}) }),
      descriptor,
      {
        signal: controller.signal,
      },
    );
    const reading = drain(stream);
    controller.abort(new Error("stop"));
    expect((await reading).error?.message).toBe("stop");
  });
});

/** Blobs in memory; `stat` can be left out to act like a registry. */
class MemoryStore implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>();
  opened: string[] = [];

  put(mediaType: string, bytes: Uint8Array, extra: Partial<Descriptor> = {}): Descriptor {
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length, ...extra };
  }

  json(mediaType: string, value: unknown, extra: Partial<Descriptor> = {}): Descriptor {
    return this.put(mediaType, encoder.encode(JSON.stringify(value)), extra);
  }

  open(descriptor: Descriptor): ReadableStream<Uint8Array> {
    this.opened.push(descriptor.digest);
    const bytes = this.blobs.get(descriptor.digest);
    if (!bytes) {
      return new ReadableStream({
        start: (c) => c.error(new Error(`no blob ${descriptor.digest}`)),
      });
    }
    return chunks(bytes, 1000);
  }

  stat(descriptor: Descriptor): Promise<number | undefined> {
    return Promise.resolve(this.blobs.get(descriptor.digest)?.length);
  }
}

function image(
  store: MemoryStore,
  architecture: string,
  variant?: string,
  layerTexts = ["a", "b"],
) {
  const layers = layerTexts.map((text) =>
    store.put(MediaType.OciLayer, encoder.encode(`${text}-${architecture}`))
  );
  const config = store.json(MediaType.OciConfig, {
    architecture,
    os: "linux",
    ...(variant && { variant }),
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
  });
  const manifest = store.json(MediaType.OciManifest, {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers,
  }, {
    platform: { os: "linux", architecture, ...(variant && { variant }) },
  });
  return { manifest, config, layers };
}

describe("resolveImage", () => {
  it("descends a (nested) index to the platform's manifest and verifies every layer read", async () => {
    const store = new MemoryStore();
    const amd64 = image(store, "amd64");
    const arm64 = image(store, "arm64", "v8");
    const inner = store.json(MediaType.OciIndex, {
      schemaVersion: 2,
      manifests: [amd64.manifest, arm64.manifest],
    });
    const outer = store.json(MediaType.OciIndex, { schemaVersion: 2, manifests: [inner] });
    const result = await resolveImage(store, outer, {
      reference: "test:multi",
      platform: "linux/arm64",
    });
    expect(result.digest).toBe(arm64.manifest.digest);
    expect(result.platform).toEqual({ os: "linux", architecture: "arm64" });
    expect(result.reference).toBe("test:multi");
    expect(result.layers.map((l) => l.descriptor)).toEqual(arm64.layers);
    expect(result.layers.map((l) => l.diffId)).toEqual(arm64.layers.map((l) => l.digest));
    for (const layer of result.layers) {
      for (let i = 0; i < 2; i++) {
        const bytes = new Uint8Array(await new Response(layer.open()).arrayBuffer());
        expect(sha256(bytes)).toBe(layer.descriptor.digest);
      }
    }
    const fallback = await resolveImage(store, outer, { reference: "test:multi" });
    expect(fallback.digest).toBe(amd64.manifest.digest);
  });

  it("a layer whose blob changes after resolving errors when read", async () => {
    const store = new MemoryStore();
    const { manifest, layers } = image(store, "amd64");
    const result = await resolveImage(store, manifest, { reference: "r" });
    store.blobs.set(layers[1]!.digest, encoder.encode("b-amd6X"));
    const { error } = await drain(result.layers[1]!.open());
    expect(error!.message).toMatch(new RegExp(`^r: blob ${layers[1]!.digest} has digest sha256:`));
  });

  it("checks manifests and configs against their descriptors before parsing them", async () => {
    const store = new MemoryStore();
    const { manifest, config } = image(store, "amd64");
    // Same size, other bytes.
    const original = store.blobs.get(manifest.digest)!;
    store.blobs.set(
      manifest.digest,
      encoder.encode(
        new TextDecoder().decode(original).replace('"schemaVersion":2', '"schemaVersion":3'),
      ),
    );
    await expect(resolveImage(store, manifest, { reference: "r" })).rejects.toThrow(
      new RegExp(`^r: manifest ${manifest.digest} has digest sha256:[0-9a-f]{64}$`),
    );
    store.blobs.set(manifest.digest, original);
    await expect(resolveImage(store, { ...manifest, size: manifest.size + 1 }, { reference: "r" }))
      .rejects.toThrow(
        `manifest ${manifest.digest} is ${manifest.size} bytes, expected ${manifest.size + 1}`,
      );
    store.blobs.delete(config.digest);
    await expect(resolveImage(store, manifest, { reference: "r" })).rejects.toThrow(
      `r: config ${config.digest} is missing`,
    );
  });

  it("without stat (a registry), size problems surface while reading", async () => {
    const store = new MemoryStore();
    const { manifest } = image(store, "amd64");
    const noStat: BlobStore = { open: (d) => store.open(d) };
    await expect(
      readVerifiedBlob(noStat, { ...manifest, size: manifest.size - 1 }, { what: "manifest" }),
    )
      .rejects.toThrow(
        `manifest ${manifest.digest} is at least ${manifest.size} bytes, expected ${
          manifest.size - 1
        }`,
      );
    await expect(
      readVerifiedBlob(noStat, { ...manifest, size: manifest.size + 5 }, { what: "manifest" }),
    )
      .rejects.toThrow(
        `manifest ${manifest.digest} is ${manifest.size} bytes, expected ${manifest.size + 5}`,
      );
    await expect(
      readVerifiedBlob(noStat, { ...manifest, digest: `sha256:${"1".repeat(64)}` }, {
        what: "manifest",
      }),
    )
      .rejects.toThrow(`manifest sha256:${"1".repeat(64)} cannot be read: no blob`);
  });

  it("refuses an oversized manifest before reading it", async () => {
    const store = new MemoryStore();
    const descriptor = {
      mediaType: MediaType.OciManifest,
      digest: sha256(new Uint8Array(1)),
      size: 5 << 20,
    };
    await expect(resolveImage(store, descriptor, { reference: "r" })).rejects.toThrow(
      `manifest ${descriptor.digest} is 5242880 bytes, more than the 4194304-byte limit`,
    );
    expect(store.opened).toEqual([]);
  });

  it("refuses missing and wrongly sized layers when the image is opened", async () => {
    const store = new MemoryStore();
    const { manifest, layers } = image(store, "amd64");
    store.blobs.set(layers[0]!.digest, encoder.encode("short"));
    await expect(resolveImage(store, manifest, { reference: "r" })).rejects.toThrow(
      `blob ${layers[0]!.digest} is 5 bytes, expected ${layers[0]!.size}`,
    );
    store.blobs.delete(layers[0]!.digest);
    await expect(resolveImage(store, manifest, { reference: "r" })).rejects.toThrow(
      `layer blob ${layers[0]!.digest} is missing`,
    );
  });

  it("refuses artifacts, foreign layer types, diff_id count mismatches and nesting loops", async () => {
    const store = new MemoryStore();
    const layer = store.put(MediaType.OciLayer, encoder.encode("x"));
    const helmConfig = store.json("application/vnd.cncf.helm.config.v1+json", {});
    const helm = store.json(MediaType.OciManifest, {
      schemaVersion: 2,
      config: helmConfig,
      layers: [layer],
    });
    await expect(resolveImage(store, helm, { reference: "r" })).rejects.toThrow(
      `manifest ${helm.digest} is not a container image: its config is application/vnd.cncf.helm.config.v1+json`,
    );
    const config = store.json(MediaType.OciConfig, {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [layer.digest] },
    });
    const sbom = store.put("application/spdx+json", encoder.encode("{}"));
    const odd = store.json(MediaType.OciManifest, { schemaVersion: 2, config, layers: [sbom] });
    await expect(resolveImage(store, odd, { reference: "r" })).rejects.toThrow(
      `layer ${sbom.digest} has media type application/spdx+json, which is not a file-system layer`,
    );
    const two = store.json(MediaType.OciManifest, {
      schemaVersion: 2,
      config,
      layers: [layer, layer],
    });
    await expect(resolveImage(store, two, { reference: "r" })).rejects.toThrow(
      "lists 1 diff_ids, but the manifest has 2 layers",
    );
    // An index that lists itself cannot be written (its digest would change),
    // but a deep chain can.
    let top = store.json(MediaType.OciManifest, { schemaVersion: 2, config, layers: [layer] }, {
      platform: { os: "linux", architecture: "amd64" },
    });
    for (let i = 0; i < 6; i++) {
      top = store.json(MediaType.OciIndex, { schemaVersion: 2, manifests: [top] }, {
        platform: { os: "linux", architecture: "amd64" },
      });
    }
    await expect(resolveImage(store, top, { reference: "r" })).rejects.toThrow(
      "indexes nest more than 4 deep",
    );
  });

  it("an explicit platform must suit a single-platform image; the default need not", async () => {
    const store = new MemoryStore();
    const { manifest } = image(store, "arm", "v6");
    expect((await resolveImage(store, manifest, { reference: "r" })).platform).toEqual({
      os: "linux",
      architecture: "arm",
      variant: "v6",
    });
    expect(
      (await resolveImage(store, manifest, { reference: "r", platform: "linux/arm/v7" })).digest,
    ).toBe(manifest.digest);
    await expect(resolveImage(store, manifest, { reference: "r", platform: "linux/arm64" })).rejects
      .toThrow(
        `image ${manifest.digest} is for linux/arm/v6, not linux/arm64`,
      );
  });

  it("lists the platforms an index has when none fits", async () => {
    const store = new MemoryStore();
    const index = store.json(MediaType.DockerManifestList, {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifestList,
      manifests: [image(store, "amd64").manifest, image(store, "arm", "v7").manifest],
    });
    const error = await resolveImage(store, index, { reference: "r", platform: "linux/riscv64" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error.message).toBe(
      "r: no image for platform linux/riscv64; available: linux/amd64, linux/arm/v7",
    );
  });
});
