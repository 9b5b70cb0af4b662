#!/usr/bin/env node
// The supported Node lines are package.json's engines.node, one caret range per major line
// (`^20.19.0 || ^22.12.0 || ...`); docs/adr/0005-supported-node-lines.md says why these.
// `node scripts/node-lines.js` (scripts/lib.sh, ensure_node): exit 0 when this Node is on a
// supported line, else an HVS-SETUP error and exit 1. test/node-lines.spec.ts uses the exports.
const fs = require('node:fs');
const path = require('node:path');

const parse = (v) => v.replace(/^v/, '').split('.').map(Number);

/** [{ major, minor, patch }] from `^A.B.C || ^D.E.F`; throws on any other form (so the check never guesses). */
function supportedLines(range = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).engines.node) {
  return range.split('||').map((part) => {
    const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`package.json engines.node: "${part.trim()}" is not a caret range ^MAJOR.MINOR.PATCH (one per supported line)`);
    return { major: +m[1], minor: +m[2], patch: +m[3] };
  });
}

/** The line `version` belongs to, if it is supported and at least that line's minimum. */
function lineOf(version, lines = supportedLines()) {
  const [major, minor, patch] = parse(version);
  const line = lines.find((l) => l.major === major);
  if (!line) return undefined;
  const atLeast = minor > line.minor || (minor === line.minor && patch >= line.patch);
  return atLeast ? line : undefined;
}

const describe = (lines) => lines.map((l) => `${l.major} (>= ${l.major}.${l.minor}.${l.patch})`).join(', ');

module.exports = { supportedLines, lineOf, describe };

if (require.main === module) {
  const lines = supportedLines();
  if (!lineOf(process.version, lines)) {
    const [major] = parse(process.version);
    const known = lines.find((l) => l.major === major);
    const why = known
      ? `older than ${known.major}.${known.minor}.${known.patch}, the first ${known.major}.x with what the project needs (require(esm) for NestJS 12)`
      : 'not a supported line';
    console.error(`HVS-SETUP-NODE-UNSUPPORTED: node ${process.version} is ${why}; supported: ${describe(lines)}; ` +
      'fix: install Node.js of a supported line (an LTS: Debian nodejs, NodeSource or nvm), then run this command again');
    process.exit(1);
  }
}
