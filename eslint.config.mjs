// ESLint flat config. Two boundary rules carry the architecture (docs/architecture/README.md):
//  1. libs/domain is pure: it imports nothing that does I/O.
//  2. apps never import each other; they share code only through libs/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export const IO_MODULES = [
  'fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'child_process',
  'cluster', 'worker_threads', 'os', 'readline', 'process', 'vm', 'inspector',
];
const ioPaths = IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({
  name,
  message: 'libs/domain is pure (no I/O). Do the I/O in an app, libs/reconcile or libs/host (host probes) and pass data in.',
}));
const ioPatterns = [
  { group: ['etcd3', 'ioredis', 'bullmq', '@grpc/*', '@nestjs/*', '@unraid/*', 'pino', 'prom-client', 'express'],
    message: 'libs/domain is pure (no I/O): no clients, servers or loggers here.' },
  { group: ['@hvs/*', '**/apps/**'], message: 'libs/domain depends on nothing else in the repo.' },
];
const appBoundary = (self) => ({
  files: [`apps/${self}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [{
        group: ['@hvs/controller', '@hvs/node-agent', '@hvs/hvctl', '**/apps/*/**',
          ...['controller', 'node-agent', 'hvctl'].filter((a) => a !== self).map((a) => `**/${a}/src/**`)],
        message: 'Apps never import each other: move shared code to libs/.',
      }],
    }],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/gen/**', '.nx/**', '**/coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip)$/]", message: 'No focused or skipped tests: print why and return, or fix the test.' }],
    },
  },
  {
    files: ['libs/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioPaths, patterns: ioPatterns }],
      'no-restricted-globals': ['error',
        { name: 'fetch', message: 'libs/domain is pure (no I/O).' },
        { name: 'process', message: 'libs/domain is pure: take configuration as an argument.' },
        { name: 'require', message: 'libs/domain is pure: use static imports.' }],
    },
  },
  appBoundary('controller'),
  appBoundary('node-agent'),
  appBoundary('hvctl'),
);
