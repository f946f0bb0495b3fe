/**
 * The image's tree as a filterable, virtualised listing: only the rows in
 * view (plus a margin) exist in the DOM, so hundreds of thousands of entries
 * scroll as smoothly as ten. Rows have a fixed height; the spacer element
 * gets the full height so the scroll bar is honest.
 *
 * @module
 */
import type { TreeEntry } from "./protocol.ts";
import { formatBytes, formatMode } from "./units.ts";

/** Rows rendered above and below the visible ones. */
const OVERSCAN = 12;

/** The elements the listing lives in. */
export interface ListingElements {
  /** The scrolling element. */
  readonly viewport: HTMLElement;
  /** Inside the viewport; gets the full height and holds the rows. */
  readonly spacer: HTMLElement;
  /** Path filter (substring, case-insensitive). */
  readonly filter: HTMLInputElement;
  /** Type filter: a kind, `special`, or empty for all. */
  readonly kind: HTMLSelectElement;
  /** Where "N of M entries" goes. */
  readonly count: HTMLElement;
}

/**
 * A listing bound to its elements.
 *
 * @example
 * ```ts
 * import { ListingView } from "./listing_view.ts";
 * const view = new ListingView({
 *   viewport: document.querySelector("#viewport")!,
 *   spacer: document.querySelector("#spacer")!,
 *   filter: document.querySelector("#filter")!,
 *   kind: document.querySelector("#kind")!,
 *   count: document.querySelector("#count")!,
 * });
 * view.show([{ path: "/", kind: "directory", size: 0, mode: 0o755, uid: 0, gid: 0 }]);
 * ```
 */
export class ListingView {
  #el: ListingElements;
  #all: readonly TreeEntry[] = [];
  #shown: readonly TreeEntry[] = [];
  #rowHeight = 28;
  #first = -1;
  #last = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(elements: ListingElements) {
    this.#el = elements;
    elements.viewport.addEventListener("scroll", () => this.#render(), { passive: true });
    elements.filter.addEventListener("input", () => this.#refilterSoon());
    elements.kind.addEventListener("change", () => this.#refilter());
    new ResizeObserver(() => this.#render(true)).observe(elements.viewport);
  }

  /** Replaces the entries and shows them with the current filters. */
  show(entries: readonly TreeEntry[]): void {
    this.#all = entries;
    this.#el.viewport.scrollTop = 0;
    this.#refilter();
  }

  #refilterSoon(): void {
    clearTimeout(this.#timer);
    // Typing fast over a big tree should not filter on every keystroke.
    this.#timer = setTimeout(() => this.#refilter(), this.#all.length > 20_000 ? 150 : 30);
  }

  #refilter(): void {
    const text = this.#el.filter.value.trim().toLowerCase();
    const kind = this.#el.kind.value;
    const special = new Set(["char", "block", "fifo", "socket"]);
    this.#shown = text === "" && kind === ""
      ? this.#all
      : this.#all.filter((entry) =>
        (kind === "" || entry.kind === kind || (kind === "special" && special.has(entry.kind))) &&
        (text === "" || entry.path.toLowerCase().includes(text))
      );
    const total = this.#all.length;
    const shown = this.#shown.length;
    // Screen readers learn the real size of the table, not just the rows in the DOM.
    this.#el.viewport.parentElement?.setAttribute("aria-rowcount", String(shown + 1));
    this.#el.count.textContent = shown === total
      ? `${total.toLocaleString()} entries`
      : `${shown.toLocaleString()} of ${total.toLocaleString()} entries`;
    this.#render(true);
  }

  #render(force = false): void {
    const { viewport, spacer } = this.#el;
    const rows = this.#shown.length;
    spacer.style.height = `${rows * this.#rowHeight}px`;
    const first = Math.max(0, Math.floor(viewport.scrollTop / this.#rowHeight) - OVERSCAN);
    const last = Math.min(
      rows,
      Math.ceil((viewport.scrollTop + viewport.clientHeight) / this.#rowHeight) + OVERSCAN,
    );
    if (!force && first === this.#first && last === this.#last) return;
    this.#first = first;
    this.#last = last;
    const fragment = document.createDocumentFragment();
    for (let i = first; i < last; i++) fragment.append(this.#row(this.#shown[i], i));
    if (rows === 0 && this.#all.length > 0) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = "No entries match the filter.";
      fragment.append(empty);
    }
    spacer.replaceChildren(fragment);
    // Measure the real row height once (fonts and zoom decide it).
    const sample = spacer.querySelector<HTMLElement>(".row");
    if (sample && sample.offsetHeight > 0 && sample.offsetHeight !== this.#rowHeight) {
      this.#rowHeight = sample.offsetHeight;
      this.#render(true);
    }
  }

  #row(entry: TreeEntry, index: number): HTMLElement {
    const row = document.createElement("div");
    row.className = `row kind-${entry.kind}`;
    row.setAttribute("role", "row");
    row.setAttribute("aria-rowindex", String(index + 2));
    row.style.top = `${index * this.#rowHeight}px`;
    const cell = (text: string, className?: string) => {
      const span = document.createElement("span");
      span.setAttribute("role", "cell");
      if (className) span.className = className;
      span.textContent = text;
      return span;
    };
    const size = entry.kind === "file"
      ? formatBytes(entry.size)
      : entry.kind === "directory"
      ? `${entry.size} ${entry.size === 1 ? "entry" : "entries"}`
      : entry.kind === "char" || entry.kind === "block"
      ? entry.target ?? ""
      : "";
    const path = cell("");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.path;
    path.append(name);
    if (entry.kind === "symlink") {
      const target = document.createElement("span");
      target.className = "target";
      target.textContent = ` → ${entry.target}`;
      path.append(target);
    }
    path.title = entry.kind === "symlink" ? `${entry.path} → ${entry.target}` : entry.path;
    row.append(
      cell(formatMode(entry.kind, entry.mode)),
      cell(`${entry.uid}:${entry.gid}`),
      cell(size, "size"),
      path,
    );
    return row;
  }
}
