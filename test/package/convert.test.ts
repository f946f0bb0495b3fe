// The library API (mod.ts): convert() into every sink, progress events, and
// the same bytes as the CLI; one image judged by the kernel.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildErofs,
  bytesContent,
  convert,
  ConvertError,
  directory,
  metadata,
  type ProgressEvent,
  Tree,
} from "../../mod.ts";
import { main } from "../../src/cli.ts";
import { withMountedImage } from "../support/mount.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BUSYBOX = `oci:${join(ROOT, "examples/busybox")}:latest`;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-api-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cliImage(args: string[]): Promise<Uint8Array> {
  const out = join(work, `cli-${Math.random().toString(36).slice(2)}.erofs`);
  const status = await main([...args, out, "--quiet"], {
    env: () => undefined,
    writeStdout: async () => {},
    stdoutIsTerminal: false,
    writeStderr: () => {},
  });
  expect(status).toBe(0);
  return new Uint8Array(readFileSync(out));
}

describe("convert", () => {
  it("streams, pipes and writes the CLI's bytes, reporting every stage", async () => {
    const events: ProgressEvent[] = [];
    const conversion = await convert(BUSYBOX, { onProgress: (e) => events.push(e) });
    expect(conversion.source.kind).toBe("oci");
    expect(conversion.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(conversion.platform).toBe("linux/amd64");
    expect(conversion.layers).toHaveLength(2);
    expect(conversion.inodes).toBeGreaterThan(3);
    expect(conversion.seconds.tree).toBeGreaterThanOrEqual(0);

    const types = events.map((e) => e.type);
    expect(types[0]).toBe("resolve");
    expect(types.at(-1)).toBe("plan");
    const done = events.filter((e) => e.type === "layer" && e.done);
    expect(done.map((e) => e.type === "layer" && e.digest)).toEqual(
      conversion.layers.map((l) => l.digest),
    );

    const expected = await cliImage([BUSYBOX]);
    expect(conversion.size).toBe(expected.length);
    const streamed = new Uint8Array(await new Response(conversion.stream()).arrayBuffer());
    expect(Buffer.from(streamed).equals(expected)).toBe(true);
    const last = events.at(-1)!;
    expect(last).toEqual({ type: "write", bytes: expected.length, total: expected.length });

    const piped: Uint8Array[] = [];
    await conversion.pipeTo(new WritableStream({ write: (c) => void piped.push(c.slice()) }));
    expect(Buffer.concat(piped).equals(expected)).toBe(true);

    const path = join(work, "api.erofs");
    await conversion.writeTo(path);
    expect(Buffer.from(readFileSync(path)).equals(expected)).toBe(true);
    const { value } = await withMountedImage(path, async (root) => ({
      bin: (await readdir(join(root, "bin"))).includes("busybox"),
    }));
    expect(value.bin).toBe(true);
  });

  it("takes the writer's options flat and file-tree sources", async () => {
    const hello = join(ROOT, "examples/hello.tar");
    const conversion = await convert(`tar:${hello}`, { blockSize: 1024, fixedTime: 0 });
    expect(conversion.blockSize).toBe(1024);
    expect(conversion.image).toBeUndefined();
    expect(conversion.layers).toEqual([]);
    const bytes = new Uint8Array(await new Response(conversion.stream()).arrayBuffer());
    expect(Buffer.from(bytes).equals(await cliImage([`tar:${hello}`, "-b", "1024", "-T", "0"])))
      .toBe(true);
  });

  it("refuses layer options for file trees before any work", async () => {
    await expect(convert("dir:/nonexistent", { layer: 0 })).rejects.toThrow(ConvertError);
  });

  it("builds custom trees", async () => {
    const tree = new Tree();
    tree.add("etc", directory(metadata({ mode: 0o755 })));
    tree.add("etc/hostname", {
      kind: "file",
      meta: metadata({ mode: 0o644 }),
      content: bytesContent(new TextEncoder().encode("box\n")),
    });
    const image = await buildErofs(tree, { fixedTime: 0 });
    expect(image.inodes).toBe(3);
  });
});
