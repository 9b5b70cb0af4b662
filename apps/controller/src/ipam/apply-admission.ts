/**
 * What an apply must pass, and what it writes besides the documents, for VMs and Networks
 * (called by ResourceService for apply and plan): references (references.ts), Network subnet
 * defaults and overlaps (network-admission.ts) and the VMs' address reservations
 * (allocate.ts). One read of Networks, Images, Nodes, StoragePools and reservations per apply that holds a
 * VM or a Network; nothing is read for other batches. All problems are reported at once in
 * one coded error, and then nothing is written.
 */
import { randomUUID } from 'node:crypto';
import type { AnyResource, Image, Network, Node, Problem, StoragePool, VirtualMachine } from '@hvs/domain';
import type { RecordOp } from '../store/records';
import type { ObjectStore, StoredObject } from '../store/types';
import { decideReservations } from './allocate';
import { admissionRefused } from './errors';
import { admitNetworks } from './network-admission';
import { missingReferences } from './references';
import { IPAM_PREFIX, reservationOf, type Reservation, type ReservationValue } from './reservation-keys';

export interface AdmissionItem {
  desired: AnyResource;
  current: StoredObject | undefined;
}

export interface Admitted {
  /** The documents as they will be written (Networks with defaults), in batch order. */
  desired: AnyResource[];
  /** Reservations written in the same transaction. */
  records: RecordOp[];
  /** For each item the batch creates: the uid its create must carry (its reservations name it). */
  uids: (string | undefined)[];
}

export async function readReservations(store: ObjectStore): Promise<Reservation[]> {
  const { records } = await store.listRecords<ReservationValue>(IPAM_PREFIX);
  return records.map((r) => reservationOf(r.key, r.value, r.version)).filter((r): r is Reservation => r !== undefined);
}

export async function admitBatch(store: ObjectStore, items: readonly AdmissionItem[]): Promise<Admitted> {
  const uids: (string | undefined)[] = items.map((it) => (it.current === undefined ? randomUUID() : undefined));
  const concerned = items.some((it) => it.desired.kind === 'VirtualMachine' || it.desired.kind === 'Network');
  if (!concerned) return { desired: items.map((it) => it.desired), records: [], uids };
  const [networks, images, nodes, pools, reservations] = await Promise.all([
    store.list<Network>('Network'), store.list<Image>('Image'), store.list<Node>('Node'), store.list<StoragePool>('StoragePool'), readReservations(store),
  ]);
  const problems: Problem[] = [];
  const batchNetworks = items.filter((it) => it.desired.kind === 'Network');
  const admitted = admitNetworks({
    batch: batchNetworks.map((it) => ({ desired: it.desired as Network, current: it.current as Network | undefined })),
    stored: networks.items,
    nodes: nodes.items,
    reserved: new Set(reservations.filter((r) => r.ipv4 !== undefined).map((r) => r.network)),
  });
  problems.push(...admitted.problems);
  const byName = new Map(admitted.networks.map((n) => [n.metadata.name, n]));
  const desired = items.map((it) => (it.desired.kind === 'Network' ? byName.get(it.desired.metadata.name)! : it.desired));

  const specs = new Map(networks.items.filter((n) => !n.metadata.deletionTimestamp).map((n) => [n.metadata.name, n.spec]));
  for (const n of admitted.networks) specs.set(n.metadata.name, n.spec);
  const catalog = {
    networks: new Set(specs.keys()),
    images: new Set([...images.items.map((i) => i.metadata.name), ...items.filter((it) => it.desired.kind === 'Image').map((it) => it.desired.metadata.name)]),
    pools: new Set([
      ...nodes.items.flatMap((n) => (n.status?.pools ?? []).map((p) => p.name)), ...pools.items.map((p) => p.metadata.name),
      ...items.filter((it) => it.desired.kind === 'StoragePool').map((it) => it.desired.metadata.name),
    ]),
  };
  const vms = items.map((it, i) => ({ it, uid: it.current?.metadata.uid ?? uids[i]! })).filter(({ it }) => it.desired.kind === 'VirtualMachine');
  for (const { it } of vms) problems.push(...missingReferences(it.desired as VirtualMachine, catalog));
  const ipam = decideReservations({
    vms: vms.map(({ it, uid }) => ({ name: it.desired.metadata.name, uid, nics: (it.desired as VirtualMachine).spec.networks })),
    networks: specs,
    reservations,
  });
  problems.push(...ipam.problems);
  if (problems.length > 0) throw admissionRefused(problems);
  return { desired, records: ipam.records, uids };
}
