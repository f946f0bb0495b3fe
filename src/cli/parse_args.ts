/**
 * Command-line option parsing in the getopt_long style that mkfs.erofs users
 * expect (`-T0` and `-T 0`, `--force-uid=0` and `--force-uid 0`, grouped
 * short flags, `--` ends options, options anywhere among positionals), with
 * Web-standard code only so the CLI logic runs on any runtime.
 *
 * @module
 */

/**
 * One option the command accepts.
 *
 * @example
 * ```ts
 * import type { OptionSpec } from "./parse_args.ts";
 * const blockSize: OptionSpec = { name: "block-size", short: "b", value: true };
 * ```
 */
export interface OptionSpec {
  /** Long name, without `--`. */
  readonly name: string;
  /** One-character short name, without `-`. */
  readonly short?: string;
  /** Whether it takes a value (otherwise it is a flag). */
  readonly value?: boolean;
  /** Whether repeats accumulate (otherwise the last one wins). */
  readonly multiple?: boolean;
}

/**
 * Parsed arguments: flags are `true`, values strings, repeatable ones arrays.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./parse_args.ts";
 * const parsed = parseArgs(["--quiet", "a"], [{ name: "quiet" }]);
 * console.log(parsed.values.get("quiet"), parsed.positionals); // true [ "a" ]
 * ```
 */
export interface ParsedArgs {
  readonly values: Map<string, string | true | string[]>;
  readonly positionals: string[];
}

/**
 * A command line that does not parse; its message is meant for the user.
 *
 * @example
 * ```ts
 * import { UsageError } from "./parse_args.ts";
 * const error = new UsageError("missing OUTPUT");
 * console.log(error.message); // missing OUTPUT
 * ```
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `args` against `specs`. Throws {@link UsageError} for unknown
 * options, a missing value, or a value given to a flag.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./parse_args.ts";
 * const { values, positionals } = parseArgs(["-T0", "dir:/srv", "out.erofs", "--all-root"], [
 *   { name: "fixed-time", short: "T", value: true },
 *   { name: "all-root" },
 * ]);
 * values.get("fixed-time"); // "0"
 * positionals; // ["dir:/srv", "out.erofs"]
 * ```
 */
export function parseArgs(args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short).map((spec) => [spec.short!, spec]));
  const values = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const set = (spec: OptionSpec, value: string | true) => {
    if (spec.multiple && typeof value === "string") {
      const list = values.get(spec.name);
      values.set(spec.name, Array.isArray(list) ? [...list, value] : [value]);
    } else {
      values.set(spec.name, value);
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
      if (!spec.value) {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        set(spec, true);
      } else if (eq >= 0) {
        set(spec, arg.slice(eq + 1));
      } else {
        if (i + 1 >= args.length) throw new UsageError(`option --${name} needs a value`);
        set(spec, args[++i]);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      // A group of short options: flags, then possibly one that takes the rest as its value.
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]);
        if (!spec) throw new UsageError(`unknown option -${arg[j]}`);
        if (!spec.value) {
          set(spec, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== "") set(spec, rest);
        else if (i + 1 < args.length) set(spec, args[++i]);
        else throw new UsageError(`option -${arg[j]} needs a value`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}
