import { defineConfig } from "vitest/config";

// Kernel mounts and image builds are slow and share loop devices: run test
// files one at a time and give each test room.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["./test/global-setup.ts"],
  },
});
