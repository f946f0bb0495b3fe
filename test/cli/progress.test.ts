import { describe, expect, it } from "vitest";
import { counted, ProgressLine } from "../../src/cli/progress.ts";

describe("ProgressLine", () => {
  it("redraws one line, at most every 200 ms unless a stage completes, and ends it", () => {
    let out = "";
    let now = 0;
    const line = new ProgressLine((text) => void (out += text), () => now);
    line.layer({
      index: 0,
      count: 2,
      name: "sha256:0123456789abcdef",
      entries: 0,
      bytes: 0,
      read: 0,
      totalRead: 0,
      done: false,
    });
    now = 50;
    line.writing(1_000_000, 4_000_000); // too soon: skipped
    line.layer({
      index: 0,
      count: 2,
      name: "sha256:0123456789abcdef",
      entries: 7,
      bytes: 2_500_000,
      read: 1_000_000,
      totalRead: 1_000_000,
      done: true,
    }); // forced
    now = 1000;
    line.writing(4_000_000, 4_000_000);
    line.finish();
    expect(out.split("\r\x1b[K")).toEqual([
      "",
      "layer 1/2 0123456789ab: reading…",
      "layer 1/2 0123456789ab: 7 entries, 2.5 MB",
      "writing 4.0 MB of 4.0 MB (100%), 4.0 MB/s\n",
    ]);
  });

  it("shows a layer's stored bytes as they arrive, with the total over all layers", () => {
    let out = "";
    let now = 0;
    const line = new ProgressLine((text) => void (out += text), () => now);
    now = 2000;
    line.layer({
      index: 1,
      count: 3,
      name: "sha256:fedcba9876543210",
      entries: 12,
      bytes: 9_000_000,
      read: 3_000_000,
      size: 12_000_000,
      totalRead: 8_000_000,
      totalSize: 20_000_000,
      done: false,
    });
    now = 2100;
    line.layer({
      index: 1,
      count: 3,
      name: "sha256:fedcba9876543210",
      entries: 13,
      bytes: 9_500_000,
      read: 3_100_000,
      size: 12_000_000,
      totalRead: 8_100_000,
      done: false,
    }); // too soon: skipped
    expect(out).toBe(
      "\r\x1b[Klayer 2/3 fedcba987654: 3.0 MB of 12.0 MB (25%) · total 8.0 MB of 20.0 MB (40%), 4.0 MB/s",
    );
  });

  it("writing with an unknown total (compressed images) shows bytes and rate only", () => {
    let out = "";
    let now = 0;
    const line = new ProgressLine((text) => void (out += text), () => now);
    now = 2000;
    line.writing(3_000_000, undefined);
    expect(out).toBe("\r\x1b[Kwriting 3.0 MB, 1.5 MB/s");
  });

  it("counted() passes chunks through with running totals", async () => {
    const totals: number[] = [];
    async function* chunks() {
      yield new Uint8Array(2);
      yield new Uint8Array(3);
    }
    const seen: number[] = [];
    for await (const chunk of counted(chunks(), (n) => totals.push(n))) seen.push(chunk.length);
    expect(seen).toEqual([2, 3]);
    expect(totals).toEqual([2, 5]);
  });
});
