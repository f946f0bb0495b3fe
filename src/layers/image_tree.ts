/**
 * From an {@link Image} (or any list of layer blobs) to a {@link Tree}, in
 * two passes and bounded memory.
 *
 * Pass 1 (here): each layer is opened, decompressed, hashed — the
 * uncompressed bytes must match the config's `diff_id` — and its tar headers
 * are applied to the tree ({@link LayerStack}), skipping all file data. A
 * regular file's content is only a reference (layer, member ordinal, size,
 * and a `sequence` increasing in layer and member order).
 *
 * Pass 2 happens when the EROFS writer streams the image: it asks for file
 * data in sequence order, and {@link LayerReplay} serves it from a second,
 * forward-only read of each layer. Data of files a later layer deleted or
 * replaced is not in the tree, so it is never read again or written.
 *
 * With a {@link ContentSpool} (`spool` option) there is no second read:
 * pass 1 appends file data to the spool as the tar goes by, and the writer
 * reads it from there.
 *
 * @module
 */
import type { Image } from "../image/types.ts";
import { createSha256, type StreamingHash } from "../runtime/hash.ts";
import type { Tree } from "../tree/mod.ts";
import { LayerError } from "./apply.ts";
import { decompressedStream } from "./decompress/mod.ts";
import { LayerStack } from "./layer_stack.ts";
import { type LayerInput, LayerReplay, type ReplayContent } from "./layer_replay.ts";
import { LayerPrefetch } from "./prefetch.ts";
import { readTar } from "./tar/mod.ts";
import { type ContentSpool, SpooledContent } from "./spool.ts";
import { SMALL_BUFFERS } from "../runtime/node_zlib.ts";

/**
 * Progress of pass 1: reported when a layer starts, as its (possibly
 * compressed) bytes arrive, and when it has been read and checked.
 *
 * @example
 * ```ts
 * import type { LayerProgress } from "./image_tree.ts";
 * const log = (p: LayerProgress) =>
 *   console.log(`layer ${p.index + 1}/${p.count} ${p.name}: ${p.done ? `${p.entries} entries` : "reading"}`);
 * ```
 */
export interface LayerProgress {
  /** Index of the layer in the image (0 = bottom). */
  readonly index: number;
  /** Number of layers in the image. */
  readonly count: number;
  /** The layer's blob digest (or name). */
  readonly name: string;
  /** Tar members read so far. */
  readonly entries: number;
  /** Uncompressed bytes read so far. */
  readonly bytes: number;
  /** Bytes of the layer as stored (compressed, for most images) read so far. */
  readonly read: number;
  /** The layer's stored size, when known (a blob descriptor's `size`). */
  readonly size?: number;
  /** Stored bytes read so far in this pass, over all layers. */
  readonly totalRead: number;
  /** Stored size of all layers of this pass, when every size is known. */
  readonly totalSize?: number;
  /** Whether the layer has been read completely and checked. */
  readonly done: boolean;
}

/**
 * Options of {@link layersTree}.
 *
 * @example
 * ```ts
 * import type { LayersTreeOptions } from "./image_tree.ts";
 * const options: LayersTreeOptions = { keepWhiteouts: true, signal: AbortSignal.timeout(600_000) };
 * ```
 */
export interface LayersTreeOptions {
  /**
   * Keep OCI whiteouts as overlayfs metadata (0:0 character devices,
   * `trusted.overlay.opaque`) instead of applying them; see {@link LayerStack}.
   * Default false: the flattened file system.
   */
  keepWhiteouts?: boolean;
  /**
   * Stops pass 1, and cancels pass 2's reads later on (file contents then
   * fail with the signal's reason).
   */
  signal?: AbortSignal;
  /**
   * Bytes the next layer may download ahead while the current one is read
   * (in both passes); 0 reads layers strictly one after another. Default
   * {@link PREFETCH_BYTES}.
   */
  prefetchBytes?: number;
  /**
   * Trade some speed for memory: no layer downloads ahead (unless
   * `prefetchBytes` says otherwise) and decoders buffer less
   * ({@linkcode SMALL_BUFFERS}). About 20 MiB less peak memory for gzip
   * layers; about 10% slower on Node, no slower on Deno. The edge handler
   * sets it. Default false.
   */
  lowMemory?: boolean;
  /**
   * Keep file data here during pass 1 (see {@link ContentSpool}), so that
   * writing the image reads the spool instead of the layers: one download
   * and decompression instead of two, for as much spool storage as the
   * layers hold in regular files. The caller closes it after writing.
   * Default: none (pass 2 reads the layers again).
   */
  spool?: ContentSpool;
  /** Called at the start of each layer of pass 1, as its bytes arrive, and at its end. */
  onProgress?: (progress: LayerProgress) => void;
}

/**
 * Options of {@link imageTree}.
 *
 * @example
 * ```ts
 * import type { ImageTreeOptions } from "./image_tree.ts";
 * const topLayerOnly: ImageTreeOptions = { layer: -1 };
 * ```
 */
export interface ImageTreeOptions extends LayersTreeOptions {
  /**
   * Build one layer only, by 0-based index into `image.layers` (0 is the
   * bottom layer, as in the config's `rootfs.diff_ids`); negative indexes
   * count from the top (−1 is the top layer). Such a tree is one overlayfs
   * layer, so `keepWhiteouts` defaults to true.
   */
  layer?: number;
  /**
   * Build one layer only, named by its blob digest (`descriptor.digest`) or
   * its diff_id. If several layers have it (identical layers), the lowest is
   * taken. `keepWhiteouts` defaults to true, as for {@link layer}.
   */
  blob?: string;
}

/**
 * The file tree of `image`: its layers flattened, or (with `layer` or
 * `blob`) one layer as an overlayfs layer. Pass 1 happens here; file data is
 * read in pass 2, when the tree's contents are streamed (by the EROFS
 * writer, in sequence order). Every problem is a {@link LayerError} naming
 * the layer digest and, where there is one, the entry.
 *
 * @example
 * ```ts
 * import type { Image } from "../image/types.ts";
 * import { buildErofs } from "../erofs/mod.ts";
 * import { imageTree } from "./image_tree.ts";
 *
 * declare const image: Image; // from an OCI layout, an archive or a registry
 * const tree = await imageTree(image, { onProgress: (p) => p.done && console.log(p.name) });
 * const erofs = await buildErofs(tree);
 * for await (const chunk of erofs.chunks()) {
 *   // second pass: layer data is read again here, front to back
 * }
 * ```
 */
export async function imageTree(image: Image, options: ImageTreeOptions = {}): Promise<Tree> {
  const inputs: LayerInput[] = image.layers.map((blob) => ({
    name: blob.descriptor.digest,
    diffId: blob.diffId,
    mediaType: blob.descriptor.mediaType,
    size: blob.descriptor.size,
    open: (signal?: AbortSignal) => blob.open(signal),
  }));
  const selected = selectLayer(image, options);
  if (selected === undefined) return await layersTree(inputs, options);
  const onProgress = options.onProgress;
  return await layersTree([inputs[selected]], {
    keepWhiteouts: options.keepWhiteouts ?? true,
    signal: options.signal,
    prefetchBytes: options.prefetchBytes,
    lowMemory: options.lowMemory,
    spool: options.spool,
    onProgress: onProgress && ((p) => onProgress({ ...p, index: selected, count: inputs.length })),
  });
}

/** The index chosen by `layer` or `blob`, or `undefined` for all layers. */
function selectLayer(image: Image, options: ImageTreeOptions): number | undefined {
  const count = image.layers.length;
  if (options.layer !== undefined && options.blob !== undefined) {
    throw new LayerError(
      undefined,
      "choose one layer either by index (layer) or by digest (blob), not both",
    );
  }
  if (options.layer !== undefined) {
    const { layer } = options;
    if (!Number.isInteger(layer) || layer >= count || layer < -count) {
      const valid = count === 0
        ? "it has none"
        : `valid: 0…${count - 1} from the bottom, or −1…−${count} from the top`;
      throw new LayerError(
        undefined,
        `layer ${layer} is out of range: image ${image.reference} has ${count} layer${
          count === 1 ? "" : "s"
        } (${valid})`,
      );
    }
    return layer < 0 ? count + layer : layer;
  }
  if (options.blob !== undefined) {
    const index = image.layers.findIndex((blob) =>
      blob.descriptor.digest === options.blob || blob.diffId === options.blob
    );
    if (index < 0) {
      const list = image.layers.map((blob, i) => `${i}: ${blob.descriptor.digest}`).join(", ");
      throw new LayerError(
        undefined,
        `image ${image.reference} has no layer ${options.blob} (layers: ${list || "none"})`,
      );
    }
    return index;
  }
  return undefined;
}

/**
 * The file tree of `layers` (bottom first), in two passes: see the module
 * documentation. Contents read in pass 2 refer to `layers`, which must stay
 * readable until the tree has been written.
 *
 * @example
 * ```ts
 * import { layersTree } from "./image_tree.ts";
 * const tar = new Uint8Array(1024); // an empty tar
 * const tree = await layersTree([{ name: "base.tar", open: () => new Blob([tar]).stream() }]);
 * console.log(tree.root.entries.size); // 0
 * ```
 */
export async function layersTree(
  layers: readonly LayerInput[],
  options: LayersTreeOptions = {},
): Promise<Tree> {
  const { signal, onProgress, spool } = options;
  const stack = new LayerStack({ keepWhiteouts: options.keepWhiteouts });
  const bufferBytes = options.prefetchBytes ?? (options.lowMemory ? 0 : undefined);
  const buffers = options.lowMemory ? SMALL_BUFFERS : undefined;
  const replay = spool ? undefined : new LayerReplay(layers, signal, { bufferBytes }, buffers);
  let sequence = 0;
  const totalSize = layers.every((layer) => layer.size !== undefined)
    ? layers.reduce((sum, layer) => sum + layer.size!, 0)
    : undefined;
  let readBefore = 0;
  const prefetch = new LayerPrefetch(layers, { signal, bufferBytes });
  try {
    for (let index = 0; index < layers.length; index++) {
      signal?.throwIfAborted();
      const layer = layers[index];
      let entries = 0;
      let read = 0;
      const progress = (done: boolean) =>
        onProgress?.({
          index,
          count: layers.length,
          name: layer.name,
          entries,
          bytes: tar.bytes,
          read,
          size: layer.size,
          totalRead: readBefore + read,
          totalSize,
          done,
        });
      const changes = stack.begin(layer.name);
      const hash = layer.diffId === undefined ? undefined : await hashFor(layer);
      const opened = prefetch.take(index);
      prefetch.warm(index + 1);
      const stored = onProgress
        ? opened.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              read += chunk.length;
              controller.enqueue(chunk);
              progress(false);
            },
          }),
        )
        : opened;
      const tar = new CountingStream(
        decompressedStream(stored, {
          mediaType: layer.mediaType,
          gzip: { buffers },
          zstd: { buffers },
        }),
        hash,
      );
      progress(false);
      try {
        for await (const { entry, body } of readTar(tar, { signal })) {
          let content: SpooledContent | ReplayContent | undefined;
          if (entry.type === "file") {
            if (spool) {
              const offset = spool.size;
              for await (const chunk of body) {
                const appending = spool.append(chunk);
                if (appending) await appending;
              }
              content = new SpooledContent(spool, offset, entry.size, sequence++);
            } else {
              // File data is skipped by the reader; pass 2 reads it again.
              content = replay!.content(index, entries, entry, sequence++);
            }
          }
          entries++;
          changes.apply(entry, content);
        }
        // The diff_id covers everything, the end-of-archive blocks and padding included.
        await tar.drain();
      } catch (error) {
        await tar.cancel();
        throw layerFailure(error, layer, signal);
      }
      if (hash && layer.diffId !== undefined) {
        const actual = `sha256:${hash.digestHex()}`;
        if (actual !== layer.diffId.toLowerCase()) {
          throw new LayerError(
            undefined,
            `the uncompressed layer has digest ${actual}, but the image config says its diff_id is ${layer.diffId}`,
            { layer: layer.name },
          );
        }
      }
      stack.commit(changes);
      progress(true);
      readBefore += read;
    }
  } catch (error) {
    // The next layer may be downloading already: close its connection.
    await prefetch.cancel(error);
    throw error;
  }
  const tree = stack.finish();
  replay?.seal(tree);
  return tree;
}

/** A hash for the layer's diff_id, refusing algorithms other than sha256. */
async function hashFor(layer: LayerInput): Promise<StreamingHash> {
  if (!/^sha256:[0-9a-fA-F]{64}$/.test(layer.diffId!)) {
    throw new LayerError(
      undefined,
      `unsupported or malformed diff_id ${JSON.stringify(layer.diffId)}`,
      { layer: layer.name },
    );
  }
  return await createSha256();
}

/** Any failure of a layer as a {@link LayerError} naming it; an abort stays the abort. */
function layerFailure(error: unknown, layer: LayerInput, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && error === signal.reason) return error;
  if (error instanceof LayerError) {
    return error.layer === undefined
      ? new LayerError(error.path, error.reason, { layer: layer.name, cause: error.cause })
      : error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LayerError(undefined, message, { layer: layer.name, cause: error });
}

/**
 * The decompressed tar as the reader's input: counts and hashes every byte
 * that passes, and does not let the reader cancel it when it stops at the
 * end-of-archive marker, so that the rest can still be hashed.
 */
class CountingStream implements AsyncIterable<Uint8Array> {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #hash: StreamingHash | undefined;
  #ended = false;
  bytes = 0;

  constructor(stream: ReadableStream<Uint8Array>, hash: StreamingHash | undefined) {
    this.#reader = stream.getReader();
    this.#hash = hash;
  }

  async #next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#ended) return { done: true, value: undefined };
    const { done, value } = await this.#reader.read();
    if (done) {
      this.#ended = true;
      return { done: true, value: undefined };
    }
    this.bytes += value.length;
    this.#hash?.update(value);
    return { done: false, value };
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.#next(),
      // The reader is done with the archive; the stream is not (see drain).
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }

  /** Reads (and hashes) whatever the tar reader left. */
  async drain(): Promise<void> {
    while (!(await this.#next()).done) { /* hashing as it goes */ }
    this.#reader.releaseLock();
  }

  /** Gives up on the stream. */
  async cancel(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#reader.cancel().catch(() => {});
  }
}
