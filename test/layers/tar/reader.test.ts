// readTar on hand-made archives: edge cases of the formats, and hostile input.
import { describe, expect, it } from "vitest";
import { readTar, TarError } from "../../../src/layers/tar/mod.ts";
import { archive, chunked, concat, header, member, paxData, paxMember, readAll } from "./craft.ts";

const text = (s: string) => new TextEncoder().encode(s);
const inputs = (bytes: Uint8Array<ArrayBuffer>) => ({
  blob: new Blob([bytes]),
  stream: chunked(bytes, 7),
});

async function failure(bytes: Uint8Array<ArrayBuffer>): Promise<TarError[]> {
  const errors: TarError[] = [];
  for (const input of Object.values(inputs(bytes))) {
    const error = await readAll(input).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TarError);
    errors.push(error as TarError);
  }
  return errors;
}

describe("readTar: formats", () => {
  it("reads ustar, joins the prefix, and ignores the prefix area of GNU headers", async () => {
    const bytes = archive(
      member({ name: "name", prefix: "some/prefix" }, text("a")),
      // GNU keeps atime/ctime where ustar has the prefix: must not become part of the name.
      member({ name: "gnu", format: "gnu", prefix: "12345670123" }, text("b")),
    );
    const [a, b] = await readAll(new Blob([bytes]));
    expect(a.entry.path).toBe("some/prefix/name");
    expect(b.entry.path).toBe("gnu");
  });

  it("treats v7 regular-file entries with a trailing slash as directories", async () => {
    const [dir, file] = await readAll(
      new Blob([archive(
        member({ name: "olddir/", format: "v7", typeflag: "\0" }),
        member({ name: "olddir/f", format: "v7", typeflag: "\0" }, text("x")),
      )]),
    );
    expect(dir.entry.type).toBe("directory");
    expect(file.entry).toMatchObject({ type: "file", uname: "", size: 1 });
  });

  it("reads GNU contiguous files ('7') as files", async () => {
    const [f] = await readAll(
      new Blob([archive(member({ name: "c", typeflag: "7" }, text("abc")))]),
    );
    expect(f.entry.type).toBe("file");
    expect(f.data).toEqual(text("abc"));
  });

  it("accepts signed checksums (historic tars)", async () => {
    // Bytes ≥ 0x80 in the name make the signed and unsigned sums differ.
    const bytes = archive(member({ name: "caf\u00e9", checksum: "signed" }, text("x")));
    const [f] = await readAll(new Blob([bytes]));
    expect(f.entry.path).toBe("café");
  });

  it("reads base-256 numbers, negative ones included", async () => {
    const b256 = (value: bigint, length: number) => {
      const out = new Uint8Array(length);
      let v = BigInt.asUintN(8 * length, value);
      for (let i = length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
      out[0] |= 0x80;
      return out;
    };
    const [f] = await readAll(
      new Blob([archive(member({
        name: "b256",
        raw: { mtime: b256(-86400n, 12), uid: b256(0x7fffffffn, 8), gid: b256(4294967295n, 8) },
      }))]),
    );
    expect(f.entry).toMatchObject({
      mtime: { sec: -86400, nsec: 0 },
      uid: 0x7fffffff,
      gid: 4294967295,
    });
  });

  it("uses GNU long names and long link names", async () => {
    const longName = "d/".repeat(150) + "file";
    const longLink = "t".repeat(300);
    const [f, l] = await readAll(
      new Blob([archive(
        member({ name: "././@LongLink", typeflag: "L", format: "gnu" }, text(longName + "\0")),
        member({ name: "truncated", format: "gnu" }, text("x")),
        member({ name: "././@LongLink", typeflag: "K", format: "gnu" }, text(longLink + "\0")),
        member({ name: "sym", typeflag: "2", linkname: "truncated", format: "gnu" }),
      )]),
    );
    // The long name (305 bytes with its NUL) takes one data block after its header.
    expect(f.entry).toMatchObject({ path: longName, headerOffset: 0, dataOffset: 1536 });
    expect(l.entry).toMatchObject({ path: "sym", linkname: longLink });
  });

  it("applies PAX records: x overrides g, an empty value restores the header field", async () => {
    const entries = (await readAll(
      new Blob([archive(
        paxMember([["uname", "global"], ["gid", "42"]], "g"),
        paxMember([["path", "from/pax"], ["uid", "7"], ["mtime", "1.000000001"], ["size", "3"]]),
        member({ name: "short", uname: "ignored", size: 99 }, text("abc")),
        paxMember([["uname", ""], ["SCHILY.devmajor", "259"], ["SCHILY.devminor", "1048575"]]),
        member({ name: "dev", typeflag: "3", uname: "own", devmajor: 1, devminor: 1 }),
      )]),
    )).map((m) => m.entry);
    expect(entries[0]).toMatchObject({
      path: "from/pax",
      uid: 7,
      gid: 42,
      uname: "global",
      size: 3,
    });
    expect(entries[0].mtime).toEqual({ sec: 1, nsec: 1 });
    expect(entries[1]).toMatchObject({ uname: "own", gid: 42, devmajor: 259, devminor: 1048575 });
  });

  it("reads PAX times before 1970 and with more than nine fraction digits", async () => {
    const times = ["-1.5", "-0.000000001", "-10", "5.1234567899", "-5.0000000001"];
    const entries = (await readAll(
      new Blob([archive(
        ...times.flatMap((t, i) => [paxMember([["mtime", t]]), member({ name: `t${i}` })]),
      )]),
    )).map((m) => m.entry.mtime);
    expect(entries).toEqual([
      { sec: -2, nsec: 500000000 },
      { sec: -1, nsec: 999999999 },
      { sec: -10, nsec: 0 },
      { sec: 5, nsec: 123456789 },
      { sec: -6, nsec: 999999999 },
    ]);
  });

  it("keeps empty and binary xattr values, and decodes LIBARCHIVE names", async () => {
    const [f] = await readAll(
      new Blob([archive(
        paxMember([
          ["SCHILY.xattr.user.empty", ""],
          ["SCHILY.xattr.user.bin", new Uint8Array([0, 10, 255])],
          ["LIBARCHIVE.xattr.user.sp%20ace", "AAEC"],
          ["LIBARCHIVE.xattr.user.pad", "YQ=="],
        ]),
        member({ name: "f" }),
      )]),
    );
    expect([...f.entry.xattrs]).toEqual([
      ["user.empty", new Uint8Array(0)],
      ["user.bin", new Uint8Array([0, 10, 255])],
      ["user.sp ace", new Uint8Array([0, 1, 2])],
      ["user.pad", text("a")],
    ]);
  });

  it("reports header-only types with size 0 and skips no data for them", async () => {
    // A directory header claiming 512 bytes: POSIX, libarchive and Go ignore the size.
    const [d, f] = await readAll(
      new Blob([archive(
        header({ name: "d/", typeflag: "5", size: 512 }),
        member({ name: "f" }, text("ok")),
      )]),
    );
    expect(d.entry).toMatchObject({ type: "directory", size: 0 });
    expect(f.data).toEqual(text("ok"));
  });

  it("ends at EOF without zero blocks, and at the first zero block", async () => {
    const one = member({ name: "a" }, text("1"));
    expect(await readAll(new Blob([one]))).toHaveLength(1);
    const trailing = concat([one, new Uint8Array(512), member({ name: "b" })]);
    expect((await readAll(new Blob([trailing]))).map((m) => m.entry.path)).toEqual(["a"]);
  });

  it("skips unread data, finishes partly read data, and refuses late reads", async () => {
    const big = new Uint8Array(3000).map((_, i) => i % 256);
    const bytes = archive(member({ name: "big" }, big), member({ name: "next" }, text("n")));
    for (const input of Object.values(inputs(bytes))) {
      const seen: string[] = [];
      let unread: AsyncIterable<Uint8Array> | undefined;
      for await (const { entry, body } of readTar(input)) {
        seen.push(entry.path);
        if (entry.path === "big") {
          for await (const chunk of body) {
            expect(chunk.length).toBeGreaterThan(0);
            break; // abandon midway
          }
        } else {
          unread = body;
        }
      }
      expect(seen).toEqual(["big", "next"]);
      await expect((async () => {
        for await (const _ of unread!) { /* nothing */ }
      })()).rejects.toThrow(/after the reader moved on/);
    }
  });

  it("reads a ReadableStream and cancels it when abandoned", async () => {
    let cancelled = false;
    const bytes = archive(member({ name: "a" }), member({ name: "b" }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const { entry } of readTar(stream)) {
      expect(entry.path).toBe("a");
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    const run = readAll.bind(null, new Blob([archive(member({ name: "a" }))]));
    await expect((async () => {
      for await (
        const _ of readTar(new Blob([archive(member({ name: "a" }))]), {
          signal: controller.signal,
        })
      ) {
        /* nothing */
      }
    })()).rejects.toThrow("stop");
    expect(await run()).toHaveLength(1);
  });
});

describe("readTar: hostile and broken archives", () => {
  it("rejects a bad checksum, naming the entry and its offset", async () => {
    const bytes = archive(member({ name: "ok" }), member({ name: "evil", checksum: 1234 }));
    for (const error of await failure(bytes)) {
      expect(error.message).toBe(
        'tar entry "evil" at byte 512: bad header checksum (not a tar archive, or corrupted)',
      );
      expect(error).toMatchObject({ path: "evil", offset: 512 });
    }
  });

  it("rejects data that is not a tar archive", async () => {
    for (const error of await failure(text("this is not a tar archive\n".repeat(40)))) {
      expect(error.message).toMatch(/bad header checksum/);
    }
  });

  it("rejects an archive truncated inside data, naming the entry", async () => {
    const bytes = archive(member({ name: "cut" }, new Uint8Array(2000))).subarray(0, 1500);
    const [random, stream] = await failure(bytes);
    // Random access knows the size up front; a stream finds out when the data stops.
    expect(random.message).toBe(
      'tar entry "cut" at byte 0: size 2000 runs past the end of the archive (truncated?)',
    );
    expect(stream.message).toBe(
      'tar entry "cut" at byte 0: archive is truncated inside the data (size 2000)',
    );
  });

  it("rejects an archive truncated inside a header or an extension header", async () => {
    const full = archive(
      member({ name: "a" }, text("x")),
      paxMember([["path", "p".repeat(600)]]),
      member({ name: "b" }),
    );
    for (const error of await failure(full.subarray(0, 1024 + 300))) {
      expect(error.message).toBe("tar header at byte 1024: archive is truncated inside a header");
    }
    for (const error of await failure(full.subarray(0, 1024 + 512 + 100))) {
      expect(error.message).toMatch(
        /at byte 1024: archive is truncated inside an extension header/,
      );
    }
  });

  it("rejects huge extension headers before reading them", async () => {
    const bytes = concat([
      header({ name: "./PaxHeaders/x", typeflag: "x", size: 2 ** 32 }),
      new Uint8Array(512),
    ]);
    for (const error of await failure(bytes)) {
      expect(error.message).toMatch(
        /extension header of 4294967296 bytes exceeds the 1048576-byte limit/,
      );
    }
    const longName = concat([
      header({ name: "././@LongLink", typeflag: "L", size: 2 << 20, format: "gnu" }),
    ]);
    for (const error of await failure(longName)) expect(error.message).toMatch(/exceeds/);
  });

  it("rejects absurd PAX sizes and malformed records", async () => {
    const cases: [Uint8Array, RegExp][] = [
      [paxData([["size", "99999999999999999999"]]), /invalid PAX size "99999999999999999999"/],
      [paxData([["uid", "-1"]]), /invalid PAX uid "-1"/],
      [paxData([["mtime", "1e9"]]), /invalid PAX mtime "1e9"/],
      [text("999 path=x\n"), /malformed PAX record at data offset 0 \(length 999\)/],
      [text("11 path=x\n"), /malformed PAX record/], // claims a byte more than there is
      [text("x path=x\n"), /malformed PAX record length/],
      [text("6 =ab\n"), /PAX record without keyword/],
      [
        paxData([["LIBARCHIVE.xattr.user.x", "!!!"]]),
        /invalid PAX record "LIBARCHIVE.xattr.user.x"/,
      ],
    ];
    for (const [data, message] of cases) {
      const bytes = archive(
        member({ name: "./PaxHeaders/f", typeflag: "x" }, data),
        member({ name: "f" }),
      );
      for (const error of await failure(bytes)) expect(error.message).toMatch(message);
    }
  });

  it("rejects a PAX size past the end of the archive", async () => {
    const bytes = archive(paxMember([["size", String(1 << 30)]]), member({ name: "f" }));
    const [random, stream] = await failure(bytes);
    expect(random.message).toMatch(/"f" at byte 0: size 1073741824 runs past the end/);
    expect(stream.message).toMatch(/"f" at byte 0: archive is truncated inside the data/);
  });

  it("rejects unknown type flags and sparse formats by name", async () => {
    const [unknown] = await failure(archive(member({ name: "odd", typeflag: "Z" })));
    expect(unknown.message).toBe("tar entry \"odd\" at byte 0: unknown type flag 'Z'");
    const [paxSparse] = await failure(
      archive(
        paxMember([["GNU.sparse.major", "2"], ["GNU.sparse.minor", "0"], [
          "GNU.sparse.realsize",
          "0",
        ]]),
        member({ name: "s" }),
      ),
    );
    expect(paxSparse.message).toBe(
      'tar entry "s" at byte 0: GNU sparse format 2.0 is not supported (only 0.0, 0.1 and 1.0)',
    );
    const [binary] = await failure(archive(member({ name: "bin", typeflag: "\x01" })));
    expect(binary.message).toMatch(/unknown type flag 0x01/);
  });

  it("rejects an extension header with no member after it", async () => {
    for (const error of await failure(archive(paxMember([["path", "x"]])))) {
      expect(error.message).toBe(
        "tar header at byte 0: archive ends after an extension header, before its member",
      );
    }
  });

  it("rejects malformed numeric fields", async () => {
    const bytes = archive(member({ name: "n", mode: 0o644 }));
    bytes.set(text("12x4\0"), 100); // mode
    // Recompute the checksum so only the number is wrong.
    const fixed = header({ name: "n" });
    fixed.set(text("12x4\0"), 100);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : fixed[i];
    fixed.set(text(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    for (const error of await failure(archive(fixed))) {
      expect(error.message).toBe('tar entry "n" at byte 0: invalid mode field');
    }
  });

  it("passes hostile names through verbatim (judging them is the applier's job)", async () => {
    const entries = (await readAll(
      new Blob([archive(
        member({ name: "../escape" }),
        member({ name: "/etc/abs" }),
        member({ name: "link", typeflag: "1", linkname: "../../etc/shadow" }),
      )]),
    )).map((m) => m.entry);
    expect(entries.map((e) => e.path)).toEqual(["../escape", "/etc/abs", "link"]);
    expect(entries[2].linkname).toBe("../../etc/shadow");
  });
});
