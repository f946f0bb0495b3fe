/**
 * UTF-8 for file names. Names are short and mostly ASCII; for them a plain
 * loop beats `TextEncoder.encode`, whose per-call cost dominates when a tree
 * has hundreds of thousands of names.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`.
 *
 * @example
 * ```ts
 * import { encodeUtf8 } from "./utf8.ts";
 * console.log(encodeUtf8("héllo").length); // 6
 * ```
 */
export function encodeUtf8(text: string): Uint8Array {
  const n = text.length;
  if (n > 64) return encoder.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/**
 * The length of `text` in UTF-8 bytes, without encoding it (lone
 * surrogates count as U+FFFD, 3 bytes, as `TextEncoder` writes them).
 *
 * @example
 * ```ts
 * import { utf8Length } from "./utf8.ts";
 * console.log(utf8Length("日本")); // 6
 * ```
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
