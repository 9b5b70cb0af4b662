/**
 * Whether the system tier may run here, decided once per test file at load time. It needs an
 * explicit HVS_TEST_SYSTEM=1 (it starts daemons, namespaces and QEMU guests), root, a working
 * `ip netns`, and libvirtd, virsh, qemu-system-x86_64, qemu-img, unshare and nsenter on PATH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsUsableSync } from '../harness/netns';
import { describeWhen } from '../harness/tiers';

const BINARIES = ['ip', 'libvirtd', 'virsh', 'qemu-system-x86_64', 'qemu-img', 'unshare', 'nsenter'];

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface GateNeeds {
  /** The spec drives LibvirtDriver, whose ESM-only binding loads only under test/system/jest.config.js. */
  libvirtBinding?: boolean;
}

export function systemGate(needs: GateNeeds = {}): { enabled: boolean; why: string } {
  if (process.env.HVS_TEST_SYSTEM !== '1') return { enabled: false, why: 'HVS_TEST_SYSTEM is not 1' };
  if (needs.libvirtBinding) {
    try {
      require.resolve('@unraid/libvirt');
    } catch {
      return { enabled: false, why: 'this jest config cannot load @unraid/libvirt: run it with -c test/system/jest.config.js' };
    }
  }
  const missing = BINARIES.filter((b) => !onPath(b));
  if (missing.length) return { enabled: false, why: `missing on PATH: ${missing.join(', ')}` };
  const netns = netnsUsableSync();
  if (!netns.ok) return { enabled: false, why: netns.why };
  return { enabled: true, why: '' };
}

/** `describe` when the gate is open; otherwise a real skip whose title says why (harness/tiers.ts). */
export function describeSystem(title: string, body: () => void, needs: GateNeeds = {}): void {
  const gate = systemGate(needs);
  describeWhen(gate.enabled, `${gate.why} (see docs/system-tests.md)`)(title, body);
}
