/**
 * A vitest reporter that ends the run with one plain line,
 * `tests: N passed, N failed, N skipped`, which CI log readers understand
 * whatever the runner.
 *
 * @module
 */
import type { Reporter, TestModule } from "vitest/node";

/** Prints the closing count line after vitest's own summary. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) counts[test.result().state]++;
    }
    const failedModules = testModules.filter((m) =>
      m.state() === "failed" && [...m.children.allTests()].length === 0
    );
    counts.failed += failedModules.length;
    console.log(
      `tests: ${counts.passed} passed, ${counts.failed} failed, ${
        counts.skipped + counts.pending
      } skipped`,
    );
  }
}
