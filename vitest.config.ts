import { defineConfig } from 'vitest/config';

/** Slow tests: they start the CLI as a process, a server on a socket or a browser. */
const INTEGRATION = ['tests/cli/**/*.test.ts', 'tests/server/**/*.test.ts', 'tests/browser/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
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
