/**
 * What a `/build` request asks for, validated before any upstream request:
 * the image reference, the platform, the compression, and the registry
 * credentials carried as `Authorization: Basic` (decoded here, handed to
 * the registry client, never logged).
 *
 * @module
 */
import { ErofsError } from "../erofs/errors.ts";
import { type CompressionOptions, resolveCompression } from "../erofs/options.ts";
import { ImageError } from "../image/errors.ts";
import { parsePlatform } from "../image/platform.ts";
import type { Credentials } from "../registry/auth/mod.ts";
import { InvalidReferenceError, parseReference } from "../reference/mod.ts";
import type { ImageReference } from "../reference/reference.ts";

/**
 * A request parameter that is missing or malformed (answered 400).
 *
 * @example
 * ```ts
 * import { BadRequest } from "./params.ts";
 * throw new BadRequest("image is required");
 * ```
 */
export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadRequest";
  }
}

/**
 * A validated `/build` request.
 *
 * @example
 * ```ts
 * import type { BuildParams } from "./params.ts";
 * const show = (p: BuildParams) => `${p.reference} for ${p.platform ?? "linux/amd64"}`;
 * ```
 */
export interface BuildParams {
  /** The image as parsed (Docker Hub names normalised). */
  reference: ImageReference;
  /** The reference as given, for the source. */
  image: string;
  /** `os/arch[/variant]` as given, if any. */
  platform: string | undefined;
  /** Compression (`z=ALGORITHM[,LEVEL]`: lz4, lz4hc, deflate), if any. */
  compression: CompressionOptions | undefined;
  /** Credentials from `Authorization: Basic`, if sent. */
  credentials: Credentials | undefined;
}

const PARAMS = new Set(["image", "platform", "z"]);

/**
 * Parses and checks a `/build` request's query and `Authorization`; throws
 * {@link BadRequest}.
 *
 * @example
 * ```ts
 * import { parseBuildRequest } from "./params.ts";
 * const params = parseBuildRequest(new Request("https://edge.example/build?image=alpine&platform=linux/arm64"));
 * console.log(params.reference.toString(), params.platform); // docker.io/library/alpine:latest linux/arm64
 * ```
 */
export function parseBuildRequest(request: Request): BuildParams {
  const query = new URL(request.url).searchParams;
  for (const name of query.keys()) {
    if (!PARAMS.has(name)) throw new BadRequest(`unknown parameter ${JSON.stringify(name)}`);
  }
  for (const name of PARAMS) {
    if (query.getAll(name).length > 1) throw new BadRequest(`${name} given more than once`);
  }
  const image = query.get("image")?.replace(/^docker:\/\//, "") ?? "";
  if (image === "") throw new BadRequest("image is required (?image=REFERENCE)");
  let reference: ImageReference;
  try {
    reference = parseReference(image);
  } catch (error) {
    if (error instanceof InvalidReferenceError) throw new BadRequest(error.message);
    throw error;
  }
  const platform = query.get("platform") ?? undefined;
  if (platform !== undefined) {
    try {
      parsePlatform(platform);
    } catch (error) {
      if (error instanceof ImageError) throw new BadRequest(error.message);
      throw error;
    }
  }
  const z = query.get("z") ?? "";
  const compression = z === "" || z === "none" ? undefined : parseCompression(z);
  return {
    reference,
    image,
    platform,
    compression,
    credentials: basicCredentials(request.headers.get("authorization")),
  };
}

/** `ALGORITHM[,LEVEL]` (as `mkfs.erofs -z` spells it) as checked compression options. */
function parseCompression(z: string): CompressionOptions {
  const match = /^([a-z0-9]+)(?:,(?:level=)?(\d{1,4}))?$/.exec(z);
  if (!match) throw new BadRequest(`invalid z ${JSON.stringify(z)}: expected ALGORITHM[,LEVEL]`);
  const options = {
    algorithm: match[1],
    ...(match[2] === undefined ? {} : { level: Number(match[2]) }),
  } as CompressionOptions;
  try {
    resolveCompression(options, 4096);
  } catch (error) {
    if (error instanceof ErofsError) throw new BadRequest(error.message);
    throw error;
  }
  return options;
}

/** `Authorization: Basic base64(user:password)` as credentials (UTF-8), or undefined. */
function basicCredentials(header: string | null): Credentials | undefined {
  if (header === null) return undefined;
  const match = /^basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!match) throw new BadRequest("Authorization must be Basic (registry username and password)");
  let text: string;
  try {
    const binary = atob(match[1]);
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    throw new BadRequest("Authorization: malformed Basic credentials");
  }
  const colon = text.indexOf(":");
  if (colon <= 0) throw new BadRequest("Authorization: malformed Basic credentials");
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * A download file name for the image: `repo-tag[-platform].erofs`, with
 * anything but `[A-Za-z0-9._-]` replaced.
 *
 * @example
 * ```ts
 * import { parseReference } from "../reference/mod.ts";
 * import { imageFileName } from "./params.ts";
 * console.log(imageFileName(parseReference("ghcr.io/o/app:1.2"), "linux/arm64")); // app-1.2-linux-arm64.erofs
 * ```
 */
export function imageFileName(reference: ImageReference, platform: string | undefined): string {
  const name = reference.repository.split("/").pop() ?? "image";
  const version = reference.digest
    ? reference.digest.replace(/^sha256:/, "").slice(0, 12)
    : reference.tag ?? "latest";
  const parts = [name, version, ...(platform ? [platform.replaceAll("/", "-")] : [])];
  return `${parts.join("-").replace(/[^A-Za-z0-9._-]/g, "_")}.erofs`;
}
