/**
 * A vitest reporter that ends a run with one plain line, `N passed, N failed` (and `, N skipped`
 * when any were), so CI logs and scripts can read the outcome without parsing vitest's summary.
 */
import type { Reporter, TestModule } from 'vitest/node';

/** Prints the counts of every test case once the run has ended. */
export default class ClosingLine implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) counts[test.result().state] += 1;
    }
    // A module that failed to load has no test cases; it still fails the run.
    const broken = testModules.filter((m) => m.state() === 'failed' && !m.children.size).length;
    const skipped = counts.skipped + counts.pending;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed + broken} failed${tail}\n`);
  }
}
