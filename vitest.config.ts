import { defineConfig } from 'vitest/config';

// Worker tests start workerd through miniflare and Lambda tests load the esbuild bundle, so both
// need the bundles that `npm run build` writes to dist/ (the `test` script builds first).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
