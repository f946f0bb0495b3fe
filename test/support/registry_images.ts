/**
 * Putting images into a test registry: {@link pushImage} copies any image
 * reference skopeo understands with `skopeo copy`, {@link pushExampleBusybox}
 * pushes the repository's bundled `examples/busybox` OCI layout, and
 * {@link pushMultiPlatform} builds and pushes a small multi-platform index
 * (linux/amd64, linux/arm64/v8, linux/arm/v7) made by
 * {@link buildMultiPlatformLayout}. Every push reports the manifest digest the
 * registry stored, so tests can fetch by digest.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Credentials } from "./registry.ts";
import { ensureCommands, run } from "./system.ts";

/** Where to push: a `RegistryHandle` from `registry.ts`, or anything with a host and credentials. */
export interface PushTarget {
  /** `HOST:PORT` of the registry (or of a proxy in front of it). */
  host: string;
  /** Credentials for `--dest-creds`, if the registry needs them. */
  credentials?: Credentials;
}

/** Options for {@link pushImage}. */
export interface PushOptions {
  /** Manifest format to write (`--format`); default: the source's. */
  format?: "oci" | "v2s2";
  /** Copy every image of an index (`--all`), not just the host platform's. */
  all?: boolean;
  /** Push to this host instead of the target's (e.g. a fault proxy in front). */
  host?: string;
}

/** What a push stored. */
export interface PushResult {
  /** The full destination reference, `HOST/repo:tag`. */
  reference: string;
  /** Digest of the top-level manifest (or index) the registry stored. */
  digest: string;
}

/** Absolute path of the repository's bundled single-platform example OCI layout. */
export const EXAMPLE_BUSYBOX_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../examples/busybox",
);

/**
 * Copies `source` (any skopeo reference, e.g. `oci:/dir:tag`) to
 * `destination` (`repo:tag` or `repo@digest`) on `target` with
 * `skopeo copy --dest-tls-verify=false`, and returns the stored digest
 * (read from `--digestfile`).
 */
export async function pushImage(
  target: PushTarget,
  source: string,
  destination: string,
  options: PushOptions = {},
): Promise<PushResult> {
  await ensureCommands({ skopeo: "skopeo" });
  const reference = `${options.host ?? target.host}/${destination}`;
  const scratch = await mkdtemp(join(tmpdir(), "oci2erofs-push-"));
  try {
    const digestFile = join(scratch, "digest");
    const args = ["copy", "--quiet", "--dest-tls-verify=false", "--digestfile", digestFile];
    // Without explicit credentials skopeo would read the user's auth files.
    if (target.credentials) {
      args.push("--dest-creds", `${target.credentials.username}:${target.credentials.password}`);
    } else args.push("--dest-no-creds");
    if (options.format) args.push("--format", options.format);
    if (options.all) args.push("--all");
    args.push(source, `docker://${reference}`);
    await run("skopeo", args, { check: true });
    return { reference, digest: (await readFile(digestFile, "utf8")).trim() };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Pushes `examples/busybox` (tag `latest`) to `repo:latest` on `target`.
 *
 * @example
 * ```ts
 * const { digest } = await pushExampleBusybox(registry, "library/busybox");
 * ```
 */
export async function pushExampleBusybox(
  target: PushTarget,
  repo = "library/busybox",
  options: PushOptions = {},
): Promise<PushResult> {
  return await pushImage(target, `oci:${EXAMPLE_BUSYBOX_DIR}:latest`, `${repo}:latest`, options);
}

/** An OCI platform description. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** One image of a built multi-platform layout. */
export interface PlatformImage {
  platform: Platform;
  /** Digest of the image manifest. */
  manifestDigest: string;
  /** Digest of the image config. */
  configDigest: string;
  /** Digest of the single layer (a gzip-compressed tar). */
  layerDigest: string;
  /** Digest of the uncompressed tar (the config's `diff_ids` entry). */
  diffId: string;
  /** The content of `/platform.txt` in the layer, e.g. `linux/arm/v7\n`. */
  marker: string;
}

/** A multi-platform OCI layout built by {@link buildMultiPlatformLayout}. */
export interface MultiPlatformLayout {
  /** The layout directory. */
  dir: string;
  /** Tag of the index in `index.json`. */
  tag: string;
  /** Digest of the image index. */
  indexDigest: string;
  /** The images, in index order. */
  images: PlatformImage[];
}

/** The platforms {@link buildMultiPlatformLayout} builds by default. */
export const DEFAULT_PLATFORMS: readonly Platform[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64", variant: "v8" },
  { os: "linux", architecture: "arm", variant: "v7" },
];

const platformName = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

/**
 * Builds an OCI layout in `dir` whose tag `tag` is an image index with one
 * tiny image per platform. Each image's only layer is a gzip-compressed tar
 * (made by GNU tar) holding `/platform.txt` with the platform's name, so a
 * test can tell which image it converted. The layers are compressed because
 * skopeo gzips uncompressed layers on push, which would change every digest.
 */
export async function buildMultiPlatformLayout(
  dir: string,
  tag = "latest",
  platforms: readonly Platform[] = DEFAULT_PLATFORMS,
): Promise<MultiPlatformLayout> {
  await ensureCommands({ tar: "tar" });
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const putBlob = async (data: Uint8Array): Promise<{ digest: string; size: number }> => {
    const hex = createHash("sha256").update(data).digest("hex");
    await writeFile(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };

  const images: PlatformImage[] = [];
  const descriptors: unknown[] = [];
  for (const platform of platforms) {
    const marker = `${platformName(platform)}\n`;
    const src = await mkdtemp(join(tmpdir(), "oci2erofs-layer-"));
    let tar: Uint8Array;
    try {
      await writeFile(join(src, "platform.txt"), marker);
      // ustar (no pax headers), fixed owner, mode and mtime: the same
      // platform always gives the same digests.
      const result = await run("tar", [
        "--create",
        "--format=ustar",
        "--numeric-owner",
        "--owner=0",
        "--group=0",
        "--mtime=@0",
        "--mode=0644",
        "-C",
        src,
        "platform.txt",
      ], { check: true });
      tar = result.stdoutBytes;
    } finally {
      await rm(src, { recursive: true, force: true });
    }
    const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
    // node:zlib writes mtime 0 and a fixed OS byte, so this is reproducible too.
    const layer = await putBlob(gzipSync(tar));
    const config = await putBlob(Buffer.from(JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Cmd: ["/bin/sh"] },
      rootfs: { type: "layers", diff_ids: [diffId] },
    })));
    const manifest = await putBlob(Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    })));
    images.push({
      platform,
      manifestDigest: manifest.digest,
      configDigest: config.digest,
      layerDigest: layer.digest,
      diffId,
      marker,
    });
    descriptors.push({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...manifest,
      platform,
    });
  }
  const index = await putBlob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: descriptors,
  })));
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        mediaType: "application/vnd.oci.image.index.v1+json",
        ...index,
        annotations: { "org.opencontainers.image.ref.name": tag },
      }],
    }),
  );
  return { dir, tag, indexDigest: index.digest, images };
}

/** What {@link pushMultiPlatform} pushed. */
export interface MultiPlatformPush extends PushResult {
  /** Digest of the index as built, before the push. */
  indexDigest: string;
  /** The images of the index, with their digests. */
  images: PlatformImage[];
}

/**
 * Builds a multi-platform layout in a temp directory and pushes it with
 * `skopeo copy --all` to `destination` (`repo:tag`). The returned `digest`
 * is the index digest as stored, equal to the layout's unless `format`
 * makes skopeo convert the manifests.
 */
export async function pushMultiPlatform(
  target: PushTarget,
  destination = "test/multi:latest",
  options: Omit<PushOptions, "all"> = {},
): Promise<MultiPlatformPush> {
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-multi-"));
  try {
    const layout = await buildMultiPlatformLayout(dir);
    const pushed = await pushImage(target, `oci:${dir}:${layout.tag}`, destination, {
      ...options,
      all: true,
    });
    return { ...pushed, indexDigest: layout.indexDigest, images: layout.images };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
