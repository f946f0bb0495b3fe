/**
 * Nanosecond mtimes of a whole directory tree from ONE GNU `find` process,
 * for runtimes whose `lstat` rounds times to milliseconds (Deno's
 * `node:fs`, as of 2.x, derives `mtimeNs` from a millisecond `Date`). Without
 * this, Deno and Node would build different images from the same directory.
 *
 * @module
 */
import type { Timestamp } from "../tree/mod.ts";
import { RecordSplitter } from "./record_splitter.ts";
import { streamCommand } from "./subprocess.ts";

const utf8 = new TextDecoder("utf-8");

/**
 * Whether this runtime's `lstat` loses sub-millisecond precision. Deno is
 * the one known case; Node reads `st_mtim` exactly.
 *
 * @example
 * ```ts
 * import { lstatRoundsTimes } from "./find_times.ts";
 * if (lstatRoundsTimes()) console.log("exact mtimes need GNU find here");
 * ```
 */
export function lstatRoundsTimes(): boolean {
  return typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
}

/**
 * Parses `find -printf '%P\0%Ts\0%TT\0'` output: the path relative to the
 * start point, whole seconds (floored, so right for times before 1970), and
 * the time of day whose fraction is the nanoseconds. (`%T@` would be simpler
 * but prints "sec.nsec" for negative times, e.g. `-2.5` for 1.5 s before the
 * epoch.) Feed chunks with {@link push}, then call {@link end}.
 *
 * @example
 * ```ts
 * import { FindTimesParser } from "./find_times.ts";
 * const parser = new FindTimesParser((path, time) => console.log(path, time));
 * parser.push(new TextEncoder().encode("etc\u0000-2\u000023:59:58.5000000000\u0000"));
 * parser.end(); // logs: etc { sec: -2, nsec: 500000000 }
 * ```
 */
export class FindTimesParser {
  #sink: (path: string, mtime: Timestamp) => void;
  #fields: string[] = [];
  #records = new RecordSplitter(0, (field) => this.#field(utf8.decode(field)));

  constructor(sink: (path: string, mtime: Timestamp) => void) {
    this.#sink = sink;
  }

  /** Feeds more output. */
  push(chunk: Uint8Array): void {
    this.#records.push(chunk);
  }

  /** Checks nothing was left half-parsed. */
  end(): void {
    if (this.#records.rest.length > 0 || this.#fields.length > 0) {
      throw new Error("find: output ends mid-record");
    }
  }

  #field(field: string): void {
    this.#fields.push(field);
    if (this.#fields.length < 3) return;
    const [path, seconds, timeOfDay] = this.#fields;
    this.#fields = [];
    const fraction = /\.([0-9]+)$/.exec(timeOfDay)?.[1] ?? "";
    const sec = Number(seconds);
    if (!/^-?[0-9]+$/.test(seconds) || !Number.isSafeInteger(sec)) {
      throw new Error(`find: bad time ${JSON.stringify(seconds)} for ${JSON.stringify(path)}`);
    }
    this.#sink(path, { sec, nsec: Number(fraction.slice(0, 9).padEnd(9, "0")) });
  }
}

/**
 * Runs `find ROOT -printf …` and hands each entry's exact mtime to `sink`
 * with its path relative to `root` (`""` is the root). Resolves `false` when
 * GNU find is not available (not installed, or a BSD find without `-printf`).
 *
 * @example
 * ```ts
 * import { readTreeTimes } from "./find_times.ts";
 * await readTreeTimes("/srv/rootfs", (path, mtime) => console.log(path || "/", mtime));
 * ```
 */
export async function readTreeTimes(
  root: string,
  sink: (path: string, mtime: Timestamp) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const parser = new FindTimesParser(sink);
  let found: boolean;
  try {
    found = await streamCommand(
      "find",
      [root, "-printf", "%P\\0%Ts\\0%TT\\0"],
      (chunk) => parser.push(chunk),
      signal,
    );
  } catch (error) {
    // BSD find rejects -printf: treat like a missing tool.
    if (signal?.aborted || !/printf|unknown primary|illegal option/i.test(String(error))) {
      throw error;
    }
    return false;
  }
  if (found) parser.end();
  return found;
}
