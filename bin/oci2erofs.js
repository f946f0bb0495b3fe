#!/usr/bin/env -S node --max-semi-space-size=4
// A 4 MiB young generation (V8's default grows to 16 MiB per semi-space):
// the pipeline's garbage is short-lived chunks, so a small nursery cuts peak
// RSS by ~35 MiB at no cost in time (scripts/bench-pull.ts measures both).
// The npm entry point. It runs the compiled CLI (`npm run build:ts` emits
// dist/ with rootDir "." so src/cli.ts becomes dist/src/cli.js); under Deno,
// run src/cli.ts directly instead.
import { run } from "../dist/src/cli.js";

await run();
