/** Objects and wiring shared by the reconciler and dispatcher tests (all against real etcd). */
import type { Condition, Image, Network, Node, Secret, VirtualMachine } from '@hvs/domain';
import { waitFor } from '../../../../test/harness';
import { Informer } from '../../src/runtime';
import type { ObjectStore, StoredObject } from '../../src/store';

export const GiB = 1024 ** 3;

export function vmDoc(name: string, opts: { cores?: number; memory?: string; labels?: Record<string, string>; node?: string; networks?: string[] } = {}): VirtualMachine {
  return {
    apiVersion: 'hvs/v1',
    kind: 'VirtualMachine',
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      cpu: { cores: opts.cores ?? 1 },
      memory: { size: opts.memory ?? '1GiB' },
      disks: [],
      networks: (opts.networks ?? []).map((n, i) => ({ name: `nic${i}`, network: n })),
      runState: 'Running',
    },
    ...(opts.node ? { status: { node: opts.node, phase: 'Scheduled' as const } } : {}),
  };
}

/** A Node as the agent registers it; `testDriver` marks it as running the libvirt test driver (offline moves only). */
export function nodeDoc(name: string, opts: { cpus?: number; memoryBytes?: number; ready?: boolean; address?: string; cordoned?: boolean; testDriver?: boolean } = {}): Node {
  const ready: Condition = { type: 'Ready', status: opts.ready === false ? 'Unknown' : 'True', reason: 'Test', lastTransitionTime: '2026-01-01T00:00:00.000Z' };
  return {
    apiVersion: 'hvs/v1',
    kind: 'Node',
    metadata: { name },
    spec: { ...(opts.address ? { address: opts.address } : {}), ...(opts.cordoned ? { cordoned: true } : {}), overcommit: { cpu: 1, memory: 1 } },
    status: {
      capacity: { cpus: opts.cpus ?? 8, memoryBytes: opts.memoryBytes ?? 16 * GiB }, conditions: [ready],
      ...(opts.testDriver ? { hypervisor: { mode: 'test' as const, uri: 'test:///default' } } : {}),
    },
  };
}

export async function startInformer<T extends StoredObject>(store: ObjectStore, kind: string): Promise<Informer<T>> {
  const inf = new Informer<T>(store, kind);
  await inf.start();
  return inf;
}

/** The informers the dispatcher reads (DispatcherInformers), started; `stop` ends them all. */
export async function startDispatcherInformers(store: ObjectStore) {
  const informers = {
    vms: await startInformer<VirtualMachine>(store, 'VirtualMachine'),
    nodes: await startInformer<Node>(store, 'Node'),
    networks: await startInformer<Network>(store, 'Network'),
    secrets: await startInformer<Secret>(store, 'Secret'),
    images: await startInformer<Image>(store, 'Image'),
  };
  return { informers, stop: () => Promise.all(Object.values(informers).map((i) => i.stop())).then(() => undefined) };
}

/** Polls the store until `check` returns a value for the object (deadline-bounded, no sleeps). */
export function awaitObject<T extends StoredObject, R>(store: ObjectStore, kind: string, name: string, what: string,
  check: (o: T) => R | undefined | false, timeoutMs = 10_000): Promise<R> {
  return waitFor(async () => check(await store.get<T>(kind, name)), { what: `${kind}/${name}: ${what}`, timeoutMs, intervalMs: 25 });
}

export function condition(o: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined {
  return o.status?.conditions?.find((c) => c.type === type);
}
