/** Jest runs TypeScript through ts-jest in transpile-only mode; `npm test` type-checks first with `tsc --noEmit`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  coveragePathIgnorePatterns: ['/node_modules/', '/constructs/imports/'],
};
