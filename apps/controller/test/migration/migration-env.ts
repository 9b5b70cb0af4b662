import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { EtcdStore } from '../../src/store';
import { FakeMigrateAgent } from './fake-migrate-agent';

/** What every migration spec runs against: a real etcd, a store on it, a fake source agent on loopback gRPC. */
export interface MigrationEnv {
  etcd: EtcdInstance;
  store: EtcdStore;
  agent: FakeMigrateAgent;
  /** Stoppers the spec registers (informers, reconcilers); run last-first by stopMigrationEnv. */
  stops: (() => Promise<void>)[];
}

export async function startMigrationEnv(): Promise<MigrationEnv> {
  const etcd = await startEtcd();
  const env: MigrationEnv = { etcd, store: new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 }), agent: new FakeMigrateAgent(), stops: [] };
  try {
    await env.agent.listen();
  } catch (e) {
    await stopMigrationEnv(env);
    throw e;
  }
  return env;
}

/** Stops what the spec registered, then the agent, the store and etcd; a no-op for an env that never started. */
export async function stopMigrationEnv(env: MigrationEnv | undefined): Promise<void> {
  if (!env) return;
  for (const s of env.stops.splice(0).reverse()) await s();
  await env.agent.stop();
  await env.store.close();
  await env.etcd.stop();
}
