#!/usr/bin/env node
// `npm run example`: the main job on a real image. When Docker Hub answers,
// pulls `alpine` (linux/amd64) into alpine.erofs; without a network (CI, this
// project's build machines) it converts the bundled two-layer example,
// examples/busybox, into busybox.erofs instead. Only an unreachable registry
// selects the fallback: a pull that fails for any other reason fails loudly.
import { spawnSync } from "node:child_process";

const REGISTRY = "https://registry-1.docker.io/v2/";

async function reachable(url) {
  try {
    // Any HTTP answer (Docker Hub says 401 here) means the network works.
    await fetch(url, { method: "GET", signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}

const online = await reachable(REGISTRY);
const [source, output] = online
  ? ["docker.io/library/alpine:latest", "alpine.erofs"]
  : ["oci:examples/busybox:latest", "busybox.erofs"];
if (!online) {
  console.error("oci2erofs example: Docker Hub unreachable; converting the bundled example");
}
const cli = new URL("../bin/oci2erofs.js", import.meta.url).pathname;
const result = spawnSync(cli, [source, output, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
