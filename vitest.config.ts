import { defineConfig } from 'vitest/config';

/** Slow tests: they start the CLI as a process, a server on a socket or a browser. */
const INTEGRATION = ['tests/cli/**/*.test.ts', 'tests/server/**/*.test.ts', 'tests/browser/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    // `npm test` measures coverage of the pure core and fails below these floors (set a little under what the
    // suite reaches, so a change that drops tests for these areas shows up); `npm run test:coverage` prints it
    coverage: {
      provider: 'v8',
      include: ['src/physics/**', 'src/quality/**', 'src/detect/**'],
      reporter: ['text-summary'],
      thresholds: {
        'src/physics/**': { statements: 95, branches: 90, functions: 85, lines: 95 },
        'src/quality/**': { statements: 95, branches: 82, functions: 95, lines: 95 },
        'src/detect/**': { statements: 85, branches: 80, functions: 85, lines: 85 },
      },
    },
    // `npm run test:unit` runs `unit` alone (seconds: the edit loop); `npm test` runs both
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: INTEGRATION,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
        },
      },
    ],
  },
});
