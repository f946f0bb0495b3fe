/**
 * Temporary directories that can hold everything a test tree has: `trusted.`
 * and `security.` xattrs and POSIX ACLs. tmpfs lacks some of these on some
 * kernels, so candidate locations are probed, and if none passes a small
 * ext4 image is loop-mounted instead.
 *
 * @module
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeAcl } from "./acl.ts";
import { unmount } from "./mount.ts";
import { ensureCommands, run } from "./system.ts";

/** A scratch directory and how to get rid of it. */
export interface ScratchDir {
  /** Absolute path of the (empty) directory. */
  path: string;
  /** Removes the directory (and unmounts its ext4 image, if one was needed). */
  cleanup(): Promise<void>;
}

/** Options for {@link makeScratchDir}. */
export interface ScratchOptions {
  /** Prefix of the directory name (default `oci2erofs-`). */
  prefix?: string;
  /** Require full xattr support (default true); false takes the first location. */
  xattrs?: boolean;
}

// Probe results per base directory; filesystems do not change mid-run.
const capable = new Map<string, boolean>();

/**
 * Makes an empty directory on a filesystem that stores `trusted.`,
 * `security.` and ACL xattrs (tried: `/var/tmp`, the OS temp dir, `/tmp`;
 * then a loop-mounted ext4 image).
 */
export async function makeScratchDir(options: ScratchOptions = {}): Promise<ScratchDir> {
  const prefix = options.prefix ?? "oci2erofs-";
  for (const base of [...new Set(["/var/tmp", tmpdir(), "/tmp"])]) {
    let path: string;
    try {
      path = await mkdtemp(join(base, prefix));
    } catch {
      continue;
    }
    if (options.xattrs === false || (await supportsXattrs(base, path))) {
      return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
    }
    await rm(path, { recursive: true, force: true });
  }
  console.warn(
    "no temp directory stores trusted./security. xattrs and ACLs; using a loop-mounted ext4 image",
  );
  return await makeExt4ScratchDir(prefix);
}

/**
 * Runs `fn` with a fresh scratch directory (see {@link makeScratchDir}) and
 * removes it afterwards, also when `fn` throws.
 */
export async function withScratchDir<T>(
  fn: (dir: string) => Promise<T>,
  options: ScratchOptions = {},
): Promise<T> {
  const scratch = await makeScratchDir(options);
  try {
    return await fn(scratch.path);
  } finally {
    await scratch.cleanup();
  }
}

async function supportsXattrs(base: string, dir: string): Promise<boolean> {
  const known = capable.get(base);
  if (known !== undefined) return known;
  const probe = join(dir, "probe");
  await writeFile(probe, "");
  const acl = Buffer.from(encodeAcl([
    { tag: 0x01, perm: 6 },
    { tag: 0x02, perm: 4, id: 1000 },
    { tag: 0x04, perm: 4 },
    { tag: 0x10, perm: 4 },
    { tag: 0x20, perm: 4 },
  ])).toString("base64");
  let ok = true;
  for (
    const [name, value] of [["trusted.probe", "0sAA=="], ["security.probe", "0sAA=="], [
      "system.posix_acl_access",
      `0s${acl}`,
    ]]
  ) {
    const result = await run("setfattr", ["-n", name, "-v", value, probe]);
    if (result.code !== 0) {
      console.warn(`${base} cannot store ${name} (${result.stderr.trim()}); trying elsewhere`);
      ok = false;
      break;
    }
  }
  await rm(probe, { force: true });
  capable.set(base, ok);
  return ok;
}

/**
 * Makes a scratch directory on a freshly made, loop-mounted ext4 image (a
 * sparse 4 GiB file under `/var/tmp`), for when no temp directory will do.
 */
export async function makeExt4ScratchDir(prefix = "oci2erofs-"): Promise<ScratchDir> {
  await ensureCommands({ "mkfs.ext4": "e2fsprogs" });
  const holder = await mkdtemp(join("/var/tmp", `${prefix}ext4-`));
  const image = join(holder, "fs.img");
  const mountPoint = join(holder, "mnt");
  const path = join(mountPoint, "scratch"); // beside lost+found, so empty
  let mounted = false;
  try {
    // Sparse: only the blocks written take disk space. 256-byte inodes give
    // ext4 nanosecond times and its 1901 … 2446 range.
    await writeFile(image, "");
    await truncate(image, 4 * 2 ** 30);
    await run("mkfs.ext4", ["-q", "-I", "256", "-O", "^has_journal", image], { check: true });
    await mkdir(mountPoint);
    await run("mount", ["-o", "loop", image, mountPoint], { check: true });
    mounted = true;
    await mkdir(path);
  } catch (error) {
    if (mounted) await unmount(mountPoint);
    await rm(holder, { recursive: true, force: true });
    throw error;
  }
  return {
    path,
    cleanup: async () => {
      await unmount(mountPoint);
      await rm(holder, { recursive: true, force: true });
    },
  };
}
