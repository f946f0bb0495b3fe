// Platforms: parsing, the spellings normalised, and choosing an index entry.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PLATFORM,
  type Descriptor,
  formatPlatform,
  ImageError,
  isAttestation,
  normalizePlatform,
  parsePlatform,
  type Platform,
  platformRuns,
  selectPlatform,
} from "../../src/image/mod.ts";

let serial = 0;
function entry(platform: Platform | undefined, annotations?: Record<string, string>): Descriptor {
  serial++;
  return {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${serial.toString(16).padStart(64, "0")}`,
    size: serial,
    ...(platform && { platform }),
    ...(annotations && { annotations }),
  };
}
const linux = (architecture: string, variant?: string): Platform => ({
  os: "linux",
  architecture,
  ...(variant && { variant }),
});

describe("parsePlatform and normalizePlatform", () => {
  it("normalises the common spellings", () => {
    const cases: [string, string][] = [
      ["linux/arm64/v8", "linux/arm64"],
      ["linux/arm64", "linux/arm64"],
      ["linux/aarch64", "linux/arm64"],
      ["Linux/AARCH64/V8", "linux/arm64"],
      ["linux/x86_64", "linux/amd64"],
      ["linux/x86-64", "linux/amd64"],
      ["linux/amd64/v1", "linux/amd64"],
      ["linux/amd64/v3", "linux/amd64/v3"],
      ["linux/armhf", "linux/arm/v7"],
      ["linux/armel", "linux/arm/v6"],
      ["linux/arm", "linux/arm/v7"],
      ["linux/arm/7", "linux/arm/v7"],
      ["linux/arm/v5", "linux/arm/v5"],
      ["linux/armv7l", "linux/arm/v7"],
      ["linux/i386", "linux/386"],
      ["linux/i686", "linux/386"],
      ["linux/386", "linux/386"],
      ["linux/ppc64le", "linux/ppc64le"],
      ["linux/s390x", "linux/s390x"],
      ["windows/amd64", "windows/amd64"],
      ["arm64", "linux/arm64"],
      ["x86_64", "linux/amd64"],
      ["riscv64", "linux/riscv64"],
    ];
    for (const [text, normal] of cases) {
      expect(formatPlatform(parsePlatform(text)), text).toBe(normal);
    }
  });

  it("refuses malformed platforms", () => {
    for (
      const bad of ["", "linux/", "/amd64", "linux//v7", "a/b/c/d", "x", "linux", "linux/amd 64"]
    ) {
      expect(() => parsePlatform(bad), bad).toThrow(ImageError);
    }
    expect(() => parsePlatform("linux/arm/v7/x")).toThrow("expected os/architecture[/variant]");
  });

  it("keeps os.version and os.features", () => {
    const platform = normalizePlatform({
      os: "windows",
      architecture: "AMD64",
      "os.version": "10.0.17763.1",
      "os.features": ["win32k"],
    });
    expect(platform).toEqual({
      os: "windows",
      architecture: "amd64",
      "os.version": "10.0.17763.1",
      "os.features": ["win32k"],
    });
  });

  it("defaults to linux/amd64", () => {
    expect(formatPlatform(DEFAULT_PLATFORM)).toBe("linux/amd64");
  });
});

describe("selectPlatform", () => {
  const amd64 = entry(linux("amd64"));
  const arm64 = entry(linux("arm64", "v8"));
  const armv7 = entry(linux("arm", "v7"));
  const armv6 = entry(linux("arm", "v6"));
  const armv5 = entry(linux("arm", "v5"));
  const attestation = entry({ os: "unknown", architecture: "unknown" }, {
    "vnd.docker.reference.type": "attestation-manifest",
  });

  it("takes the exact match, whatever the spelling", () => {
    const entries = [attestation, amd64, arm64, armv7, armv6];
    expect(selectPlatform(entries, parsePlatform("linux/arm64"))).toBe(arm64);
    expect(selectPlatform(entries, { os: "linux", architecture: "aarch64" })).toBe(arm64);
    expect(selectPlatform(entries, DEFAULT_PLATFORM)).toBe(amd64);
    expect(selectPlatform(entries, parsePlatform("linux/x86_64"))).toBe(amd64);
    expect(selectPlatform(entries, parsePlatform("linux/arm/v6"))).toBe(armv6);
    expect(selectPlatform(entries, parsePlatform("linux/armhf"))).toBe(armv7);
    // arm64 images written without a variant still match arm64/v8.
    const bare = entry(linux("arm64"));
    expect(selectPlatform([amd64, bare], parsePlatform("linux/arm64/v8"))).toBe(bare);
  });

  it("prefers an exact match over an older variant listed first", () => {
    expect(selectPlatform([armv6, armv7], parsePlatform("linux/arm/v7"))).toBe(armv7);
  });

  it("falls back to the nearest older arm variant, never to a newer one", () => {
    expect(selectPlatform([amd64, armv5, armv6], parsePlatform("linux/arm/v7"))).toBe(armv6);
    expect(selectPlatform([amd64, armv5], parsePlatform("linux/arm/v7"))).toBe(armv5);
    expect(selectPlatform([armv7, armv6], parsePlatform("linux/arm/v8"))).toBe(armv7);
    expect(() => selectPlatform([armv7], parsePlatform("linux/arm/v6"))).toThrow(
      "no image for platform linux/arm/v6; available: linux/arm/v7",
    );
  });

  it("skips attestations and entries without a platform, and lists what is available", () => {
    const untitled = entry(undefined);
    const unknown = entry({ os: "unknown", architecture: "unknown" });
    const error = (() => {
      try {
        selectPlatform(
          [attestation, unknown, untitled, amd64, arm64, armv7, armv7],
          parsePlatform("linux/s390x"),
          {
            reference: "oci:x",
            digest: amd64.digest,
          },
        );
      } catch (e) {
        return e as ImageError;
      }
    })();
    expect(error).toBeInstanceOf(ImageError);
    expect(error!.message).toBe(
      "oci:x: no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8, linux/arm/v7",
    );
    expect(error!.digest).toBe(amd64.digest);
    expect(() => selectPlatform([attestation], DEFAULT_PLATFORM)).toThrow("available: none");
    expect(() => selectPlatform([attestation], { os: "unknown", architecture: "unknown" })).toThrow(
      ImageError,
    );
  });

  it("recognises attestations by annotation or by unknown/unknown", () => {
    expect(isAttestation(attestation)).toBe(true);
    expect(isAttestation(entry({ os: "unknown", architecture: "unknown" }))).toBe(true);
    expect(isAttestation(entry(undefined, { "vnd.docker.reference.type": "attestation-manifest" })))
      .toBe(true);
    expect(isAttestation(amd64)).toBe(false);
  });
});

describe("platformRuns", () => {
  it("follows the same rules as selection", () => {
    expect(platformRuns(parsePlatform("linux/arm/v7"), parsePlatform("linux/arm/v5"))).toBe(true);
    expect(platformRuns(parsePlatform("linux/arm/v6"), parsePlatform("linux/arm/v7"))).toBe(false);
    expect(platformRuns(parsePlatform("linux/amd64/v3"), parsePlatform("linux/amd64"))).toBe(true);
    expect(platformRuns(parsePlatform("linux/amd64"), parsePlatform("linux/amd64/v2"))).toBe(false);
    expect(platformRuns(parsePlatform("linux/amd64"), parsePlatform("linux/arm64"))).toBe(false);
    expect(platformRuns(parsePlatform("linux/amd64"), parsePlatform("windows/amd64"))).toBe(false);
  });
});
