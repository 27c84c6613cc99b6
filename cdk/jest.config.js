/** Jest runs the tests in test/ (TypeScript, through ts-jest) against the sources in src/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
