/**
 * Jest in native ESM mode (NestJS 12 packages are ESM-only): ts-jest transpiles each file on its own
 * (isolatedModules); `npm run typecheck` type-checks. Unit specs sit beside the code (`src/**\/*.spec.ts`);
 * integration and end-to-end specs live in `test/` and use the real PostgreSQL and Redis, each Jest worker
 * with its own database and REDIS_PREFIX (test/utils/test-env.ts).
 */
export default {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/test/**/*.integration-spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
  ],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
    'node_modules/(@willsoto/nestjs-prometheus|@fastify/static)/.+\\.js$':
      '<rootDir>/test/utils/esm-require-bridge.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!(@willsoto/nestjs-prometheus|@fastify/static)/)'],
  moduleNameMapper: {
    '^#src/(.*)$': '<rootDir>/src/$1',
    '^#migrations/(.*)$': '<rootDir>/migrations/$1',
    '^#test/(.*)$': '<rootDir>/test/$1',
  },
  globalSetup: '<rootDir>/test/utils/global-setup.ts',
  globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
  setupFiles: ['<rootDir>/test/utils/setup-env.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
  // In native ESM mode a worker keeps every spec file's vm context and module graph after the file ends
  // (Node's vm modules are not collected: jestjs/jest#14605): ~5 MB for an empty spec, 35-60 MB for one that
  // loads the app. Past ~600 MB the worker's own exit takes over the 500 ms Jest allows once the run is over
  // (its event loop is already empty), and Jest prints "A worker process has failed to exit gracefully".
  // Recycling a worker whose heap passed 256 MB after a spec file keeps that exit under ~100 ms.
  workerIdleMemoryLimit: '256MB',
};
