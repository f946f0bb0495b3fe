/**
 * A fault-injecting HTTP proxy for registry tests ({@link startFaultProxy}):
 * it listens on `127.0.0.1` in front of a real registry and forwards every
 * request unchanged (method, path, headers including `Authorization`,
 * streamed bodies in both directions, `Range`), except where a test has told
 * it to misbehave on matching requests: drop the connection mid-body, answer
 * 429/5xx, flip a byte, stall, or redirect to a second origin.
 *
 * The second origin is another listener of the same proxy on another port
 * (so another origin, as a CDN or S3 would be). It serves the redirected
 * content itself, fetching it from the registry with the credentials of the
 * request that was redirected — like a presigned URL, the redirect target
 * needs no `Authorization` of its own — and records whether the client sent
 * one anyway.
 *
 * The `Host` header is forwarded as the client sent it, so the registry
 * builds upload `Location` URLs that point back through the proxy.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** What to do to a matching request. */
export type Fault =
  /** Forward, then destroy the socket after `afterBytes` bytes of the response body. */
  | { kind: "drop"; afterBytes: number }
  /** Answer `status` without contacting the registry; 429 carries `Retry-After` (default 1 s). */
  | { kind: "status"; status: number; retryAfter?: number }
  /** Answer `status` (default 200) with this body and content type, without contacting the registry. */
  | { kind: "respond"; status?: number; contentType: string; body: string | Uint8Array }
  /** Forward, XOR-ing one body byte with 0xff (default offset: the middle of the body). */
  | { kind: "corrupt"; offset?: number }
  /** Forward the response headers, then send nothing for `ms`, then the body (or drop). */
  | { kind: "stall"; ms: number; then?: "continue" | "drop" }
  /**
   * Answer `status` (default 307) pointing at the second origin, which
   * serves the same content. With `rejectAuthorization`, the second origin
   * answers 400 to a request carrying `Authorization` (as S3 does).
   */
  | { kind: "redirect"; status?: number; rejectAuthorization?: boolean };

/** When a {@link Fault} applies. */
export interface FaultRule {
  /** Matched against the request path including the query string. */
  path: RegExp;
  /** HTTP method to match (default: any). */
  method?: string;
  /** Which listener the rule watches (default `"proxy"`). */
  origin?: "proxy" | "second";
  /** The first matching request (1-based) that gets the fault (default 1). */
  nth?: number;
  /** How many consecutive matches from `nth` on get it (default 1; `Infinity` for all). */
  times?: number;
  /** The fault. */
  fault: Fault;
}

/** A rule as installed, with its counters. */
export interface InstalledRule extends FaultRule {
  /** Requests that matched so far. */
  matches: number;
  /** Requests the fault was applied to so far. */
  applied: number;
}

/** One request seen by the proxy or its second origin. */
export interface ProxyLogEntry {
  /** Which listener received it. */
  origin: "proxy" | "second";
  method: string;
  /** Path including the query string. */
  path: string;
  /** Status answered (0 if the connection died before an answer). */
  status: number;
  /** Whether the request carried an `Authorization` header. */
  authorization: boolean;
  /** The `Range` header, if any. */
  range?: string;
  /** The fault applied, if any (its `kind`, or `status:429` etc.). */
  fault?: string;
}

/** Options for {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The registry to forward to: `HOST:PORT` or `http://HOST:PORT`. */
  upstream: string;
}

/** A running proxy; see {@link startFaultProxy}. */
export interface FaultProxyHandle {
  /** `127.0.0.1:PORT` of the proxy, for image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Base URL of the second origin that redirects point to. */
  secondOrigin: string;
  /** Every request so far, in arrival order (entries are completed when answered). */
  log: ProxyLogEntry[];
  /** Installs a fault rule; returns it so its counters can be checked. */
  inject(rule: FaultRule): InstalledRule;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Empties the request log. */
  clearLog(): void;
  /** Closes both listeners and every open connection. Idempotent. */
  stop(): Promise<void>;
}

// Connection-scoped headers must not be relayed across a hop (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

function relayable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

// How a fault appears in the log: its kind, with the status for "status".
function faultName(fault: Fault): string {
  return fault.kind === "status" ? `status:${fault.status}` : fault.kind;
}

/** A redirect target: what the second origin fetches when asked for `/r/<id>`. */
interface Redirected {
  path: string;
  authorization?: string;
  rejectAuthorization: boolean;
}

/**
 * Starts the proxy (and its second origin) on free loopback ports in front
 * of `options.upstream`.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ upstream: registry.host });
 * proxy.inject({ path: /\/blobs\//, method: "GET", fault: { kind: "status", status: 429 } });
 * // ... pull through proxy.host; then look at proxy.log
 * await proxy.stop();
 * ```
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxyHandle> {
  const upstream = new URL(
    options.upstream.includes("://") ? options.upstream : `http://${options.upstream}`,
  );
  const agent = new Agent({ keepAlive: true });
  const rules: InstalledRule[] = [];
  const log: ProxyLogEntry[] = [];
  const redirects = new Map<string, Redirected>();
  const timers = new Set<NodeJS.Timeout>();
  let secondOrigin = "";

  // Picks the fault for this request, advancing every matching rule's count.
  const pickFault = (origin: "proxy" | "second", req: IncomingMessage): Fault | undefined => {
    let chosen: Fault | undefined;
    for (const rule of rules) {
      if ((rule.origin ?? "proxy") !== origin) continue;
      if (rule.method && rule.method.toUpperCase() !== req.method) continue;
      if (!rule.path.test(req.url ?? "")) continue;
      rule.matches++;
      const first = rule.nth ?? 1;
      const last = first + (rule.times ?? 1) - 1;
      if (!chosen && rule.matches >= first && rule.matches <= last) {
        rule.applied++;
        chosen = rule.fault;
      }
    }
    return chosen;
  };

  // Relays `res` from upstream to the client, applying a body fault if any.
  const relay = (
    entry: ProxyLogEntry,
    upstreamRes: IncomingMessage,
    res: ServerResponse,
    fault: Fault | undefined,
  ) => {
    entry.status = upstreamRes.statusCode ?? 0;
    res.writeHead(
      upstreamRes.statusCode ?? 502,
      upstreamRes.statusMessage,
      relayable(upstreamRes.headers),
    );
    if (
      !fault || fault.kind === "status" || fault.kind === "respond" || fault.kind === "redirect"
    ) {
      upstreamRes.pipe(res);
      return;
    }
    if (fault.kind === "stall") {
      res.flushHeaders();
      upstreamRes.pause();
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (fault.then === "drop") {
          upstreamRes.destroy();
          res.socket?.destroy();
        } else upstreamRes.pipe(res);
      }, fault.ms);
      timers.add(timer);
      res.once("close", () => {
        clearTimeout(timer);
        timers.delete(timer);
        upstreamRes.destroy();
      });
      return;
    }
    if (fault.kind === "drop") {
      let sent = 0;
      let cutting = false;
      const cut = () => {
        upstreamRes.destroy();
        res.socket?.destroy();
      };
      if (fault.afterBytes <= 0) {
        // Headers must reach the client before the cut: the callback of a
        // write queued after them runs once they are flushed.
        cutting = true;
        res.flushHeaders();
        if (res.socket) res.socket.write("", () => cut());
        else cut();
        return;
      }
      upstreamRes.on("data", (chunk: Buffer) => {
        if (cutting) return;
        const room = fault.afterBytes - sent;
        if (chunk.length < room) {
          sent += chunk.length;
          res.write(chunk);
        } else {
          cutting = true;
          sent = fault.afterBytes;
          res.write(chunk.subarray(0, room), () => cut());
        }
      });
      // A body shorter than the cut point arrives whole; one cut must never
      // be completed by a late "end".
      upstreamRes.on("end", () => {
        if (!cutting) res.end();
      });
      return;
    }
    // corrupt
    const length = Number(upstreamRes.headers["content-length"] ?? NaN);
    const target = fault.offset ?? (Number.isFinite(length) ? Math.floor(length / 2) : 0);
    let seen = 0;
    upstreamRes.on("data", (chunk: Buffer) => {
      if (target >= seen && target < seen + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[target - seen] ^= 0xff;
      }
      seen += chunk.length;
      res.write(chunk);
    });
    upstreamRes.on("end", () => res.end());
  };

  // Forwards `req` to the registry at `path` with `headers`, relaying the answer.
  const forward = (
    entry: ProxyLogEntry,
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    headers: OutgoingHttpHeaders,
    fault: Fault | undefined,
  ) => {
    const upstreamReq = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path,
      headers,
      agent,
    }, (upstreamRes) => relay(entry, upstreamRes, res, fault));
    upstreamReq.on("error", (error) => {
      if (!res.headersSent) {
        entry.status = 502;
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`fault proxy: upstream error: ${error.message}`);
      } else res.destroy();
    });
    // A client that goes away must not leave the upstream request hanging.
    res.once("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  };

  const answerStatus = (
    entry: ProxyLogEntry,
    req: IncomingMessage,
    res: ServerResponse,
    fault: Extract<Fault, { kind: "status" }>,
  ) => {
    entry.status = fault.status;
    const headers: OutgoingHttpHeaders = { "content-type": "application/json" };
    if (fault.status === 429 || fault.retryAfter !== undefined) {
      headers["retry-after"] = String(fault.retryAfter ?? 1);
    }
    const code = fault.status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN";
    // Drain the request body so a keep-alive client can reuse the connection.
    req.resume();
    res.writeHead(fault.status, headers);
    res.end(JSON.stringify({ errors: [{ code, message: `injected ${fault.status}` }] }));
  };

  const answerBody = (
    entry: ProxyLogEntry,
    req: IncomingMessage,
    res: ServerResponse,
    fault: Extract<Fault, { kind: "respond" }>,
  ) => {
    entry.status = fault.status ?? 200;
    req.resume();
    const body = typeof fault.body === "string" ? Buffer.from(fault.body) : fault.body;
    res.writeHead(entry.status, {
      "content-type": fault.contentType,
      "content-length": String(body.length),
    });
    res.end(body);
  };

  const newEntry = (origin: "proxy" | "second", req: IncomingMessage): ProxyLogEntry => {
    const entry: ProxyLogEntry = {
      origin,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      status: 0,
      authorization: req.headers.authorization !== undefined,
    };
    if (req.headers.range) entry.range = req.headers.range;
    log.push(entry);
    return entry;
  };

  const proxy = createServer((req, res) => {
    const entry = newEntry("proxy", req);
    const fault = pickFault("proxy", req);
    if (fault) entry.fault = faultName(fault);
    if (fault?.kind === "status") return answerStatus(entry, req, res, fault);
    if (fault?.kind === "respond") return answerBody(entry, req, res, fault);
    if (fault?.kind === "redirect") {
      const id = randomUUID();
      redirects.set(id, {
        path: req.url ?? "/",
        authorization: req.headers.authorization,
        rejectAuthorization: fault.rejectAuthorization ?? false,
      });
      const status = fault.status ?? 307;
      entry.status = status;
      req.resume();
      res.writeHead(status, { location: `${secondOrigin}/r/${id}`, "content-length": "0" });
      res.end();
      return;
    }
    forward(entry, req, res, req.url ?? "/", relayable(req.headers), fault);
  });

  const second = createServer((req, res) => {
    const entry = newEntry("second", req);
    const match = /^\/r\/([0-9a-f-]+)$/.exec(req.url ?? "");
    const target = match ? redirects.get(match[1]) : undefined;
    if (!target) {
      entry.status = 404;
      res.writeHead(404).end();
      return;
    }
    if (target.rejectAuthorization && entry.authorization) {
      entry.status = 400;
      req.resume();
      res.writeHead(400, { "content-type": "application/xml" });
      res.end(
        "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>",
      );
      return;
    }
    const fault = pickFault("second", req);
    if (fault) entry.fault = faultName(fault);
    if (fault?.kind === "status") return answerStatus(entry, req, res, fault);
    if (fault?.kind === "respond") return answerBody(entry, req, res, fault);
    // Only what a CDN would pass on: the range, not the client's credentials.
    const headers: OutgoingHttpHeaders = { host: upstream.host };
    if (req.headers.range) headers.range = req.headers.range;
    if (target.authorization) headers.authorization = target.authorization;
    forward(entry, req, res, target.path, headers, fault);
  });

  const listen = (server: Server) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  const proxyPort = await listen(proxy);
  let secondPort: number;
  try {
    secondPort = await listen(second);
  } catch (error) {
    proxy.close();
    throw error;
  }
  secondOrigin = `http://127.0.0.1:${secondPort}`;

  let stopped = false;
  return {
    host: `127.0.0.1:${proxyPort}`,
    url: `http://127.0.0.1:${proxyPort}`,
    secondOrigin,
    log,
    inject(rule) {
      const installed: InstalledRule = { ...rule, matches: 0, applied: 0 };
      rules.push(installed);
      return installed;
    },
    clearFaults() {
      rules.length = 0;
    },
    clearLog() {
      log.length = 0;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const close = (server: Server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
      await Promise.all([close(proxy), close(second)]);
      agent.destroy();
    },
  };
}
