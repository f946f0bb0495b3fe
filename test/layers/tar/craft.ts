/**
 * Hand-made tar archives for tests: single header blocks with any field
 * (including wrong ones), PAX records and members, so hostile and unusual
 * archives need no external tool.
 *
 * @module
 */
import { readTar, type TarEntry, type TarInput } from "../../../src/layers/tar/mod.ts";

const encoder = new TextEncoder();

/** Fields of a crafted header; anything omitted gets a plain default. */
export interface CraftHeader {
  name: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  typeflag?: string;
  linkname?: string;
  format?: "ustar" | "gnu" | "v7";
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  prefix?: string;
  /** Raw bytes for a numeric field instead of octal (e.g. base-256). */
  raw?: Partial<Record<"size" | "mtime" | "uid" | "gid", Uint8Array>>;
  /** `"signed"`: checksum over signed bytes; a number: store exactly that. */
  checksum?: "signed" | number;
}

function put(block: Uint8Array, at: number, length: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > length) throw new Error(`field too long: ${text}`);
  block.set(bytes, at);
}

function octal(block: Uint8Array, at: number, length: number, value: number): void {
  put(block, at, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

/** One 512-byte header block. */
export function header(h: CraftHeader): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(512);
  put(block, 0, 100, h.name);
  octal(block, 100, 8, h.mode ?? 0o644);
  const numeric = (
    field: "uid" | "gid" | "size" | "mtime",
    at: number,
    length: number,
    value: number,
  ) => {
    const raw = h.raw?.[field];
    if (raw) block.set(raw, at);
    else octal(block, at, length, value);
  };
  numeric("uid", 108, 8, h.uid ?? 0);
  numeric("gid", 116, 8, h.gid ?? 0);
  numeric("size", 124, 12, h.size ?? 0);
  numeric("mtime", 136, 12, h.mtime ?? 0);
  block[156] = (h.typeflag ?? "0").charCodeAt(0);
  put(block, 157, 100, h.linkname ?? "");
  const format = h.format ?? "ustar";
  if (format === "ustar") put(block, 257, 8, "ustar\x0000");
  if (format === "gnu") put(block, 257, 8, "ustar  \x00");
  if (format !== "v7") {
    put(block, 265, 32, h.uname ?? "");
    put(block, 297, 32, h.gname ?? "");
    octal(block, 329, 8, h.devmajor ?? 0);
    octal(block, 337, 8, h.devminor ?? 0);
    put(block, 345, 155, h.prefix ?? "");
  }
  let sum = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    sum += h.checksum === "signed" && byte >= 0x80 ? byte - 0x100 : byte;
  }
  if (typeof h.checksum === "number") sum = h.checksum;
  // Like GNU tar: six octal digits, NUL, space. A negative (signed) sum cannot be
  // written in octal, so tests keep signed sums positive.
  put(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** The data of a PAX header holding `records`, each length-prefixed correctly. */
export function paxData(records: [string, string | Uint8Array][]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const body = concat([
      encoder.encode(` ${key}=`),
      typeof value === "string" ? encoder.encode(value) : value,
      encoder.encode("\n"),
    ]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length++;
    parts.push(concat([encoder.encode(String(length)), body]));
  }
  return concat(parts);
}

/** A member: its header followed by `data` padded to whole blocks. */
export function member(
  h: CraftHeader,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array<ArrayBuffer> {
  const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
  padded.set(data);
  return concat([header({ size: data.length, ...h }), padded]);
}

/** A PAX `x` (or `g`) header member carrying `records`. */
export function paxMember(
  records: [string, string | Uint8Array][],
  typeflag = "x",
): Uint8Array<ArrayBuffer> {
  return member({ name: "./PaxHeaders/x", typeflag }, paxData(records));
}

/** Members followed by the two-zero-block end marker. */
export function archive(...members: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concat([...members, new Uint8Array(1024)]);
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An async iterable delivering `bytes` in pieces of `size` (to split headers across chunks). */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

/** A `ReadableStream` of `bytes` in pieces of `size`. */
export function streamOf(bytes: Uint8Array, size = 4096): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** Every member of an archive with its data collected. */
export async function readAll(input: TarInput): Promise<{ entry: TarEntry; data: Uint8Array }[]> {
  const out: { entry: TarEntry; data: Uint8Array }[] = [];
  for await (const { entry, body } of readTar(input)) {
    const parts: Uint8Array[] = [];
    for await (const chunk of body) parts.push(chunk.slice());
    out.push({ entry, data: concat(parts) });
  }
  return out;
}
