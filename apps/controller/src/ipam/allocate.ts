/**
 * Which reservations an apply writes, decided purely from the batch, the Networks and the
 * reservations read (docs/architecture/ipam.md). For every NIC of every VM the batch creates
 * or updates:
 * - nat/isolated/vxlan: keep the NIC's reservation (same VM uid, NIC and Network) unless spec.ip
 *   asks for another address; else the spec.ip (must be reservable and free: else
 *   HVS-NET-ADDRESS-INVALID / HVS-NET-ADDRESS-TAKEN naming the holder); else the lowest free
 *   address of the range (HVS-NET-RANGE-EXHAUSTED when there is none);
 * - bridge: only a MAC record, so the MAC stays the same wherever the VM runs;
 * - MAC: spec.mac, else the reservation's, else 52:54:00 + 3 random bytes unique cluster-wide;
 * - a reservation of the VM whose NIC is gone or moved to another Network is removed.
 * Every put compares on the key's absence (new) or its version (kept), so a racing apply makes
 * the whole batch Conflict and the service re-reads and decides again.
 */
import type { NetworkSpec, Problem, VirtualMachineSpec } from '@hvs/domain';
import type { RecordOp } from '../store/records';
import { addressInvalid, addressTaken, rangeExhausted } from './errors';
import { capacityOf, formatIpv4, lowestFree, parseIpv4, rangeOf, unreservable } from './ipv4';
import { addressKey, macKey, type Reservation, type ReservationValue } from './reservation-keys';

export interface VmNics {
  name: string;
  /** The stored VM's uid, or the one its create will carry. */
  uid: string;
  nics: VirtualMachineSpec['networks'];
}

export interface IpamInput {
  vms: readonly VmNics[];
  /** The Networks as they will be (the batch's over the store's), by name. */
  networks: ReadonlyMap<string, NetworkSpec>;
  /** Every reservation of the cluster. */
  reservations: readonly Reservation[];
  /** 3 random bytes (tests inject a sequence). */
  randomMacTail?: () => number;
}

export interface IpamDecision {
  records: RecordOp[];
  problems: Problem[];
}

export const MAC_PREFIX = '52:54:00';

export function macOf(tail: number): string {
  return `${MAC_PREFIX}:${[tail >>> 16, (tail >>> 8) & 255, tail & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

const defaultRandom = () => Math.floor(Math.random() * 0x1000000);

export function decideReservations(input: IpamInput): IpamDecision {
  const records: RecordOp[] = [];
  const problems: Problem[] = [];
  const random = input.randomMacTail ?? defaultRandom;
  const byKey = new Map(input.reservations.map((r) => [r.key, r]));
  const macs = new Set(input.reservations.map((r) => r.mac.toLowerCase()));
  const takenOn = new Map<string, Set<number>>();
  for (const r of input.reservations) if (r.ipv4) takenSet(takenOn, r.network).add(parseIpv4(r.ipv4));
  const newMac = () => {
    for (;;) {
      const m = macOf(random() & 0xffffff);
      if (!macs.has(m)) return m;
    }
  };

  for (const vm of input.vms) {
    const mine = input.reservations.filter((r) => r.vmUid === vm.uid);
    const kept = new Set<string>();
    vm.nics.forEach((nic, i) => {
      const spec = input.networks.get(nic.network);
      if (!spec) return; // a missing Network is the reference check's problem
      const own = mine.find((r) => r.nic === nic.name && r.network === nic.network);
      const value = (mac: string): ReservationValue => ({ vm: vm.name, vmUid: vm.uid, nic: nic.name, mac });
      const put = (key: string, mac: string, prior: Reservation | undefined) => {
        kept.add(key);
        macs.add(mac.toLowerCase());
        const next = value(mac);
        if (prior && prior.key === key && sameValue(prior, next)) return;
        records.push({ op: 'put', key, value: next, expect: prior?.key === key ? prior.version : null });
      };
      const mac = nic.mac?.toLowerCase() ?? own?.mac ?? newMac();
      if (spec.mode === 'bridge') {
        put(macKey(nic.network, vm.uid, nic.name), mac, own);
        return;
      }
      const range = rangeOf(spec);
      if (!range) return; // subnet defaulting runs first; without one there is nothing to reserve from
      const path = `spec.networks[${i}].ip`;
      const taken = takenSet(takenOn, nic.network);
      if (own?.ipv4 && (nic.ip === undefined || nic.ip === own.ipv4)) {
        put(own.key, mac, own);
        return;
      }
      let ip: number | undefined;
      if (nic.ip !== undefined) {
        const wanted = parseIpv4(nic.ip);
        const why = unreservable(range, wanted);
        const holder = byKey.get(addressKey(nic.network, nic.ip));
        if (why) problems.push(addressInvalid(vm.name, path, nic.ip, nic.network, why));
        else if (holder && holder.vmUid !== vm.uid) problems.push(addressTaken(vm.name, path, nic.ip, nic.network, holder));
        else if (taken.has(wanted) && !holder) problems.push(addressTaken(vm.name, path, nic.ip, nic.network, batchHolder(records, nic.network, nic.ip)));
        else ip = wanted;
      } else {
        ip = lowestFree(range, taken);
        if (ip === undefined) problems.push(rangeExhausted(vm.name, `spec.networks[${i}]`, nic.network, capacityOf(range)));
      }
      if (ip === undefined) return;
      taken.add(ip);
      const key = addressKey(nic.network, formatIpv4(ip));
      put(key, mac, byKey.get(key));
    });
    // Released in the same batch: a NIC removed, renamed or moved to another Network.
    for (const r of mine) if (!kept.has(r.key)) records.push({ op: 'remove', key: r.key, expect: r.version });
  }
  return { records, problems };
}

function takenSet(m: Map<string, Set<number>>, network: string): Set<number> {
  let s = m.get(network);
  if (!s) m.set(network, (s = new Set()));
  return s;
}

function sameValue(a: ReservationValue, b: ReservationValue): boolean {
  return a.vm === b.vm && a.vmUid === b.vmUid && a.nic === b.nic && a.mac.toLowerCase() === b.mac.toLowerCase();
}

/** The NIC of this batch that already took `ip` (for the ADDRESS-TAKEN message). */
function batchHolder(records: readonly RecordOp[], network: string, ip: string): { vm: string; nic: string } {
  const r = records.find((x) => x.op === 'put' && x.key === addressKey(network, ip));
  return r && r.op === 'put' ? (r.value as ReservationValue) : { vm: 'another VM of this apply', nic: 'unknown' };
}
