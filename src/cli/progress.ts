/**
 * Progress on a terminal: one line, redrawn in place, for reading each
 * layer (pass 1) and writing the image (pass 2, where layer data is read
 * again). Only drawn when standard error is a terminal and `--quiet` is
 * off; logs and pipes get the one-line summary instead.
 *
 * @module
 */
import type { LayerProgress } from "../layers/mod.ts";

/** Redraws happen at most this often (ms). */
const INTERVAL = 200;

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `done` of `total` bytes, with a percentage when the total is known. */
function of(done: number, total: number | undefined): string {
  if (total === undefined) return megabytes(done);
  return `${megabytes(done)} of ${megabytes(total)} (${
    Math.floor((100 * done) / Math.max(total, 1))
  }%)`;
}

/**
 * A single redrawn status line.
 *
 * @example
 * ```ts
 * import { ProgressLine } from "./progress.ts";
 * const line = new ProgressLine((text) => Deno.stderr.writeSync(new TextEncoder().encode(text)));
 * line.writing(1_000_000, 4_000_000);
 * line.finish();
 * ```
 */
export class ProgressLine {
  #write: (text: string) => void;
  #now: () => number;
  #started: number;
  #last = -Infinity;
  #drawn = false;

  constructor(write: (text: string) => void, now: () => number = () => performance.now()) {
    this.#write = write;
    this.#now = now;
    this.#started = now();
  }

  /** Pass 1: a layer started, is being read, or finished. */
  layer(progress: LayerProgress): void {
    const name = progress.name.replace(/^sha256:/, "").slice(0, 12);
    const head = `layer ${progress.index + 1}/${progress.count} ${name}`;
    if (progress.done) {
      this.#draw(`${head}: ${progress.entries} entries, ${megabytes(progress.bytes)}`, true);
      return;
    }
    if (progress.read === 0) {
      this.#draw(`${head}: reading…`, false);
      return;
    }
    const seconds = (this.#now() - this.#started) / 1000;
    const rate = seconds > 0 ? `, ${megabytes(progress.totalRead / seconds)}/s` : "";
    const total = progress.totalSize === undefined
      ? ""
      : ` · total ${of(progress.totalRead, progress.totalSize)}`;
    this.#draw(`${head}: ${of(progress.read, progress.size)}${total}${rate}`, false);
  }

  /**
   * Pass 2: `done` of `total` image bytes written (`total` is unknown up
   * front for compressed images).
   */
  writing(done: number, total: number | undefined): void {
    const seconds = (this.#now() - this.#started) / 1000;
    const rate = seconds > 0 ? `, ${megabytes(done / seconds)}/s` : "";
    this.#draw(`writing ${of(done, total)}${rate}`, done === total);
  }

  /** Ends the line so later output starts on a fresh one. */
  finish(): void {
    if (this.#drawn) this.#write("\n");
    this.#drawn = false;
  }

  #draw(text: string, force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#last < INTERVAL) return;
    this.#last = now;
    this.#write(`\r\x1b[K${text}`);
    this.#drawn = true;
  }
}

/**
 * Passes `chunks` through, telling `onBytes` the running total.
 *
 * @example
 * ```ts
 * import { counted } from "./progress.ts";
 * async function* two() { yield new Uint8Array(2); yield new Uint8Array(3); }
 * for await (const _ of counted(two(), (n) => console.log(n))) {} // 2, 5
 * ```
 */
export async function* counted(
  chunks: AsyncIterable<Uint8Array>,
  onBytes: (total: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}
