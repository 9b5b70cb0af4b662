import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { PROTO_FILES, PROTO_ROOT, v1, agentv1 } from '@hvs/proto';

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.proto') ? [path.join(dir, e.name)] : []);
}

describe('shipped .proto files (for server reflection)', () => {
  it('PROTO_FILES lists exactly the files in PROTO_ROOT', () => {
    expect(walk(PROTO_ROOT).map((f) => path.relative(PROTO_ROOT, f)).sort()).toEqual([...PROTO_FILES]);
  });

  it('proto-loader reads them and reflection accepts the definitions; the paths match the generated services', () => {
    const def = loadSync([...PROTO_FILES], { includeDirs: [PROTO_ROOT] });
    expect(() => new ReflectionService(def)).not.toThrow();
    for (const [svc, name] of [[v1.ResourceServiceService, 'hvs.v1.ResourceService'], [agentv1.AgentService, 'hvs.agent.v1.Agent']] as const) {
      const loaded = def[name] as Record<string, { path: string }>;
      for (const m of Object.values(svc)) expect(loaded[m.path.split('/')[2]]?.path).toBe(m.path);
    }
  });
});
