/**
 * Decoding small JSON documents (manifests, indexes, configs, layout files)
 * into checked values: a size cap before anything is parsed, strict UTF-8,
 * and field accessors that name the document and the JSON path of whatever
 * is wrong, so that the typed records built from them can be trusted.
 *
 * @module
 */
import { ImageError } from "./errors.ts";

/**
 * Largest manifest, index or config accepted, in bytes (4 MiB, the limit
 * registries apply to manifests): these are read whole into memory, so a
 * hostile size must not be.
 *
 * @example
 * ```ts
 * import { MAX_MANIFEST_SIZE } from "./json.ts";
 * console.log(MAX_MANIFEST_SIZE); // 4194304
 * ```
 */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

/**
 * What a JSON document is, for messages and error context.
 *
 * @example
 * ```ts
 * import type { JsonSource } from "./json.ts";
 * const source: JsonSource = { what: "manifest sha256:…", digest: "sha256:…", reference: "oci:./x" };
 * ```
 */
export interface JsonSource {
  /** Names the document in messages, e.g. `manifest sha256:…` or `index.json`. */
  what: string;
  /** The document's digest, when it has one. */
  digest?: string;
  /** The image, for the error's context. */
  reference?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses `bytes` as JSON after checking them against
 * {@link MAX_MANIFEST_SIZE}. Throws {@link ImageError} for an oversized
 * document or invalid UTF-8 or JSON.
 *
 * @example
 * ```ts
 * import { parseJson } from "./json.ts";
 * const value = parseJson(new TextEncoder().encode("[1, 2]"), { what: "manifest.json" });
 * console.log(Array.isArray(value)); // true
 * ```
 */
export function parseJson(bytes: Uint8Array, source: JsonSource): unknown {
  const fail = failWith(source);
  if (bytes.length > MAX_MANIFEST_SIZE) {
    fail(`is ${bytes.length} bytes, more than the ${MAX_MANIFEST_SIZE}-byte limit`);
  }
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (error) {
    return fail(
      `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      error,
    );
  }
}

/**
 * {@link parseJson} for documents whose top level must be an object, whose
 * fields it returns.
 *
 * @example
 * ```ts
 * import { parseJsonObject } from "./json.ts";
 * const fields = parseJsonObject(new TextEncoder().encode('{"schemaVersion":2}'), { what: "index.json" });
 * console.log(fields.integer("schemaVersion")); // 2
 * ```
 */
export function parseJsonObject(bytes: Uint8Array, source: JsonSource): JsonFields {
  return JsonFields.of(parseJson(bytes, source), "", failWith(source));
}

/** Throws an {@link ImageError} about the document; never returns. */
export type Fail = (message: string, cause?: unknown) => never;

/**
 * A {@link Fail} that prefixes messages with the document's name and
 * attaches its digest and reference.
 *
 * @example
 * ```ts
 * import { failWith } from "./json.ts";
 * const fail = failWith({ what: "config sha256:…" });
 * try { fail("has no rootfs"); } catch (e) { console.log((e as Error).message); }
 * // "config sha256:… has no rootfs"
 * ```
 */
export function failWith(source: JsonSource): Fail {
  return (message, cause) => {
    throw new ImageError(`${source.what} ${message}`, {
      reference: source.reference,
      digest: source.digest,
      cause,
    });
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * The fields of one JSON object, read with type checks. Messages name the
 * field by its JSON path (`layers[2].size`).
 *
 * @example
 * ```ts
 * import { JsonFields } from "./json.ts";
 * const fail = (message: string): never => { throw new Error(message); };
 * const fields = JsonFields.of({ size: 3, annotations: { a: "b" } }, "", fail);
 * fields.integer("size"); // 3
 * fields.stringMap("annotations"); // { a: "b" }
 * fields.optionalString("mediaType"); // undefined
 * ```
 */
export class JsonFields {
  readonly #object: Readonly<Record<string, unknown>>;
  readonly #path: string;
  readonly #fail: Fail;

  private constructor(object: Record<string, unknown>, path: string, fail: Fail) {
    this.#object = object;
    this.#path = path;
    this.#fail = fail;
  }

  /** Wraps `value`, which must be a JSON object. `path` names it in messages. */
  static of(value: unknown, path: string, fail: Fail): JsonFields {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`${path === "" ? "" : `field "${path}" `}must be an object, not ${describe(value)}`);
    }
    return new JsonFields(value as Record<string, unknown>, path, fail);
  }

  /** The object as parsed. */
  get value(): Readonly<Record<string, unknown>> {
    return this.#object;
  }

  /** The JSON path of `key` in this object, for messages. */
  pathOf(key: string | number): string {
    if (typeof key === "number") return `${this.#path}[${key}]`;
    return this.#path === "" ? key : `${this.#path}.${key}`;
  }

  /** Fails naming the field `key`. */
  fail(key: string, message: string): never {
    return this.#fail(`field "${this.pathOf(key)}" ${message}`);
  }

  /** Whether `key` is present (and not `null`, which JSON writers use for "absent"). */
  has(key: string): boolean {
    return Object.hasOwn(this.#object, key) && this.#object[key] !== null;
  }

  #get(key: string): unknown {
    return this.has(key) ? this.#object[key] : undefined;
  }

  /** A required string. */
  string(key: string): string {
    const value = this.#get(key);
    if (value === undefined) this.fail(key, "is missing");
    if (typeof value !== "string") this.fail(key, `must be a string, not ${describe(value)}`);
    return value;
  }

  /** A string, or `undefined` when absent. */
  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  /** A required non-negative safe integer. */
  integer(key: string): number {
    const value = this.#get(key);
    if (value === undefined) this.fail(key, "is missing");
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      this.fail(key, `must be a non-negative integer, not ${describe(value)}`);
    }
    return value;
  }

  /** A non-negative safe integer, or `undefined` when absent. */
  optionalInteger(key: string): number | undefined {
    return this.has(key) ? this.integer(key) : undefined;
  }

  /** A required nested object. */
  object(key: string): JsonFields {
    const value = this.#get(key);
    if (value === undefined) this.fail(key, "is missing");
    return JsonFields.of(value, this.pathOf(key), this.#fail);
  }

  /** A nested object, or `undefined` when absent. */
  optionalObject(key: string): JsonFields | undefined {
    return this.has(key) ? this.object(key) : undefined;
  }

  /** A required array; `each` turns every element into a record. */
  array<T>(key: string, each: (value: unknown, path: string) => T): T[] {
    const value = this.#get(key);
    if (value === undefined) this.fail(key, "is missing");
    if (!Array.isArray(value)) this.fail(key, `must be an array, not ${describe(value)}`);
    const path = this.pathOf(key);
    return value.map((element, index) => each(element, `${path}[${index}]`));
  }

  /** An array of objects, each wrapped as {@link JsonFields}. */
  objects(key: string): JsonFields[] {
    return this.array(key, (value, path) => JsonFields.of(value, path, this.#fail));
  }

  /** An array of strings, or `undefined` when absent. */
  optionalStrings(key: string): string[] | undefined {
    if (!this.has(key)) return undefined;
    return this.array(key, (value, path) => {
      if (typeof value !== "string") {
        this.#fail(`field "${path}" must be a string, not ${describe(value)}`);
      }
      return value;
    });
  }

  /** An object whose values are all strings (annotations, labels), or `undefined`. */
  stringMap(key: string): Record<string, string> | undefined {
    const fields = this.optionalObject(key);
    if (!fields) return undefined;
    const out: Record<string, string> = {};
    for (const name of Object.keys(fields.value)) out[name] = fields.string(name);
    return out;
  }
}
