import { defineConfig } from 'vitest/config';

// The same suite runs twice: on the embedded PGlite and on the machine's Postgres
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/meridian_test; a schema per test file).
const common = {
  include: ['server/test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    reporters: ['default', './server/test/summary-reporter.ts'],
    projects: [
      { test: { ...common, name: 'pglite', env: { TEST_DB: 'pglite' }, exclude: ['**/node_modules/**', 'server/test/**/*.postgres.test.ts'] } },
      { test: { ...common, name: 'postgres', env: { TEST_DB: 'postgres' }, exclude: ['**/node_modules/**', 'server/test/**/*.pglite.test.ts'] } },
    ],
  },
});
