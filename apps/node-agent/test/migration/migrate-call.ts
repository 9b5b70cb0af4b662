import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { agentv1, v1 } from '@hvs/proto';

/** A VM uid for test `n`. */
export const uid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Runs Agent.Migrate over real gRPC and collects the whole stream (or the call's error). */
export function migrate(address: string, req: Partial<agentv1.MigrateRequest>): Promise<{ items: agentv1.MigrateProgress[]; error?: ServiceError }> {
  const c = new agentv1.AgentClient(address, credentials.createInsecure());
  const full: agentv1.MigrateRequest = {
    vmUid: '', vmName: '', targetUri: '', targetAddress: '', mode: v1.MigrationMode.LIVE, maxDowntimeMs: 0, copyStorage: false,
    fencingToken: 0, migration: 'm', autoConverge: true, bandwidthBytesPerSecond: 0, ...req,
  };
  return new Promise((resolve) => {
    const items: agentv1.MigrateProgress[] = [];
    const s = c.migrate(full, new Metadata(), { deadline: new Date(Date.now() + 20_000) });
    s.on('data', (p: agentv1.MigrateProgress) => items.push(p));
    s.on('error', (error: ServiceError) => {
      c.close();
      resolve({ items, error });
    });
    s.on('end', () => {
      c.close();
      resolve({ items });
    });
  });
}
