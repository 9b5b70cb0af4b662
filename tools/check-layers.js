#!/usr/bin/env node
/**
 * The architecture's folder rules, checked over the source of every project (apps/*\/src,
 * libs/*\/src): no import cycle between folders, and every import goes down the layers that
 * tools/layers.config.js gives each project (docs/architecture/README.md draws them).
 *
 * A "folder" is the first path segment under src/; a file directly in src/ is its own unit
 * (index.ts and main.ts are the project's entry points and may import anything). Type-only
 * imports count: a cycle of types is still two folders that cannot be understood apart.
 *
 * Usage: node tools/check-layers.js [--root DIR] [--config FILE] [--json]
 * Exit 0 when clean; 1 with one line per violation (HVS-LINT-LAYER-CYCLE, HVS-LINT-LAYER-
 * DIRECTION, HVS-LINT-LAYER-UNPLACED) saying what, why and how to fix.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ENTRY_FILES = new Set(['index.ts', 'main.ts']);
const IMPORT_RE = /(?:^|[^.\w])(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[^.\w])import\s*['"](\.{1,2}\/[^'"]+)['"]|(?:require|import)\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function args(argv) {
  const o = { root: path.join(__dirname, '..'), config: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') o.root = path.resolve(argv[++i]);
    else if (argv[i] === '--config') o.config = path.resolve(argv[++i]);
    else if (argv[i] === '--json') o.json = true;
  }
  o.config ??= path.join(o.root, 'tools/layers.config.js');
  return o;
}

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'gen' && e.name !== 'node_modules') out.push(...walk(p)); }
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.spec.ts')) out.push(p);
  }
  return out;
}

/** The unit a file belongs to: its first folder under src/, or the file itself at the top. */
function unitOf(srcDir, file) {
  const rel = path.relative(srcDir, file).split(path.sep);
  return rel.length > 1 ? rel[0] : rel[0];
}

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Edges between units of one project: Map<from, Map<to, example "file -> spec">>. */
function projectGraph(srcDir) {
  const edges = new Map();
  const units = new Set();
  for (const file of walk(srcDir)) {
    const from = unitOf(srcDir, file);
    units.add(from);
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, ''));
      if (!target.startsWith(srcDir + path.sep)) continue; // outside src/: other rules (eslint) own that
      let to = unitOf(srcDir, target);
      if (!to.endsWith('.ts') && !fs.existsSync(path.join(srcDir, to)) && fs.existsSync(path.join(srcDir, `${to}.ts`))) to = `${to}.ts`;
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(to)) edges.get(from).set(to, `${path.relative(srcDir, file)} -> '${spec}'`);
    }
  }
  return { units, edges };
}

/** Strongly connected components with more than one unit (Tarjan). */
function cycles(units, edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const u of [...units].sort()) if (!idx.has(u)) visit(u);
  return out;
}

function check(root, config) {
  const problems = [];
  for (const [project, spec] of Object.entries(config.projects)) {
    const srcDir = path.join(root, project, 'src');
    if (!fs.existsSync(srcDir)) continue;
    const { units, edges } = projectGraph(srcDir);
    for (const scc of cycles(units, edges)) {
      const inCycle = new Set(scc);
      const via = scc.flatMap((a) => [...(edges.get(a) ?? [])].filter(([b]) => inCycle.has(b)).map(([b, ex]) => `${a} -> ${b} (${ex})`));
      problems.push({
        code: 'HVS-LINT-LAYER-CYCLE', project,
        message: `${project}/src: folders import each other in a cycle: ${scc.join(', ')}; via ${via.join('; ')}`,
        fix: 'move the shared piece down into a lower folder (or up into the one that uses both) so imports go one way',
      });
    }
    const layerOf = new Map();
    spec.layers.forEach((layer, i) => layer.forEach((u) => layerOf.set(u, i)));
    for (const u of [...units].sort()) {
      if (ENTRY_FILES.has(u) || layerOf.has(u)) continue;
      problems.push({
        code: 'HVS-LINT-LAYER-UNPLACED', project,
        message: `${project}/src/${u} is in no layer of tools/layers.config.js`,
        fix: `add "${u}" to the layer of ${project} it belongs to (lower layers are imported by higher ones), and to the picture in docs/architecture/README.md`,
      });
    }
    for (const [from, tos] of edges) {
      if (ENTRY_FILES.has(from) || !layerOf.has(from)) continue;
      for (const [to, example] of tos) {
        if (ENTRY_FILES.has(to)) {
          problems.push({ code: 'HVS-LINT-LAYER-DIRECTION', project, message: `${project}/src/${from} imports the entry point ${to} (${example})`, fix: 'import the module itself, not the project entry point' });
          continue;
        }
        if (!layerOf.has(to) || layerOf.get(to) <= layerOf.get(from)) continue;
        problems.push({
          code: 'HVS-LINT-LAYER-DIRECTION', project,
          message: `${project}/src/${from} (layer ${layerOf.get(from)}) imports ${to} (layer ${layerOf.get(to)}), against the direction (${example})`,
          fix: `imports go from higher layers to lower ones (${spec.layers.map((l) => l.join('|')).reverse().join(' -> ')}); move the shared code down or invert the dependency with an interface in ${from}`,
        });
      }
    }
  }
  return problems;
}

if (require.main === module) {
  const o = args(process.argv.slice(2));
  const problems = check(o.root, require(o.config));
  if (o.json) process.stdout.write(JSON.stringify(problems));
  else for (const p of problems) console.error(`${p.code}: ${p.message}; fix: ${p.fix}`);
  if (!o.json && problems.length === 0) console.log('layers: no folder cycles, every import goes down its layers');
  process.exit(problems.length ? 1 : 0);
}

module.exports = { check, projectGraph, cycles };
