/**
 * Parsing `WWW-Authenticate` per RFC 9110 §11.6.1: a comma-separated list of
 * challenges, each an auth-scheme followed by either a token68 or a list of
 * `name=value` parameters (value a token or a quoted-string with backslash
 * escapes). Commas separate both challenges and parameters, so a new
 * challenge is recognised by a token not followed by `=`. Several header
 * fields are one list (`Headers.get` joins them with `, `).
 *
 * A malformed challenge is dropped (and reported in `errors`) instead of
 * failing the whole header: one broken challenge from a proxy must not hide
 * a good Bearer challenge from the registry.
 *
 * @module
 */

/**
 * One challenge. Scheme and parameter names are lower-cased (they are
 * case-insensitive); values are as sent, unquoted and unescaped.
 *
 * @example
 * ```ts
 * import type { Challenge } from "./challenge.ts";
 * const challenge: Challenge = {
 *   scheme: "bearer",
 *   params: new Map([["realm", "https://auth.docker.io/token"], ["service", "registry.docker.io"]]),
 * };
 * ```
 */
export interface Challenge {
  /** The auth-scheme, lower-cased: `bearer`, `basic`, … */
  readonly scheme: string;
  /** The auth-params by lower-cased name. */
  readonly params: ReadonlyMap<string, string>;
  /** The token68, for schemes that use one instead of parameters. */
  readonly token68?: string;
}

/**
 * What {@link parseChallenges} found: the well-formed challenges in order,
 * and a description of each malformed one it skipped.
 *
 * @example
 * ```ts
 * import { parseChallenges } from "./challenge.ts";
 * const { challenges, errors } = parseChallenges('Basic realm="x", Bearer =oops');
 * challenges.length; // 1
 * errors.length; // 1
 * ```
 */
export interface ParsedChallenges {
  readonly challenges: readonly Challenge[];
  readonly errors: readonly string[];
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

/**
 * Parses one or more `WWW-Authenticate` field values (a string, several
 * strings, or the `Headers` of a response).
 *
 * @example
 * ```ts
 * import { parseChallenges } from "./challenge.ts";
 * const { challenges } = parseChallenges(
 *   'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
 * );
 * challenges[0]?.params.get("scope"); // "repository:library/alpine:pull"
 * ```
 */
export function parseChallenges(
  input: string | readonly string[] | Headers | null | undefined,
): ParsedChallenges {
  const values = input == null
    ? []
    : typeof input === "string"
    ? [input]
    : isHeaders(input)
    ? [input.get("www-authenticate") ?? ""]
    : input;
  const challenges: Challenge[] = [];
  const errors: string[] = [];
  for (const value of values) new Parser(value, challenges, errors).run();
  return { challenges, errors };
}

function isHeaders(input: readonly string[] | Headers): input is Headers {
  return typeof (input as Headers).get === "function";
}

class ChallengeSyntaxError extends Error {}

/** A cursor over one field value. */
class Parser {
  #text: string;
  #pos = 0;
  #challenges: Challenge[];
  #errors: string[];

  constructor(text: string, challenges: Challenge[], errors: string[]) {
    this.#text = text;
    this.#challenges = challenges;
    this.#errors = errors;
  }

  run(): void {
    for (;;) {
      this.#skipSeparators();
      if (this.#pos >= this.#text.length) return;
      const start = this.#pos;
      try {
        this.#challenges.push(this.#challenge());
      } catch (error) {
        if (!(error instanceof ChallengeSyntaxError)) throw error;
        this.#errors.push(
          `${error.message} at offset ${this.#pos} in ${excerpt(this.#text, start)}`,
        );
        this.#recover();
      }
    }
  }

  #challenge(): Challenge {
    const scheme = this.#token();
    if (scheme === "") throw new ChallengeSyntaxError("expected an auth-scheme");
    const params = new Map<string, string>();
    const spaces = this.#skipWhitespace();
    if (this.#atEnd() || this.#peek() === ",") return { scheme: scheme.toLowerCase(), params };
    if (spaces === 0) throw new ChallengeSyntaxError("expected a space after the auth-scheme");

    // token68 ends at a comma or the end; `name=value` continues after `=`.
    const token68 = TOKEN68.exec(this.#text.slice(this.#pos))?.[0];
    if (token68 !== undefined) {
      const after = this.#pos + token68.length;
      const rest = this.#text.slice(after).trimStart();
      if (rest === "" || rest.startsWith(",")) {
        this.#pos = after;
        this.#skipWhitespace();
        return { scheme: scheme.toLowerCase(), params, token68 };
      }
    }

    for (;;) {
      const name = this.#token().toLowerCase();
      if (name === "") throw new ChallengeSyntaxError("expected a parameter name");
      this.#skipWhitespace();
      if (this.#peek() !== "=") {
        throw new ChallengeSyntaxError(`expected "=" after parameter ${JSON.stringify(name)}`);
      }
      this.#pos++;
      this.#skipWhitespace();
      const value = this.#peek() === '"' ? this.#quoted() : this.#bareValue();
      if (value === "" && this.#text[this.#pos - 1] !== '"') {
        throw new ChallengeSyntaxError(`parameter ${JSON.stringify(name)} has no value`);
      }
      if (params.has(name)) {
        throw new ChallengeSyntaxError(`parameter ${JSON.stringify(name)} appears twice`);
      }
      params.set(name, value);
      this.#skipWhitespace();
      if (this.#atEnd()) break;
      if (this.#peek() !== ",") throw new ChallengeSyntaxError("expected a comma");
      // After the comma(s): another parameter of this challenge, or a new challenge.
      const save = this.#pos;
      this.#skipSeparators();
      if (this.#atEnd()) break;
      const lookahead = this.#pos;
      this.#token();
      this.#skipWhitespace();
      const isParam = this.#peek() === "=";
      this.#pos = isParam ? lookahead : save;
      if (!isParam) break;
    }
    return { scheme: scheme.toLowerCase(), params };
  }

  #quoted(): string {
    this.#pos++; // opening quote
    let value = "";
    while (this.#pos < this.#text.length) {
      const c = this.#text[this.#pos++]!;
      if (c === '"') return value;
      if (c === "\\") {
        if (this.#pos >= this.#text.length) break;
        value += this.#text[this.#pos++];
      } else {
        value += c;
      }
    }
    throw new ChallengeSyntaxError("unterminated quoted string");
  }

  /**
   * An unquoted value. RFC 9110 allows only a token, but registries have
   * been seen sending unquoted URLs (`realm=https://…`); accepting anything
   * up to whitespace or a comma reads those as meant and nothing valid
   * differently.
   */
  #bareValue(): string {
    const start = this.#pos;
    while (this.#pos < this.#text.length && !/[\s,"]/.test(this.#text[this.#pos]!)) this.#pos++;
    return this.#text.slice(start, this.#pos);
  }

  #token(): string {
    const start = this.#pos;
    while (this.#pos < this.#text.length && TCHAR.test(this.#text[this.#pos]!)) this.#pos++;
    return this.#text.slice(start, this.#pos);
  }

  #skipWhitespace(): number {
    const start = this.#pos;
    while (this.#peek() === " " || this.#peek() === "\t") this.#pos++;
    return this.#pos - start;
  }

  #skipSeparators(): void {
    while (this.#peek() === " " || this.#peek() === "\t" || this.#peek() === ",") this.#pos++;
  }

  /** Skips to the next comma outside quotes that is followed by something that looks like a new challenge. */
  #recover(): void {
    let quoted = false;
    while (this.#pos < this.#text.length) {
      const c = this.#text[this.#pos]!;
      if (quoted) {
        if (c === "\\") this.#pos++;
        else if (c === '"') quoted = false;
      } else if (c === '"') {
        quoted = true;
      } else if (c === ",") {
        const rest = this.#text.slice(this.#pos + 1);
        if (/^[ \t,]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]+[^=\s]|[ \t]*(?:,|$))/.test(rest)) return;
      }
      this.#pos++;
    }
  }

  #peek(): string | undefined {
    return this.#text[this.#pos];
  }

  #atEnd(): boolean {
    return this.#pos >= this.#text.length;
  }
}

function excerpt(text: string, start: number): string {
  const piece = text.slice(start, start + 80);
  return JSON.stringify(piece.length < text.length - start ? `${piece}…` : piece);
}

/**
 * The challenge to answer: the first Bearer challenge, else the first Basic
 * one, else undefined (no scheme we speak).
 *
 * @example
 * ```ts
 * import { parseChallenges, selectChallenge } from "./challenge.ts";
 * const { challenges } = parseChallenges('Basic realm="r", Bearer realm="https://a/t"');
 * selectChallenge(challenges)?.scheme; // "bearer"
 * ```
 */
export function selectChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ??
    challenges.find((c) => c.scheme === "basic");
}
