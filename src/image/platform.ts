/**
 * Platforms (`os/architecture[/variant]`): parsing what users type,
 * normalising the many spellings (`aarch64`, `x86_64`, `armhf`…) to the OCI
 * names, and choosing an index entry for a wanted platform — exact match
 * first, then the nearest older variant a machine of the wanted kind runs
 * (an arm/v7 host runs v6 and v5 images), skipping attestations.
 *
 * @module
 */
import { ImageError } from "./errors.ts";
import type { Descriptor, Platform } from "./types.ts";

/**
 * What an image is built for when nobody says: `linux/amd64`.
 *
 * @example
 * ```ts
 * import { DEFAULT_PLATFORM, formatPlatform } from "./platform.ts";
 * formatPlatform(DEFAULT_PLATFORM); // "linux/amd64"
 * ```
 */
export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: "linux", architecture: "amd64" });

/** Architecture spellings (uname, Debian, Go) → OCI name, and the variant they imply. */
const ARCHITECTURES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  x86_64: { architecture: "amd64" },
  "x86-64": { architecture: "amd64" },
  amd64: { architecture: "amd64" },
  aarch64: { architecture: "arm64" },
  arm64: { architecture: "arm64" },
  armhf: { architecture: "arm", variant: "v7" },
  armel: { architecture: "arm", variant: "v6" },
  armv7l: { architecture: "arm", variant: "v7" },
  armv7: { architecture: "arm", variant: "v7" },
  armv6l: { architecture: "arm", variant: "v6" },
  armv6: { architecture: "arm", variant: "v6" },
  armv5tel: { architecture: "arm", variant: "v5" },
  armv5l: { architecture: "arm", variant: "v5" },
  armv5: { architecture: "arm", variant: "v5" },
  arm: { architecture: "arm", variant: "v7" },
  i386: { architecture: "386" },
  i486: { architecture: "386" },
  i586: { architecture: "386" },
  i686: { architecture: "386" },
  x86: { architecture: "386" },
  "386": { architecture: "386" },
};

/**
 * `platform` with OCI spellings: `aarch64` → `arm64`, `x86_64`/`x86-64` →
 * `amd64`, `armhf` → `arm/v7`, `armel` → `arm/v6`, bare `arm` → `arm/v7`,
 * `i386`/`i686` → `386`; variants as `vN` (`7` → `v7`); the variants that
 * only restate the baseline dropped (`arm64/v8` ≡ `arm64`, `amd64/v1` ≡
 * `amd64`). Everything is lowercased; `os.version`/`os.features` are kept.
 *
 * @example
 * ```ts
 * import { normalizePlatform } from "./platform.ts";
 * normalizePlatform({ os: "Linux", architecture: "aarch64", variant: "v8" });
 * // { os: "linux", architecture: "arm64" }
 * normalizePlatform({ os: "linux", architecture: "armhf" });
 * // { os: "linux", architecture: "arm", variant: "v7" }
 * ```
 */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const given = platform.architecture.toLowerCase();
  const known = ARCHITECTURES[given];
  const architecture = known?.architecture ?? given;
  let variant = platform.variant?.toLowerCase() || known?.variant;
  if (variant !== undefined && /^\d+$/.test(variant)) variant = `v${variant}`;
  if (
    (architecture === "arm64" && variant === "v8") || (architecture === "amd64" && variant === "v1")
  ) {
    variant = undefined;
  }
  return {
    os,
    architecture,
    ...(variant !== undefined && { variant }),
    ...(platform["os.version"] !== undefined && { "os.version": platform["os.version"] }),
    ...(platform["os.features"] !== undefined && { "os.features": platform["os.features"] }),
  };
}

/** OCI (Go) architecture names besides those {@link ARCHITECTURES} spells. */
const OCI_ARCHITECTURES = new Set([
  "ppc64le",
  "ppc64",
  "s390x",
  "riscv64",
  "mips64le",
  "mips64",
  "mipsle",
  "mips",
  "loong64",
  "wasm",
]);

/**
 * Parses `os/architecture[/variant]` (as `--platform` takes it) into a
 * normalised platform. A lone architecture (`arm64`) means Linux; any other
 * lone word (an OS, a typo) is refused rather than read as an architecture.
 *
 * @example
 * ```ts
 * import { parsePlatform } from "./platform.ts";
 * parsePlatform("linux/arm64/v8"); // { os: "linux", architecture: "arm64" }
 * parsePlatform("linux/arm/v6"); // { os: "linux", architecture: "arm", variant: "v6" }
 * parsePlatform("aarch64"); // { os: "linux", architecture: "arm64" }
 * ```
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split("/");
  const lone = parts.length === 1 ? parts[0]!.toLowerCase() : undefined;
  if (
    parts.length > 3 || parts.some((part) => !/^[A-Za-z0-9._-]+$/.test(part)) ||
    (lone !== undefined && !(lone in ARCHITECTURES) && !OCI_ARCHITECTURES.has(lone))
  ) {
    throw new ImageError(
      `invalid platform ${
        JSON.stringify(text)
      }: expected os/architecture[/variant], e.g. linux/arm64`,
    );
  }
  const [os, architecture, variant] = parts.length === 1 ? ["linux", parts[0]!] : parts;
  return normalizePlatform({
    os: os!,
    architecture: architecture!,
    ...(variant !== undefined && { variant }),
  });
}

/**
 * `os/architecture[/variant]`, as users write it.
 *
 * @example
 * ```ts
 * import { formatPlatform } from "./platform.ts";
 * formatPlatform({ os: "linux", architecture: "arm", variant: "v7" }); // "linux/arm/v7"
 * ```
 */
export function formatPlatform(platform: Platform): string {
  const { os, architecture, variant } = platform;
  return variant ? `${os}/${architecture}/${variant}` : `${os}/${architecture}`;
}

/**
 * Whether an index entry is an attestation (build provenance, SBOM) rather
 * than an image: BuildKit marks them with platform `unknown/unknown` and the
 * annotation `vnd.docker.reference.type: attestation-manifest`.
 *
 * @example
 * ```ts
 * import { isAttestation } from "./platform.ts";
 * isAttestation({
 *   mediaType: "application/vnd.oci.image.manifest.v1+json",
 *   digest: "sha256:…",
 *   size: 1,
 *   platform: { os: "unknown", architecture: "unknown" },
 * }); // true
 * ```
 */
export function isAttestation(descriptor: Descriptor): boolean {
  if (descriptor.annotations?.["vnd.docker.reference.type"] === "attestation-manifest") return true;
  return descriptor.platform?.os === "unknown" && descriptor.platform.architecture === "unknown";
}

/**
 * How old a variant is, for the architectures whose variants are ordered
 * (each level runs the images of the levels below it): arm v5…v8 and amd64
 * v1…v4 (`undefined` is v1 once normalised). Other architectures have none.
 */
function variantLevel(platform: Platform): number | undefined {
  if (platform.architecture === "arm" && platform.variant) return Number(platform.variant.slice(1));
  if (platform.architecture === "amd64") {
    return platform.variant ? Number(platform.variant.slice(1)) : 1;
  }
  return undefined;
}

/**
 * How well `candidate` suits `wanted` (both normalised): 0 for an exact
 * match, n for a variant n levels older, `undefined` for no match.
 */
function distance(candidate: Platform, wanted: Platform): number | undefined {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) {
    return undefined;
  }
  if (candidate.variant === wanted.variant) return 0;
  const have = variantLevel(candidate);
  const want = variantLevel(wanted);
  if (have === undefined || want === undefined || Number.isNaN(have) || Number.isNaN(want)) {
    return undefined;
  }
  return have < want ? want - have : undefined;
}

/**
 * Whether a machine of platform `host` runs images built for `image`: the
 * same os and architecture, and the same variant or an older one of an
 * ordered family (arm v5…v8, amd64 v1…v4). Both are normalised first.
 *
 * @example
 * ```ts
 * import { parsePlatform, platformRuns } from "./platform.ts";
 * platformRuns(parsePlatform("linux/arm/v7"), parsePlatform("linux/arm/v6")); // true
 * platformRuns(parsePlatform("linux/arm/v6"), parsePlatform("linux/arm/v7")); // false
 * platformRuns(parsePlatform("linux/arm64"), parsePlatform("linux/aarch64/v8")); // true
 * ```
 */
export function platformRuns(host: Platform, image: Platform): boolean {
  return distance(normalizePlatform(image), normalizePlatform(host)) !== undefined;
}

/**
 * Options of {@link selectPlatform}.
 *
 * @example
 * ```ts
 * import type { SelectPlatformOptions } from "./platform.ts";
 * const options: SelectPlatformOptions = { reference: "oci:./layout", digest: "sha256:…" };
 * ```
 */
export interface SelectPlatformOptions {
  /** The image, for the error's context. */
  reference?: string;
  /** The index the entries come from, for the error's context. */
  digest?: string;
}

/**
 * Picks the entry of an index for `wanted`: attestations (and entries with
 * no platform) are skipped; an exact match wins (the first, if several);
 * otherwise the nearest older variant (asking arm/v7 takes v6, else v5).
 * Throws {@link ImageError} listing the available platforms when nothing
 * matches.
 *
 * @example
 * ```ts
 * import { parsePlatform, selectPlatform } from "./platform.ts";
 * const entry = (architecture: string, variant?: string) => ({
 *   mediaType: "application/vnd.oci.image.manifest.v1+json",
 *   digest: "sha256:…",
 *   size: 1,
 *   platform: { os: "linux", architecture, ...(variant && { variant }) },
 * });
 * const chosen = selectPlatform([entry("amd64"), entry("arm64", "v8")], parsePlatform("linux/arm64"));
 * console.log(chosen.platform?.variant); // "v8"
 * ```
 */
export function selectPlatform(
  entries: readonly Descriptor[],
  wanted: Platform,
  options: SelectPlatformOptions = {},
): Descriptor {
  const target = normalizePlatform(wanted);
  let best: Descriptor | undefined;
  let bestDistance = Infinity;
  const available: string[] = [];
  for (const entry of entries) {
    if (isAttestation(entry) || !entry.platform) continue;
    available.push(formatPlatform(entry.platform));
    const d = distance(normalizePlatform(entry.platform), target);
    if (d !== undefined && d < bestDistance) {
      best = entry;
      bestDistance = d;
    }
  }
  if (best) return best;
  const list = available.length > 0 ? [...new Set(available)].join(", ") : "none";
  throw new ImageError(
    `no image for platform ${formatPlatform(target)}; available: ${list}`,
    options,
  );
}
