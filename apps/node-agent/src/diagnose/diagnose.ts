import { constants } from 'node:fs';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkObservation } from '@hvs/domain';
import { kvmUsable } from '@hvs/host';
import type { Confinement, HypervisorDriver } from '../hypervisor';
import type { HypervisorChoice } from '../config/hypervisor-choice';
import type { UnownedVolume } from '../storage';

/** One diagnose finding: what was checked, what it found, how to fix it; `warning`: not fatal. */
export interface Check {
  name: string;
  ok: boolean;
  message: string;
  fix: string;
  warning: boolean;
}

async function writable(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.hvs-diagnose-${process.pid}`);
  try {
    await access(dir, constants.W_OK);
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface DiagnoseInput {
  driver: HypervisorDriver;
  choice: HypervisorChoice;
  stateDir: string;
  pools: Record<string, string>;
  controller?: { address: string; lastContactMs: number; error?: string };
  unownedVolumes?: () => Promise<UnownedVolume[]>;
  /** Whether libvirt confines VMs (sVirt); off is a warning with how to turn it on. */
  confinement?: Confinement;
  /** How each assigned Network is realised here: one check per Network. */
  networks?: NetworkObservation[];
}

/** Every check with what it found and how to fix it; never throws (a failing probe is a failed check). */
export async function diagnose(i: DiagnoseInput): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, message: string, fix = '', warning = false) => checks.push({ name, ok, message, fix: ok ? '' : fix, warning });

  try {
    const n = (await i.driver.list()).length;
    add('libvirt', true, `libvirt answers on ${i.choice.uri} (${n} domains)`);
  } catch (e) {
    add('libvirt', false, `libvirt does not answer on ${i.choice.uri}: ${(e as Error).message}`, `start libvirtd and check \`virsh -c ${i.choice.uri} list --all\``);
  }
  add('mode', i.choice.mode !== 'test', `hypervisor mode ${i.choice.mode}: ${i.choice.reason}`,
    'set HVS_LIBVIRT_URI=qemu:///system with libvirtd running to run real guests', i.choice.mode === 'test');
  const kvm = await kvmUsable();
  add('kvm', kvm, kvm ? '/dev/kvm is usable (vmx/svm present)' : 'KVM is not usable: guests run under QEMU TCG emulation (slow)',
    'enable virtualisation in the firmware (VT-x/AMD-V), load kvm_intel/kvm_amd, and give the agent read-write access to /dev/kvm', true);
  if (i.confinement) add('confinement', i.confinement.confined, i.confinement.summary, i.confinement.fix, true);
  for (const [name, dir] of Object.entries(i.pools)) {
    const err = await writable(dir);
    add(`pool:${name}`, err === undefined, err === undefined ? `pool ${name} (${dir}) is writable` : `pool ${name} (${dir}) is not writable: ${err}`, `mkdir -p ${dir} and make it writable by the agent`);
  }
  if (i.unownedVolumes) {
    try {
      const vols = await i.unownedVolumes();
      const mib = (vols.reduce((n, v) => n + v.actualSizeBytes, 0) / 1024 / 1024).toFixed(1);
      const shown = vols.slice(0, 5).map((v) => `${v.pool}/${v.name}`).join(', ') + (vols.length > 5 ? `, and ${vols.length - 5} more` : '');
      add('volumes', vols.length === 0, vols.length === 0 ? 'every hvs- volume in the pools belongs to a VM assigned here'
        : `${vols.length} volume(s), ${mib} MiB on disk, belong to no VM assigned here: ${shown} (left by a failed or cancelled copy-storage migration into this host, or kept on purpose by the keep disk policy)`,
      'if no VM needs them (the uid in the name is the VM\'s metadata.uid: `hvctl get vms -o yaml`), delete the files from the pool directory', true);
    } catch (e) {
      add('volumes', false, `listing the pools' volumes failed: ${(e as Error).message}`, 'check the pool directories and qemu-img', true);
    }
  }
  for (const n of i.networks ?? []) {
    add(`network:${n.network}`, n.ready, `network ${n.network}${n.bridge ? ` (bridge ${n.bridge})` : ''}: ${n.reason}: ${n.message}`,
      n.error?.fix ?? 'see docs/networking.md#troubleshooting');
  }
  const stateErr = await writable(i.stateDir);
  add('state-dir', stateErr === undefined, stateErr === undefined ? `state dir ${i.stateDir} is writable` : `state dir ${i.stateDir} is not writable: ${stateErr}`, `mkdir -p ${i.stateDir} and make it writable by the agent (HVS_AGENT_STATE_DIR)`);
  if (i.controller) {
    const c = i.controller;
    const ok = c.lastContactMs >= 0 && c.error === undefined;
    add('controller', ok, ok ? `controller ${c.address} last answered ${c.lastContactMs} ms ago` : `controller ${c.address} unreachable${c.error ? `: ${c.error}` : ''}`,
      'check HVS_CONTROLLER and that the controller runs; VMs keep running as assigned meanwhile');
  } else {
    add('controller', true, 'no controller configured (HVS_CONTROLLER unset): standalone');
  }
  return checks;
}
