/** Jest runs TypeScript through ts-jest in transpile-only mode; `npm test` type-checks first with `tsc --noEmit`. */
module.exports = {
  // Node environment that reports checks needing a missing ../shared/reference file as skipped.
  testEnvironment: '<rootDir>/test/support/reference-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Examples and README snippets import the package by name, as users do; these map the name
  // to the sources (tsconfig.json's `paths` does the same for tsc and tsx). Only our own name is
  // mapped, so `constructs` always resolves to the npm package, never to our folder.
  moduleNameMapper: {
    '^eks-windows-desktops$': '<rootDir>/lib/index.ts',
    '^eks-windows-desktops/blueprints$': '<rootDir>/lib/blueprints.ts',
    '^eks-windows-desktops/sdk$': '<rootDir>/lib/sdk.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  coveragePathIgnorePatterns: ['/node_modules/', '/constructs/imports/'],
};
