/**
 * Pass 2 of the layer pipeline: the bytes of regular files, fetched when the
 * image writer asks for them by reading the layers again.
 *
 * Pass 1 read every layer's headers and skipped all file data. Each file that
 * survived the overlay merge holds a {@link ReplayContent} that knows its
 * layer, its ordinal among the layer's tar members, and a `sequence` that
 * increases in (layer, member) order. The EROFS writer streams contents in
 * ascending sequence, front to back, once each — so one open stream per
 * layer serves all of its files: the first file of a layer opens the layer
 * (blob → decompression → tar reader), walks to its member and yields the
 * body; the next file of that layer continues on the same stream, skipping
 * members that did not survive; moving on to a later layer cancels the
 * earlier stream, and the stream of a layer is also closed right after its
 * last surviving file. Every surviving byte is decompressed once more and
 * nothing is spooled, so memory stays bounded by the decompressor's window
 * and one chunk, however large the layers.
 *
 * A caller that does not follow the sequence — reads a file twice, goes
 * back to an earlier member or layer, or reads several files at once — is
 * served anyway, slowly: such a request reopens the layer privately and
 * walks to the member (reading the layer from its start each time). It is a
 * fallback for tests and tools, never the writer's path.
 *
 * Each member met again is checked against what pass 1 recorded (path, size
 * and header offset), so a layer whose bytes changed between the passes
 * fails with a {@link LayerError} instead of feeding wrong data. (The bytes
 * of a file are not re-hashed: the digest checks of pass 1 and of the blob
 * stream cover them, except for a blob that changes in place between passes
 * without changing its tar structure.)
 *
 * @module
 */
import type { NativeBuffers } from "../runtime/node_zlib.ts";
import { LayerPrefetch, type LayerPrefetchOptions } from "./prefetch.ts";
import type { FileContent, Tree } from "../tree/mod.ts";
import { LayerError } from "./apply.ts";
import { decompressedStream } from "./decompress/mod.ts";
import { readTar, type TarEntry, type TarMember } from "./tar/mod.ts";

/**
 * A layer as the pipeline reads it: a name for messages, and bytes that can
 * be opened again and again.
 *
 * @example
 * ```ts
 * import type { LayerInput } from "./layer_replay.ts";
 * const bytes = new Uint8Array(1024); // an empty tar
 * const layer: LayerInput = {
 *   name: "sha256:5f70bf18…",
 *   open: () => new Blob([bytes]).stream(),
 * };
 * ```
 */
export interface LayerInput {
  /** Names the layer in errors and progress: the blob digest, or a file name. */
  readonly name: string;
  /** `sha256:…` of the uncompressed tar; when given, pass 1 checks it. */
  readonly diffId?: string;
  /** The media type, only to report a mismatch with what the bytes are. */
  readonly mediaType?: string;
  /** The stored (possibly compressed) size in bytes, when known: for progress. */
  readonly size?: number;
  /** The (possibly compressed) tar, from its first byte; called once per pass or more. */
  open(signal?: AbortSignal): ReadableStream<Uint8Array>;
}

/** A forward-only walk over one opening of a layer. */
interface Walk {
  readonly layer: number;
  readonly members: AsyncGenerator<TarMember, void, undefined>;
  readonly stream: ReadableStream<Uint8Array>;
  /** Ordinal of the member `members` last yielded (−1 before the first). */
  ordinal: number;
  member: TarMember | undefined;
  /** Whether a content stream is reading from it right now. */
  busy: boolean;
}

/**
 * The content of one file of one layer, read on demand in pass 2.
 *
 * @example
 * ```ts
 * import { ReplayContent } from "./layer_replay.ts";
 * declare const content: unknown;
 * if (content instanceof ReplayContent) console.log(content.layer, content.ordinal, content.sequence);
 * ```
 */
export class ReplayContent implements FileContent {
  readonly size: number;
  readonly sequence: number;
  /** Index of the layer in the replay's list. */
  readonly layer: number;
  /** Ordinal of the member among all the layer's tar members (0-based). */
  readonly ordinal: number;
  /** The member's archived path and header offset, to recognise it again. */
  readonly path: string;
  readonly headerOffset: number;
  #replay: LayerReplay;

  constructor(
    replay: LayerReplay,
    layer: number,
    ordinal: number,
    entry: TarEntry,
    sequence: number,
  ) {
    this.#replay = replay;
    this.layer = layer;
    this.ordinal = ordinal;
    this.size = entry.size;
    this.path = entry.path;
    this.headerOffset = entry.headerOffset;
    this.sequence = sequence;
  }

  stream(start = 0, end = this.size): AsyncIterable<Uint8Array> {
    return this.#replay.stream(this, start, end);
  }
}

/**
 * Serves the file contents of a list of layers from fresh openings of them.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { LayerReplay } from "./layer_replay.ts";
 *
 * const layers = [{ name: "sha256:aa…", open: () => new Blob([new Uint8Array(1024)]).stream() }];
 * const replay = new LayerReplay(layers);
 * // pass 1: replay.content(layer, ordinal, entry, sequence) for each regular file …
 * replay.seal(new Tree()); // … then tell it which contents survived
 * ```
 */
export class LayerReplay {
  #layers: readonly LayerInput[];
  #signal: AbortSignal | undefined;
  /** The walk the writer is being served from, if any. */
  #current: Walk | undefined;
  /** Per layer: the highest ordinal still needed, −1 if none. */
  #last: number[];
  /** The next layer with data, downloading while the writer reads this one. */
  #prefetch: LayerPrefetch;
  #buffers: NativeBuffers | undefined;

  /**
   * @param layers the layers, in the order their contents are numbered
   * @param signal cancels open walks and makes later reads fail
   * @param prefetch how far the next layer may download ahead
   * @param buffers what `node:zlib` decoders buffer (default: the fastest)
   */
  constructor(
    layers: readonly LayerInput[],
    signal?: AbortSignal,
    prefetch: Omit<LayerPrefetchOptions, "signal"> = {},
    buffers?: NativeBuffers,
  ) {
    this.#layers = layers;
    this.#buffers = buffers;
    this.#signal = signal;
    this.#prefetch = new LayerPrefetch(layers, { ...prefetch, signal });
    this.#last = layers.map(() => Number.MAX_SAFE_INTEGER);
    signal?.addEventListener("abort", () => void this.close(), { once: true });
  }

  /** The content of a regular file: member `ordinal` of layer `layer`. */
  content(layer: number, ordinal: number, entry: TarEntry, sequence: number): ReplayContent {
    return new ReplayContent(this, layer, ordinal, entry, sequence);
  }

  /**
   * Records which contents the finished tree still holds, so that each
   * layer's stream can be closed right after its last surviving file.
   */
  seal(tree: Tree): void {
    this.#last = this.#layers.map(() => -1);
    for (const [, inode] of tree.walk()) {
      if (inode.kind !== "file" || !(inode.content instanceof ReplayContent)) continue;
      const { layer, ordinal, size } = inode.content;
      // Empty files are never streamed by the writer.
      if (size > 0 && ordinal > this.#last[layer]) this.#last[layer] = ordinal;
    }
  }

  /** Cancels the open walk, if any, and any layer downloading ahead. */
  async close(): Promise<void> {
    const walk = this.#current;
    this.#current = undefined;
    await Promise.all([walk && closeWalk(walk), this.#prefetch.cancel()]);
  }

  /** Bytes `[start, end)` of `content`. */
  async *stream(content: ReplayContent, start: number, end: number): AsyncGenerator<Uint8Array> {
    if (
      !(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end &&
        end <= content.size)
    ) {
      throw new RangeError(`${content.path}: range [${start}, ${end}) outside 0…${content.size}`);
    }
    this.#signal?.throwIfAborted();
    if (start === end) return;
    // Chosen and marked busy synchronously: a concurrent reader must not
    // pick the same walk while this one waits.
    const { walk, closing } = this.#walkFor(content);
    const shared = walk === this.#current;
    let completed = false;
    try {
      await closing;
      const member = await this.#advance(walk, content);
      let at = 0;
      for await (const chunk of member.body) {
        const from = Math.max(start - at, 0);
        const to = Math.min(end - at, chunk.length);
        at += chunk.length;
        if (to > from) yield from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
        if (at >= end) break;
      }
      if (at < end) {
        throw this.#error(content, `member ended after ${at} bytes, expected ${content.size}`);
      }
      completed = true;
    } catch (error) {
      if (error instanceof LayerError || (this.#signal?.aborted && error === this.#signal.reason)) {
        throw error;
      }
      throw this.#error(
        content,
        `reading the layer again failed: ${(error as Error)?.message ?? error}`,
        error,
      );
    } finally {
      walk.busy = false;
      // A reader that stopped early (an error downstream) gets no stream left open.
      if (!shared || !completed || content.ordinal >= this.#last[content.layer]) {
        if (walk === this.#current) this.#current = undefined;
        await closeWalk(walk);
      }
    }
  }

  /**
   * The shared walk if it can serve `content` in order, else a new one
   * (shared if none is, private otherwise), marked busy; and the closing of
   * a walk the writer has moved past.
   */
  #walkFor(content: ReplayContent): { walk: Walk; closing?: Promise<void> } {
    const current = this.#current;
    let closing: Promise<void> | undefined;
    if (current && !current.busy) {
      if (current.layer === content.layer && current.ordinal < content.ordinal) {
        current.busy = true;
        return { walk: current };
      }
      if (current.layer < content.layer) {
        // The writer has moved on to a later layer: the earlier one is done.
        this.#current = undefined;
        closing = closeWalk(current);
      }
    }
    const walk = this.#open(content.layer);
    walk.busy = true;
    this.#current ??= walk;
    return { walk, closing };
  }

  #open(layer: number): Walk {
    const input = this.#layers[layer];
    const opened = this.#prefetch.take(layer);
    // The writer reads layers in order: start the next one that still has data.
    const next = this.#last.findIndex((last, index) => index > layer && last >= 0);
    if (next >= 0) this.#prefetch.warm(next);
    const buffers = this.#buffers;
    const stream = decompressedStream(opened, {
      mediaType: input.mediaType,
      gzip: { buffers },
      zstd: { buffers },
    });
    const members = readTar(stream, { signal: this.#signal });
    return { layer, members, stream, ordinal: -1, member: undefined, busy: false };
  }

  /** Moves `walk` to the member of `content` and checks it is the same member. */
  async #advance(walk: Walk, content: ReplayContent): Promise<TarMember> {
    while (walk.ordinal < content.ordinal) {
      const next = await walk.members.next();
      if (next.done) {
        throw this.#error(content, "the layer ended before this member on the second read");
      }
      walk.ordinal++;
      walk.member = next.value;
    }
    const member = walk.member!;
    const { entry } = member;
    if (
      walk.ordinal !== content.ordinal || entry.path !== content.path ||
      entry.size !== content.size ||
      entry.headerOffset !== content.headerOffset || entry.type !== "file"
    ) {
      throw this.#error(
        content,
        `the layer changed between reads: member ${content.ordinal} is now ${
          JSON.stringify(entry.path)
        } ` +
          `(${entry.type}, ${entry.size} bytes at header offset ${entry.headerOffset})`,
      );
    }
    return member;
  }

  #error(content: ReplayContent, reason: string, cause?: unknown): LayerError {
    return new LayerError(content.path, reason, { layer: this.#layers[content.layer].name, cause });
  }
}

/** Ends a walk: stops the tar reader and cancels the stream under it. */
async function closeWalk(walk: Walk): Promise<void> {
  await walk.members.return().catch(() => {});
  // A reader that never started has not taken the stream; cancel it directly.
  if (!walk.stream.locked) await walk.stream.cancel().catch(() => {});
}
