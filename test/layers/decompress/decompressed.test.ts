// Format detection and the one-call entry point: magic bytes decide, media
// types are only reported, tiny first chunks are peeked through, and the
// stream holds memory bounded however large the layer and however slow its
// reader.
import { beforeAll, describe, expect, it } from "vitest";
import {
  compressionFromMediaType,
  type CompressionInfo,
  decompressedStream,
  DecompressError,
  detectCompression,
} from "../../../src/layers/decompress/mod.ts";
import { ensureCommands } from "../../support/system.ts";
import { collect, expectBytes, streamOf, tool, wordsText } from "./fixtures.ts";

const text = (length: number, seed: number) =>
  wordsText(["etc/", "passwd", "\n", "0000644", "ustar", "  ", "bin/sh"], length, seed);

beforeAll(async () => {
  await ensureCommands({ gzip: "gzip", zstd: "zstd" });
});

describe("detectCompression", () => {
  it("knows gzip, zstd and skippable frames by their magic", () => {
    expect(detectCompression(Uint8Array.of(0x1f, 0x8b))).toBe("gzip");
    expect(detectCompression(Uint8Array.of(0x1f, 0x8b, 8, 0))).toBe("gzip");
    expect(detectCompression(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd))).toBe("zstd");
    for (let n = 0; n < 16; n++) {
      expect(detectCompression(Uint8Array.of(0x50 + n, 0x2a, 0x4d, 0x18))).toBe("zstd");
    }
    expect(detectCompression(Uint8Array.of(0x60, 0x2a, 0x4d, 0x18))).toBe("none");
    expect(detectCompression(Uint8Array.of(0x28, 0xb5, 0x2f))).toBe("none");
    expect(detectCompression(Uint8Array.of(0x1f))).toBe("none");
    expect(detectCompression(new Uint8Array(0))).toBe("none");
    expect(detectCompression(new TextEncoder().encode("bin/\0\0\0"))).toBe("none");
  });

  it("reads what media types declare", () => {
    expect(compressionFromMediaType("application/vnd.oci.image.layer.v1.tar+gzip")).toBe("gzip");
    expect(compressionFromMediaType("application/vnd.oci.image.layer.v1.tar+zstd")).toBe("zstd");
    expect(compressionFromMediaType("application/vnd.oci.image.layer.v1.tar")).toBe("none");
    expect(compressionFromMediaType("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))
      .toBe("gzip");
    expect(compressionFromMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip")).toBe(
      "gzip",
    );
    expect(compressionFromMediaType("application/vnd.docker.image.rootfs.diff.tar")).toBe("none");
    expect(compressionFromMediaType("Application/Vnd.OCI.Image.Layer.v1.Tar+Zstd; x=y")).toBe(
      "zstd",
    );
    expect(compressionFromMediaType("application/json")).toBeUndefined();
  });
});

describe("decompressedStream", () => {
  it("decodes gzip, zstd and plain input, peeking through 1-byte chunks", async () => {
    const data = text(200_000, 1);
    const gz = await tool("gzip", ["-c"], data);
    const zst = await tool("zstd", ["-c", "-q"], data);
    for (const [input, format] of [[gz, "gzip"], [zst, "zstd"], [data, "none"]] as const) {
      for (const sizes of [undefined, [1], [1, 2, 1, 70_000]]) {
        const seen: CompressionInfo[] = [];
        const out = await collect(
          decompressedStream(streamOf(input, sizes), { onDetected: (info) => seen.push(info) }),
        );
        expectBytes(out, data, `${format} ${sizes}`);
        expect(seen).toEqual([{ detected: format, declared: undefined }]);
      }
    }
  });

  it("trusts the magic over the media type, and reports both", async () => {
    const data = text(50_000, 2);
    const zst = await tool("zstd", ["-c", "-q"], data);
    const seen: CompressionInfo[] = [];
    const out = await collect(
      decompressedStream(streamOf(zst), {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        onDetected: (info) => seen.push(info),
      }),
    );
    expectBytes(out, data);
    expect(seen).toEqual([{ detected: "zstd", declared: "gzip" }]);
  });

  it("passes empty and tiny plain input through", async () => {
    expect(await collect(decompressedStream(streamOf(new Uint8Array(0))))).toEqual(
      new Uint8Array(0),
    );
    expectBytes(
      await collect(decompressedStream(streamOf(Uint8Array.of(1, 2, 3), [1]))),
      Uint8Array.of(1, 2, 3),
    );
  });

  it("forwards options to the decoders and fails with DecompressError", async () => {
    const data = text(100_000, 3);
    const gz = await tool("gzip", ["-c"], data);
    for (const backend of ["node-zlib", "decompression-stream", "fflate"] as const) {
      expectBytes(
        await collect(decompressedStream(streamOf(gz, [999]), { gzip: { backend } })),
        data,
        backend,
      );
      await expect(
        collect(decompressedStream(streamOf(gz.subarray(0, gz.length - 3)), { gzip: { backend } })),
      )
        .rejects.toBeInstanceOf(DecompressError);
    }
    const zst = await tool("zstd", ["-c", "-q", "--long=25"], data);
    await expect(collect(decompressedStream(streamOf(zst), { zstd: { maxWindowSize: 1 << 20 } })))
      .rejects.toThrow(/window/);
  });

  it("cancels its input when cancelled", async () => {
    const gz = await tool("gzip", ["-c"], text(1_000_000, 4));
    let cancelled: unknown;
    let at = 0;
    const input = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(gz.slice(at, at + 1000));
        at += 1000;
      },
      cancel(reason) {
        cancelled = reason;
      },
    }, { highWaterMark: 0 });
    const reader = decompressedStream(input).getReader();
    await reader.read();
    await reader.cancel("enough");
    expect(cancelled).toBe("enough");
  });
});

describe("bounded memory", () => {
  /** `total` zero bytes compressed by `command` (a shell pipeline stage). */
  function compressedZeros(command: string, total: number): Promise<Uint8Array> {
    return tool("sh", ["-c", `head -c ${total} /dev/zero | ${command}`]);
  }

  /** Reads everything; returns the output size and the peak RSS growth. */
  async function drain(
    stream: ReadableStream<Uint8Array>,
  ): Promise<{ size: number; growth: number }> {
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    let size = 0;
    let chunks = 0;
    const reader = stream.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      size += next.value.length;
      if (++chunks % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    return { size, growth: peak - base };
  }

  it("decodes 300 MB through gzip and zstd without RSS growing with it", async () => {
    const total = 300 << 20;
    const gz = await compressedZeros("gzip -c -1", total);
    const zst = await compressedZeros("zstd -c -q -1 --long=27", total);
    // A fraction of the output: anything that kept output around would need
    // all of it. Measured: 32 MiB for gzip, 199 MiB for zstd.
    const bound = 128 << 20;
    const g = await drain(decompressedStream(streamOf(gz, [65536])));
    expect(g.size).toBe(total);
    expect(g.growth).toBeLessThan(bound);
    const z = await drain(decompressedStream(streamOf(zst, [65536]), { zstd: { backend: "js" } }));
    expect(z.size).toBe(total);
    // zstd holds its window (128 MiB here, --long=27) and 32 MiB of slack by design.
    expect(z.growth).toBeLessThan(bound + (160 << 20));
  });

  it("reads input only as fast as output is taken", async () => {
    // Text that compresses 4:3, so that input is plentiful.
    const text = `head -c ${16 << 20} /dev/urandom | base64 -w0`;
    const gz = await tool("sh", ["-c", `${text} | gzip -c -1`]);
    const zst = await tool("sh", ["-c", `${text} | zstd -c -q -3`]);
    for (
      const [input, options] of [
        [gz, { gzip: { backend: "node-zlib" as const } }],
        [gz, { gzip: { backend: "decompression-stream" as const } }],
        [gz, { gzip: { backend: "fflate" as const } }],
        [zst, { zstd: { backend: "js" as const } }],
      ] as const
    ) {
      let pulled = 0;
      let at = 0;
      const source = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= input.length) return controller.close();
          const chunk = input.slice(at, at + 4096);
          at += chunk.length;
          pulled += chunk.length;
          controller.enqueue(chunk);
        },
      }, { highWaterMark: 0 });
      const reader = decompressedStream(source, options).getReader();
      let taken = 0;
      for (let i = 0; i < 5; i++) taken += (await reader.read()).value!.length;
      // Let any eager pumping run ahead, then see how far it got.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(taken, JSON.stringify(options)).toBeLessThan(32 << 20);
      expect(pulled, JSON.stringify(options)).toBeLessThan(input.length / 4);
      await reader.cancel();
    }
  });
});
