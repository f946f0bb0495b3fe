/**
 * The JSON half of a hand-made OCI image layout: given gzip layer blobs
 * already in `blobs/sha256/`, writes the config, the manifest, `oci-layout`
 * and `index.json` (tagged `latest`). Used by the benchmarks and tests that
 * generate images without any container tool.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A gzip layer blob in the layout: its blob digest and size, and its tar's digest. */
export interface LayoutLayer {
  /** `sha256:…` of the gzip blob. */
  digest: string;
  size: number;
  /** `sha256:…` of the uncompressed tar. */
  diffId: string;
}

/**
 * Writes config, manifest, `oci-layout` and `index.json` for `layers`
 * (bottom first) into the layout at `dir`; returns the manifest's descriptor.
 *
 * @example
 * ```ts
 * import { writeOciIndex } from "./oci_index.ts";
 * writeOciIndex("/tmp/layout", [{ digest: "sha256:…", size: 123, diffId: "sha256:…" }]);
 * ```
 */
export function writeOciIndex(
  dir: string,
  layers: readonly LayoutLayer[],
): { digest: string; size: number } {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const blob = (text: string) => {
    const hex = createHash("sha256").update(text).digest("hex");
    writeFileSync(join(blobs, hex), text);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(text) };
  };
  const config = blob(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
  }));
  const manifest = blob(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  }));
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        annotations: { "org.opencontainers.image.ref.name": "latest" },
      }],
    }),
  );
  return manifest;
}
