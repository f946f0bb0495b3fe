/**
 * The `oci2erofs` command line, parsed once into a typed {@link Command}:
 * option names follow mkfs.erofs, values are validated here, and everything
 * after this point trusts them.
 *
 * @module
 */
import {
  type CompressionOptions,
  ErofsError,
  type ErofsOptions,
  parseUuid,
  resolveCompression,
} from "../erofs/mod.ts";
import { parseSource, SOURCE_SYNTAX, SourceError, type SourceSpec } from "../source/mod.ts";
import { type OptionSpec, parseArgs, UsageError } from "./parse_args.ts";

/**
 * Build an image from a source.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./command.ts";
 * const command = parseCommand(["dir:rootfs", "-"], () => undefined);
 * if (command.kind === "build") console.log(command.source.kind, command.output); // dir -
 * ```
 */
export interface BuildCommand {
  readonly kind: "build";
  readonly source: SourceSpec;
  /** A file path, or `-` for standard output. */
  readonly output: string;
  readonly erofs: ErofsOptions;
  /**
   * `SOURCE_DATE_EPOCH` (when `-T` is absent): mtimes later than this are
   * clamped to it, as mkfs.erofs does.
   */
  readonly clampTime: number | undefined;
  readonly quiet: boolean;
  /** How image layers become the tree. */
  readonly layers: LayerChoice;
  /** How to reach a registry (registry sources only). */
  readonly registry: RegistryChoice;
  /** Read the registry password from standard input (`--password-stdin`). */
  readonly passwordStdin: boolean;
  /** Print a JSON summary on standard output (`--json`). */
  readonly json: boolean;
}

/** Registry options: transport and credentials. */
export interface RegistryChoice {
  readonly plainHttp?: boolean;
  readonly credentials?: { username: string; password: string };
  readonly anonymous?: boolean;
  readonly authfile?: string;
}

/** Layer-related options: which platform and layers, and what to do with whiteouts. */
export interface LayerChoice {
  readonly platform?: string;
  readonly keepWhiteouts?: boolean;
  /** 0-based from the bottom; negative counts from the top. */
  readonly layer?: number;
  readonly blob?: string;
  /** Smaller layer buffers: less memory, a little slower. */
  readonly lowMemory?: boolean;
  /**
   * Keep layer file data in a temporary file while reading the layers, so
   * that they are downloaded and decompressed once (default); false
   * (`--no-spool`) reads them a second time while writing instead.
   */
  readonly spool: boolean;
  /** Where that file goes (`--tmpdir`); default the output's directory, or TMPDIR for `-`. */
  readonly tmpdir?: string;
}

/**
 * What the command line asks for.
 *
 * @example
 * ```ts
 * import { type Command, parseCommand } from "./command.ts";
 * const command: Command = parseCommand(["--version"], () => undefined);
 * console.log(command.kind); // version
 * ```
 */
export type Command = { readonly kind: "help" } | { readonly kind: "version" } | BuildCommand;

const OPTIONS: readonly OptionSpec[] = [
  { name: "block-size", short: "b", value: true },
  { name: "compress", short: "z", value: true },
  { name: "pcluster-size", short: "C", value: true },
  { name: "extended", short: "E", value: true, multiple: true },
  { name: "workers", value: true },
  { name: "fixed-time", short: "T", value: true },
  { name: "uuid", short: "U", value: true },
  { name: "label", short: "L", value: true },
  { name: "all-root" },
  { name: "force-uid", value: true },
  { name: "force-gid", value: true },
  { name: "xattr-prefix", value: true, multiple: true },
  { name: "platform", value: true },
  { name: "plain-http" },
  { name: "username", value: true },
  { name: "password", value: true },
  { name: "creds", value: true },
  { name: "authfile", value: true },
  { name: "anonymous" },
  { name: "password-stdin" },
  { name: "json" },
  { name: "keep-whiteouts" },
  { name: "layer", value: true },
  { name: "blob", value: true },
  { name: "low-memory" },
  { name: "no-spool" },
  { name: "tmpdir", value: true },
  { name: "quiet" },
  { name: "help", short: "h" },
  { name: "version", short: "V" },
];

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { HELP } from "./command.ts";
 * console.log(HELP);
 * ```
 */
/** One help line: the syntax, then the text (on the next line when the syntax is long). */
function sourceLine(syntax: string, text: string): string {
  return syntax.length < 18
    ? `  ${syntax.padEnd(18)}${text}`
    : `  ${syntax}\n  ${"".padEnd(18)}${text}`;
}

export const HELP = `Usage: oci2erofs SOURCE OUTPUT [options]

Build an EROFS file-system image from a container image source.

SOURCE:
${
  sourceLine(
    SOURCE_SYNTAX.docker,
    "an image in a registry: alpine, ghcr.io/o/app:1, host:5000/x@sha256:…",
  )
}
${sourceLine(SOURCE_SYNTAX.dir, "a directory on this machine (like mkfs.erofs IMAGE DIR)")}
${sourceLine(SOURCE_SYNTAX.tar, "a tar archive (plain, gzip or zstd), applied as one layer")}
${sourceLine(SOURCE_SYNTAX.oci, "an OCI image layout directory")}
${sourceLine(SOURCE_SYNTAX["oci-archive"], "a tar of an OCI image layout")}
${sourceLine(SOURCE_SYNTAX["docker-archive"], "a `docker save` archive")}

OUTPUT:
  FILE              written atomically: replaced only once the image is complete
  -                 standard output

Options (named as in mkfs.erofs):
  -b SIZE           block size: a power of two from 512 to 4096 (default 4096)
  -z ALGORITHM[,LEVEL]
                    compress regular files: lz4, lz4hc (levels 1-12, default
                    9) or deflate (levels 1-9, default 1; Linux 6.6 or later)
  -C BYTES          largest physical cluster of compressed data: a multiple of
                    the block size up to 1 MiB (default one block; above one
                    block needs Linux 5.13 or later)
  -E ztailpacking   store compressed files' tails inline (Linux 5.17 or later)
  --workers=N       compress on N worker threads (default: one per core; for
                    lz4 only when the files are read from disk, as with dir:
                    and tar:; 0: none); the image is the same whatever N
  -T SECONDS        give every inode this mtime, nanoseconds 0
  -U UUID           volume UUID, "clear" or "random" (default: derived from the
                    image, so equal inputs give equal images)
  -L LABEL          volume label, at most 15 bytes
  --all-root        make every inode owned by root (uid 0, gid 0)
  --force-uid=UID   make every inode owned by UID
  --force-gid=GID   make every inode's group GID
  --xattr-prefix=P  store xattr names starting with P compactly (repeatable;
                    images then need Linux 6.4 or later)
  --plain-http      talk HTTP to the registry (loopback and test registries)
  --username=USER, --password=PASS, --creds=USER:PASS
                    registry credentials (else from --authfile, the Docker or
                    Podman auth files and credential helpers)
  --password-stdin  read the password for --username from standard input
  --authfile=FILE   the only auth file to read
  --anonymous       ignore every configured credential
  --platform=OS/ARCH[/VARIANT]
                    which image of a multi-platform index (default linux/amd64)
  --keep-whiteouts  keep OCI whiteouts as overlayfs metadata (0:0 devices,
                    trusted.overlay.opaque) instead of applying them
  --layer=N         build only layer N (0 = bottom, -1 = top); implies
                    --keep-whiteouts
  --blob=DIGEST     build only the layer with this blob digest or diff_id
  --low-memory      buffer less while reading layers (no download ahead, small
                    decoder buffers): ~20 MiB less memory, a few % slower
  --tmpdir=DIR      where layer file data waits while the layers are read
                    (default: OUTPUT's directory; TMPDIR when OUTPUT is -);
                    it takes up to the layers' uncompressed size, and is
                    deleted as soon as it is created, so nothing is left over
  --no-spool        keep no layer data on disk: read every layer a second
                    time while writing (twice the downloads, half the disk)
  --json            print a JSON summary (image digest, platform, layers, inodes,
                    size, seconds per stage) on standard output
  --quiet           no summary on standard error (warnings and errors still)
  -h, --help        show this help
  -V, --version     show the version

Environment:
  SOURCE_DATE_EPOCH when -T is not given: mtimes later than this many seconds
                    are clamped to it (as mkfs.erofs does)

Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted.
`;

const MAX_ID = 0xffffffff;

function integer(text: string, what: string, min: number, max: number): number {
  const value = /^-?[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function blockSize(text: string): number {
  const size = integer(text, "block size (-b)", 512, 4096);
  if ((size & (size - 1)) !== 0) {
    throw new UsageError(`block size (-b) must be a power of two from 512 to 4096, got ${size}`);
  }
  return size;
}

function uuid(text: string): string {
  try {
    parseUuid(text);
  } catch {
    throw new UsageError(
      `invalid UUID (-U) ${JSON.stringify(text)}: expected a UUID, "clear" or "random"`,
    );
  }
  return text;
}

function label(text: string): string {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > 15) throw new UsageError(`label (-L) is ${bytes} bytes; at most 15 allowed`);
  return text;
}

const ALGORITHMS = ["lz4", "lz4hc", "deflate"] as const;

/**
 * `-z`, `-C` and `-E` as mkfs.erofs spells them (`-zlz4hc,12`,
 * `-z lz4hc,level=12`, `-C65536`, `-E ztailpacking`), checked against the
 * block size so that a bad combination fails before any work.
 */
function compression(
  compress: string | undefined,
  pcluster: string | undefined,
  extended: string[],
  workers: string | undefined,
  blockSize: number,
): CompressionOptions | undefined {
  let ztailpacking: boolean | undefined;
  for (const list of extended) {
    for (const item of list.split(",")) {
      if (item === "ztailpacking") ztailpacking = true;
      else if (item === "^ztailpacking") ztailpacking = false;
      else throw new UsageError(`unknown extended option (-E) ${JSON.stringify(item)}`);
    }
  }
  if (compress === undefined) {
    if (pcluster !== undefined) throw new UsageError("-C needs compression (-z)");
    if (ztailpacking) throw new UsageError("-E ztailpacking needs compression (-z)");
    if (workers !== undefined) throw new UsageError("--workers needs compression (-z)");
    return undefined;
  }
  const [name, level, ...extra] = compress.split(",");
  const algorithm = ALGORITHMS.find((a) => a === name);
  if (!algorithm) {
    throw new UsageError(
      `unknown compression algorithm (-z) ${JSON.stringify(name)}: expected lz4, lz4hc or deflate`,
    );
  }
  if (extra.length > 0) throw new UsageError(`invalid -z ${JSON.stringify(compress)}`);
  const options: CompressionOptions = { algorithm };
  if (level !== undefined) {
    options.level = integer(level.replace(/^level=/, ""), `${algorithm} level (-z)`, 0, 1000);
  }
  if (pcluster !== undefined) {
    options.pclusterSize = integer(pcluster, "physical cluster size (-C)", 1, 1 << 30);
  }
  if (ztailpacking !== undefined) options.ztailpacking = ztailpacking;
  if (workers !== undefined) options.workers = integer(workers, "--workers", 0, 256);
  try {
    resolveCompression(options, blockSize);
  } catch (error) {
    if (error instanceof ErofsError) throw new UsageError(error.message);
    throw error;
  }
  return options;
}

/** `SOURCE_DATE_EPOCH`: unset or empty means none; anything but whole seconds is an error. */
function sourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(
      `environment variable SOURCE_DATE_EPOCH ${JSON.stringify(value)} is not whole seconds`,
    );
  }
  return Number(value);
}

/**
 * Parses the arguments (after the program name) and the environment into a
 * {@link Command}. Throws {@link UsageError} with a message for the user.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./command.ts";
 * const command = parseCommand(["tar:rootfs.tar", "out.erofs", "-T0"], () => undefined);
 * if (command.kind === "build") console.log(command.erofs.fixedTime); // 0
 * ```
 */
export function parseCommand(
  args: readonly string[],
  env: (name: string) => string | undefined,
): Command {
  const { values, positionals } = parseArgs(args, OPTIONS);
  if (values.has("help")) return { kind: "help" };
  if (values.has("version")) return { kind: "version" };
  const text = (name: string) => {
    const value = values.get(name);
    return typeof value === "string" ? value : undefined;
  };

  if (positionals.length < 2) {
    throw new UsageError(positionals.length === 0 ? "missing SOURCE and OUTPUT" : "missing OUTPUT");
  }
  if (positionals.length > 2) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[2])}`);
  }
  const [sourceText, output] = positionals;
  let source: SourceSpec;
  try {
    source = parseSource(sourceText);
  } catch (error) {
    if (error instanceof SourceError) throw new UsageError(error.message);
    throw error;
  }
  if (output === "") throw new UsageError("OUTPUT is empty");

  const erofs: ErofsOptions = {};
  const apply = <K extends keyof ErofsOptions>(key: K, value: ErofsOptions[K] | undefined) => {
    if (value !== undefined) erofs[key] = value;
  };
  const optional = <T>(name: string, parse: (text: string) => T) => {
    const value = text(name);
    return value === undefined ? undefined : parse(value);
  };
  apply("blockSize", optional("block-size", blockSize));
  const extended = values.get("extended");
  apply(
    "compression",
    compression(
      text("compress"),
      text("pcluster-size"),
      Array.isArray(extended) ? extended : [],
      text("workers"),
      erofs.blockSize ?? 4096,
    ),
  );
  apply(
    "fixedTime",
    optional(
      "fixed-time",
      (t) => integer(t, "time (-T)", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    ),
  );
  apply("uuid", optional("uuid", uuid));
  apply("label", optional("label", label));
  if (values.has("all-root")) erofs.allRoot = true;
  apply("forceUid", optional("force-uid", (t) => integer(t, "--force-uid", 0, MAX_ID)));
  apply("forceGid", optional("force-gid", (t) => integer(t, "--force-gid", 0, MAX_ID)));
  const prefixes = values.get("xattr-prefix");
  if (Array.isArray(prefixes)) {
    const empty = prefixes.find((prefix) => prefix === "");
    if (empty !== undefined) throw new UsageError("--xattr-prefix needs a non-empty prefix");
    erofs.xattrPrefixes = prefixes;
  }
  // -T wins over SOURCE_DATE_EPOCH, as in erofs-utils (which then never reads it).
  const clampTime = erofs.fixedTime === undefined
    ? sourceDateEpoch(env("SOURCE_DATE_EPOCH"))
    : undefined;
  const layers: LayerChoice = {
    platform: text("platform"),
    keepWhiteouts: values.has("keep-whiteouts") ? true : undefined,
    layer: optional("layer", (t) => integer(t, "--layer", -1_000_000, 1_000_000)),
    blob: text("blob"),
    lowMemory: values.has("low-memory") ? true : undefined,
    spool: !values.has("no-spool"),
    tmpdir: text("tmpdir"),
  };
  if (layers.tmpdir === "") throw new UsageError("--tmpdir needs a directory");
  if (layers.tmpdir !== undefined && !layers.spool) {
    throw new UsageError("--tmpdir and --no-spool exclude each other");
  }
  let credentials: RegistryChoice["credentials"];
  const creds = text("creds");
  const username = text("username");
  const password = text("password");
  if (creds !== undefined) {
    if (username !== undefined || password !== undefined) {
      throw new UsageError("--creds excludes --username and --password");
    }
    const colon = creds.indexOf(":");
    if (colon <= 0) throw new UsageError("--creds must be USER:PASSWORD");
    credentials = { username: creds.slice(0, colon), password: creds.slice(colon + 1) };
  } else if ((username !== undefined || password !== undefined) && !values.has("password-stdin")) {
    if (username === undefined || password === undefined) {
      throw new UsageError("--username and --password go together");
    }
    credentials = { username, password };
  }
  const passwordStdin = values.has("password-stdin");
  if (passwordStdin) {
    if (username === undefined || password !== undefined || creds !== undefined) {
      throw new UsageError("--password-stdin needs --username and excludes --password and --creds");
    }
    credentials = { username, password: "" }; // filled from standard input before use
  }
  if (credentials && values.has("anonymous")) {
    throw new UsageError("--anonymous excludes credentials");
  }
  const json = values.has("json");
  if (json && output === "-") {
    throw new UsageError("--json prints on standard output, which OUTPUT - already uses");
  }
  const registry: RegistryChoice = {
    plainHttp: values.has("plain-http") || undefined,
    credentials,
    anonymous: values.has("anonymous") || undefined,
    authfile: text("authfile"),
  };
  return {
    kind: "build",
    source,
    output,
    erofs,
    clampTime,
    quiet: values.has("quiet"),
    layers,
    registry,
    passwordStdin,
    json,
  };
}
