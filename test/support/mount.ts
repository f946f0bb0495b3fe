/**
 * Letting the Linux kernel judge an EROFS image: {@link withMountedImage}
 * loop-mounts it read-only for the duration of a callback, and
 * {@link fsckImage} runs `fsck.erofs` over it. Where the kernel refuses to
 * mount (no privileges, no loop devices, no erofs driver) the image is
 * extracted with `fsck.erofs --extract` instead — loudly, and reported in the
 * result, because that judge is weaker: erofs-utils 1.5 restores no xattrs,
 * no hard links and no setuid/setgid/sticky bits.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, run, type RunResult } from "./system.ts";

/** Who produced the directory a test looked at. */
export type Judge = "kernel" | "fsck-extract";

/** What {@link withMountedImage} returns. */
export interface MountResult<T> {
  /** The callback's return value. */
  value: T;
  /** `"kernel"` for a real mount, `"fsck-extract"` for the fallback. */
  judge: Judge;
}

/** Options for {@link withMountedImage}. */
export interface MountOptions {
  /**
   * Fail instead of falling back to `fsck.erofs --extract` when the kernel
   * refuses the mount. Defaults to true when the environment variable
   * `OCI2EROFS_REQUIRE_KERNEL` is `1`.
   */
  requireKernel?: boolean;
  /** Extra `-o` mount options appended after `loop,ro`. */
  mountOptions?: string[];
  /**
   * Use `"fsck-extract"` without trying the kernel (to exercise the fallback,
   * or where the kernel lacks a feature). Default `"kernel"`.
   */
  judge?: Judge;
}

// mount(8) wording for "this machine will not let you", as opposed to "your
// image is bad" — only the former may fall back to extraction.
const REFUSED = [
  /not permitted/i,
  /permission denied/i,
  /must be superuser/i,
  /only root can/i,
  /failed to setup loop device/i,
  /could not find any free loop device/i,
  /no such device/i, // no erofs driver in this kernel
  /unknown filesystem type/i,
];

/**
 * Mounts `imagePath` read-only (`mount -t erofs -o loop,ro`) on a fresh temp
 * directory, runs `fn(root, judge)` and always unmounts and removes the
 * directory afterwards, even when `fn` throws.
 *
 * If the kernel refuses the mount, the image is extracted with
 * `fsck.erofs --extract` into the temp directory instead, a loud warning is
 * printed and the result's `judge` is `"fsck-extract"`. A mount failure that
 * is not a refusal (a corrupt image) throws, including the kernel's recent
 * erofs log lines.
 *
 * @example
 * ```ts
 * import { withMountedImage } from "./mount.ts";
 * const { value, judge } = await withMountedImage("/tmp/x.erofs", async (root) => {
 *   return (await import("node:fs/promises")).readdir(root);
 * });
 * ```
 */
export async function withMountedImage<T>(
  imagePath: string,
  fn: (root: string, judge: Judge) => Promise<T>,
  options: MountOptions = {},
): Promise<MountResult<T>> {
  const requireKernel = options.requireKernel ?? process.env.OCI2EROFS_REQUIRE_KERNEL === "1";
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-mnt-"));
  const mount = options.judge === "fsck-extract"
    ? { code: -1, stdout: "", stderr: "kernel mount not requested", stdoutBytes: new Uint8Array() }
    : await run("mount", [
      "-t",
      "erofs",
      "-o",
      ["loop", "ro", ...(options.mountOptions ?? [])].join(","),
      imagePath,
      dir,
    ]).catch((error: unknown): RunResult => ({
      code: -1,
      stdout: "",
      stderr: String(error),
      stdoutBytes: new Uint8Array(),
    }));

  if (mount.code === 0) {
    try {
      return { value: await fn(dir, "kernel"), judge: "kernel" };
    } finally {
      await unmount(dir);
      await rmdir(dir);
    }
  }

  const message = `${mount.stderr}${mount.stdout}`.trim();
  const refused = options.judge === "fsck-extract" || REFUSED.some((re) => re.test(message));
  if (requireKernel || !refused) {
    await rmdir(dir).catch(() => {});
    throw new Error(
      `mount -t erofs ${imagePath} failed (${mount.code}): ${message}${await kernelLog()}`,
    );
  }
  console.warn(
    `KERNEL MOUNT NOT AVAILABLE (${message}): ${imagePath} checked with fsck.erofs --extract instead; ` +
      "fsck.erofs 1.5 restores no xattrs, no hard links and no setuid/setgid/sticky bits, " +
      "so comparisons of those fail under this judge",
  );
  try {
    const out = join(dir, "root");
    await runFsck([`--extract=${out}`, "--preserve", imagePath]);
    return { value: await fn(out, "fsck-extract"), judge: "fsck-extract" };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Unmounts `dir`, retrying while it is busy (a just-closed file can hold it
 * for a moment), then detaching lazily so a test never leaks a mount.
 */
export async function unmount(dir: string): Promise<void> {
  let last: RunResult | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    last = await run("umount", [dir]);
    if (last.code === 0) return;
    if (!/busy/i.test(last.stderr)) break;
    await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
  }
  const lazy = await run("umount", ["-l", dir]);
  if (lazy.code !== 0) {
    throw new Error(`cannot unmount ${dir}: ${last?.stderr.trim()} / ${lazy.stderr.trim()}`);
  }
  console.warn(`unmounted ${dir} lazily after: ${last?.stderr.trim()}`);
}

// The kernel says why it rejected an image only in its log.
async function kernelLog(): Promise<string> {
  const dmesg = await run("dmesg", []).catch(() => undefined);
  if (!dmesg || dmesg.code !== 0) return "";
  const lines = dmesg.stdout.split("\n").filter((line) => /erofs|loop/i.test(line)).slice(-10);
  return lines.length > 0 ? `\nkernel log:\n${lines.join("\n")}` : "";
}

/** Options for {@link fsckImage}. */
export interface FsckOptions {
  /**
   * Also decode every file's data (`--extract` without a target), not just
   * the metadata (default true).
   */
  checkData?: boolean;
}

/**
 * Runs `fsck.erofs` on `imagePath` and throws with its output if it reports
 * a problem. Returns the output otherwise. Check {@link fsckSupports} first:
 * an older fsck rejects valid images that use features it does not know.
 */
export async function fsckImage(imagePath: string, options: FsckOptions = {}): Promise<string> {
  return await runFsck(options.checkData === false ? [imagePath] : ["--extract", imagePath]);
}

// Runs fsck.erofs and treats its error lines as failure: erofs-utils 1.5
// exits 0 even after "<E> erofs: superblock chksum doesn't match".
async function runFsck(args: string[]): Promise<string> {
  const result = await run("fsck.erofs", args);
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.code !== 0 || /^<E>|corrupt/im.test(output)) {
    throw new CommandError("fsck.erofs", args, result);
  }
  return output;
}

/** Image features that decide whether the installed `fsck.erofs` can check it. */
export interface ImageFeatures {
  /** Block size in bytes. */
  blockSize: number;
  /** Long xattr name prefixes (the XATTR_PREFIXES feature), if any. */
  xattrPrefixes?: readonly string[];
}

/**
 * The installed `fsck.erofs` version as `[major, minor]`, or `undefined` if
 * it is missing. Read once with `fsck.erofs -V` and cached.
 */
export function fsckVersion(): [number, number] | undefined {
  if (cachedVersion === null) {
    try {
      const out = execFileSync("fsck.erofs", ["-V"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const match = /(\d+)\.(\d+)/.exec(out);
      cachedVersion = match ? [Number(match[1]), Number(match[2])] : undefined;
    } catch {
      cachedVersion = undefined;
    }
  }
  return cachedVersion;
}
let cachedVersion: [number, number] | undefined | null = null;

/**
 * Why the installed `fsck.erofs` cannot check an image with `features`, or
 * `undefined` if it can. erofs-utils before 1.7 (Debian ships 1.5) knows only
 * 4096-byte blocks and no XATTR_PREFIXES feature.
 */
export function fsckUnsupportedReason(
  features: ImageFeatures,
  version: [number, number] | undefined = fsckVersion(),
): string | undefined {
  const v = version ?? [1, 5];
  const modern = v[0] > 1 || (v[0] === 1 && v[1] >= 7);
  if (modern) return undefined;
  const name = `fsck.erofs ${v.join(".")}`;
  if (features.blockSize !== 4096) {
    return `${name} only understands 4096-byte blocks, not ${features.blockSize}`;
  }
  if (features.xattrPrefixes && features.xattrPrefixes.length > 0) {
    return `${name} does not know the XATTR_PREFIXES feature`;
  }
  return undefined;
}

/**
 * Whether the installed `fsck.erofs` can check an image with `features`;
 * tests skip fsck exactly where this is false (see {@link fsckUnsupportedReason}).
 *
 * @example
 * ```ts
 * import { fsckImage, fsckSupports } from "./mount.ts";
 * if (fsckSupports({ blockSize: 4096 })) await fsckImage("/tmp/x.erofs");
 * ```
 */
export function fsckSupports(features: ImageFeatures): boolean {
  return fsckUnsupportedReason(features) === undefined;
}

/**
 * Runs {@link fsckImage} when the installed fsck supports `features`;
 * otherwise logs why it was skipped. Returns whether fsck ran.
 */
export async function fsckImageIfSupported(
  imagePath: string,
  features: ImageFeatures,
): Promise<boolean> {
  const reason = fsckUnsupportedReason(features);
  if (reason) {
    console.log(`skipping fsck of ${imagePath}: ${reason}`);
    return false;
  }
  await fsckImage(imagePath);
  return true;
}

/** Lists the mount points under the temp directory this module creates (for leak checks). */
export async function leftoverMountDirs(): Promise<string[]> {
  const names = await readdir(tmpdir());
  return names.filter((name) => name.startsWith("oci2erofs-mnt-")).map((name) =>
    join(tmpdir(), name)
  );
}
