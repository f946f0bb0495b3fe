/**
 * Test images made at test time: OCI layouts written by Debian's `umoci`,
 * and hand-written ones (blobs, manifests, indexes from our own JSON and
 * tar) for what the tools will not make — a multi-platform index with an
 * attestation, corrupt or oversized blobs, schema 1 manifests.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Descriptor, Platform } from "../../src/image/types.ts";
import { archive, member } from "../layers/tar/craft.ts";
import { ensureCommands, run } from "../support/system.ts";

const encoder = new TextEncoder();

/** `sha256:hex` of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Everything a stream yields, concatenated. */
export async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The tools the layout tests drive, with their Debian packages. */
export async function ensureImageTools(): Promise<void> {
  await ensureCommands({ skopeo: "skopeo", umoci: "umoci" });
}

/** `skopeo` without a policy file (a fresh machine may lack /etc/containers/policy.json). */
export function skopeo(...args: string[]) {
  return run("skopeo", ["--insecure-policy", ...args], { check: true });
}

/** An empty OCI layout at `dir` (oci-layout and an index.json with no manifests). */
export function initLayout(dir: string): void {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeIndex(dir, []);
}

/** Writes `bytes` as a blob of the layout; returns its descriptor. */
export function writeBlob(
  dir: string,
  mediaType: string,
  bytes: Uint8Array,
  extra: Partial<Descriptor> = {},
): Descriptor {
  const digest = sha256(bytes);
  writeFileSync(join(dir, "blobs", "sha256", digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length, ...extra };
}

/** Writes a JSON document as a blob; returns its descriptor. */
export function writeJsonBlob(
  dir: string,
  mediaType: string,
  value: unknown,
  extra: Partial<Descriptor> = {},
): Descriptor {
  return writeBlob(dir, mediaType, encoder.encode(JSON.stringify(value)), extra);
}

/** Replaces the layout's index.json. */
export function writeIndex(dir: string, manifests: Descriptor[]): void {
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
}

/** The path of a blob of the layout. */
export function blobPath(dir: string, digest: string): string {
  return join(
    dir,
    "blobs",
    digest.slice(0, digest.indexOf(":")),
    digest.slice(digest.indexOf(":") + 1),
  );
}

/** A tar holding one file `name` with `text`. */
export function tarOf(name: string, text: string): Uint8Array {
  return archive(member({ name, mtime: 1_700_000_000 }, encoder.encode(text)));
}

/** One image of a hand-written layout. */
export interface CraftedImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: string[];
}

/**
 * Writes an image with one gzip layer per entry of `files` (a file named
 * `platform` holding `text`), its config and its manifest; returns their
 * descriptors. `platform` goes into the config and the manifest descriptor.
 */
export function writeImage(
  dir: string,
  platform: Platform,
  texts: string[] = ["base", "top"],
): CraftedImage {
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const text of texts) {
    const tar = tarOf(text, `${text} for ${platform.architecture}${platform.variant ?? ""}\n`);
    diffIds.push(sha256(tar));
    layers.push(writeBlob(dir, "application/vnd.oci.image.layer.v1.tar+gzip", gzipSync(tar)));
  }
  const config = writeJsonBlob(dir, "application/vnd.oci.image.config.v1+json", {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant && { variant: platform.variant }),
    config: { Env: ["PATH=/usr/bin:/bin"] },
    rootfs: { type: "layers", diff_ids: diffIds },
  });
  const manifest = writeJsonBlob(dir, "application/vnd.oci.image.manifest.v1+json", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config,
    layers,
  }, { platform });
  return { manifest, config, layers, diffIds };
}

/** The platforms of {@link writeMultiPlatformLayout}, in index order. */
export const MULTI_PLATFORMS: Platform[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64", variant: "v8" },
  { os: "linux", architecture: "arm", variant: "v7" },
];

/**
 * A layout whose index.json names one image index, `multi`, holding
 * linux/amd64, linux/arm64/v8 and linux/arm/v7 images and a BuildKit-style
 * attestation manifest (platform unknown/unknown).
 */
export function writeMultiPlatformLayout(
  dir: string,
): { index: Descriptor; images: CraftedImage[] } {
  initLayout(dir);
  const images = MULTI_PLATFORMS.map((platform) => writeImage(dir, platform));
  const statement = writeBlob(
    dir,
    "application/vnd.in-toto+json",
    encoder.encode('{"_type":"https://in-toto.io/Statement/v0.1"}'),
  );
  const attestationConfig = writeJsonBlob(dir, "application/vnd.oci.image.config.v1+json", {
    architecture: "unknown",
    os: "unknown",
    rootfs: { type: "layers", diff_ids: [statement.digest] },
  });
  const attestation = writeJsonBlob(dir, "application/vnd.oci.image.manifest.v1+json", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: attestationConfig,
    layers: [statement],
  }, {
    platform: { os: "unknown", architecture: "unknown" },
    annotations: {
      "vnd.docker.reference.type": "attestation-manifest",
      "vnd.docker.reference.digest": images[0]!.manifest.digest,
    },
  });
  const index = writeJsonBlob(dir, "application/vnd.oci.image.index.v1+json", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [...images.map((image) => image.manifest), attestation],
  }, { annotations: { "org.opencontainers.image.ref.name": "multi" } });
  writeIndex(dir, [index]);
  return { index, images };
}

/**
 * A layout made by umoci: image `t1` with two layers (`/etc/hello`, then
 * `/usr/share/doc/readme` and a 300 KiB file), and `t2` a second tag of it.
 */
export async function writeUmociLayout(dir: string, scratch: string): Promise<void> {
  await run("umoci", ["init", "--layout", dir], { check: true });
  await run("umoci", ["new", "--image", `${dir}:t1`], { check: true });
  const etc = join(scratch, "etc");
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, "hello"), "hello from umoci\n");
  await run("umoci", ["insert", "--image", `${dir}:t1`, etc, "/etc"], { check: true });
  const doc = join(scratch, "doc");
  mkdirSync(doc, { recursive: true });
  writeFileSync(join(doc, "readme"), "read me\n");
  writeFileSync(join(doc, "big"), new Uint8Array(300 * 1024).map((_, i) => (i * 7919) % 251));
  await run("umoci", ["insert", "--image", `${dir}:t1`, doc, "/usr/share/doc"], { check: true });
  await run("umoci", ["tag", "--image", `${dir}:t1`, "t2"], { check: true });
}

/** The descriptor index.json of `dir` gives for `tag`. */
export function indexEntry(dir: string, tag: string): Descriptor {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
    manifests: Descriptor[];
  };
  const entry = index.manifests.find((m) =>
    m.annotations?.["org.opencontainers.image.ref.name"] === tag
  );
  if (!entry) throw new Error(`no ${tag} in ${dir}`);
  return entry;
}

/** Flips one byte of a file in place (at `offset`, default the middle). */
export function flipByte(path: string, offset?: number): void {
  const bytes = readFileSync(path);
  const at = offset ?? bytes.length >> 1;
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(path, bytes);
}
