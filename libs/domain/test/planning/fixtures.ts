import type { PlanResource } from '../../src/planning';

/** A realistic VM as `hvctl apply` receives it (a web server with a data disk). */
export function webVm(): PlanResource {
  return {
    apiVersion: 'hvs/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web-1', labels: { app: 'web', tier: 'frontend' } },
    spec: {
      cpu: { cores: 2 },
      memory: { size: '2GiB' },
      disks: [
        { name: 'root', size: '20GiB', image: 'debian-12', boot: 1 },
        { name: 'data', size: '50GiB', pool: 'fast' },
      ],
      networks: [{ name: 'eth0', network: 'lab', firewall: { policies: ['web-in'] } }],
      cloudInit: { userData: '#cloud-config\npassword: hunter2\n' },
      placement: { nodeSelector: { zone: 'a' } },
      ha: { restartPolicy: 'Always' },
      runState: 'Running',
    },
  };
}

/** The same VM as the store returns it: server-set fields and status filled in. */
export function storedWebVm(): PlanResource {
  const vm = webVm();
  return {
    ...vm,
    metadata: { ...vm.metadata, uid: '6f1c0a5e-1b2c-4d3e-8f90-123456789abc', resourceVersion: '1042', generation: 3, creationTimestamp: '2025-01-01T00:00:00Z' },
    status: { phase: 'Running', node: 'host-a', observedGeneration: 3 },
  };
}

export function labNetwork(): PlanResource {
  return { apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lab' }, spec: { mode: 'nat', subnet: '10.10.0.0/24' } };
}

/** Tests reach deep into documents to edit one field; typing every path would hide the intent. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** A deep copy whose spec can be edited freely in a test. */
export function edit(r: PlanResource, f: (spec: Loose, meta: Loose) => void): PlanResource {
  const copy = structuredClone(r) as PlanResource & { spec: Loose };
  f(copy.spec, copy.metadata);
  return copy;
}
