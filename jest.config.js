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
    },
  ],
  testTimeout: 30000,
};
