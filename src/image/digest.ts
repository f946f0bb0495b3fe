/**
 * Content digests (`algorithm:hex`): parsing them strictly, and computing and
 * checking them over whole small blobs (manifests, configs). Streamed blobs
 * are checked by {@link ./blob_stream.ts}.
 *
 * @module
 */
import { createSha256 } from "../runtime/hash.ts";
import { ImageError } from "./errors.ts";

/**
 * The digest algorithms the OCI image spec registers.
 *
 * @example
 * ```ts
 * import type { DigestAlgorithm } from "./digest.ts";
 * const algorithm: DigestAlgorithm = "sha256";
 * ```
 */
export type DigestAlgorithm = "sha256" | "sha512";

/** Hex digits each algorithm's digest has. */
const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

/**
 * A digest, split and validated.
 *
 * @example
 * ```ts
 * import { parseDigest, type ParsedDigest } from "./digest.ts";
 * const d: ParsedDigest = parseDigest("sha256:" + "a".repeat(64));
 * console.log(d.algorithm, d.hex.length); // sha256 64
 * ```
 */
export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  /** Lowercase hex, exactly as long as the algorithm's output. */
  readonly hex: string;
  /** `algorithm:hex`, the form used everywhere else. */
  readonly digest: string;
}

/**
 * Parses `algorithm:hex`. Only `sha256` (64 hex digits) and `sha512` (128)
 * are accepted, with lowercase hex as the spec requires: a digest is also a
 * file name in layouts (`blobs/<alg>/<hex>`), so anything looser would let a
 * manifest name paths it has no business naming.
 *
 * @example
 * ```ts
 * import { parseDigest } from "./digest.ts";
 * parseDigest("sha256:" + "0".repeat(64)).hex; // "000…0"
 * parseDigest("md5:abc"); // throws ImageError: unsupported digest algorithm "md5"
 * ```
 */
export function parseDigest(text: string): ParsedDigest {
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new ImageError(`invalid digest ${JSON.stringify(text)}: expected algorithm:hex`);
  }
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") {
    throw new ImageError(
      `invalid digest ${JSON.stringify(text)}: unsupported digest algorithm ${
        JSON.stringify(algorithm)
      } (sha256 and sha512 are)`,
    );
  }
  const length = HEX_LENGTH[algorithm];
  if (hex.length !== length || !/^[0-9a-f]*$/.test(hex)) {
    throw new ImageError(
      `invalid digest ${JSON.stringify(text)}: ${algorithm} needs ${length} lowercase hex digits`,
    );
  }
  return { algorithm, hex, digest: text };
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The digest of `bytes` as `algorithm:hex`. For small blobs: everything is
 * in memory at once.
 *
 * @example
 * ```ts
 * import { digestBytes } from "./digest.ts";
 * await digestBytes(new TextEncoder().encode("abc"));
 * // "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export async function digestBytes(
  bytes: Uint8Array,
  algorithm: DigestAlgorithm = "sha256",
): Promise<string> {
  if (algorithm === "sha256") return `sha256:${(await createSha256()).update(bytes).digestHex()}`;
  // No streaming SHA-512 exists in every runtime, but WebCrypto's one-shot
  // digest does, and small blobs are whole anyway.
  const digest = await crypto.subtle.digest("SHA-512", bytes as Uint8Array<ArrayBuffer>);
  return `sha512:${toHex(new Uint8Array(digest))}`;
}

/**
 * What {@link verifyDigest} names in its message, and the image it is about.
 *
 * @example
 * ```ts
 * import type { VerifyOptions } from "./digest.ts";
 * const options: VerifyOptions = { what: "manifest", reference: "oci:./layout" };
 * ```
 */
export interface VerifyOptions {
  /** What the bytes are: `"manifest"`, `"config"`… (default `"blob"`). */
  what?: string;
  /** For the error's context. */
  reference?: string;
}

/**
 * Checks that `bytes` hash to `digest`; throws {@link ImageError} naming
 * both digests otherwise.
 *
 * @example
 * ```ts
 * import { verifyDigest } from "./digest.ts";
 * const bytes = new TextEncoder().encode("abc");
 * await verifyDigest(bytes, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
 * ```
 */
export async function verifyDigest(
  bytes: Uint8Array,
  digest: string,
  options: VerifyOptions = {},
): Promise<void> {
  const expected = parseDigest(digest);
  const actual = await digestBytes(bytes, expected.algorithm);
  if (actual !== expected.digest) {
    throw new ImageError(`${options.what ?? "blob"} ${digest} has digest ${actual}`, {
      reference: options.reference,
      digest,
    });
  }
}
