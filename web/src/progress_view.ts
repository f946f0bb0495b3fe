/**
 * Download progress as the page shows it: one row per layer (digest, bytes
 * of the blob read, rate, entries) and an overall bar over all layers.
 * Pass 1 (reading the image) drives it; pass 2 has its own bar in the save
 * area.
 *
 * @module
 */
import type { WorkerEvent } from "./protocol.ts";
import { formatBytes, formatRate } from "./units.ts";

type Resolved = Extract<WorkerEvent, { type: "resolved" }>;
type LayerUpdate = Extract<WorkerEvent, { type: "layer" }>;

interface LayerRow {
  readonly digest: HTMLElement;
  readonly bar: HTMLProgressElement;
  readonly text: HTMLElement;
  size: number | undefined;
  read: number;
  started: number | undefined;
  done: boolean;
}

/** The elements progress is drawn into. */
export interface ProgressElements {
  readonly section: HTMLElement;
  readonly info: HTMLElement;
  readonly list: HTMLOListElement;
  readonly overallBar: HTMLProgressElement;
  readonly overallText: HTMLElement;
}

/**
 * Per-layer and overall progress.
 *
 * @example
 * ```ts
 * import { ProgressView } from "./progress_view.ts";
 * declare const elements: import("./progress_view.ts").ProgressElements;
 * const view = new ProgressView(elements);
 * view.reset();
 * ```
 */
export class ProgressView {
  #el: ProgressElements;
  #rows: LayerRow[] = [];
  #started = 0;

  constructor(elements: ProgressElements) {
    this.#el = elements;
  }

  /** Clears everything and hides the section. */
  reset(): void {
    this.#rows = [];
    this.#el.list.replaceChildren();
    this.#el.section.hidden = true;
    this.#el.overallBar.value = 0;
    this.#el.overallBar.classList.remove("done");
    this.#el.overallText.textContent = "";
  }

  /** The image is known: one row per layer, filled in as layers are read. */
  resolved(image: Resolved): void {
    this.#started = performance.now();
    this.#el.info.textContent = `${image.reference} · ${image.platform} · ${image.layers} layer${
      image.layers === 1 ? "" : "s"
    } · ${image.digest.slice(0, 19)}…`;
    this.#el.info.title = image.digest;
    this.#rows = Array.from({ length: image.layers }, (_, index) => {
      const item = document.createElement("li");
      const number = document.createElement("span");
      number.className = "index";
      number.textContent = String(index + 1);
      const digest = document.createElement("span");
      digest.className = "digest";
      digest.textContent = "…";
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = 0;
      bar.setAttribute("aria-label", `layer ${index + 1}`);
      const text = document.createElement("span");
      text.className = "numbers";
      text.textContent = "waiting";
      item.append(number, digest, bar, text);
      this.#el.list.append(item);
      return { digest, bar, text, size: undefined, read: 0, started: undefined, done: false };
    });
    this.#el.section.hidden = false;
    this.#overall();
  }

  /** A layer was read some more. */
  layer(update: LayerUpdate): void {
    const row = this.#rows[update.index];
    if (!row) return;
    const now = performance.now();
    row.started ??= now;
    row.size = update.size;
    row.read = update.read;
    row.done = update.done;
    row.digest.textContent = update.digest.replace(/^sha256:/, "").slice(0, 16);
    row.digest.title = update.digest;
    if (update.size !== undefined) row.bar.max = Math.max(update.size, 1);
    row.bar.value = update.done ? row.bar.max : update.size === undefined ? 0 : update.read;
    const rate = formatRate(update.read, now - row.started);
    const of = update.size === undefined ? "" : ` of ${formatBytes(update.size)}`;
    row.text.textContent = update.done
      ? `${formatBytes(update.read)} · ${update.entries.toLocaleString()} entries · checked ✓`
      : `${formatBytes(update.read)}${of}${rate ? ` · ${rate}` : ""}`;
    row.bar.classList.toggle("done", update.done);
    this.#overall();
  }

  #overall(): void {
    const known = this.#rows.every((row) => row.size !== undefined);
    const total = this.#rows.reduce((sum, row) => sum + (row.size ?? 0), 0);
    const bytes = this.#rows.reduce((sum, row) => sum + row.read, 0);
    const done = this.#rows.every((row) => row.done);
    this.#el.overallBar.max = Math.max(total, 1);
    this.#el.overallBar.value = done ? this.#el.overallBar.max : known ? bytes : 0;
    this.#el.overallBar.classList.toggle("done", done && this.#rows.length > 0);
    const rate = formatRate(bytes, performance.now() - this.#started);
    const of = known ? ` of ${formatBytes(total)}` : "";
    this.#el.overallText.textContent = `${formatBytes(bytes)}${of}${
      rate && !done ? ` · ${rate}` : ""
    }${done ? " · all layers checked" : ""}`;
  }
}
