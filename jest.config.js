/**
 * Tests are transformed with swc (fast, no type checking); `npm run build` runs tsc for types.
 * Browser tests run only where Chromium is installed (.ci/run installs it).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
