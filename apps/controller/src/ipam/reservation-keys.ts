/**
 * Where IPAM keeps its reservations (docs/architecture/ipam.md), controller-private records
 * (store/records.ts) beside the objects:
 * - `/hvs/v1/ipam/<network>/<ipv4>` -> {vm, vmUid, nic, mac}: one address of a nat/isolated/vxlan
 *   Network held by one NIC (the key IS the address, so two writers racing for it compare on
 *   the key's absence and exactly one wins);
 * - `/hvs/v1/ipam/<network>/mac/<vmUid>/<nic>` -> {vm, vmUid, nic, mac}: a NIC on a bridge
 *   Network, which gets no address from us, only a MAC that must stay the same across
 *   migrations (`mac` can never be an IPv4 address, so the two layouts cannot collide).
 */
import { KEY_ROOT } from '../store/objects';

export const IPAM_PREFIX = `${KEY_ROOT}ipam/`;

export interface ReservationValue {
  vm: string;
  vmUid: string;
  nic: string;
  mac: string;
}

/** A reservation as read: the value, where it lives and its etcd version. */
export interface Reservation extends ReservationValue {
  network: string;
  /** Absent for a bridge Network's MAC-only record. */
  ipv4?: string;
  key: string;
  version: string;
}

export function addressKey(network: string, ipv4: string): string {
  return `${IPAM_PREFIX}${network}/${ipv4}`;
}

export function macKey(network: string, vmUid: string, nic: string): string {
  return `${IPAM_PREFIX}${network}/mac/${vmUid}/${nic}`;
}

export function networkPrefix(network: string): string {
  return `${IPAM_PREFIX}${network}/`;
}

/** The reservation a record holds, or undefined for a key of another layout. */
export function reservationOf(key: string, value: ReservationValue, version: string): Reservation | undefined {
  const parts = key.slice(IPAM_PREFIX.length).split('/');
  const base = { vm: value.vm, vmUid: value.vmUid, nic: value.nic, mac: value.mac, network: parts[0]!, key, version };
  if (parts.length === 2 && /^\d{1,3}(\.\d{1,3}){3}$/.test(parts[1]!)) return { ...base, ipv4: parts[1] };
  if (parts.length === 4 && parts[1] === 'mac') return base;
  return undefined;
}

/** Sorted by network, then address (numerically), then VM and NIC: a deterministic order for Assigns and tests. */
export function compareReservations(a: Reservation, b: Reservation): number {
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  const ia = a.ipv4 ? a.ipv4.split('.').reduce((n, p) => n * 256 + Number(p), 0) : -1;
  const ib = b.ipv4 ? b.ipv4.split('.').reduce((n, p) => n * 256 + Number(p), 0) : -1;
  if (ia !== ib) return ia - ib;
  const ka = `${a.vm}/${a.nic}`;
  const kb = `${b.vm}/${b.nic}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
