/**
 * Name resolution for the proxy's address checks: every address a host
 * name resolves to (A and AAAA). Deno asks its resolver
 * (`Deno.resolveDns`, plus `localhost` names, which it does not resolve);
 * Node uses `dns.promises.lookup` (the system resolver, `/etc/hosts`
 * included); elsewhere (browsers, edge runtimes) there is none.
 *
 * @module
 */

interface DenoDns {
  resolveDns(name: string, type: "A" | "AAAA"): Promise<string[]>;
}

/**
 * The runtime's resolver, or undefined where there is none.
 *
 * @example
 * ```ts
 * import { systemResolver } from "./dns.ts";
 * const resolve = systemResolver();
 * console.log(await resolve?.("localhost")); // ["127.0.0.1", "::1"] (or similar)
 * ```
 */
export function systemResolver(): ((hostname: string) => Promise<string[]>) | undefined {
  const deno = (globalThis as { Deno?: DenoDns }).Deno;
  if (deno && typeof deno.resolveDns === "function") {
    return async (hostname) => {
      const [v4, v6] = await Promise.all(
        (["A", "AAAA"] as const).map((type) => deno.resolveDns(hostname, type).catch(() => [])),
      );
      return [...v4, ...v6];
    };
  }
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (node?.versions?.node) {
    return async (hostname) => {
      const { promises } = await import("node:dns");
      const answers = await promises.lookup(hostname, { all: true, verbatim: true });
      return answers.map((a) => a.address);
    };
  }
  return undefined;
}
