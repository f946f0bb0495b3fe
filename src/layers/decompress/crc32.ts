/**
 * CRC-32 (ISO-HDLC, the gzip and zip checksum), slicing-by-8 in plain
 * JavaScript.
 *
 * Only the fflate gzip fallback needs it: fflate skips the member checksum,
 * and a gzip decoder that does not check it turns bit rot into silently wrong
 * files. Native zlib and `DecompressionStream` check it themselves.
 *
 * @module
 */

const TABLES = /* @__PURE__ */ (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  return tables;
})();

/**
 * Continues the CRC-32 `crc` (the finished value of the bytes before, 0 to
 * start) over `bytes` and returns the finished CRC as an unsigned number.
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * const bytes = new TextEncoder().encode("123456789");
 * crc32(bytes).toString(16); // "cbf43926"
 * crc32(bytes.subarray(4), crc32(bytes.subarray(0, 4))) === crc32(bytes); // true
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  // Eight bytes per step through eight tables: about 4× the bytewise loop.
  for (const end8 = n - (n & 7); i < end8; i += 8) {
    const lo = c ^ (bytes[i]! | bytes[i + 1]! << 8 | bytes[i + 2]! << 16 | bytes[i + 3]! << 24);
    const hi = bytes[i + 4]! | bytes[i + 5]! << 8 | bytes[i + 6]! << 16 | bytes[i + 7]! << 24;
    c = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
