/**
 * Incremental SHA-256 whose block compression runs in `oci2erofs.wasm`.
 *
 * Owns buffering, padding and the digest encoding; the wasm side only
 * compresses whole blocks. Input crosses into wasm memory in batches of up to
 * the I/O buffer size (64 KiB) with one call per batch, so the per-call cost
 * is amortised over ≥ 1024 blocks on large inputs.
 *
 * Where the hash state lives: in JS, one 32-byte snapshot per instance,
 * copied into the module's single state slot before a batch and back after
 * it. That costs 64 bytes of copying per `update()` — nothing next to the
 * data itself — and in exchange any number of instances can coexist with no
 * allocator in the module, nothing to free, and nothing leaked when an
 * instance is dropped unfinished. JS never runs two batches at once within
 * one realm, so sharing the slot is safe.
 *
 * @module
 */
import { type WasmExports, wasmExports } from "./load.ts";

/** FIPS 180-4 §5.3.3 initial hash value H(0). */
const IV = [
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
];

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Streaming SHA-256. Chunk boundaries do not affect the result.
 *
 * Requires the shared wasm instance ({@linkcode initWasm}) unless `wasm` is
 * given. After `digest()`/`digestHex()` the hash is finished: further
 * `update()` calls throw, and further digests return the same value.
 *
 * @example
 * ```ts
 * import { initWasm } from "./load.ts";
 * import { Sha256 } from "./sha256.ts";
 * await initWasm();
 * const hex = new Sha256()
 *   .update(new TextEncoder().encode("a"))
 *   .update(new TextEncoder().encode("bc"))
 *   .digestHex();
 * console.log(hex); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export class Sha256 {
  #wasm: WasmExports;
  #io: number;
  #ioSize: number;
  #slot: number;
  /** H0..H7 as the wasm slot stores them: little-endian u32 words. */
  #state = new Uint8Array(32);
  /** Bytes of a not yet complete block. */
  #block = new Uint8Array(64);
  #blockLength = 0;
  /** Total bytes hashed; a double is exact up to 8 PiB. */
  #length = 0;
  #digest: Uint8Array | undefined;

  /**
   * @param wasm An instance from {@linkcode instantiateWasm}; defaults to the
   * shared one.
   */
  constructor(wasm: WasmExports = wasmExports()) {
    this.#wasm = wasm;
    this.#io = wasm.ioBuffer();
    this.#ioSize = wasm.ioBufferSize();
    this.#slot = wasm.sha256State();
    const state = new DataView(this.#state.buffer);
    IV.forEach((word, i) => state.setUint32(i * 4, word, true));
  }

  /**
   * Feeds `bytes` into the hash.
   *
   * @example
   * ```ts
   * import { initWasm } from "./load.ts";
   * import { Sha256 } from "./sha256.ts";
   * await initWasm();
   * const hash = new Sha256();
   * for (const chunk of [new Uint8Array(100), new Uint8Array(1 << 20)]) hash.update(chunk);
   * ```
   */
  update(bytes: Uint8Array): this {
    if (this.#digest) throw new Error("Sha256: update() after digest()");
    this.#length += bytes.length;
    let at = 0;
    let head: Uint8Array | undefined;
    if (this.#blockLength > 0) {
      at = Math.min(64 - this.#blockLength, bytes.length);
      this.#block.set(bytes.subarray(0, at), this.#blockLength);
      this.#blockLength += at;
      if (this.#blockLength < 64) return this;
      head = this.#block;
      this.#blockLength = 0;
    }
    const end = at + ((bytes.length - at) & ~63);
    if (head || end > at) this.#compress(head, bytes, at, end);
    this.#block.set(bytes.subarray(end), 0);
    this.#blockLength = bytes.length - end;
    return this;
  }

  /**
   * Finishes the hash and returns the 32-byte digest.
   *
   * @example
   * ```ts
   * import { initWasm } from "./load.ts";
   * import { Sha256 } from "./sha256.ts";
   * await initWasm();
   * console.log(new Sha256().digest().length); // 32
   * ```
   */
  digest(): Uint8Array {
    if (this.#digest) return this.#digest.slice();
    // Padding: 0x80, zeros, then the bit length as a big-endian u64 in the
    // last 8 bytes of one block, or of a second block if fewer than 9 bytes
    // are left in the current one. One wasm call for either case.
    const used = this.#blockLength;
    const tail = new Uint8Array(used < 56 ? 64 : 128);
    tail.set(this.#block.subarray(0, used));
    tail[used] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(this.#length / 2 ** 29), false);
    view.setUint32(tail.length - 4, (this.#length * 8) >>> 0, false);
    this.#compress(undefined, tail, 0, tail.length);
    const state = new DataView(this.#state.buffer);
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setUint32(i * 4, state.getUint32(i * 4, true), false);
    this.#digest = out;
    return out.slice();
  }

  /**
   * Finishes the hash and returns the digest as 64 lowercase hex digits.
   *
   * @example
   * ```ts
   * import { initWasm } from "./load.ts";
   * import { Sha256 } from "./sha256.ts";
   * await initWasm();
   * console.log(new Sha256().digestHex());
   * // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
   * ```
   */
  digestHex(): string {
    let hex = "";
    for (const byte of this.digest()) hex += HEX[byte];
    return hex;
  }

  /**
   * Compresses the optional full block `head` followed by `bytes[at, end)`
   * (a multiple of 64 bytes) into the state, one wasm call per I/O buffer.
   */
  #compress(head: Uint8Array | undefined, bytes: Uint8Array, at: number, end: number): void {
    const wasm = this.#wasm;
    const heap = new Uint8Array(wasm.memory.buffer);
    heap.set(this.#state, this.#slot);
    let filled = 0;
    if (head) {
      heap.set(head, this.#io);
      filled = 64;
    }
    while (filled > 0 || at < end) {
      const take = Math.min(this.#ioSize - filled, end - at);
      heap.set(bytes.subarray(at, at + take), this.#io + filled);
      wasm.sha256Blocks(this.#slot, this.#io, (filled + take) >>> 6);
      at += take;
      filled = 0;
    }
    this.#state.set(heap.subarray(this.#slot, this.#slot + 32));
  }
}
