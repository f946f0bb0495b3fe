// Sparse members: GNU tar --sparse in every format it writes (old GNU 'S',
// PAX 0.0, 0.1, 1.0) read back with their holes, through every input kind,
// plus hand-made hostile maps.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTar, sparseContent, TarError, type TarInput } from "../../../src/layers/tar/mod.ts";
import { bytesContent } from "../../../src/tree/mod.ts";
import { archive, chunked, concat, member, paxMember, readAll } from "./craft.ts";

let work: string;
const text = (s: string) => new TextEncoder().encode(s);

/** name → [size, writes at offsets]; files are made with truncate + dd seek. */
const FILES: Record<string, { size: number; writes: [number, string][] }> = {
  // Data in the middle, holes on both sides.
  middle: { size: 1 << 20, writes: [[100_000, "HELLO"], [700_000, "END"]] },
  // Data at the very start and at the very end.
  edges: { size: 300_000, writes: [[0, "start"], [299_995, "final"]] },
  // Nothing but a hole.
  empty: { size: 5 << 20, writes: [] },
  // More segments than an old GNU header holds (4) and than one extension block (21).
  many: {
    size: 40 * 65536,
    writes: Array.from(
      { length: 40 },
      (_, i) => [i * 65536 + 1000 + i, `seg${i}`.repeat(i + 1)] as [number, string],
    ),
  },
  // An ordinary dense file after the sparse ones, to check skipping.
  zdense: { size: 10_000, writes: [[0, "x".repeat(10_000)]] },
};

function expected(name: string): Uint8Array {
  const { size, writes } = FILES[name];
  const out = new Uint8Array(size);
  for (const [at, data] of writes) out.set(text(data), at);
  return out;
}

const ARCHIVES: Record<string, string[]> = {
  gnu: ["--format=gnu"],
  "pax-0.0": ["--format=posix", "--sparse-version=0.0"],
  "pax-0.1": ["--format=posix", "--sparse-version=0.1"],
  "pax-1.0": ["--format=posix", "--sparse-version=1.0"],
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-sparse-"));
  const src = join(work, "src");
  mkdirSync(src);
  for (const [name, { size, writes }] of Object.entries(FILES)) {
    const path = join(src, name);
    execFileSync("truncate", ["-s", String(size), path]);
    for (const [at, data] of writes) {
      execFileSync("dd", [`of=${path}`, "bs=1", `seek=${at}`, "conv=notrunc", "status=none"], {
        input: data,
      });
    }
    // The archive must be made from what the disk really holds.
    expect(Buffer.compare(readFileSync(path), expected(name))).toBe(0);
  }
  for (const [format, flags] of Object.entries(ARCHIVES)) {
    execFileSync("tar", [
      "--sparse",
      ...flags,
      "-cf",
      join(work, `${format}.tar`),
      "-C",
      src,
      ...Object.keys(FILES),
    ]);
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function inputsOf(bytes: Uint8Array<ArrayBuffer>): Record<string, () => TarInput> {
  return {
    blob: () => new Blob([bytes]),
    stream: () => chunked(bytes, 4093), // odd chunking splits maps and headers
  };
}

describe("readTar: sparse members written by GNU tar", () => {
  for (const format of Object.keys(ARCHIVES)) {
    it(`reads ${format} sparse files back with their holes`, async () => {
      const bytes = new Uint8Array(readFileSync(join(work, `${format}.tar`)));
      for (const [kind, input] of Object.entries(inputsOf(bytes))) {
        const members = await readAll(input());
        expect(members.map((m) => m.entry.path), kind).toEqual(Object.keys(FILES));
        for (const { entry, data } of members) {
          expect(entry.type).toBe("file");
          expect(entry.size, `${kind} ${entry.path}`).toBe(FILES[entry.path].size);
          expect(data.length).toBe(entry.size);
          expect(Buffer.compare(data, expected(entry.path)), `${kind} ${entry.path}`).toBe(0);
          if (entry.path !== "zdense") expect(entry.sparse, entry.path).toBeDefined();
        }
      }
      // Sanity: the archive really is in the format the test claims.
      expect(String.fromCharCode(bytes[156])).toBe(format === "gnu" ? "S" : "x");
    });

    it(`gives ${format} sparse members a map that re-reads from the archive by offset`, async () => {
      const bytes = new Uint8Array(readFileSync(join(work, `${format}.tar`)));
      for await (const { entry } of readTar(new Blob([bytes]))) {
        if (!entry.sparse) continue;
        const storedSize = entry.sparse.reduce((n, s) => n + s.length, 0);
        const stored = bytesContent(
          bytes.subarray(entry.dataOffset, entry.dataOffset + storedSize),
        );
        const content = sparseContent(entry.size, entry.sparse, stored);
        const want = expected(entry.path);
        // The whole file, and ranges that start and end inside holes and data.
        for (
          const [start, end] of [[0, entry.size], [1, entry.size - 1], [99_999, 100_003], [0, 0], [
            entry.size,
            entry.size,
          ]]
        ) {
          if (end > entry.size || start > end) continue;
          const parts: Uint8Array[] = [];
          for await (const chunk of content.stream(start, end)) parts.push(chunk);
          expect(
            Buffer.compare(concat(parts), want.subarray(start, end)),
            `${entry.path} [${start}, ${end})`,
          ).toBe(0);
        }
      }
    });
  }

  it("skips sparse bodies that are not read, or read only in part", async () => {
    const bytes = new Uint8Array(readFileSync(join(work, "pax-1.0.tar")));
    for (const input of Object.values(inputsOf(bytes))) {
      const seen: string[] = [];
      for await (const { entry, body } of readTar(input())) {
        seen.push(entry.path);
        if (entry.path === "middle") {
          for await (const chunk of body) {
            expect(chunk.length).toBeGreaterThan(0);
            break; // leave the rest
          }
        }
        if (entry.path === "zdense") {
          const parts: Uint8Array[] = [];
          for await (const chunk of body) parts.push(chunk);
          expect(concat(parts)).toEqual(expected("zdense"));
        }
      }
      expect(seen).toEqual(Object.keys(FILES));
    }
  });

  it("reads what bsdtar writes for sparse files", async () => {
    const out = join(work, "bsd.tar");
    try {
      execFileSync("bsdtar", [
        "--read-sparse",
        "--format=pax",
        "-cf",
        out,
        "-C",
        join(work, "src"),
        "middle",
        "zdense",
      ]);
    } catch {
      return; // no bsdtar here: GNU tar covers the formats
    }
    const members = await readAll(new Blob([readFileSync(out)]));
    expect(members.map((m) => m.entry.path)).toEqual(["middle", "zdense"]);
    for (const { entry, data } of members) {
      expect(Buffer.compare(data, expected(entry.path))).toBe(0);
    }
  });
});

describe("readTar: hostile sparse maps", () => {
  const paxSparse = (records: [string, string][], name: string, data: Uint8Array) =>
    archive(paxMember(records), member({ name }, data));

  async function failure(bytes: Uint8Array<ArrayBuffer>): Promise<string[]> {
    const messages: string[] = [];
    for (const input of Object.values(inputsOf(bytes))) {
      const error = await readAll(input()).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TarError);
      messages.push((error as TarError).message);
    }
    return messages;
  }

  it("reads a hand-made 0.1 map and rejects inconsistent ones, naming the entry", async () => {
    const ok = paxSparse(
      [["GNU.sparse.size", "20"], ["GNU.sparse.map", "5,3,15,2"]],
      "f",
      text("abcde"),
    );
    const [{ data }] = await readAll(new Blob([ok]));
    expect([...data]).toEqual([0, 0, 0, 0, 0, 97, 98, 99, 0, 0, 0, 0, 0, 0, 0, 100, 101, 0, 0, 0]);

    const cases: [[string, string][], Uint8Array, RegExp][] = [
      [
        [["GNU.sparse.size", "20"], ["GNU.sparse.map", "5,3,6,2"]],
        text("abcde"),
        /overlap or are out of order/,
      ],
      [
        [["GNU.sparse.size", "20"], ["GNU.sparse.map", "19,5"]],
        text("abcde"),
        /ends past the real size 20/,
      ],
      [
        [["GNU.sparse.size", "20"], ["GNU.sparse.map", "0,3"]],
        text("abcde"),
        /covers 3 bytes but the archive stores 5/,
      ],
      [
        [["GNU.sparse.size", "20"], ["GNU.sparse.map", "0,3,7"]],
        text("abc"),
        /odd number of values/,
      ],
      [
        [["GNU.sparse.size", "20"], ["GNU.sparse.map", "0,-3"]],
        text("abc"),
        /invalid GNU.sparse.map value/,
      ],
      [[["GNU.sparse.map", "0,3"]], text("abc"), /without GNU.sparse.realsize/],
      [
        [["GNU.sparse.size", "20"], ["GNU.sparse.numblocks", "2"], ["GNU.sparse.map", "0,3"]],
        text("abc"),
        /numblocks is 2/,
      ],
      [
        [["GNU.sparse.major", "2"], ["GNU.sparse.minor", "0"], ["GNU.sparse.realsize", "3"]],
        text("abc"),
        /format 2.0 is not supported/,
      ],
      // 1.0: the map must fit in the data, and be decimal lines.
      [
        [["GNU.sparse.major", "1"], ["GNU.sparse.minor", "0"], ["GNU.sparse.realsize", "3"]],
        text("1\n0\n3\n"),
        /sparse map runs past the member's data/,
      ],
      [
        [["GNU.sparse.major", "1"], ["GNU.sparse.minor", "0"], ["GNU.sparse.realsize", "3"]],
        concat([text("1\n0\nx\n"), new Uint8Array(1000)]),
        /unexpected byte 0x78 in the sparse map/,
      ],
    ];
    for (const [records, data, message] of cases) {
      for (const error of await failure(paxSparse(records, "f", data))) {
        expect(error).toMatch(/^tar entry "f" at byte 0: /);
        expect(error).toMatch(message);
      }
    }
  });

  it("reads a hand-made 1.0 member whose map spans two blocks", async () => {
    // 100 one-byte segments: the map text is longer than 512 bytes.
    const lines = ["100"];
    for (let i = 0; i < 100; i++) lines.push(String(i * 1000 + 999), "1");
    const mapText = text(lines.join("\n") + "\n");
    expect(mapText.length).toBeGreaterThan(512);
    const map = new Uint8Array(Math.ceil(mapText.length / 512) * 512);
    map.set(mapText);
    const stored = Uint8Array.from({ length: 100 }, (_, i) => 65 + (i % 26));
    const bytes = paxSparse(
      [["GNU.sparse.major", "1"], ["GNU.sparse.minor", "0"], ["GNU.sparse.name", "real/name"], [
        "GNU.sparse.realsize",
        "100000",
      ]],
      "GNUSparseFile.1/name",
      concat([map, stored]),
    );
    for (const input of Object.values(inputsOf(bytes))) {
      const [{ entry, data }] = await readAll(input());
      expect(entry.path).toBe("real/name");
      expect(entry.size).toBe(100000);
      expect(entry.dataOffset).toBe(1024 + 512 + map.length);
      for (let i = 0; i < 100; i++) expect(data[i * 1000 + 999]).toBe(stored[i]);
      expect(data.reduce((n, b) => n + (b === 0 ? 0 : 1), 0)).toBe(100);
    }
  });

  it("caps old GNU sparse extension headers by the metadata limit", async () => {
    const bytes = new Uint8Array(readFileSync(join(work, "gnu.tar")));
    const error = await (async () => {
      for await (const _ of readTar(new Blob([bytes]), { maxMetadataSize: 256 })) { /* read on */ }
    })().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TarError);
    expect((error as Error).message).toMatch(
      /"many" at byte \d+: sparse map extension headers exceed the 256-byte limit/,
    );
  });
});
