/**
 * How sizes, rates and permission bits read on the page.
 *
 * @module
 */
import type { TreeEntry } from "./protocol.ts";

const UNITS = ["B", "kB", "MB", "GB", "TB"];

/**
 * Bytes in decimal units, three significant digits.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./units.ts";
 * formatBytes(1_234_567); // "1.23 MB"
 * ```
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${UNITS[unit]}`;
}

/**
 * A transfer rate from bytes and milliseconds.
 *
 * @example
 * ```ts
 * import { formatRate } from "./units.ts";
 * formatRate(5_000_000, 2000); // "2.50 MB/s"
 * ```
 */
export function formatRate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes((bytes * 1000) / ms)}/s` : "";
}

const TYPE_LETTER: Record<TreeEntry["kind"], string> = {
  file: "-",
  directory: "d",
  symlink: "l",
  char: "c",
  block: "b",
  fifo: "p",
  socket: "s",
};

/**
 * `ls -l` style mode: type letter and `rwx` triplets with setuid, setgid and sticky.
 *
 * @example
 * ```ts
 * import { formatMode } from "./units.ts";
 * formatMode("directory", 0o1777); // "drwxrwxrwt"
 * ```
 */
export function formatMode(kind: TreeEntry["kind"], mode: number): string {
  const bits = (shift: number, special: boolean, letter: string) => {
    const r = mode & (4 << shift) ? "r" : "-";
    const w = mode & (2 << shift) ? "w" : "-";
    const x = mode & (1 << shift);
    const e = special ? (x ? letter : letter.toUpperCase()) : x ? "x" : "-";
    return r + w + e;
  };
  return TYPE_LETTER[kind] + bits(6, (mode & 0o4000) !== 0, "s") +
    bits(3, (mode & 0o2000) !== 0, "s") + bits(0, (mode & 0o1000) !== 0, "t");
}
