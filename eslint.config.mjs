// ESLint flat config. Two boundary rules carry the architecture (docs/architecture/README.md):
//  1. libs/domain is pure: it imports nothing that does I/O.
//  2. apps never import each other; they share code only through libs/.
// And one rule for tests: no .only anywhere, .skip only in the skip helper (SKIP_HELPER).
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
// Tests: none focused anywhere; none skipped except through describeWhen in SKIP_HELPER, whose
// skips `npm test` counts and explains per tier (docs/system-tests.md#test-tiers).
export const SKIP_HELPER = 'test/harness/tiers.ts';
const TEST_FNS = '/^(it|test|describe)$/';
const NO_FOCUS = [
  { selector: `MemberExpression[object.name=${TEST_FNS}][property.name='only']`, message: 'No focused tests (.only): run one file with `npx jest -c <config> <path>` instead.' },
  { selector: "CallExpression[callee.name=/^f(it|describe)$/]", message: 'No focused tests (fit/fdescribe).' },
];
const NO_SKIP = [
  { selector: `MemberExpression[object.name=${TEST_FNS}][property.name=/^(skip|todo)$/]`, message: `No skipped tests outside ${SKIP_HELPER}: use describeWhen(condition, why) from there, or fix the test.` },
  { selector: "CallExpression[callee.name=/^x(it|test|describe)$/]", message: `No skipped tests (xit/xdescribe): use describeWhen(condition, why) from ${SKIP_HELPER}.` },
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
      'no-restricted-syntax': ['error', ...NO_FOCUS, ...NO_SKIP],
    },
  },
  {
    // The one place a test may be skipped: describeWhen, which puts the reason in the title.
    files: [SKIP_HELPER],
    rules: { 'no-restricted-syntax': ['error', ...NO_FOCUS] },
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
