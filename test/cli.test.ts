// The oci2erofs command: in-process through main(), and as real Node and Deno processes.
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, type ProcessIo } from "../src/cli.ts";
import { VERSION } from "../src/version.ts";
import { archive, member } from "./layers/tar/craft.ts";

const ROOT = resolve(import.meta.dirname, "..");
const HELLO = join(ROOT, "examples/hello.tar");
const DENO = join(ROOT, "node_modules/.bin/deno");
let work: string;

interface Run {
  status: number;
  stdout: Uint8Array;
  stderr: string;
}

async function run(
  args: string[],
  options: { env?: Record<string, string>; terminal?: boolean; signal?: AbortSignal } = {},
): Promise<Run> {
  const out: Uint8Array[] = [];
  let stderr = "";
  const io: ProcessIo = {
    env: (name) => options.env?.[name],
    async writeStdout(chunks) {
      for await (const chunk of chunks) out.push(chunk.slice());
    },
    stdoutIsTerminal: options.terminal ?? false,
    writeStderr: (text) => void (stderr += text),
    signal: options.signal,
  };
  const status = await main(args, io);
  return { status, stdout: Buffer.concat(out), stderr };
}

const read = (path: string) => new Uint8Array(readFileSync(path));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("help and version", () => {
  it("--help and -h print usage on stdout", async () => {
    for (const flag of ["--help", "-h"]) {
      const { status, stdout, stderr } = await run([flag]);
      expect(status).toBe(0);
      expect(new TextDecoder().decode(stdout)).toMatch(
        /^Usage: oci2erofs SOURCE OUTPUT \[options\]\n/,
      );
      expect(stderr).toBe("");
    }
  });

  it("--version and -V print the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    expect(VERSION).toBe(pkg.version);
    expect(VERSION).toBe(deno.version);
    for (const flag of ["--version", "-V"]) {
      const { status, stdout } = await run([flag]);
      expect(status).toBe(0);
      expect(new TextDecoder().decode(stdout)).toBe(`oci2erofs ${pkg.version}\n`);
    }
  });
});

describe("usage errors", () => {
  const out = () => join(work, "usage.erofs");
  const cases: [string, string[], Record<string, string>?][] = [
    ["no arguments", []],
    ["no output", ["tar:x.tar"]],
    ["extra argument", ["tar:x.tar", "OUT", "more"]],
    ["unknown option", ["--bogus", "tar:x.tar", "OUT"]],
    ["unknown short option", ["-Q", "tar:x.tar", "OUT"]],
    ["block size not a power of two", ["-b", "1000", "tar:x.tar", "OUT"]],
    ["block size too big", ["-b8192", "tar:x.tar", "OUT"]],
    ["block size not a number", ["-b4k", "tar:x.tar", "OUT"]],
    ["bad UUID", ["-U", "not-a-uuid", "tar:x.tar", "OUT"]],
    ["long label", ["-L", "sixteen-bytes-xx", "tar:x.tar", "OUT"]],
    ["negative uid", ["--force-uid=-1", "tar:x.tar", "OUT"]],
    ["huge gid", ["--force-gid", "4294967296", "tar:x.tar", "OUT"]],
    ["missing value", ["tar:x.tar", "OUT", "-T"]],
    ["bad time", ["-Tnoon", "tar:x.tar", "OUT"]],
    ["flag with a value", ["--all-root=1", "tar:x.tar", "OUT"]],
    ["empty xattr prefix", ["--xattr-prefix=", "tar:x.tar", "OUT"]],
    ["unsupported source", ["Tar:x", "OUT"]],
    ["bad SOURCE_DATE_EPOCH", [`tar:${HELLO}`, "OUT"], { SOURCE_DATE_EPOCH: "yesterday" }],
  ];
  it.each(cases)("%s: exit 2, one line, no output", async (_, args, env) => {
    const { status, stdout, stderr } = await run(args.map((a) => (a === "OUT" ? out() : a)), {
      env,
    });
    expect(status).toBe(2);
    expect(stdout.length).toBe(0);
    expect(stderr).toMatch(/^oci2erofs: [^\n]+ \(see oci2erofs --help\)\n$/);
    expect(existsSync(out())).toBe(false);
  });

  it("names the problem", async () => {
    expect((await run(["Tar:x", "x"])).stderr).toMatch(
      /^oci2erofs: unsupported source "Tar:x" \(as an image reference: [^)]+\); supported: \[docker:\/\/\]REF, dir:PATH, tar:FILE, .* \(see oci2erofs --help\)\n$/,
    );
    expect((await run(["-b1000", "tar:a", "b"])).stderr).toMatch(
      /block size \(-b\) must be a power of two from 512 to 4096, got 1000/,
    );
    expect((await run(["--frobnicate", "tar:a", "b"])).stderr).toMatch(
      /unknown option --frobnicate/,
    );
  });

  it("refuses to write an image to a terminal", async () => {
    const { status, stderr } = await run([`tar:${HELLO}`, "-"], { terminal: true });
    expect(status).toBe(2);
    expect(stderr).toMatch(/refusing to write an image to a terminal/);
  });
});

describe("failures leave no output", () => {
  it("a missing or hostile source: exit 1, one line, no file (an old one untouched)", async () => {
    const dir = join(work, "fail");
    mkdirSync(dir);
    const evil = join(dir, "evil.tar");
    writeFileSync(evil, archive(member({ name: "../escape" })));
    const output = join(dir, "out.erofs");
    for (
      const source of [
        `tar:${join(dir, "missing.tar")}`,
        `dir:${join(dir, "missing")}`,
        `tar:${evil}`,
      ]
    ) {
      const { status, stderr } = await run([source, output]);
      expect(status).toBe(1);
      expect(stderr).toMatch(/^oci2erofs: [^\n]+\n$/);
    }
    expect((await run([`tar:${evil}`, output])).stderr).toBe(
      "oci2erofs: \"../escape\": path leaves the root ('..' component)\n",
    );
    writeFileSync(output, "previous image");
    expect((await run([`tar:${evil}`, output])).status).toBe(1);
    expect(readFileSync(output, "utf8")).toBe("previous image");
    expect(readdirSync(dir).sort()).toEqual(["evil.tar", "out.erofs"]);
  });

  it("an interrupt: exit 130, no file", async () => {
    const controller = new AbortController();
    controller.abort(new Error("interrupted by SIGINT"));
    const output = join(work, "interrupted.erofs");
    const { status, stderr } = await run([`tar:${HELLO}`, output], { signal: controller.signal });
    expect(status).toBe(130);
    expect(stderr).toBe("oci2erofs: interrupted\n");
    expect(existsSync(output)).toBe(false);
  });
});

describe("building images", () => {
  it("tar: and dir: give identical images, to a file and to stdout", async () => {
    const rootfs = join(work, "hello-rootfs");
    mkdirSync(rootfs);
    execFileSync("tar", ["-C", rootfs, "-xpf", HELLO, "--numeric-owner"]);
    const fromTar = join(work, "tar.erofs");
    const fromDir = join(work, "dir.erofs");
    const tarRun = await run([`tar:${HELLO}`, fromTar]);
    expect(tarRun).toMatchObject({
      status: 0,
      stderr: `oci2erofs: wrote ${read(fromTar).length} bytes to ${fromTar}\n`,
    });
    expect((await run([`dir:${rootfs}`, fromDir, "--quiet"])).status).toBe(0);
    const toStdout = await run([`tar:${HELLO}`, "-", "--quiet"]);
    expect(toStdout).toMatchObject({ status: 0, stderr: "" });
    expect(read(fromTar).length).toBeGreaterThan(0);
    expect(same(toStdout.stdout, read(fromTar))).toBe(true);
    expect(same(read(fromDir), read(fromTar))).toBe(true);
  });

  it("accepts both option spellings, and SOURCE_DATE_EPOCH clamps unless -T is given", async () => {
    const build = async (args: string[], env?: Record<string, string>) => {
      const result = await run([`tar:${HELLO}`, "-", "--quiet", ...args], { env });
      expect(result.status).toBe(0);
      return Buffer.from(result.stdout).toString("base64");
    };
    expect(await build(["-T0", "--force-uid=7"])).toBe(
      await build(["-T", "0", "--force-uid", "7"]),
    );
    expect(await build(["-b512", "-Uclear", "-Lhello"])).toBe(
      await build(["-b", "512", "-U", "clear", "-L", "hello"]),
    );
    expect(await build(["-b512"])).not.toBe(await build([]));
    // hello.tar's mtimes are all 0: an epoch of 0 clamps nothing away from 0...
    expect(await build([], { SOURCE_DATE_EPOCH: "0" })).toBe(await build([]));
    // ...and -T wins over the environment.
    expect(await build(["-T5"], { SOURCE_DATE_EPOCH: "0" })).toBe(await build(["-T5"]));
    expect(await build(["-T5"])).not.toBe(await build([]));
  });

  it("clamps mtimes after SOURCE_DATE_EPOCH, as mkfs.erofs does", async () => {
    const dir = join(work, "clamp");
    mkdirSync(dir);
    writeFileSync(join(dir, "new"), "n");
    execFileSync("touch", ["-d", "@2000000000", join(dir, "new"), dir]);
    const build = async (args: string[], env?: Record<string, string>) =>
      Buffer.from((await run([`dir:${dir}`, "-", "--quiet", ...args], { env })).stdout).toString(
        "base64",
      );
    // Everything is later than the epoch, so clamping equals fixing the time.
    expect(await build([], { SOURCE_DATE_EPOCH: "1000" })).toBe(await build(["-T1000"]));
    expect(await build([], { SOURCE_DATE_EPOCH: "1000" })).not.toBe(await build([]));
  });
});

describe("as processes", () => {
  it("Deno and Node give byte-identical images, to files and to stdout", async () => {
    const node = join(work, "node.erofs");
    expect((await run([`tar:${HELLO}`, node, "--quiet"])).status).toBe(0);
    const denoFile = join(work, "deno.erofs");
    const denoRun = spawnSync(DENO, [
      "run",
      "-A",
      join(ROOT, "src/cli.ts"),
      `tar:${HELLO}`,
      denoFile,
    ], {
      cwd: ROOT,
      encoding: "buffer",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(denoRun.stderr.toString()).toBe(
      `oci2erofs: wrote ${read(node).length} bytes to ${denoFile}\n`,
    );
    expect(denoRun.status).toBe(0);
    expect(same(read(denoFile), read(node))).toBe(true);
    const denoStdout = spawnSync(DENO, [
      "run",
      "-A",
      join(ROOT, "src/cli.ts"),
      `tar:${HELLO}`,
      "-",
      "--quiet",
    ], {
      cwd: ROOT,
      maxBuffer: 1 << 30,
    });
    expect(denoStdout.status).toBe(0);
    expect(same(denoStdout.stdout, read(node))).toBe(true);
    const denoUsage = spawnSync(DENO, ["run", "-A", join(ROOT, "src/cli.ts"), "nope"], {
      cwd: ROOT,
    });
    expect(denoUsage.status).toBe(2);
  });

  it("Deno and Node read directories identically (nanosecond and pre-1970 times, xattrs)", async () => {
    const dir = join(work, "deno-dir");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub/file"), "x");
    execFileSync("touch", ["-d", "@1700000000.123456789", join(dir, "sub/file")]);
    execFileSync("touch", ["-d", "@-1.5", join(dir, "sub")]);
    execFileSync("setfattr", ["-n", "user.k", "-v", "v", join(dir, "sub/file")]);
    const node = await run([`dir:${dir}`, "-", "--quiet"]);
    expect(node.status).toBe(0);
    const deno = spawnSync(DENO, [
      "run",
      "-A",
      join(ROOT, "src/cli.ts"),
      `dir:${dir}`,
      "-",
      "--quiet",
    ], {
      cwd: ROOT,
      maxBuffer: 1 << 30,
    });
    expect(deno.stderr.toString()).toBe("");
    expect(same(deno.stdout, node.stdout)).toBe(true);
  });

  it("bin/oci2erofs.js runs the compiled CLI (exit statuses, stdout)", () => {
    // Compile into a scratch copy of the package layout rather than touching dist/.
    const pkg = join(work, "pkg");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    execFileSync(join(ROOT, "node_modules/.bin/tsc"), [
      "-p",
      join(ROOT, "tsconfig.build.json"),
      "--outDir",
      join(pkg, "dist"),
      "--declaration",
      "false",
    ]);
    copyFileSync(join(ROOT, "bin/oci2erofs.js"), join(pkg, "bin/oci2erofs.js"));
    // tsc copies no assets: the wasm module the writer loads goes next to its loader.
    const wasm = join(ROOT, "src/wasm");
    for (
      const name of existsSync(wasm) ? readdirSync(wasm).filter((n) => n.endsWith(".wasm")) : []
    ) {
      copyFileSync(join(ROOT, "src/wasm", name), join(pkg, "dist/src/wasm", name));
    }
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ type: "module" }));
    // As installed, the package has its dependencies (fflate for gzip where no native one exists).
    if (!existsSync(join(pkg, "node_modules"))) {
      symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
    }
    const bin = join(pkg, "bin/oci2erofs.js");
    const node = join(work, "node.erofs");
    if (!existsSync(node)) execFileSync(process.execPath, [bin, `tar:${HELLO}`, node, "--quiet"]);
    const viaBin = spawnSync(process.execPath, [bin, `tar:${HELLO}`, "-", "--quiet"], {
      maxBuffer: 1 << 30,
    });
    expect(viaBin.status).toBe(0);
    expect(same(viaBin.stdout, read(node))).toBe(true);
    expect(spawnSync(process.execPath, [bin, "--version"]).stdout.toString()).toBe(
      `oci2erofs ${VERSION}\n`,
    );
    expect(spawnSync(process.execPath, [bin, "tar:"]).status).toBe(2);
    const missing = spawnSync(process.execPath, [
      bin,
      `tar:${join(work, "missing.tar")}`,
      join(work, "x.erofs"),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString()).toMatch(/^oci2erofs: ENOENT[^\n]*\n$/);
  });
});
