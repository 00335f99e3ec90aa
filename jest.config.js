/** Jest runs TypeScript through ts-jest in transpile-only mode; `npm test` type-checks first with `tsc --noEmit`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  coveragePathIgnorePatterns: ['/node_modules/', '/constructs/imports/'],
};
