#!/usr/bin/env node
// The npm entry point. It runs the compiled CLI (`npm run build:ts` emits
// dist/ with rootDir "." so src/cli.ts becomes dist/src/cli.js); under Deno,
// run src/cli.ts directly instead.
import { run } from "../dist/src/cli.js";

await run();
