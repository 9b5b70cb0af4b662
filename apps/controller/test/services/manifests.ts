import type { ObjectStore, StoredObject } from '../../src/store';

/** Manifests the service and API tests apply (valid per libs/domain unless named bad). */
export function vmYaml(name: string, opts: { memory?: string; labels?: Record<string, string>; runState?: string } = {}): string {
  const labels = Object.entries(opts.labels ?? { app: 'web' }).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  return `apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: ${name}
  labels:
${labels}
spec:
  cpu:
    cores: 1
  memory:
    size: ${opts.memory ?? '512MiB'}
  disks:
    - name: os
      size: 10GiB
  networks:
    - name: eth0
      network: lan
  runState: ${opts.runState ?? 'Running'}
`;
}

export const NETWORK_YAML = `apiVersion: hvs/v1
kind: Network
metadata:
  name: lan
  labels:
    app: web
spec:
  mode: nat
  subnet: 10.10.0.0/24
`;

/**
 * The Network `lan` that vmYaml's NIC names, without labels (no prune or scoped selector of a
 * test matches it). A VM's references must exist at apply (HVS-VM-REFERENCE-MISSING), so tests
 * that apply vmYaml alone seed it first, straight into the store: their own counts of reads,
 * writes and audit records stay what they assert.
 */
export const LAN_NETWORK: StoredObject = {
  apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { mode: 'nat', subnet: '10.10.0.0/24', gateway: '10.10.0.1' },
};

export async function seedLan(store: Pick<ObjectStore, 'create'>): Promise<void> {
  await store.create(structuredClone(LAN_NETWORK));
}

/** Two documents: the first valid, the second with two problems (bad size, unknown field). */
export const BAD_SECOND_DOCUMENT = `${vmYaml('good-1')}---
apiVersion: hvs/v1
kind: VirtualMachine
metadata:
  name: bad-2
spec:
  cpu:
    cores: 1
  memory:
    size: lots
  disks: []
  networks: []
  bogus: true
`;

export function batch(...docs: string[]): string {
  return docs.join('---\n');
}
