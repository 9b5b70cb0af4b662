// Shared jest settings. @swc/jest transpiles only (type-checking is `npm run typecheck`).
// NestJS 12 ships ESM only: jest on Node 20 must transform it too, hence the
// transformIgnorePatterns exception and the .js transform.
const path = require('node:path');

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^@hvs/(domain|reconcile|proto|pki|host)$': path.join(root, 'libs/$1/src/index.ts'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['**/?(*.)+(spec|test).ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // No test listens on a default port of the single-host system (it may be up: .ci/run).
  setupFiles: [path.join(root, 'test/harness/no-default-ports.ts')],
};
