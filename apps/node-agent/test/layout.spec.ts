/**
 * The agent's folder rules (docs/architecture/node-agent-layout.md): the core never imports
 * grpc/ (the wire edge) or agent/ (the composition root), and no two folders of
 * apps/node-agent/src import each other, directly or round about.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const SRC = join(__dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Folder (first path segment under src/, '.' for src itself) -> folders it imports. */
function folderGraph(): Map<string, Set<string>> {
  const folderOf = (p: string) => (relative(SRC, p).includes('/') ? relative(SRC, p).split('/')[0] : '.');
  const graph = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const from = folderOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[1]));
      const to = statSync(target, { throwIfNoEntry: false })?.isDirectory() ? relative(SRC, target).split('/')[0] : folderOf(target);
      if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

describe('apps/node-agent/src layout', () => {
  const graph = folderGraph();

  it('only the composition root imports grpc/, and only main.ts imports agent/', () => {
    const importers = (folder: string) => [...graph].filter(([, to]) => to.has(folder)).map(([from]) => from).sort();
    expect(importers('grpc')).toEqual(['agent']);
    expect(importers('agent')).toEqual(['.']);
    expect(graph.get('domains')?.size).toBeGreaterThan(0); // the scan sees imports at all
  });

  it('has no folder-level import cycle', () => {
    const cycles: string[] = [];
    const reach = (start: string) => {
      const seen = new Set<string>();
      const todo = [...(graph.get(start) ?? [])];
      while (todo.length > 0) {
        const f = todo.pop()!;
        if (!seen.has(f)) todo.push(...(graph.get((seen.add(f), f)) ?? []));
      }
      return seen;
    };
    for (const [from, to] of graph) for (const t of to) if (reach(t).has(from)) cycles.push(`${from} -> ${t} -> ... -> ${from}`);
    expect(cycles).toEqual([]);
  });
});
