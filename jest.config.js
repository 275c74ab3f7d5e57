/** Jest runs the ESM build of NestJS through Node's VM modules (see README, "Tests"). */
const esm = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  projects: [
    {
      ...esm,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/bench', '<rootDir>/packages/client/src'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...esm,
      displayName: 'e2e',
      roots: ['<rootDir>/test', '<rootDir>/examples'],
      testMatch: ['**/*.e2e-spec.ts'],
      // Every server the suites run logs at debug level into one folder per run, and the run
      // fails if any line holds a secret (test/support/log-capture.global-teardown.ts); the
      // suites that spawn the built server share one build per run.
      globalSetup: '<rootDir>/test/support/log-capture.global-setup.ts',
      globalTeardown: '<rootDir>/test/support/log-capture.global-teardown.ts',
    },
  ],
  testTimeout: 30000,
  // Most suites wait on sockets, timers and child processes: two at a time take 60% of the wall
  // time of one at a time on the 2-core CI machines; more make the suites that time deliveries
  // noisier.
  maxWorkers: 2,
};
