/**
 * A finished first pass: the image's tree built and laid out, ready to be
 * streamed as many times as wanted, to any sink. File data (pass 2) is read
 * only while the bytes are consumed.
 *
 * @module
 */
import type { ErofsImage } from "../erofs/mod.ts";
import type { Image } from "../image/types.ts";
import { checkedChunks } from "../sink/checked.ts";
import { imageStream } from "../sink/stream.ts";
import type { SourceSpec } from "../source/spec.ts";
import type { Tree } from "../tree/mod.ts";
import type { ProgressEvent } from "./events.ts";

/**
 * One layer of a converted image, as its manifest and config describe it.
 *
 * @example
 * ```ts
 * import type { LayerSummary } from "./conversion.ts";
 * const show = (l: LayerSummary) => console.log(l.digest, l.size, l.mediaType);
 * ```
 */
export interface LayerSummary {
  /** The blob's digest (usually of the compressed tar). */
  readonly digest: string;
  /** The blob's size in bytes. */
  readonly size: number;
  readonly mediaType: string;
  /** Digest of the uncompressed tar (the config's `rootfs.diff_ids`). */
  readonly diffId: string;
}

/**
 * Seconds spent in each stage so far: `resolve` (image sources only),
 * `tree` (pass 1), `plan` (layout and metadata).
 *
 * @example
 * ```ts
 * import type { StageTimes } from "./conversion.ts";
 * const total = (t: StageTimes) => (t.resolve ?? 0) + t.tree + t.plan;
 * ```
 */
export interface StageTimes {
  readonly resolve?: number;
  readonly tree: number;
  readonly plan: number;
}

/** What `convert` hands to {@link Conversion}. */
interface ConversionParts {
  source: SourceSpec;
  image: Image | undefined;
  tree: Tree;
  erofs: ErofsImage;
  seconds: StageTimes;
  signal: AbortSignal | undefined;
  onProgress: ((event: ProgressEvent) => void) | undefined;
}

/**
 * Options of {@link Conversion.writeTo}.
 *
 * @example
 * ```ts
 * import type { WriteToOptions } from "./conversion.ts";
 * const options: WriteToOptions = { signal: AbortSignal.timeout(600_000) };
 * ```
 */
export interface WriteToOptions {
  /** Abandons the write (nothing is left behind); default the conversion's signal. */
  signal?: AbortSignal;
}

/**
 * A converted image: what it is (digest, platform, layers, inodes, size) and
 * its bytes, as a `ReadableStream`, piped to a `WritableStream`, or written
 * to a file. Each of those reads the layers' file data again, so a
 * conversion can be written several times; every write is checked to add up
 * to exactly the announced size.
 *
 * @example
 * ```ts
 * import { convert } from "./convert.ts";
 * const conversion = await convert("oci:examples/busybox:latest");
 * console.log(conversion.digest, conversion.platform, conversion.inodes, conversion.size);
 * await conversion.writeTo("busybox.erofs");
 * ```
 */
export class Conversion {
  #parts: ConversionParts;

  /** @internal Made by `convert`. */
  constructor(parts: ConversionParts) {
    this.#parts = parts;
  }

  /** The source as parsed (`{ kind: "docker", location: "alpine" }`). */
  get source(): SourceSpec {
    return this.#parts.source;
  }

  /** The resolved container image (manifest, config, layers); `undefined` for `dir:` and `tar:`. */
  get image(): Image | undefined {
    return this.#parts.image;
  }

  /** Digest of the image manifest (image sources only). */
  get digest(): string | undefined {
    return this.#parts.image?.digest;
  }

  /** `os/architecture[/variant]` of the image (image sources only). */
  get platform(): string | undefined {
    const platform = this.#parts.image?.platform;
    return platform && [platform.os, platform.architecture, platform.variant]
      .filter(Boolean)
      .join("/");
  }

  /** The image's layers, bottom first (empty for `dir:` and `tar:`). */
  get layers(): readonly LayerSummary[] {
    return (this.#parts.image?.layers ?? []).map((layer) => ({
      digest: layer.descriptor.digest,
      size: layer.descriptor.size,
      mediaType: layer.descriptor.mediaType,
      diffId: layer.diffId,
    }));
  }

  /**
   * The file tree the image holds, for listing before writing (do not
   * change it: the layout is already planned).
   */
  get tree(): Tree {
    return this.#parts.tree;
  }

  /** Number of inodes in the image. */
  get inodes(): number {
    return this.#parts.erofs.inodes;
  }

  /** Block size of the image in bytes. */
  get blockSize(): number {
    return this.#parts.erofs.blockSize;
  }

  /**
   * Image size in bytes, known before writing for plain images;
   * `undefined` where only writing tells (compressed images).
   */
  get size(): number | undefined {
    return this.#parts.erofs.size;
  }

  /** Seconds spent in each stage of the first pass. */
  get seconds(): StageTimes {
    return this.#parts.seconds;
  }

  /**
   * The image's bytes in order, checked against the announced size and
   * reported as `write` progress events.
   *
   * @example
   * ```ts
   * import { convert } from "./convert.ts";
   * const conversion = await convert("tar:examples/hello.tar");
   * let bytes = 0;
   * for await (const chunk of conversion.chunks()) bytes += chunk.length;
   * ```
   */
  chunks(): AsyncIterable<Uint8Array> {
    return checkedChunks(this.#counted());
  }

  /**
   * The image as a pull-based byte stream (for `Response` bodies, uploads,
   * `CompressionStream`s): nothing is read until the consumer pulls, and
   * cancelling stops the layer reads.
   *
   * @example
   * ```ts
   * import { convert } from "./convert.ts";
   * const conversion = await convert("tar:examples/hello.tar");
   * const response = new Response(conversion.stream());
   * console.log((await response.arrayBuffer()).byteLength === conversion.size); // true
   * ```
   */
  stream(): ReadableStream<Uint8Array> {
    return imageStream(this.#counted());
  }

  /**
   * Pipes the image into `destination` (a file handle's writable, a
   * `TransformStream`, a socket) and closes it.
   *
   * @example
   * ```ts
   * import { convert } from "./convert.ts";
   * const conversion = await convert("tar:examples/hello.tar");
   * const chunks: Uint8Array[] = [];
   * await conversion.pipeTo(new WritableStream({ write: (chunk) => void chunks.push(chunk) }));
   * ```
   */
  pipeTo(destination: WritableStream<Uint8Array>, options?: StreamPipeOptions): Promise<void> {
    return this.stream().pipeTo(destination, {
      ...options,
      signal: options?.signal ?? this.#parts.signal,
    });
  }

  /**
   * Writes the image to a file atomically: a temporary file next to `path`
   * is filled, synced and renamed, so `path` never holds a partial image.
   * Needs a runtime with files (Node, Deno, Bun).
   *
   * @example
   * ```ts
   * import { convert } from "./convert.ts";
   * const conversion = await convert("oci:examples/busybox:latest");
   * await conversion.writeTo("busybox.erofs");
   * ```
   */
  async writeTo(path: string, options: WriteToOptions = {}): Promise<void> {
    // Imported here so that browsers, which cannot write paths, never load it.
    const { writeImageFile } = await import("../sink/file.ts");
    await writeImageFile(this.#counted(), path, {
      signal: options.signal ?? this.#parts.signal,
    });
  }

  /**
   * The image with its chunks reported as `write` events, on both the
   * in-order path and the seekable one (compressed images written to files).
   */
  #counted(): Pick<ErofsImage, "size" | "chunks" | "seekable"> {
    const { erofs, onProgress } = this.#parts;
    if (!onProgress) return erofs;
    async function* count(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      let bytes = 0;
      for await (const chunk of chunks) {
        bytes += chunk.length;
        onProgress!({ type: "write", bytes, total: erofs.size });
        yield chunk;
      }
    }
    const seekable = erofs.seekable?.bind(erofs);
    return {
      // A getter: compressed images learn their size while streaming.
      get size() {
        return erofs.size;
      },
      chunks: () => count(erofs.chunks()),
      seekable: seekable && (() => {
        const sink = seekable();
        return { chunks: count(sink.chunks), head: () => sink.head() };
      }),
    };
  }
}
