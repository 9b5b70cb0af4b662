/**
 * Every name the suite gives a VM's things on a host, in one place: the libvirt domain
 * `hvs-<uid>`, its disk volumes `hvs-<uid>-<disk>.<format>` and its cloud-init seed
 * `hvs-<uid>-cidata.iso`. Names are deterministic (DESIGN.md §3), so a crashed or restarted
 * agent, another host after a migration, or the renderer all arrive at the same names, and an
 * agent can tell what is its own (`hvs-` prefix) from what an operator made.
 *
 * These functions only build and read names; they do not check their inputs. The callers do
 * that where the input arrives: the renderer (HVS-XML-UID-INVALID), the agent's Assign
 * (HVS-AGENT-VM-UID-INVALID) and the storage layer (HVS-VOLUME-NAME-INVALID).
 *
 * A uid is a lower-case UUID in practice (the controller assigns it): all uids have the same
 * length, so no uid followed by `-` is the start of another one and `ownsVolume` cannot
 * confuse two VMs.
 */

/** What every domain and volume the suite creates starts with. */
export const NAME_PREFIX = 'hvs-';

/** The libvirt domain of the VM with this uid (`hvs-<uid>`). */
export function domainName(uid: string): string {
  return `${NAME_PREFIX}${uid}`;
}

/** True for a domain name the suite gives (`hvs-...`); every other domain is left alone. */
export function isHvsDomain(name: string): boolean {
  return name.startsWith(NAME_PREFIX) && name.length > NAME_PREFIX.length;
}

/** The uid a domain name was built from; undefined for a domain the suite did not name. */
export function uidOfDomain(name: string): string | undefined {
  return isHvsDomain(name) ? name.slice(NAME_PREFIX.length) : undefined;
}

/** The file of disk `disk` of VM `uid` in its pool (when the disk names no path of its own). */
export function volumeName(uid: string, disk: string, format: 'qcow2' | 'raw' = 'qcow2'): string {
  return `${domainName(uid)}-${disk}.${format}`;
}

/** The NoCloud seed ISO (volume label `cidata`) of VM `uid`, in the pool of its first disk. */
export function cloudInitSeedName(uid: string): string {
  return `${domainName(uid)}-cidata.iso`;
}

/** True when pool entry `name` is one of the suite's volumes (of any VM). */
export function isHvsVolume(name: string): boolean {
  return name.startsWith(NAME_PREFIX);
}

/** True when pool entry `name` belongs to VM `uid` (a disk or its seed ISO). */
export function ownsVolume(name: string, uid: string): boolean {
  return name.startsWith(`${domainName(uid)}-`);
}
