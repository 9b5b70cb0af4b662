// Proves the architecture's two import rules are enforced by the lint step (`npm run lint`):
// libs/domain may not import anything doing I/O, and apps may not import each other; and the
// test rule: no .only, and .skip only in test/harness/tiers.ts.
// ESLint runs as a child process (as `npm run lint` does) on code passed through stdin,
// with a file name that places it where the rule applies.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

interface Message { ruleId: string | null; message: string }
interface Case { code: string; file: string }

// One ESLint process lints every case (its Node API, as `npm run lint` uses it): a process per
// case would spend most of the test starting ESLint.
const LINT_ALL = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.on('data', (d) => (input += d)).on('end', async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const c of JSON.parse(input)) {
    const [r] = await eslint.lintText(c.code, { filePath: c.file });
    out.push(r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
  }
  process.stdout.write(JSON.stringify(out));
});`;

const cases: Case[] = [];
let results: Message[][] | undefined;
function lint(code: string, file: string): () => Message[] {
  const i = cases.push({ code, file: path.join(root, file) }) - 1;
  return () => {
    results ??= JSON.parse(execFileSync(process.execPath, ['-e', LINT_ALL], { cwd: root, input: JSON.stringify(cases), encoding: 'utf8' })) as Message[][];
    return results[i];
  };
}

const rules = (msgs: Message[]) => msgs.map((m) => m.ruleId);
const DOMAIN = 'libs/domain/src/lint-fixture.ts';

// Cases are registered while jest collects the tests, so the single ESLint run sees all of them.
describe('lint: libs/domain is pure', () => {
  const io = [
    "import * as fs from 'node:fs';",
    "import { execFile } from 'child_process';",
    "import { Etcd3 } from 'etcd3';",
    "import * as grpc from '@grpc/grpc-js';",
    "import { Injectable } from '@nestjs/common';",
  ].map((line) => [line, lint(`${line}\nexport const x = 1;\n`, DOMAIN)] as const);
  it.each(io)('rejects %s', (_line, msgs) => {
    expect(rules(msgs())).toContain('no-restricted-imports');
    expect(msgs().find((m) => m.ruleId === 'no-restricted-imports')?.message).toMatch(/pure/);
  });

  const env = lint('export const home = process.env.HOME;\n', DOMAIN);
  it('rejects reading the environment through the process global', () => {
    expect(rules(env())).toContain('no-restricted-globals');
  });

  const pure = lint("import { z } from 'zod';\nexport const s = z.string();\n", DOMAIN);
  it('accepts a pure module', () => {
    expect(pure()).toEqual([]);
  });

  const appIo = lint("import * as fs from 'node:fs';\nexport const r = fs.readFileSync;\n", 'apps/node-agent/src/lint-fixture.ts');
  it('does not restrict I/O in apps', () => {
    expect(appIo()).toEqual([]);
  });
});

describe('lint: apps never import each other', () => {
  const cross = [
    ['apps/hvctl/src/lint-fixture.ts', "import { x } from '../../controller/src/main';"],
    ['apps/controller/src/lint-fixture.ts', "import { x } from '@hvs/node-agent';"],
    ['apps/node-agent/src/x/lint-fixture.ts', "import { x } from '../../../hvctl/src/main';"],
  ].map(([file, line]) => [file, line, lint(`${line}\nexport const y = x;\n`, file)] as const);
  it.each(cross)('%s: rejects %s', (_file, _line, msgs) => {
    expect(rules(msgs())).toContain('no-restricted-imports');
  });

  const libs = lint("import { HvsError } from '@hvs/domain';\nexport const E = HvsError;\n", 'apps/hvctl/src/lint-fixture.ts');
  it('lets apps import libs', () => {
    expect(libs()).toEqual([]);
  });
});

describe('lint: no focused tests; skipped ones only through describeWhen (test/harness/tiers.ts)', () => {
  const SPEC = 'libs/reconcile/test/lint-fixture.spec.ts';
  const HELPER = 'test/harness/tiers.ts';
  const calls = ['it.only', 'describe.skip', 'test.only', 'it.skip', 'test.todo', 'describe.only.each([1])', 'describe.skip.each([1])', 'xit', 'xdescribe', 'fit', 'fdescribe']
    .map((call) => [call, lint(`${call}('x', () => undefined);\n`, SPEC)] as const);
  it.each(calls)('rejects %s in a spec', (_call, msgs) => {
    expect(rules(msgs())).toContain('no-restricted-syntax');
  });

  const helperSkip = lint("export const s = (t: string) => describe.skip(t, () => undefined);\n", HELPER);
  const helperOnly = lint("export const o = (t: string) => describe.only(t, () => undefined);\n", HELPER);
  const aliasSkip = lint("const s = describe.skip;\ns('x', () => undefined);\n", SPEC);
  it('allows describe.skip in the helper only, and .only not even there', () => {
    expect(helperSkip()).toEqual([]);
    expect(rules(helperOnly())).toContain('no-restricted-syntax');
    expect(rules(aliasSkip())).toContain('no-restricted-syntax');
  });
});
