/**
 * The JSON half of a hand-made OCI image layout: given gzip layer blobs
 * already in `blobs/sha256/`, writes the config, the manifest, `oci-layout`
 * and `index.json` (tagged `latest`). Used by the benchmarks and tests that
 * generate images without any container tool.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
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

/**
 * Makes an OCI layout at `dir` whose gzip layers are the given directories,
 * bottom first, with GNU tar (sorted names, owner 0:0, `tarFlags` added) and
 * `gzip -n`; returns the layers' total uncompressed size.
 *
 * @example
 * ```ts
 * import { writeDirectoryLayout } from "./oci_index.ts";
 * const bytes = writeDirectoryLayout("/tmp/layout", ["/tmp/l1", "/tmp/l2"], { gzipLevel: 1 });
 * ```
 */
export function writeDirectoryLayout(
  dir: string,
  layerDirs: readonly string[],
  options: { gzipLevel?: number; tarFlags?: string } = {},
): number {
  const sh = (script: string) => execFileSync("sh", ["-euc", script], { encoding: "utf8" }).trim();
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const layers: LayoutLayer[] = [];
  let uncompressed = 0;
  for (const [i, layerDir] of layerDirs.entries()) {
    const tar = join(dir, `layer${i}.tar`);
    const gz = `${tar}.gz`;
    sh(
      `tar -C '${layerDir}' --sort=name --owner=0 --group=0 --numeric-owner ${
        options.tarFlags ?? ""
      } -cf '${tar}' .`,
    );
    uncompressed += statSync(tar).size;
    const diffId = sh(`sha256sum '${tar}' | cut -d' ' -f1`);
    sh(`gzip -${options.gzipLevel ?? 6} -n -c '${tar}' > '${gz}' && rm '${tar}'`);
    const digest = sh(`sha256sum '${gz}' | cut -d' ' -f1`);
    sh(`mv '${gz}' '${join(blobs, digest)}'`);
    layers.push({
      digest: `sha256:${digest}`,
      size: statSync(join(blobs, digest)).size,
      diffId: `sha256:${diffId}`,
    });
  }
  writeOciIndex(dir, layers);
  return uncompressed;
}
