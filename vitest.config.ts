import { defineConfig } from 'vitest/config';

// Worker tests start workerd through miniflare and Lambda tests load the esbuild bundle, so both
// need the bundles that `npm run build` writes to dist/ (the `test` script builds first).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The default report, then one plain `N passed, N failed` line for CI logs.
    reporters: ['default', './test/support/closing-line.ts'],
  },
});
