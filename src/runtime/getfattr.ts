/**
 * Extended attributes of a whole directory tree, read by ONE `getfattr`
 * process (Node and Deno have no xattr API) and parsed as it streams, so
 * memory stays bounded however many files carry xattrs.
 *
 * @module
 */
import { RecordSplitter } from "./record_splitter.ts";
import { streamCommand } from "./subprocess.ts";

/**
 * Receives one file's xattrs: its path relative to the root (`""` is the root).
 *
 * @example
 * ```ts
 * import { readTreeXattrs, type XattrSink } from "./getfattr.ts";
 * const sink: XattrSink = (path, xattrs) => console.log(path || "/", xattrs.size);
 * await readTreeXattrs("/srv/rootfs", sink);
 * ```
 */
export type XattrSink = (path: string, xattrs: Map<string, Uint8Array>) => void;

const utf8 = new TextDecoder("utf-8");
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const FILE_PREFIX = new TextEncoder().encode("# file: ");

/**
 * Undoes getfattr's quoting: `\ooo` (three octal digits) is one byte and
 * `\\` a backslash. Works on bytes, since names need not be UTF-8.
 */
function unescape(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(BACKSLASH)) return bytes;
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const octal = (k: number) => bytes[i + k] >= 0x30 && bytes[i + k] <= 0x37;
    if (bytes[i] === BACKSLASH && i + 3 < bytes.length && octal(1) && octal(2) && octal(3)) {
      out[n++] = ((bytes[i + 1] - 0x30) << 6) | ((bytes[i + 2] - 0x30) << 3) |
        (bytes[i + 3] - 0x30);
      i += 3;
    } else if (bytes[i] === BACKSLASH && bytes[i + 1] === BACKSLASH) {
      out[n++] = BACKSLASH;
      i += 1;
    } else {
      out[n++] = bytes[i];
    }
  }
  return out.subarray(0, n);
}

/** Decodes one value as getfattr prints it: `0s` base64, `0x` hex, `"text"`, or nothing. */
function decodeValue(text: Uint8Array, line: string): Uint8Array {
  if (text.length === 0) return new Uint8Array(0);
  const ascii = utf8.decode(text.subarray(0, 2));
  if (ascii === "0s") {
    const binary = atob(utf8.decode(text.subarray(2)));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }
  if (ascii === "0x" || ascii === "0X") {
    const hex = utf8.decode(text.subarray(2));
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new Error(`getfattr: bad hex value in ${JSON.stringify(line)}`);
    }
    return Uint8Array.from(
      { length: hex.length / 2 },
      (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16),
    );
  }
  if (text[0] === 0x22 && text[text.length - 1] === 0x22 && text.length >= 2) {
    return unescape(text.subarray(1, text.length - 1)).slice();
  }
  throw new Error(`getfattr: cannot decode value in ${JSON.stringify(line)}`);
}

/**
 * Incremental parser of `getfattr --dump` output, fed arbitrary chunks.
 * Calls the sink once per `# file:` record, with the record's absolute path.
 *
 * @example
 * ```ts
 * import { GetfattrParser } from "./getfattr.ts";
 * const parser = new GetfattrParser((path, xattrs) => console.log(path, [...xattrs.keys()]));
 * parser.push(new TextEncoder().encode('# file: /srv/a\nuser.x=0saGk=\n\n'));
 * parser.end(); // logs: /srv/a [ "user.x" ]
 * ```
 */
export class GetfattrParser {
  #sink: XattrSink;
  #lines = new RecordSplitter(NEWLINE, (line) => this.#line(line));
  #path: string | undefined;
  #xattrs = new Map<string, Uint8Array>();

  constructor(sink: XattrSink) {
    this.#sink = sink;
  }

  /** Feeds more output. */
  push(chunk: Uint8Array): void {
    this.#lines.push(chunk);
  }

  /** Flushes the last record. */
  end(): void {
    const last = this.#lines.end();
    if (last.length > 0) this.#line(last);
    this.#flush();
  }

  #flush(): void {
    if (this.#path !== undefined && this.#xattrs.size > 0) this.#sink(this.#path, this.#xattrs);
    this.#path = undefined;
    this.#xattrs = new Map();
  }

  #line(line: Uint8Array): void {
    if (line.length === 0) return this.#flush();
    if (startsWith(line, FILE_PREFIX)) {
      this.#flush();
      this.#path = utf8.decode(unescape(line.subarray(FILE_PREFIX.length)));
      return;
    }
    if (line[0] === 0x23) return; // other comments
    const text = utf8.decode(line);
    if (this.#path === undefined) {
      throw new Error(`getfattr: attribute outside a file record: ${JSON.stringify(text)}`);
    }
    // Names have '=' escaped (\075), so the first raw '=' separates the value.
    const eq = line.indexOf(EQUALS);
    const name = utf8.decode(unescape(eq < 0 ? line : line.subarray(0, eq)));
    const value = eq < 0 ? new Uint8Array(0) : decodeValue(line.subarray(eq + 1), text);
    this.#xattrs.set(name, value);
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Paths getfattr prints are `root` + `/` + relative; maps them back. */
function relativeTo(root: string, path: string): string | undefined {
  if (path === root) return "";
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

/**
 * Runs `getfattr -R -P -h -d -m - -e base64 --absolute-names ROOT` and hands
 * each file's xattrs (all namespaces; symlinks' own, never their targets') to
 * `sink` with its path relative to `root`. Resolves `false` without calling
 * the sink when getfattr is not installed.
 *
 * @example
 * ```ts
 * import { readTreeXattrs } from "./getfattr.ts";
 * const found = await readTreeXattrs("/srv/rootfs", (path, xattrs) => {
 *   console.log(path || "/", [...xattrs.keys()]);
 * });
 * if (!found) console.warn("getfattr missing: no xattrs");
 * ```
 */
export async function readTreeXattrs(
  root: string,
  sink: XattrSink,
  signal?: AbortSignal,
): Promise<boolean> {
  const parser = new GetfattrParser((path, xattrs) => {
    const relative = relativeTo(root, path);
    if (relative !== undefined) sink(relative, xattrs);
  });
  const args = ["-R", "-P", "-h", "-d", "-m", "-", "-e", "base64", "--absolute-names", "--", root];
  const found = await streamCommand("getfattr", args, (chunk) => parser.push(chunk), signal);
  if (found) parser.end();
  return found;
}
